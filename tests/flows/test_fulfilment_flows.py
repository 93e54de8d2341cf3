"""fulfil-checkout and rescale-model: the happy path, replays, concurrency, crashes at each step, SMTP."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trimesh
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.enums import AssetFileKind, OrderStatus, PrintConfigStatus
from flows import fulfil_checkout as fulfil_module
from flows import rescale_model as rescale_module
from flows.fulfil_checkout import fulfil_checkout
from flows.purge_storage import purge_storage
from flows.runtime import FlowRuntime, reset_runtime
from tests.conftest import _free_port as free_port
from tests.flows.factories import checkout_event, make_completed_asset, make_print_config
from tests.utils.factories import make_user
from warehouse import assets, ledger, mail, orders, print_configs, stripe_store
from warehouse.db import transaction
from warehouse.models import LedgerEntry, Order, OutboundEmail


class Crash(RuntimeError):
    """An injected crash."""


def crash_once(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str, when: Callable[..., bool] = lambda *a, **k: True
) -> None:
    """Make ``target.name`` raise ``Crash`` the first time ``when(*args)`` holds, then behave."""
    original = getattr(target, name)
    fired = {"done": False}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not fired["done"] and when(*args, **kwargs):
            fired["done"] = True
            raise Crash(f"injected crash in {name}")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


@pytest.fixture
def shop(rt: FlowRuntime, sessions: sessionmaker[Session]) -> dict[str, Any]:
    with transaction(sessions) as s:
        uid = make_user(s)
    aid = make_completed_asset(rt, sessions, uid)
    other_asset = make_completed_asset(rt, sessions, uid)
    cid = make_print_config(sessions, uid, aid, size=60.0)
    cart = [
        {"kind": "credit_pack", "ref": "pack-50", "quantity": 1, "unit_amount": 2000},
        {"kind": "digital_asset", "ref": str(other_asset), "quantity": 1, "unit_amount": 300},
        {"kind": "print", "ref": str(cid), "quantity": 1, "unit_amount": 1300},
    ]
    event = checkout_event(uid, cart)
    with transaction(sessions) as s:
        assert stripe_store.store_event(session=s, event=event)
    with sessions() as s:
        old_model = assets.get_asset(session=s, asset_id=aid).model_key
    return {"user": uid, "asset": aid, "other": other_asset, "config": cid, "event": event, "old_model": old_model}


def _emails(rt: FlowRuntime) -> list[Path]:
    return sorted(Path(rt.settings.mail_url).glob("*.eml"))


def assert_fulfilled_once(rt: FlowRuntime, sessions: sessionmaker[Session], shop: dict[str, Any]) -> None:
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        order = orders.get_order_by_checkout(session=s, checkout_session_id=shop["event"]["data"]["object"]["id"])
        assert order.status == OrderStatus.FULFILLED and order.fulfilled_at is not None
        assert ledger.balance(session=s, user_id=shop["user"]) == 50
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == 1
        assert orders.has_entitlement(session=s, user_id=shop["user"], asset_id=shop["other"])
        config = print_configs.get_print_config(session=s, config_id=shop["config"])
        assert config.status == PrintConfigStatus.SENT
        asset = assets.get_asset(session=s, asset_id=shop["asset"])
        assert asset.model_key != shop["old_model"]
        # the current model exists and has the ordered size
        mesh = trimesh.load(
            trimesh.util.wrap_as_stream(rt.stores.objects.get(asset.model_key or "")), file_type="glb", force="mesh"
        )
        assert max(mesh.extents) == pytest.approx(60.0, rel=1e-6)
        assert max(asset.bbox_x_mm or 0, asset.bbox_y_mm or 0, asset.bbox_z_mm or 0) == pytest.approx(60.0, rel=1e-6)
        # every file row names an object that exists; the old model is gone
        for f in assets.files_of(session=s, asset_id=shop["asset"]):
            assert rt.stores.objects.exists(f.key), f.key
        assert not rt.stores.objects.exists(shop["old_model"])
        assert stripe_store.get_event(session=s, event_id=shop["event"]["id"]).processed_at is not None
        assert s.scalar(select(func.count()).select_from(OutboundEmail)) == 1
        assert ledger.verify_ledger(session=s) == []
    emails = _emails(rt)
    assert len(emails) == 1
    text = emails[0].read_text()
    assert "60.00" in text and "1 Print Street" in text and str(shop["config"]) in text


def test_checkout_is_fulfilled(rt: FlowRuntime, sessions: sessionmaker[Session], shop: dict[str, Any]) -> None:
    out = fulfil_checkout(shop["event"]["id"])
    assert out["status"] == "FULFILLED"
    assert_fulfilled_once(rt, sessions, shop)
    assert fulfil_checkout(shop["event"]["id"])["skipped"] == "already processed"
    assert_fulfilled_once(rt, sessions, shop)


def test_the_same_event_delivered_twice_or_concurrently(
    rt: FlowRuntime, sessions: sessionmaker[Session], shop: dict[str, Any]
) -> None:
    duplicate = {**shop["event"], "id": "evt_duplicate_delivery"}  # Stripe may resend under a new event id
    with transaction(sessions) as s:
        stripe_store.store_event(session=s, event=duplicate)
    errors: list[BaseException] = []

    def run(eid: str) -> None:
        try:
            fulfil_checkout(eid)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(eid,)) for eid in (shop["event"]["id"], duplicate["id"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A loser may fail on the print it could not rescale twice; running it again converges.
    for eid in (shop["event"]["id"], duplicate["id"]):
        with sessions() as s:
            if stripe_store.get_event(session=s, event_id=eid).processed_at is None:
                fulfil_checkout(eid)
    assert_fulfilled_once(rt, sessions, shop)


CRASH_POINTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "after the order, before any item": lambda mp: crash_once(mp, fulfil_module, "_fulfil_item"),
    "after the grant, before the rescale": lambda mp: crash_once(mp, fulfil_module, "rescale_model"),
    "rescaled model stored, before the commit": lambda mp: crash_once(mp, rescale_module, "_commit"),
    "after the commit, before deleting the old file": lambda mp: crash_once(mp, rescale_module, "delete_objects"),
    "e-mail queued, before sending": lambda mp: crash_once(mp, mail, "send_pending"),
    "e-mail sent, before marking the print sent": lambda mp: crash_once(
        mp, print_configs, "set_status", when=lambda *a, **k: k.get("status") == PrintConfigStatus.SENT
    ),
    "everything done, before the order is fulfilled": lambda mp: crash_once(
        mp, orders, "set_order_status", when=lambda *a, **k: k.get("status") == OrderStatus.FULFILLED
    ),
}


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_a_crash_at_each_step_converges_on_rerun(
    rt: FlowRuntime, sessions: sessionmaker[Session], shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    CRASH_POINTS[point](monkeypatch)
    with pytest.raises(Crash):
        fulfil_checkout(shop["event"]["id"])
    with sessions() as s:
        asset = assets.get_asset(session=s, asset_id=shop["asset"])
        assert rt.stores.objects.exists(asset.model_key or ""), "the asset must never point at a missing file"
    fulfil_checkout(shop["event"]["id"])
    # Files stored by the crashed run, or left behind after its commit, are orphans: no row names
    # them, and the storage sweeper removes them.
    purge_storage(grace_seconds=0)
    assert_fulfilled_once(rt, sessions, shop)


def test_bad_checkouts_fail_with_the_reason(rt: FlowRuntime, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s)
        event = checkout_event(uid, [{"kind": "print", "ref": str(uuid.uuid4()), "quantity": 1, "unit_amount": 100}])
        stripe_store.store_event(session=s, event=event)
        bad = checkout_event(uid, [])
        bad["data"]["object"]["metadata"]["cart"] = "not json"
        stripe_store.store_event(session=s, event=bad)
    with pytest.raises(Exception, match="no print configuration"):
        fulfil_checkout(event["id"])
    with pytest.raises(Exception, match="not JSON"):
        fulfil_checkout(bad["id"])
    with sessions() as s:
        order = orders.get_order_by_checkout(session=s, checkout_session_id=event["data"]["object"]["id"])
        assert order.status == OrderStatus.FAILED and "no print configuration" in (order.failure_reason or "")
        stored = stripe_store.get_event(session=s, event_id=bad["id"])
        assert stored.processed_at is None and "not JSON" in (stored.last_error or "") and stored.attempts == 1
        assert ledger.balance(session=s, user_id=uid) == 0


def test_partner_email_over_smtp(rt: FlowRuntime, sessions: sessionmaker[Session], shop: dict[str, Any]) -> None:
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 Message accepted for delivery"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp_rt = reset_runtime(rt.settings.model_copy(update={"mail_url": f"smtp://127.0.0.1:{port}"}))
        fulfil_checkout(shop["event"]["id"])
    finally:
        controller.stop()
    assert len(received) == 1
    assert b"1 Print Street" in received[0] and smtp_rt.settings.print_partner_email.encode() in received[0]
    with sessions() as s:
        row = s.scalars(select(OutboundEmail)).one()
        assert row.status == "sent" and row.message_id
    assert AssetFileKind.GLB
