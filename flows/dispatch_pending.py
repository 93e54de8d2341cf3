"""dispatch-pending: the outbox sweeper. Relaunch Stripe events and generation jobs left behind.

An event not processed a while after it arrived, or a job with no progress for longer than
``dispatch_stuck_after_s``, is relaunched, up to ``dispatch_max_attempts`` times. A job past
its attempts is failed and refunded; an event past its attempts is left for a person (its
last error is kept).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from prefect import flow

from core.enums import AssetStatus
from flows.launch import get_launcher
from flows.runtime import runtime
from flows.steps import fail_asset
from warehouse import assets, stripe_store
from warehouse.db import transaction

log = logging.getLogger(__name__)

FLOW_FOR_STATUS = {AssetStatus.PENDING_CONCEPTS: "generate-concepts", AssetStatus.GENERATING_MODEL: "generate-model"}


@flow(name="dispatch-pending", log_prints=False)
def dispatch_pending(event_grace_seconds: int = 60) -> dict[str, Any]:
    """Relaunch what was left unprocessed; return what was relaunched and what was given up."""
    rt = runtime()
    s_ = rt.settings
    launcher = get_launcher(s_.launch_mode)
    relaunched_events: list[str] = []
    relaunched_jobs: list[str] = []
    given_up: list[str] = []
    with rt.stores.sessions() as s:
        events = stripe_store.pending_events(
            session=s, older_than=timedelta(seconds=event_grace_seconds), max_attempts=s_.dispatch_max_attempts
        )
        stuck = assets.stuck_assets(session=s, older_than=timedelta(seconds=s_.dispatch_stuck_after_s))
    for event in events:
        if event.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            launcher.launch("fulfil-checkout", {"event_id": event.id}, idempotency_key=f"{event.id}:{event.attempts}")
            relaunched_events.append(event.id)
    for asset in stuck:
        if asset.dispatch_attempts >= s_.dispatch_max_attempts:
            fail_asset(rt, asset.id, TimeoutError(f"no progress after {asset.dispatch_attempts} relaunches"))
            given_up.append(str(asset.id))
            continue
        with transaction(rt.stores.sessions) as s:
            # Counting the attempt also refreshes updated_at, so the next sweep waits again.
            assets.update_asset(session=s, asset_id=asset.id, dispatch_attempts=asset.dispatch_attempts + 1)
        launcher.launch(
            FLOW_FOR_STATUS[asset.status],
            {"asset_id": str(asset.id)},
            idempotency_key=f"{asset.id}:{asset.dispatch_attempts + 1}",
        )
        relaunched_jobs.append(str(asset.id))
    if relaunched_events or relaunched_jobs or given_up:
        log.info(
            "dispatch-pending: %d events, %d jobs relaunched; %d given up",
            len(relaunched_events),
            len(relaunched_jobs),
            len(given_up),
        )
    return {"events": relaunched_events, "jobs": relaunched_jobs, "given_up": given_up}
