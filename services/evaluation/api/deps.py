"""Dependency aliases of the evaluation API."""

from __future__ import annotations

from shared.app import SessionDep
from shared.auth import CallerDep

__all__ = ["CallerDep", "SessionDep"]
