from __future__ import annotations

from sqlalchemy import func, select

from services.catalogue.api import schemas
from services.catalogue.domain.synthetic import SyntheticCatalogue
from services.catalogue.service import changes, demo, seeding
from services.catalogue.settings import CatalogueSettings
from services.catalogue.store.tables import Need, Organisation
from shared.auth import key_prefix
from shared.db import make_engine, open_session


class TestSyntheticCatalogue:
    def test_same_seed_same_catalogue(self) -> None:
        first = list(SyntheticCatalogue(7).suppliers(50))
        again = list(SyntheticCatalogue(7).suppliers(50))
        other = list(SyntheticCatalogue(8).suppliers(50))
        assert first == again
        assert first != other

    def test_every_generated_record_passes_the_api_validation(self) -> None:
        generator = SyntheticCatalogue(3)
        for document in [
            *generator.suppliers(200),
            *generator.lenders(20),
            *generator.municipalities(20),
        ]:
            schemas.OrganisationCreate.model_validate(document)
        for need in generator.needs(200, [(1, "IT", "ITC11"), (2, "FR", "FRK26")]):
            schemas.NeedCreate.model_validate(need)


class TestBulkSeed:
    def test_records_code_index_and_feed_are_written(self, settings: CatalogueSettings) -> None:
        engine = make_engine(settings.resolved_database_url())
        counts = seeding.seed(engine, suppliers=120, needs=30, seed=1)
        with open_session(engine) as session:
            organisations = session.execute(
                select(func.count()).select_from(Organisation)
            ).scalar_one()
            needs = session.execute(select(func.count()).select_from(Need)).scalar_one()
            feed = changes.read(session, None, 500)
        engine.dispose()
        expected_orgs = counts["suppliers"] + counts["lenders"] + counts["municipalities"]
        assert organisations == expected_orgs
        assert needs == counts["needs"] == 30
        assert len(feed.items) == expected_orgs + 30
        assert {item.entity for item in feed.items} == {"organisation", "need"}


class TestDemo:
    def test_loads_once_with_working_keys(self, settings: CatalogueSettings) -> None:
        engine = make_engine(settings.resolved_database_url())
        loaded = demo.load(engine, only_if_empty=False)
        again = demo.load(engine, only_if_empty=True)
        with open_session(engine) as session:
            needs = session.execute(select(Need)).scalars().all()
        engine.dispose()
        assert loaded is not None
        assert again is None  # not empty any more: nothing loaded twice
        assert key_prefix(loaded["admin_key"]) is not None
        kinds = {org["kind"] for org in loaded["organisations"].values()}
        assert kinds == {"municipality", "supplier", "lender"}
        assert any(n.category == "public_lighting" and n.doc.get("appraisal") for n in needs)
