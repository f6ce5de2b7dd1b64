"""Dependency aliases of the catalogue API."""

from __future__ import annotations

from shared.app import SessionDep
from shared.auth import CallerDep, OptionalCallerDep
from shared.concurrency import IfMatchHeader
from shared.pagination import PageDep

__all__ = ["CallerDep", "IfMatchHeader", "OptionalCallerDep", "PageDep", "SessionDep"]
