from sqlmodel import SQLModel

from services.matching.store import tables  # noqa: F401  (registers the tables' metadata)
from shared.migrations import run_migrations

run_migrations(SQLModel.metadata)
