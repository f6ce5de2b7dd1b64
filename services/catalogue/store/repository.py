"""Every catalogue query lives here. Functions take the request's session; none commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, or_, select, text, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel

from services.catalogue.domain.codes import stem_prefixes
from services.catalogue.store.tables import (
    ApiKey,
    ChangeRecord,
    EntityCode,
    OcdsLedger,
    Organisation,
)
from shared.db import hold_lock_until_commit

Row = TypeVar("Row", bound=SQLModel)

CODE_PREFIX_MIN = {"cpv": 2, "nuts": 2}


def get(session: Session, table: type[Row], record_id: int) -> Row | None:
    return session.get(table, record_id)


def get_for_update(session: Session, table: type[Row], record_id: int) -> Row | None:
    statement = select(table).where(table.id == record_id)  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return session.execute(statement).scalar_one_or_none()


def add(session: Session, row: Row) -> Row:
    session.add(row)
    session.flush()
    return row


def remove(session: Session, row: SQLModel) -> None:
    session.delete(row)
    session.flush()


def code_filter(entity: str, id_column: Any, scheme: str, stem: str) -> ColumnElement[bool]:
    """Records having a code at, above or below `stem` in the hierarchy."""
    ancestors = stem_prefixes(stem, shortest=CODE_PREFIX_MIN[scheme])
    return exists().where(
        EntityCode.entity == entity,  # type: ignore[arg-type]
        EntityCode.entity_id == id_column,  # type: ignore[arg-type]
        EntityCode.scheme == scheme,  # type: ignore[arg-type]
        or_(EntityCode.stem.in_(ancestors), EntityCode.stem.startswith(stem)),  # type: ignore[attr-defined]
    )


def text_filter(columns: Sequence[Any], query: str) -> ColumnElement[bool]:
    """Every word of `query` appears (case-insensitively) in one of `columns`."""
    clauses = []
    for word in query.split()[:8]:
        pattern = (
            "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        clauses.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in columns)))
    return and_(true(), *clauses)


def list_page(
    session: Session,
    table: type[Row],
    *,
    where: Iterable[ColumnElement[bool]],
    after_id: int,
    limit: int,
) -> list[Row]:
    """Ordered by id: ids only grow, so rows inserted while a client pages land after it."""
    statement = (
        select(table)
        .where(table.id > after_id, *where)  # type: ignore[attr-defined]
        .order_by(table.id)  # type: ignore[attr-defined]
        .limit(limit)
    )
    return list(session.execute(statement).scalars())


def replace_codes(
    session: Session, entity: str, entity_id: int, codes: Iterable[tuple[str, str]]
) -> None:
    session.execute(
        delete(EntityCode).where(
            EntityCode.entity == entity,  # type: ignore[arg-type]
            EntityCode.entity_id == entity_id,  # type: ignore[arg-type]
        )
    )
    rows = [
        {"entity": entity, "entity_id": entity_id, "scheme": scheme, "stem": stem}
        for scheme, stem in sorted(set(codes))
    ]
    if rows:
        session.execute(insert(EntityCode), rows)


def add_codes_bulk(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(EntityCode), rows)


def record_change(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    op: str,
    data: dict[str, Any] | None,
    at: datetime,
) -> None:
    # Core insert: txid must be left to the column's server default (the writing transaction)
    session.execute(
        insert(ChangeRecord),
        [{"entity": entity, "entity_id": entity_id, "op": op, "data": data, "at": at}],
    )


def record_changes_bulk(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(ChangeRecord), rows)


def insert_returning_ids(
    session: Session, table: type[SQLModel], rows: list[dict[str, Any]]
) -> list[int]:
    if not rows:
        return []
    statement = insert(table).returning(table.id, sort_by_parameter_order=True)  # type: ignore[attr-defined]
    return [row[0] for row in session.execute(statement, rows)]


# --- the change feed ---------------------------------------------------------------------------


def list_changes(session: Session, after: tuple[int, int], limit: int) -> list[ChangeRecord]:
    txid, change_id = after
    position = or_(
        ChangeRecord.txid > txid,  # type: ignore[arg-type]
        and_(ChangeRecord.txid == txid, ChangeRecord.id > change_id),  # type: ignore[arg-type]
    )
    statement = select(ChangeRecord).where(position)
    if session.get_bind().dialect.name == "postgresql":
        # only transactions older than every one still running: a row that commits later
        # always carries a txid at or above this bound, so the cursor never passes it
        statement = statement.where(
            ChangeRecord.txid  # type: ignore[arg-type]
            < text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        )
    statement = statement.order_by(ChangeRecord.txid, ChangeRecord.id).limit(limit)  # type: ignore[arg-type]
    return list(session.execute(statement).scalars())


def compact_changes(session: Session, before: tuple[int, int]) -> int:
    """Drop, up to `before`, every change that a later change of the same record supersedes.

    The newest change of every record stays, deletes included (tombstones): a follower reading
    on from any cursor, or from the start, still ends with every record's current state and
    every removal, so no cursor ever becomes unusable (log compaction)."""
    txid, change_id = before
    later = aliased(ChangeRecord)
    superseded = exists().where(
        later.entity == ChangeRecord.entity,  # type: ignore[arg-type]
        later.entity_id == ChangeRecord.entity_id,  # type: ignore[arg-type]
        or_(
            later.txid > ChangeRecord.txid,  # type: ignore[arg-type]
            and_(later.txid == ChangeRecord.txid, later.id > ChangeRecord.id),  # type: ignore[arg-type]
        ),
    )
    result = session.execute(
        delete(ChangeRecord).where(
            or_(
                ChangeRecord.txid < txid,  # type: ignore[arg-type]
                and_(ChangeRecord.txid == txid, ChangeRecord.id <= change_id),  # type: ignore[arg-type]
            ),
            superseded,
        )
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def last_change_before(session: Session, at: datetime) -> ChangeRecord | None:
    statement = (
        select(ChangeRecord)
        .where(ChangeRecord.at < at)  # type: ignore[arg-type]
        .order_by(ChangeRecord.txid.desc(), ChangeRecord.id.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    return session.execute(statement).scalar_one_or_none()


# --- API keys ----------------------------------------------------------------------------------


def get_key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    return session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()  # type: ignore[arg-type]


def list_keys(session: Session, organisation_id: int, after_id: int, limit: int) -> list[ApiKey]:
    return list_page(
        session,
        ApiKey,
        where=[ApiKey.organisation_id == organisation_id],  # type: ignore[list-item]
        after_id=after_id,
        limit=limit,
    )


def get_organisation(session: Session, organisation_id: int) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def get_organisation_by_identifier(session: Session, identifier: str) -> Organisation | None:
    statement = select(Organisation).where(Organisation.identifier == identifier)  # type: ignore[arg-type]
    return session.execute(statement).scalar_one_or_none()


def get_organisations_by_identifier(
    session: Session, identifiers: Sequence[str]
) -> dict[str, Organisation]:
    if not identifiers:
        return {}
    statement = select(Organisation).where(Organisation.identifier.in_(identifiers))  # type: ignore[union-attr]
    return {row.identifier or "": row for row in session.execute(statement).scalars()}


def get_many(session: Session, table: type[Row], ids: Sequence[int]) -> dict[int, Row]:
    """Rows by id, loaded in one query (and kept in the session's identity map)."""
    if not ids:
        return {}
    statement = select(table).where(table.id.in_(ids))  # type: ignore[attr-defined]
    return {row.id: row for row in session.execute(statement).scalars()}  # type: ignore[attr-defined]


# --- the OCDS import ledger --------------------------------------------------------------------


def get_ledger(session: Session, entity: str, keys: Sequence[str]) -> dict[str, OcdsLedger]:
    if not keys:
        return {}
    statement = select(OcdsLedger).where(
        OcdsLedger.entity == entity,  # type: ignore[arg-type]
        OcdsLedger.source_key.in_(keys),  # type: ignore[attr-defined]
    )
    return {row.source_key: row for row in session.execute(statement).scalars()}


def get_versions(session: Session, table: type[SQLModel], ids: Sequence[int]) -> dict[int, int]:
    """`id → version` of the rows that exist (without loading their documents)."""
    if not ids:
        return {}
    statement = select(table.id, table.version).where(table.id.in_(ids))  # type: ignore[attr-defined]
    return {int(row[0]): int(row[1]) for row in session.execute(statement)}


def lock_imports(session: Session) -> None:
    """Serialise OCDS imports until this transaction ends: two imports naming the same ocids or
    organisations would otherwise both insert them, and the second fail on the unique keys.
    SQLite serialises writers already."""
    hold_lock_until_commit(session, "cityfit.ocds_import")


def add_ledger_bulk(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(OcdsLedger), rows)
