"""Every evaluation query lives here. Functions take the request's session; none commits."""

from __future__ import annotations

from sqlmodel import Session

from services.evaluation.store.tables import AppraisalRecord


def get_appraisal(session: Session, appraisal_id: int) -> AppraisalRecord | None:
    return session.get(AppraisalRecord, appraisal_id)


def add(session: Session, record: AppraisalRecord) -> AppraisalRecord:
    session.add(record)
    session.flush()
    return record
