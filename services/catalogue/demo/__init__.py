"""Demo data for the catalogue: a programme's worth of cities, suppliers, lenders and calls.

Holds `load_demo_dataset()`, which reads `demo.json` (package data beside this module) with
`importlib.resources`. The data are fictional except for the public bodies (Città di Torino,
Ville de Lyon, ...), whose contact addresses and websites are fictional too (`.example` and
`example.org`/`example.com` hosts). Codes come from the lists in `shared.reference`: CPV 2008,
NUTS 2024 (Lisbon is `PT1A0`, Grande Lisboa) and ISO 4217; `shared/tests/reference/
test_demo_codes.py` checks every one of them.

Shapes are the catalogue API's (API.md) plus two keys for the loader: every record has a `ref`
(unique within its section) and offers and needs name their organisation's `ref` in
`organisation`; organisations also carry the `contact_email` a registration needs. The records:

- `organisations`: 13 municipalities, 15 suppliers (some described only in Italian, some only
  in English), 7 lenders (commercial banks, a green infrastructure fund, a fictional national
  promotional bank, an EIB-like bank with a 30 M EUR minimum ticket, a crowdfunding platform,
  an impact investor doing social impact bonds);
- `offers`: 2 per supplier (products, services, past references with city and year);
- `needs`: 23 needs (one `closed`), including small lighting and traffic-light needs of
  several cities that only reach a lender's minimum ticket when bundled; four carry an
  `appraisal` with template inputs;
- `funding_calls`: 7 calls, open, closed and forthcoming relative to 2026-11-25.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

DEMO_FILE = "demo.json"


def load_demo_dataset() -> dict[str, Any]:
    """The demo dataset: `{"organisations", "offers", "needs", "funding_calls"}`, each a list.

    A fresh copy on every call, so a caller may change it freely.
    """
    text = resources.files(__name__).joinpath(DEMO_FILE).read_text(encoding="utf-8")
    dataset: dict[str, Any] = json.loads(text)
    return dataset
