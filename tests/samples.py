"""Publishers' OCDS files (Italy's ANAC, UK Contracts Finder, Moldova, Ukraine, and the OCDS
documentation's fictional package) that the catalogue's import tests, the end-to-end flow and
`bench/ocds_import.py` read; provenance in `tests/data/ocds/SOURCES.md`."""

from pathlib import Path

OCDS = Path(__file__).resolve().parent / "data" / "ocds"
ANAC_SAMPLE = OCDS / "it-anac" / "anac-2022-compiled-releases.sample.json"
ANAC_SAMPLE_LINES = OCDS / "it-anac" / "anac-2022-compiled-releases.sample.jsonl"
