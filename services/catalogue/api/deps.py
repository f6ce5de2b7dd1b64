"""Dependency aliases of the catalogue API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from shared.auth import CallerDep, OptionalCallerDep
from shared.concurrency import IfMatchHeader
from shared.pagination import PageDep


def get_session(request: Request) -> Session:
    return request.state.uow.session


SessionDep = Annotated[Session, Depends(get_session)]

__all__ = ["CallerDep", "IfMatchHeader", "OptionalCallerDep", "PageDep", "SessionDep"]
