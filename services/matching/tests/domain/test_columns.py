"""The row table's cached column answers agree with the per-record functions they stand for."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.columns import RowTable
from services.matching.domain.constraints import FAILED, check_budget, check_cpv_family
from services.matching.domain.records import Money, Organisation
from services.matching.domain.scoring import best_cpv_match, budget_fit_of, cpv_depth
from services.matching.tests.domain.builders import supplier

CPV = ["34928500", "34928530", "34996100", "50232100", "45321000", "90610000", "71300000"]
SIZES = [None, (1e5, 1e5), (1e5, 2e6), (1e6, 1e7), (5e6, 5e7)]


@st.composite
def suppliers(draw: st.DrawFn) -> list[Organisation]:
    return [
        supplier(
            number + 1,
            cpv=draw(st.lists(st.sampled_from(CPV), max_size=3, unique=True)),
            size=draw(st.sampled_from(SIZES)),
            currency=draw(st.sampled_from(["EUR", "EUR", "USD"])),
        )
        for number in range(draw(st.integers(1, 12)))
    ]


def some_rows(draw: st.DrawFn, size: int) -> np.ndarray:
    return np.array(draw(st.lists(st.integers(0, size - 1), max_size=20)), dtype=np.int64)


@settings(max_examples=100, deadline=None)
@given(
    records=suppliers(),
    amount=st.sampled_from([1.0, 9e4, 1e5, 8e5, 1.2e6, 3e6, 6e7]),
    currency=st.sampled_from(["EUR", "USD", "GBP"]),
    tolerance=st.sampled_from([0.0, 0.2, 0.5]),
    data=st.data(),
)
def test_budget_answers_are_the_constraint_and_the_fit_of_each_row(
    records: list[Organisation],
    amount: float,
    currency: str,
    tolerance: float,
    data: st.DataObject,
) -> None:
    table = RowTable.build("supplier", records)
    rows = some_rows(data.draw, len(records))
    budget = Money(amount, currency)
    within = table.budget_within(amount, currency, tolerance, rows)
    fit = table.budget_fit(math.log(max(amount, 1.0)), currency, tolerance, rows)
    for position, row in enumerate(rows):
        money_range = records[row].money_range
        check = check_budget(budget, money_range, tolerance, "project size")
        assert within[position] == (check.status != FAILED)
        assert fit[position] == pytest.approx(
            budget_fit_of(budget, money_range, tolerance)[0], abs=1e-12
        )
    # twice: the second answer comes from the cache
    assert table.budget_within(amount, currency, tolerance, rows).tolist() == within.tolist()


@settings(max_examples=100, deadline=None)
@given(records=suppliers(), family=st.lists(st.sampled_from(CPV), max_size=4, unique=True))
def test_cpv_depths_and_the_family_rule_of_each_row(
    records: list[Organisation], family: list[str]
) -> None:
    table = RowTable.build("supplier", records)
    codes = tuple(family)
    depths = table.cpv_depths(codes)
    passes = table.family_passes(codes)
    for row, record in enumerate(records):
        deepest = max((cpv_depth(a, b) for a in codes for b in record.all_cpv_codes), default=0)
        assert depths[row] == (deepest if deepest >= 2 else 0)
        match = best_cpv_match(codes, record.all_cpv_codes)
        check = check_cpv_family(codes, record.all_cpv_codes, match)
        assert passes[row] == (check.status != FAILED)
    assert table.cpv_depths(codes).tolist() == depths.tolist()
    assert table.family_passes(codes).tolist() == passes.tolist()
