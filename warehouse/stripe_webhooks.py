"""What a verified Stripe webhook event asks of us, applied idempotently and order-independently.

The API stores every event first (``stripe_store.store_event``); this module then decides:
``checkout.session.completed`` is fulfilled by a flow; events carrying a revenue object update
that object's latest state here; everything else is recorded and marked processed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from warehouse.models import StripeObject
from warehouse.stripe_store import REVENUE_OBJECT_TYPES, mark_processed, store_event, upsert_object

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
    """Upsert the event's object unless a newer event already wrote it; return whether it was written."""
    obj = dict(event["data"]["object"])
    created = int(event["created"])
    existing = session.get(StripeObject, obj.get("id"))
    if existing is not None and int(existing.payload.get(EVENT_CREATED_FIELD, 0)) > created:
        return False
    obj[EVENT_CREATED_FIELD] = created
    upsert_object(session=session, obj=obj)
    return True


def ingest_event(*, session: Session, event: Mapping[str, Any]) -> EventAction:
    """Store the event once and apply what can be applied in this transaction.

    Returns ``DUPLICATE`` for an event id seen before (nothing changes), ``FULFIL`` when the
    caller must launch fulfilment after committing, ``REVENUE`` or ``IGNORED`` when the event is
    already fully processed.
    """
    if not store_event(session=session, event=event):
        return EventAction.DUPLICATE
    action = classify(event)
    if action == EventAction.REVENUE:
        record_revenue_object(session=session, event=event)
    if action != EventAction.FULFIL:
        mark_processed(session=session, event_id=str(event["id"]))
    return action
