"""sync-stripe against a local Stripe list API, dispatch-pending, purge-storage, and the Dask runner."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.enums import AssetStatus, GenerationMode, Plan
from flows.dispatch_pending import dispatch_pending
from flows.launch import get_launcher
from flows.purge_storage import purge_storage
from flows.runtime import FlowRuntime, reset_runtime
from flows.sync_stripe import sync_stripe
from tests.flows.factories import checkout_event
from tests.utils.factories import make_user
from tests.utils.stripe_api import stripe_api
from warehouse import assets, generation, ledger, stripe_store
from warehouse.db import transaction
from warehouse.models import Asset, StripeObject
from warehouse.storage import new_key
from warehouse.types import utcnow


def _bt(i: int, created: int) -> dict[str, Any]:
    return {
        "id": f"txn_{i:05d}",
        "object": "balance_transaction",
        "amount": 1000 + i,
        "fee": 59,
        "net": 941 + i,
        "currency": "usd",
        "type": "charge",
        "created": created,
        "available_on": created + 2 * 86400,
        "status": "available",
        "reporting_category": "charge",
        "source": f"ch_{i:05d}",
    }


def test_sync_stripe_pages_through_everything_and_resumes_from_the_watermark(
    rt: FlowRuntime, sessions: sessionmaker[Session]
) -> None:
    base = 1_760_000_000
    txns = [_bt(i, base + i * 60) for i in range(250)]
    subs = [
        {"id": "sub_live", "object": "subscription", "status": "active", "created": base},
        {"id": "sub_gone", "object": "subscription", "status": "canceled", "created": base + 10},
    ]
    with stripe_api(
        {
            "balance_transactions": txns,
            "subscriptions": subs,
            "charges": [],
            "refunds": [],
            "disputes": [],
            "payouts": [],
            "invoices": [],
            "customers": [],
        }
    ) as (url, server):
        reset_runtime(rt.settings.model_copy(update={"stripe_api_base": url}))
        first = sync_stripe()
        assert first["balance_transactions"] == 250 and first["subscriptions"] == 2
        assert sum("starting_after" in r for r in server.requests if "balance_transactions" in r) == 2  # 3 pages
        txns.append(_bt(999, base + 250 * 60))
        server.requests.clear()
        again = sync_stripe(resources=["balance_transactions"])
        assert again["balance_transactions"] == 2  # the newest already seen (gte) plus the new one
        assert any("created%5Bgte%5D" in r or "created[gte]" in r for r in server.requests)
    with sessions() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(StripeObject).where(StripeObject.object_type == "balance_transaction")
            )
            == 251
        )
        assert s.get(StripeObject, "sub_gone") is not None
        assert stripe_store.get_watermark(session=s, name="stripe:balance_transaction") == base + 250 * 60


def test_sync_stripe_with_a_bad_key_fails_clearly(rt: FlowRuntime) -> None:
    with stripe_api({"balance_transactions": []}) as (url, _):
        reset_runtime(
            rt.settings.model_copy(update={"stripe_api_base": url, "stripe_secret_key": SecretStr("rk_wrong")})
        )
        with pytest.raises(Exception, match="Invalid API Key"):
            sync_stripe(resources=["balance_transactions"])


def test_dispatch_pending_relaunches_and_gives_up(rt: FlowRuntime, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=3, plan=Plan.PRO)
        stuck, _ = generation.request_generation(
            session=s, rules=rt.rules, user_id=uid, mode=GenerationMode.TEXT, prompt="a stuck job", skip_concept=True
        )
        hopeless, _ = generation.request_generation(
            session=s, rules=rt.rules, user_id=uid, mode=GenerationMode.TEXT, prompt="hopeless", skip_concept=True
        )
        event = checkout_event(uid, [{"kind": "credit_pack", "ref": "pack-10", "quantity": 1, "unit_amount": 500}])
        stripe_store.store_event(session=s, event=event)
        long_ago = utcnow() - timedelta(hours=2)
        s.execute(update(Asset).where(Asset.id == stuck.id).values(updated_at=long_ago))
        s.execute(
            update(Asset)
            .where(Asset.id == hopeless.id)
            .values(updated_at=long_ago, dispatch_attempts=rt.settings.dispatch_max_attempts)
        )
        s.execute(
            update(stripe_store.StripeEvent)
            .where(stripe_store.StripeEvent.id == event["id"])
            .values(received_at=long_ago)
        )
    out = dispatch_pending()
    assert out["events"] == [event["id"]]
    assert out["jobs"] == [str(stuck.id)]
    assert out["given_up"] == [str(hopeless.id)]
    get_launcher("inprocess").drain(timeout=300)  # type: ignore[attr-defined]
    with sessions() as s:
        assert assets.get_asset(session=s, asset_id=stuck.id).status == AssetStatus.COMPLETED
        gone = assets.get_asset(session=s, asset_id=hopeless.id)
        assert gone.status == AssetStatus.FAILED and "relaunches" in (gone.error or "")
        assert ledger.balance(session=s, user_id=uid) == 3 - 2 + 1 + 10  # two spends, one refund, one pack
        assert stripe_store.get_event(session=s, event_id=event["id"]).processed_at is not None
    assert dispatch_pending() == {"events": [], "jobs": [], "given_up": []}


def test_purge_storage_deletes_only_old_orphans(rt: FlowRuntime, sessions: sessionmaker[Session]) -> None:
    store = rt.stores.objects
    with transaction(sessions) as s:
        uid = make_user(s)
        asset, _ = assets.create_asset(
            session=s, user_id=uid, mode=GenerationMode.IMAGE, input_image_key="uploads/x/kept.png"
        )
    kept = store.put("uploads/x/kept.png", b"referenced")
    old_orphan = store.put(new_key(f"assets/{asset.id}"), b"stray from a crashed run")
    young_orphan = store.put(new_key(f"assets/{asset.id}"), b"a run is about to commit me")
    past = time.time() - 7200
    for key in (kept.key, old_orphan.key):
        os.utime(Path(store.root, *key.split("/")), (past, past))
    out = purge_storage(grace_seconds=3600)
    assert out["orphans"] == 1 and out["deleted"] == 1
    assert store.exists(kept.key) and store.exists(young_orphan.key) and not store.exists(old_orphan.key)
    assert purge_storage(grace_seconds=0, dry_run=True)["orphans"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_generation_on_a_dask_local_cluster_of_two_workers(rt: FlowRuntime, sessions: sessionmaker[Session]) -> None:
    from flows.generate_model import generate_model
    from flows.runners import make_task_runner

    dask_settings = rt.settings.model_copy(update={"task_runner": "dask", "dask_workers": 2, "gpus_per_worker": 1})
    reset_runtime(dask_settings)
    with transaction(sessions) as s:
        uid = make_user(s, credits=2, plan=Plan.PRO)
        asset, _ = generation.request_generation(
            session=s, rules=rt.rules, user_id=uid, mode=GenerationMode.TEXT, prompt="a dask vase", skip_concept=True
        )
    flow = generate_model.with_options(task_runner=make_task_runner(dask_settings))
    assert flow(str(asset.id))["status"] == "COMPLETED"
    with sessions() as s:
        done = assets.get_asset(session=s, asset_id=asset.id)
        assert done.status == AssetStatus.COMPLETED and done.watertight
