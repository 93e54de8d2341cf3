"""Stripe events (stored raw, once, before anything acts on them) and Stripe objects for revenue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from warehouse._sql import insert_if_new, upsert
from warehouse.models import StripeEvent, StripeObject, SyncState
from warehouse.types import utcnow

#: Stripe object types the revenue marts need, by their ``object`` field.
REVENUE_OBJECT_TYPES = frozenset(
    {"balance_transaction", "charge", "refund", "dispute", "payout", "invoice", "subscription", "customer"}
)


def _check_event(event: Mapping[str, Any]) -> tuple[str, str, int]:
    eid, etype, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(eid, str) or not eid.startswith("evt_"):
        raise InvalidInput("a Stripe event needs an id starting with 'evt_'", id=str(eid))
    if not isinstance(etype, str) or not etype:
        raise InvalidInput("a Stripe event needs a type", id=eid)
    if not isinstance(created, int) or isinstance(created, bool):
        raise InvalidInput("a Stripe event needs an integer 'created' epoch", id=eid)
    if not isinstance(event.get("data"), Mapping) or "object" not in event["data"]:
        raise InvalidInput("a Stripe event needs data.object", id=eid)
    return eid, etype, created


def store_event(*, session: Session, event: Mapping[str, Any], processed: bool = False) -> bool:
    """Insert the event if its id is new; return whether it was new (duplicates change nothing).

    ``processed=True`` stores an event that needs no further work as processed in the same insert.
    """
    eid, etype, created = _check_event(event)
    now = utcnow()
    return insert_if_new(
        session,
        StripeEvent.__table__,  # type: ignore[arg-type]
        {
            "id": eid,
            "type": etype,
            "api_created": created,
            "livemode": bool(event.get("livemode", False)),
            "payload": dict(event),
            "received_at": now,
            "processed_at": now if processed else None,
            "attempts": 0,
        },
        key=["id"],
    )


def get_event(*, session: Session, event_id: str) -> StripeEvent:
    event = session.get(StripeEvent, event_id)
    if event is None:
        raise NotFound(f"no Stripe event {event_id}", event_id=event_id)
    return event


def claim_event(*, session: Session, event_id: str) -> StripeEvent | None:
    """Count one processing attempt; return the event, or None if it is already processed."""
    event = get_event(session=session, event_id=event_id)
    if event.processed_at is not None:
        return None
    session.execute(update(StripeEvent).where(StripeEvent.id == event_id).values(attempts=StripeEvent.attempts + 1))
    session.refresh(event)
    return event


def mark_processed(*, session: Session, event_id: str) -> None:
    session.execute(
        update(StripeEvent)
        .where(StripeEvent.id == event_id, StripeEvent.processed_at.is_(None))
        .values(processed_at=utcnow(), last_error=None)
    )


def record_failure(*, session: Session, event_id: str, error: str) -> None:
    session.execute(update(StripeEvent).where(StripeEvent.id == event_id).values(last_error=error[:4000]))


def pending_events(
    *, session: Session, older_than: timedelta, max_attempts: int, now: datetime | None = None, limit: int = 100
) -> Sequence[StripeEvent]:
    """Unprocessed events received before ``now - older_than`` with attempts left, oldest first."""
    cutoff = (now or utcnow()) - older_than
    stmt = (
        select(StripeEvent)
        .where(
            StripeEvent.processed_at.is_(None),
            StripeEvent.received_at <= cutoff,
            StripeEvent.attempts < max_attempts,
        )
        .order_by(StripeEvent.api_created, StripeEvent.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def upsert_object(*, session: Session, obj: Mapping[str, Any]) -> None:
    """Store the latest state of a Stripe object (by its id)."""
    oid, otype, created = obj.get("id"), obj.get("object"), obj.get("created")
    if not isinstance(oid, str) or not isinstance(otype, str):
        raise InvalidInput("a Stripe object needs 'id' and 'object'")
    if otype not in REVENUE_OBJECT_TYPES:
        raise InvalidInput(f"Stripe object type {otype!r} is not stored", object=otype)
    if not isinstance(created, int):
        raise InvalidInput("a Stripe object needs an integer 'created' epoch", id=oid)
    now = utcnow()
    upsert(
        session,
        StripeObject.__table__,  # type: ignore[arg-type]
        {
            "id": oid,
            "object_type": otype,
            "created": created,
            "livemode": bool(obj.get("livemode", False)),
            "payload": dict(obj),
            "first_seen_at": now,
            "updated_at": now,
        },
        key=["id"],
        update=["payload", "updated_at", "livemode"],
    )


def get_watermark(*, session: Session, name: str) -> int:
    """The stored watermark (e.g. the newest Stripe ``created`` synced for one object type); 0 if none."""

    row = session.get(SyncState, name)
    return int(row.watermark) if row else 0


def advance_watermark(*, session: Session, name: str, value: int) -> int:
    """Move a watermark forward (never back); return the stored value."""

    row = session.get(SyncState, name)
    if row is None:
        session.add(SyncState(name=name, watermark=value, updated_at=utcnow()))
        session.flush()
        return value
    if value > row.watermark:
        row.watermark = value
        row.updated_at = utcnow()
    return int(row.watermark)
