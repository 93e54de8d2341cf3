"""What a verified Stripe webhook event asks of us, applied idempotently and order-independently.

The API stores every event first (``stripe_store.store_event``); this module then decides:
``checkout.session.completed`` is fulfilled by a flow; events carrying a revenue object update
that object's latest state here; everything else is recorded and marked processed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from warehouse._sql import insert_if_new
from warehouse.models import StripeObject
from warehouse.stripe_store import REVENUE_OBJECT_TYPES, record_failure, store_event, upsert_object
from warehouse.types import utcnow

FULFIL_EVENT_TYPES = frozenset({"checkout.session.completed"})

#: Key under which an object's payload remembers the ``created`` of the event that last wrote it,
#: so that an older event delivered late cannot overwrite a newer state.
EVENT_CREATED_FIELD = "_event_created"


class EventAction(StrEnum):
    FULFIL = "fulfil"
    REVENUE = "revenue"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"


def classify(event: Mapping[str, Any]) -> EventAction:
    if event.get("type") in FULFIL_EVENT_TYPES:
        return EventAction.FULFIL
    obj = event.get("data", {}).get("object", {})
    if isinstance(obj, Mapping) and obj.get("object") in REVENUE_OBJECT_TYPES:
        return EventAction.REVENUE
    return EventAction.IGNORED


def record_revenue_object(*, session: Session, event: Mapping[str, Any]) -> bool:
    """Store the event's object unless a newer event already wrote it; return whether it was written.

    The first delivery inserts the row; later ones update it only if their event is not older
    than the one that last wrote it, in one conditional UPDATE (PostgreSQL re-evaluates the
    condition on the row version it locks; SQLite has one writer at a time), so the newest
    event's state is the one kept whatever the arrival order.
    """
    obj = dict(event["data"]["object"])
    obj[EVENT_CREATED_FIELD] = int(event["created"])
    oid = obj.get("id")
    now = utcnow()
    if isinstance(oid, str) and isinstance(obj.get("created"), int) and obj.get("object") in REVENUE_OBJECT_TYPES:
        inserted = insert_if_new(
            session,
            StripeObject.__table__,  # type: ignore[arg-type]
            {
                "id": oid,
                "object_type": obj["object"],
                "created": obj["created"],
                "livemode": bool(obj.get("livemode", False)),
                "payload": obj,
                "first_seen_at": now,
                "updated_at": now,
            },
            key=["id"],
        )
        if inserted:
            return True
        # One conditional UPDATE: under concurrent deliveries PostgreSQL re-checks the condition
        # on the row version it locked, and SQLite runs one writer at a time.
        newer_or_same = (
            func.coalesce(StripeObject.payload[EVENT_CREATED_FIELD].as_integer(), 0) <= obj[EVENT_CREATED_FIELD]
        )
        written = session.execute(
            update(StripeObject)
            .where(StripeObject.id == oid, newer_or_same)
            .values(payload=obj, updated_at=now, livemode=bool(obj.get("livemode", False)))
            .returning(StripeObject.id)
            .execution_options(synchronize_session=False)
        ).first()
        return written is not None
    upsert_object(session=session, obj=obj)  # validates, and raises InvalidInput for a malformed object
    return True


def ingest_event(*, session: Session, event: Mapping[str, Any]) -> EventAction:
    """Store the event once and apply what can be applied in this transaction.

    Returns ``DUPLICATE`` for an event id seen before (nothing changes), ``FULFIL`` when the
    caller must launch fulfilment after committing, ``REVENUE`` or ``IGNORED`` when the event is
    already fully processed.
    """
    action = classify(event)
    problem = object_problem(event["data"]["object"]) if action == EventAction.REVENUE else None
    # Events handled here are stored as processed in the same insert (one statement fewer). A
    # revenue object we cannot read is kept unprocessed with the reason, for sync-stripe to repair:
    # refusing it would only make Stripe retry the same bytes.
    handled = action != EventAction.FULFIL and problem is None
    if not store_event(session=session, event=event, processed=handled):
        return EventAction.DUPLICATE
    if problem is not None:
        record_failure(session=session, event_id=str(event["id"]), error=problem)
        return EventAction.IGNORED
    if action == EventAction.REVENUE:
        record_revenue_object(session=session, event=event)
    return action


def object_problem(obj: Mapping[str, Any]) -> str | None:
    """Why a revenue object cannot be stored, or None if it can."""
    if not isinstance(obj.get("id"), str):
        return "the object has no string id"
    created = obj.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        return "the object has no integer 'created' epoch"
    return None
