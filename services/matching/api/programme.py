"""The programme dashboard: aggregate figures anyone may read (no key needed)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

from services.matching.api.deps import BankabilityDep, IndexDep, PolicyDep, SessionDep
from services.matching.service import programme
from shared.app import service_router
from shared.clock import today

router = service_router(prefix="/v1/programme", tags=["programme"])


class Amount(BaseModel):
    amount: float
    currency: str


class Group(BaseModel):
    needs: int = Field(description="open needs in the group")
    with_supplier_match: int = Field(description="of which the supplier ranking is not empty")
    with_lender_match: int = Field(description="of which the lender ranking is not empty")
    budget: list[Amount] = Field(description="their budgets, summed per currency")


class CategoryGroup(Group):
    category: str


class RegionGroup(Group):
    nuts: str = Field(description="the NUTS region at `region_level`")
    label: str | None


class ClosingCall(BaseModel):
    id: int
    title: str
    programme: str | None
    categories: list[str]
    closes_at: date
    days_left: int
    grant: dict[str, Amount] | None


class ProgrammeSummary(BaseModel):
    today: date
    open_needs: int
    with_supplier_match: int = Field(
        description="open needs for which `GET /v1/needs/{id}/matches?kind=supplier` is not empty"
    )
    with_lender_match: int = Field(
        description="open needs for which `GET /v1/needs/{id}/matches?kind=lender` is not empty"
    )
    needs_without_lender: int
    budget_without_lender: list[Amount] = Field(
        description="budget of the open needs without a lender match, summed per currency"
    )
    by_category: list[CategoryGroup]
    region_level: int
    by_region: list[RegionGroup]
    closing_within_days: int
    calls_closing_soon: list[ClosingCall] = Field(
        description="funding calls open today that close within the window, soonest first"
    )
    notes: list[str] = Field(description="what could not be evaluated (e.g. bankability)")


async def summary_cache(request: Request) -> programme.SummaryCache:
    # async: no I/O, only application state (see `api/deps.py`)
    state = request.app.state
    if not hasattr(state, "programme_summary"):
        state.programme_summary = programme.SummaryCache()
    return state.programme_summary


CacheDep = Annotated[programme.SummaryCache, Depends(summary_cache)]


@router.get(
    "/summary",
    response_model=ProgrammeSummary,
    summary="Open needs by category and region, how many have supplier and lender matches, the "
    "budget still without a lender, funding calls closing soon",
)
def get_programme_summary(
    session: SessionDep,
    index: IndexDep,
    source: BankabilityDep,
    policy: PolicyDep,
    cache: CacheDep,
    region_level: Annotated[
        int, Query(ge=0, le=3, description="NUTS level of the regions: 0 country .. 3")
    ] = 2,
    closing_within_days: Annotated[
        int, Query(ge=1, le=366, description="list calls closing within this many days")
    ] = 60,
) -> dict[str, Any]:
    day = today()
    return cache.answer(
        (day, region_level, closing_within_days),
        index,
        lambda: programme.summarise(
            session,
            index,
            source,
            policy,
            today=day,
            region_level=region_level,
            closing_within_days=closing_within_days,
        ),
    )
