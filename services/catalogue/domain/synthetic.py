"""A reproducible synthetic catalogue for benchmarks and load tests (`cityfit seed`).

Profiles are assembled from per-category vocabularies (English and Italian phrasing, real CPV
codes, real NUTS 2024 regions), so text ranking, CPV overlap, NUTS coverage and budget fit all
have something to work on. The same seed always yields the same catalogue.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared.contracts import vocabulary

CONTRACT_FORMS = vocabulary.CONTRACT_FORMS


@dataclass(frozen=True)
class Category:
    name: str
    cpv_codes: tuple[str, ...]
    english: tuple[str, ...]
    italian: tuple[str, ...]
    budget_range: tuple[float, float]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "public_lighting",
        ("34928500", "31527200", "45316110", "50232100"),
        ("LED street lighting retrofit", "public lighting remote management", "smart lampposts"),
        ("illuminazione pubblica a LED", "telegestione degli impianti", "pali intelligenti"),
        (300_000, 25_000_000),
    ),
    Category(
        "traffic_lights",
        ("34996100", "45316212", "50232000"),
        ("LED traffic light replacement", "adaptive traffic signal control"),
        ("sostituzione semafori con lanterne LED", "centralizzazione semaforica"),
        (150_000, 8_000_000),
    ),
    Category(
        "building_efficiency",
        ("71314300", "45321000", "45331000"),
        ("energy performance contracting for schools", "building retrofit and HVAC upgrades"),
        (
            "efficientamento energetico degli edifici scolastici",
            "riqualificazione impianti termici",
        ),
        (500_000, 40_000_000),
    ),
    Category(
        "urban_freight_logistics",
        ("63120000", "60161000", "79342000"),
        ("urban freight consolidation centre", "last-mile electric cargo delivery"),
        ("centro di consolidamento merci urbano", "consegne dell'ultimo miglio"),
        (1_000_000, 20_000_000),
    ),
    Category(
        "car_pooling",
        ("48000000", "60170000"),
        ("commuter car pooling platform", "ride sharing app for employers"),
        ("piattaforma di car pooling aziendale", "mobilità condivisa per pendolari"),
        (50_000, 2_000_000),
    ),
    Category(
        "smart_grid",
        ("38551000", "65300000", "31682000"),
        ("smart metering roll-out", "smart grid automation and storage"),
        ("contatori intelligenti", "rete elettrica intelligente e accumulo"),
        (2_000_000, 80_000_000),
    ),
    Category(
        "urban_safety",
        ("32323500", "35125300"),
        ("video surveillance and urban safety dashboards",),
        ("videosorveglianza e sicurezza urbana",),
        (200_000, 6_000_000),
    ),
    Category(
        "operation_centre",
        ("72000000", "48000000"),
        ("intelligent operation centre software", "city data platform"),
        ("centrale operativa intelligente", "piattaforma dati urbana"),
        (1_000_000, 30_000_000),
    ),
)

# real NUTS 2024 level-3 regions, grouped by country
REGIONS: dict[str, tuple[str, ...]] = {
    "IT": ("ITC11", "ITC4C", "ITH55", "ITI14", "ITC33", "ITF47", "ITH36", "ITG12", "ITI43"),
    "FR": ("FRK26", "FRK24", "FR101", "FRL04", "FRJ23"),
    "ES": ("ES511", "ES523", "ES300", "ES618"),
    "PT": ("PT1A0", "PT11A"),
    "DE": ("DE300", "DE212", "DEA23"),
}
COUNTRIES = tuple(REGIONS)

SUPPLIER_WORDS = ("Lumen", "Civitas", "Energia", "Mobilis", "Urbis", "Volta", "Nodo", "Sigma")
LENDER_WORDS = ("Green Infrastructure Fund", "Banca", "Municipal Credit", "Impact Partners")


def _money(amount: float) -> dict[str, Any]:
    return {"amount": round(amount, -3), "currency": "EUR"}


class SyntheticCatalogue:
    """Generates API-shaped documents; `random_state` fixes every draw."""

    def __init__(self, random_state: int) -> None:
        self.random_state = random_state

    def _rng(self, stream: str) -> random.Random:
        return random.Random(f"{self.random_state}:{stream}")

    def suppliers(self, count: int) -> Iterator[dict[str, Any]]:
        rng = self._rng("suppliers")
        for index in range(count):
            category = rng.choice(CATEGORIES)
            country = rng.choice(COUNTRIES)
            italian = country == "IT" and rng.random() < 0.6
            phrases = category.italian if italian else category.english
            low, high = category.budget_range
            size_min = rng.uniform(low * 0.3, low * 2)
            coverage = [country] if rng.random() < 0.5 else rng.sample(REGIONS[country], k=2)
            yield {
                "kind": "supplier",
                "name": f"{rng.choice(SUPPLIER_WORDS)} {category.name.replace('_', ' ')} {index}",
                "country": country,
                "description": f"{rng.choice(phrases)}. {rng.choice(phrases)}.",
                "capabilities": rng.sample(phrases, k=min(2, len(phrases))),
                "cpv_codes": sorted(rng.sample(category.cpv_codes, k=rng.randint(1, 2))),
                "nuts_codes": sorted(coverage),
                "contract_forms": sorted(rng.sample(CONTRACT_FORMS[:6], k=rng.randint(1, 3))),
                "project_size": {
                    "min": _money(size_min),
                    "max": _money(rng.uniform(size_min * 2, high * 1.5)),
                },
            }

    def lenders(self, count: int) -> Iterator[dict[str, Any]]:
        rng = self._rng("lenders")
        for index in range(count):
            ticket_min = rng.choice((250_000, 1_000_000, 5_000_000, 30_000_000))
            yield {
                "kind": "lender",
                "name": f"{rng.choice(LENDER_WORDS)} {index}",
                "country": rng.choice(COUNTRIES),
                "description": "Financing for municipal energy efficiency and smart city projects.",
                "nuts_codes": [rng.choice(COUNTRIES)],
                "contract_forms": sorted(rng.sample(CONTRACT_FORMS, k=3)),
                "ticket": {"min": _money(ticket_min), "max": _money(ticket_min * 20)},
                "instruments": sorted(
                    rng.sample(("senior_debt", "mezzanine", "equity", "green_bond"), k=2)
                ),
                "min_dscr": round(rng.uniform(1.1, 1.4), 2),
                "target_irr": round(rng.uniform(0.04, 0.1), 3),
                "max_tenor_years": rng.choice((10, 15, 20, 25)),
            }

    def municipalities(self, count: int) -> Iterator[dict[str, Any]]:
        rng = self._rng("municipalities")
        for index in range(count):
            country = rng.choice(COUNTRIES)
            region = rng.choice(REGIONS[country])
            yield {
                "kind": "municipality",
                "name": f"Municipality {index} ({region})",
                "country": country,
                "nuts_codes": [region],
            }

    def needs(
        self, count: int, municipalities: list[tuple[int, str, str]]
    ) -> Iterator[dict[str, Any]]:
        """`municipalities`: (id, country, region) of the municipalities that post the needs."""
        rng = self._rng("needs")
        for index in range(count):
            organisation_id, country, region = municipalities[index % len(municipalities)]
            category = rng.choice(CATEGORIES)
            phrases = category.italian if country == "IT" else category.english
            low, high = category.budget_range
            yield {
                "organisation_id": organisation_id,
                "title": f"{rng.choice(phrases).capitalize()} #{index}",
                "description": " ".join(rng.sample(phrases, k=min(2, len(phrases)))),
                "category": category.name,
                "cpv_codes": [rng.choice(category.cpv_codes)],
                "nuts_code": region,
                "budget": _money(rng.uniform(low, high)),
                "contract_forms": sorted(rng.sample(CONTRACT_FORMS[:6], k=2)),
                "needed_by": f"{rng.randint(2027, 2029)}-{rng.randint(1, 12):02d}-01",
                "status": "open",
            }
