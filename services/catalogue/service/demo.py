"""Loading the demo catalogue through the same use cases (and validation) as the API.

Returns the API keys issued to the demo organisations (and a fresh admin key) so `cityfit up`
can print them for the README tour; they are written to `<data dir>/demo-keys.json` by the CLI.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from services.catalogue.api import schemas
from services.catalogue.demo import load_demo_dataset
from services.catalogue.service import bootstrap, organisations, records
from services.catalogue.store.tables import Organisation
from shared.auth import Caller
from shared.db import transaction

ORGANISATION_ONLY = {"ref", "contact_email"}


def catalogue_is_empty(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(Organisation)).scalar_one() == 0


def load(engine: Engine, *, only_if_empty: bool) -> dict[str, Any] | None:
    """Insert the demo dataset in one transaction; None when skipped (catalogue not empty)."""
    dataset = load_demo_dataset()
    with transaction(engine) as session:
        if only_if_empty and not catalogue_is_empty(session):
            return None
        admin_key = bootstrap.create_admin_key(session, "demo admin")
        operator = bootstrap.operator_organisation(session)
        admin = Caller(
            key_id=0,
            organisation_id=operator.id or 0,
            organisation_kind="partner",
            role="admin",
        )
        ids: dict[str, int] = {}
        keys: dict[str, dict[str, Any]] = {}
        for item in dataset["organisations"]:
            profile = {k: v for k, v in item.items() if k not in ORGANISATION_ONLY}
            body = schemas.RegistrationCreate(
                organisation=schemas.OrganisationCreate.model_validate(profile),
                contact_email=item["contact_email"],
            )
            row, _key, plaintext = organisations.register(session, body, admin)
            ids[item["ref"]] = row.id or 0
            keys[item["ref"]] = {
                "id": row.id,
                "kind": row.kind,
                "name": row.name,
                "api_key": plaintext,
            }
        for kind, section in (
            (records.OFFER, "offers"),
            (records.NEED, "needs"),
            (records.FUNDING_CALL, "funding_calls"),
        ):
            for item in dataset.get(section, []):
                document = {k: v for k, v in item.items() if k not in {"ref", "organisation"}}
                if "organisation" in item:
                    document["organisation_id"] = ids[item["organisation"]]
                records.create(session, kind, admin, kind.create.model_validate(document))
    return {"admin_key": admin_key, "organisations": keys}
