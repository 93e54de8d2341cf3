"""The Stripe webhook: signatures, idempotent storage, fulfilment launches, revenue objects, a storm."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from tests.api.conftest import ApiEnv, event_bytes, sign
from warehouse.models import StripeEvent, StripeObject


def _checkout(i: int, created: int = 1_763_780_000) -> dict[str, Any]:
    return {
        "id": f"evt_checkout_{i}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": created + i,
        "livemode": False,
        "data": {"object": {"id": f"cs_test_{i}", "object": "checkout.session", "amount_total": 500}},
    }


def _revenue(i: int, obj_id: str, created: int, status: str = "succeeded") -> dict[str, Any]:
    return {
        "id": f"evt_charge_{i}",
        "object": "event",
        "type": "charge.updated",
        "created": created,
        "data": {"object": {"id": obj_id, "object": "charge", "created": 1_763_000_000, "status": status}},
    }


def _post(env: ApiEnv, event: dict[str, Any], signature: str | None = None) -> Any:
    body = event_bytes(event)
    return env.client.post(
        "/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": signature or sign(body), "Content-Type": "application/json"},
    )


def _count(env: ApiEnv, model: Any) -> int:
    with env.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_checkout_event_is_stored_and_fulfilment_launched_once(env: ApiEnv) -> None:
    r = _post(env, _checkout(1))
    assert r.status_code == 200, r.text
    assert r.json() == {"received": True, "event_id": "evt_checkout_1", "duplicate": False, "action": "fulfil"}
    assert env.launcher.calls == [("fulfil-checkout", {"event_id": "evt_checkout_1"}, "evt_checkout_1")]
    r = _post(env, _checkout(1))
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert len(env.launcher.calls) == 1
    with env.sessions() as s:
        ev = s.get(StripeEvent, "evt_checkout_1")
        assert ev is not None and ev.processed_at is None  # the flow marks it processed


def test_bad_signatures_are_400_and_store_nothing(env: ApiEnv) -> None:
    body = event_bytes(_checkout(2))
    cases = [
        sign(body, secret="whsec_wrong"),
        sign(body, timestamp=int(time.time()) - 3600),  # outside the tolerance
        "t=1,v1=deadbeef",
        "garbage",
    ]
    for header in cases:
        r = env.client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": header})
        assert r.status_code == 400, (header, r.text)
        assert r.json()["error"]["code"] == "invalid_signature"
    r = env.client.post("/webhooks/stripe", content=body)
    assert r.status_code == 400
    tampered = body.replace(b"500", b"1")
    r = env.client.post("/webhooks/stripe", content=tampered, headers={"Stripe-Signature": sign(body)})
    assert r.status_code == 400
    assert _count(env, StripeEvent) == 0 and env.launcher.calls == []


def test_signed_but_malformed_event_is_422(env: ApiEnv) -> None:
    body = b'{"id": "not-an-event"}'
    r = env.client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
    assert r.status_code == 422
    body = b"[1, 2]"
    r = env.client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
    assert r.status_code == 422
    assert _count(env, StripeEvent) == 0


def test_revenue_objects_keep_the_newest_state_under_out_of_order_delivery(env: ApiEnv) -> None:
    newer = _revenue(2, "ch_1", created=2000, status="refunded")
    older = _revenue(1, "ch_1", created=1000, status="succeeded")
    assert _post(env, newer).json()["action"] == "revenue"
    assert _post(env, older).json()["action"] == "revenue"
    with env.sessions() as s:
        obj = s.get(StripeObject, "ch_1")
        assert obj is not None and obj.payload["status"] == "refunded"
        assert all(e.processed_at is not None for e in s.scalars(select(StripeEvent)))
    assert env.launcher.calls == []


def test_other_events_are_stored_and_marked_processed(env: ApiEnv) -> None:
    ev = {
        "id": "evt_pi_1",
        "type": "payment_intent.created",
        "created": 1,
        "data": {"object": {"id": "pi_1", "object": "payment_intent"}},
    }
    assert _post(env, ev).json()["action"] == "ignored"
    with env.sessions() as s:
        stored = s.get(StripeEvent, "evt_pi_1")
        assert stored is not None and stored.processed_at is not None


def test_webhook_storm_every_effect_exactly_once(env: ApiEnv) -> None:
    """1,000 signed deliveries: 800 unique events + 200 duplicates, shuffled, 8 senders at once."""
    rng = random.Random(7)
    unique: list[dict[str, Any]] = []
    for i in range(800):
        if i % 4 == 0:
            unique.append(_checkout(i))
        else:
            # several events per charge, in random created order → the newest must win
            unique.append(_revenue(i, f"ch_{i % 50}", created=1_000 + i, status=f"s{i}"))
    deliveries = unique + rng.sample(unique, 200)
    rng.shuffle(deliveries)
    bodies = [event_bytes(e) for e in deliveries]

    def send(body: bytes) -> int:
        r = env.client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
        return r.status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, bodies))
    assert set(codes) == {200}
    assert _count(env, StripeEvent) == 800
    launched = [p["event_id"] for f, p, _ in env.launcher.calls if f == "fulfil-checkout"]
    assert sorted(launched) == sorted(e["id"] for e in unique if e["type"] == "checkout.session.completed")
    assert len(set(launched)) == len(launched) == 200
    newest: dict[str, str] = {}
    for e in sorted((e for e in unique if e["type"] == "charge.updated"), key=lambda e: e["created"]):
        newest[e["data"]["object"]["id"]] = e["data"]["object"]["status"]
    with env.sessions() as s:
        objs = {o.id: o.payload["status"] for o in s.scalars(select(StripeObject))}
        unprocessed = s.scalar(select(func.count()).select_from(StripeEvent).where(StripeEvent.processed_at.is_(None)))
    assert objs == newest
    assert unprocessed == 200  # only the checkout events wait for their flow


def test_an_unreadable_revenue_object_is_kept_unprocessed_with_the_reason(env: ApiEnv) -> None:
    ev = {"id": "evt_bad_obj", "type": "charge.updated", "created": 5, "data": {"object": {"object": "charge"}}}
    r = _post(env, ev)
    assert r.status_code == 200 and r.json()["action"] == "ignored"
    with env.sessions() as s:
        stored = s.get(StripeEvent, "evt_bad_obj")
        assert stored is not None and stored.processed_at is None and "id" in (stored.last_error or "")
    assert _count(env, StripeObject) == 0


def test_oversized_webhook_body_is_413_and_stores_nothing(sqlite_env: ApiEnv) -> None:
    body = b'{"id": "evt_big", "pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    r = sqlite_env.client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload_too_large"
    assert _count(sqlite_env, StripeEvent) == 0
