"""The evaluation service's OpenAPI links: a stored appraisal, once created or read, is read
again, analysed (sensitivity, Monte Carlo) and summarised for lenders by its id; a template
listed is read by its name, and appraisals are made from it by that name."""

from __future__ import annotations

from shared.openapi_links import BODY_ID, Link, fan_out

APPRAISAL = "/v1/appraisals/{appraisal_id}"


def _appraisal_links(source: str, status: str) -> list[Link]:
    by_id = {"path.appraisal_id": BODY_ID}
    return fan_out(
        source,
        status,
        {
            f"GET {APPRAISAL}": by_id,
            f"POST {APPRAISAL}/sensitivity": by_id,
            f"POST {APPRAISAL}/monte-carlo": by_id,
            f"GET {APPRAISAL}/bankability": by_id,
        },
    )


LINKS: list[Link] = [
    *_appraisal_links("POST /v1/appraisals", "201"),
    *_appraisal_links(f"GET {APPRAISAL}", "200"),
    Link(
        "GET /v1/templates",
        "200",
        "GET /v1/templates/{name}",
        {"path.name": "$response.body#/items/0/name"},
    ),
    Link(
        "GET /v1/templates/{name}",
        "200",
        "POST /v1/appraisals",
        request_body={"template": "$response.body#/name"},
        description="an appraisal built from this template",
    ),
]
