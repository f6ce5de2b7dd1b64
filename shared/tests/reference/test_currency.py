"""ISO 4217: strict check, lenient normalisation, English and Italian names (published facts)."""

from __future__ import annotations

import pytest

from shared.reference import (
    UnknownCode,
    currency_codes,
    currency_label,
    is_iso4217,
    normalise_currency,
)


@pytest.mark.parametrize("code", ["EUR", "GBP", "USD", "CHF", "MDL", "UAH"])
def test_listed_codes_are_iso4217(code: str) -> None:
    assert is_iso4217(code)
    assert normalise_currency(code.lower()) == code


@pytest.mark.parametrize("code", ["eur", "EURO", "XYZ", "", " EUR", "E"])
def test_is_iso4217_is_strict(code: str) -> None:
    assert not is_iso4217(code)


@pytest.mark.parametrize("code", ["XYZ", "EURO", "", "€"])
def test_normalise_rejects_unlisted_codes(code: str) -> None:
    with pytest.raises(UnknownCode) as raised:
        normalise_currency(code)
    assert raised.value.code_list == "currency"
    assert "ISO 4217" in raised.value.reason


def test_names_in_english_and_italian() -> None:
    assert currency_label("CHF") == "Swiss franc"
    assert currency_label("chf", "it") == "Franco svizzero"
    assert currency_label("GBP", "it") == "Lira sterlina"
    with pytest.raises(ValueError, match="language"):
        currency_label("EUR", "fr")


def test_the_list_has_154_three_letter_codes() -> None:
    codes = currency_codes()
    assert len(codes) == 154
    assert all(len(c) == 3 and c.isalpha() and c.isupper() for c in codes)
