from __future__ import annotations

import pytest

from shared.reference.codelist import UnknownCode
from shared.reference.country import normalise_country


class TestCountry:
    @pytest.mark.parametrize(
        ("given", "expected"), [("it", "IT"), (" FR ", "FR"), ("EL", "GR"), ("UK", "GB")]
    )
    def test_iso_codes_and_nuts_spellings_are_normalised(self, given: str, expected: str) -> None:
        assert normalise_country(given) == expected

    @pytest.mark.parametrize("code", ["ZZ", "XX", "EU", "I"])
    def test_unknown_codes_are_refused(self, code: str) -> None:
        with pytest.raises(UnknownCode):
            normalise_country(code)
