"""OpenAPI links from a declarative table: written into the document, and every way a link can
stop resolving (a renamed route, parameter or field) named by `link_problems`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Header, Response
from pydantic import BaseModel

from shared.openapi_links import BODY_ID, IF_MATCH, Link, add_links, fan_out, link_problems


class Offer(BaseModel):
    id: int
    title: str


class OfferPage(BaseModel):
    items: list[Offer]
    next_cursor: str | None


class OfferCreate(BaseModel):
    title: str
    organisation_id: int | None = None


def document() -> dict[str, Any]:
    app = FastAPI()

    @app.post("/v1/offers", status_code=201)
    def create_offer(body: OfferCreate, response: Response) -> Offer:
        return Offer(id=1, title=body.title)

    @app.get("/v1/offers")
    def list_offers(cursor: str | None = None) -> OfferPage:
        return OfferPage(items=[], next_cursor=None)

    @app.get("/v1/offers/{record_id}")
    def get_offer(record_id: int) -> Offer:
        return Offer(id=record_id, title="t")

    @app.patch("/v1/offers/{record_id}")
    def update_offer(
        record_id: int, if_match: Annotated[str | None, Header(alias="If-Match")] = None
    ) -> Offer:
        return Offer(id=record_id, title="t")

    return app.openapi()


ITEM = "/v1/offers/{record_id}"
GOOD = [
    *fan_out(
        "POST /v1/offers",
        "201",
        {
            f"GET {ITEM}": {"path.record_id": BODY_ID},
            f"PATCH {ITEM}": {"path.record_id": BODY_ID, **IF_MATCH},
        },
    ),
    Link(
        "GET /v1/offers", "200", "GET /v1/offers", {"query.cursor": "$response.body#/next_cursor"}
    ),
    Link("GET /v1/offers", "200", f"GET {ITEM}", {"path.record_id": "$response.body#/items/0/id"}),
    Link(f"GET {ITEM}", "200", f"PATCH {ITEM}", {"path.record_id": "$request.path.record_id"}),
    Link(f"GET {ITEM}", "200", "POST /v1/offers", request_body={"title": "$response.body#/title"}),
]


def problems_of(link: Link) -> list[str]:
    built = document()
    add_links(built, [link])
    return link_problems(built, [link])


class TestAddLinks:
    def test_links_land_on_the_source_response_naming_the_target_operation(self) -> None:
        built = document()
        add_links(built, GOOD)
        links = built["paths"]["/v1/offers"]["post"]["responses"]["201"]["links"]
        patch = built["paths"][ITEM]["patch"]
        assert links["patch.offers.record_id"] == {
            "operationId": patch["operationId"],
            "parameters": {
                "path.record_id": "$response.body#/id",
                "header.If-Match": "$response.header.ETag",
            },
        }
        assert set(links) == {"get.offers.record_id", "patch.offers.record_id"}
        assert link_problems(built, GOOD) == []

    def test_a_link_to_a_missing_operation_is_left_out_without_failing(self) -> None:
        built = document()
        add_links(built, [Link("POST /v1/offers", "201", "DELETE /v1/offers/{record_id}")])
        assert "links" not in built["paths"]["/v1/offers"]["post"]["responses"]["201"]

    def test_a_table_not_given_to_the_document_is_reported(self) -> None:
        problems = link_problems(document(), GOOD[:1])
        assert problems == [
            f"POST /v1/offers -> [201] GET {ITEM}: the document does not carry it "
            "(is the table given to create_service_app?)"
        ]


class TestLinkProblems:
    def test_a_renamed_route(self) -> None:
        link = Link(
            "POST /v1/offers", "201", "GET /v1/offer/{record_id}", {"path.record_id": BODY_ID}
        )
        assert problems_of(link) == [
            "POST /v1/offers -> [201] GET /v1/offer/{record_id}: "
            "no operation GET /v1/offer/{record_id}"
        ]

    def test_a_renamed_path_parameter(self) -> None:
        problems = problems_of(
            Link("POST /v1/offers", "201", f"GET {ITEM}", {"path.offer_id": BODY_ID})
        )
        assert any("has no path parameter 'offer_id'" in p for p in problems)
        assert any("path parameter 'record_id'" in p and "is not given" in p for p in problems)

    def test_a_response_field_that_does_not_exist(self) -> None:
        link = Link(
            "POST /v1/offers", "201", f"GET {ITEM}", {"path.record_id": "$response.body#/offer_id"}
        )
        assert problems_of(link) == [
            f"POST /v1/offers -> [201] GET {ITEM}: $response.body#/offer_id: "
            "the response body has no '/offer_id'"
        ]

    def test_a_list_item_field_resolves_through_the_array(self) -> None:
        wrong = Link(
            "GET /v1/offers",
            "200",
            f"GET {ITEM}",
            {"path.record_id": "$response.body#/items/0/oid"},
        )
        assert len(problems_of(wrong)) == 1
        assert problems_of(GOOD[3]) == []

    def test_an_undocumented_status(self) -> None:
        link = Link("POST /v1/offers", "200", f"GET {ITEM}", {"path.record_id": BODY_ID})
        assert problems_of(link) == [
            f"POST /v1/offers -> [200] GET {ITEM}: POST /v1/offers documents no 200 response"
        ]

    def test_a_request_parameter_the_source_lacks(self) -> None:
        link = Link(f"GET {ITEM}", "200", f"PATCH {ITEM}", {"path.record_id": "$request.path.id"})
        assert problems_of(link) == [
            f"GET {ITEM} -> [200] PATCH {ITEM}: "
            "$request.path.id: the source has no path parameter 'id'"
        ]

    def test_a_header_matches_whatever_its_case(self) -> None:
        link = Link(
            f"GET {ITEM}",
            "200",
            f"PATCH {ITEM}",
            {"path.record_id": BODY_ID, "header.if-match": "$response.header.ETag"},
        )
        assert problems_of(link) == []

    def test_a_parameter_without_its_location(self) -> None:
        problems = problems_of(Link(f"GET {ITEM}", "200", f"PATCH {ITEM}", {"record_id": BODY_ID}))
        assert any("is not `location.name`" in p for p in problems)

    def test_a_body_field_the_target_does_not_take(self) -> None:
        link = Link(
            f"GET {ITEM}", "200", "POST /v1/offers", request_body={"name": "$response.body#/title"}
        )
        assert problems_of(link) == [
            f"GET {ITEM} -> [200] POST /v1/offers: "
            "the request body of POST /v1/offers has no field 'name'"
        ]

    def test_two_links_of_one_response_under_one_name(self) -> None:
        twice = [
            GOOD[2],
            Link(
                "GET /v1/offers",
                "200",
                "GET /v1/offers",
                {"query.cursor": "$response.body#/items/0/title"},
            ),
        ]
        built = document()
        add_links(built, twice)
        assert link_problems(built, twice) == [
            "GET /v1/offers -> [200] GET /v1/offers: "
            "another link of that response has the name 'get.offers'"
        ]
