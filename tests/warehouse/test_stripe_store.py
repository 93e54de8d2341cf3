"""The Stripe event store: insert-if-new by event id, and latest-state objects."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.errors import InvalidInput
from warehouse import stripe_store
from warehouse.db import transaction
from warehouse.models import StripeEvent, StripeObject


def _event(eid: str = "evt_1") -> dict[str, object]:
    return {
        "id": eid,
        "object": "event",
        "type": "checkout.session.completed",
        "created": 1_760_000_000,
        "livemode": False,
        "data": {"object": {"id": "cs_test_1", "object": "checkout.session"}},
    }


def test_insert_if_new_returns_whether_it_was_new(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        assert stripe_store.store_event(session=s, event=_event()) is True
    with transaction(sessions) as s:
        assert stripe_store.store_event(session=s, event=_event()) is False
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(StripeEvent)) == 1
        assert stripe_store.get_event(session=s, event_id="evt_1").payload["data"]["object"]["id"] == "cs_test_1"


def test_concurrent_duplicates_store_one_event(sessions: sessionmaker[Session]) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def deliver() -> None:
        barrier.wait()
        with transaction(sessions) as s:
            results.append(stripe_store.store_event(session=s, event=_event("evt_dup")))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_processing_bookkeeping(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        stripe_store.store_event(session=s, event=_event("evt_a"))
        stripe_store.store_event(session=s, event=_event("evt_b"))
    with transaction(sessions) as s:
        claimed = stripe_store.claim_event(session=s, event_id="evt_a")
        assert claimed is not None and claimed.attempts == 1
        stripe_store.record_failure(session=s, event_id="evt_a", error="boom")
        stripe_store.mark_processed(session=s, event_id="evt_b")
    with sessions() as s:
        pending = stripe_store.pending_events(session=s, older_than=timedelta(0), max_attempts=3)
        assert [e.id for e in pending] == ["evt_a"] and pending[0].last_error == "boom"
        assert stripe_store.pending_events(session=s, older_than=timedelta(0), max_attempts=1) == []
    with transaction(sessions) as s:
        assert stripe_store.claim_event(session=s, event_id="evt_b") is None


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "x", "type": "t", "created": 1, "data": {"object": {}}},
        {"id": "evt_1", "created": 1, "data": {"object": {}}},
        {"id": "evt_1", "type": "t", "created": "yesterday", "data": {"object": {}}},
        {"id": "evt_1", "type": "t", "created": 1},
    ],
)
def test_malformed_events_are_refused(sessions: sessionmaker[Session], bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput), transaction(sessions) as s:
        stripe_store.store_event(session=s, event=bad)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_objects_keep_their_latest_state(sessions: sessionmaker[Session]) -> None:
    sub = {"id": "sub_1", "object": "subscription", "created": 1_760_000_000, "status": "active"}
    with transaction(sessions) as s:
        stripe_store.upsert_object(session=s, obj=sub)
        stripe_store.upsert_object(session=s, obj={**sub, "status": "canceled"})
    with sessions() as s:
        row = s.get(StripeObject, "sub_1")
        assert row is not None and row.payload["status"] == "canceled" and row.object_type == "subscription"
    with pytest.raises(InvalidInput, match="not stored"), transaction(sessions) as s:
        stripe_store.upsert_object(session=s, obj={"id": "x", "object": "coupon", "created": 1})
