"""The audit log of admin actions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warehouse.models import AuditLog


def record(
    *,
    session: Session,
    actor_key_id: uuid.UUID | None,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    entry = AuditLog(
        actor_key_id=actor_key_id, action=action, target_type=target_type, target_id=target_id, details=details or {}
    )
    session.add(entry)
    session.flush()
    return entry


def recent(*, session: Session, limit: int = 100) -> Sequence[AuditLog]:
    return list(session.scalars(select(AuditLog).order_by(AuditLog.created_at.desc()).limit(limit)))
