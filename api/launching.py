"""Start the flow that does an asset's next step (after its state and charge are committed)."""

from __future__ import annotations

import logging

from core.enums import AssetStatus
from flows.launch import Launcher
from warehouse.models import Asset

log = logging.getLogger(__name__)


def launch_step(launcher: Launcher, asset: Asset) -> None:
    """Launch ``generate-concepts`` or ``generate-model`` for the asset's committed state.

    The idempotency key names the attempt, so a retried request never starts a step twice. A
    failed launch is logged, not raised: the charge and state are committed, and the
    dispatch-pending sweeper relaunches jobs left without a run.
    """
    if asset.status == AssetStatus.PENDING_CONCEPTS:
        flow, attempt = "generate-concepts", asset.concept_attempts
    elif asset.status == AssetStatus.GENERATING_MODEL:
        flow, attempt = "generate-model", asset.model_attempts
    else:
        return
    try:
        launcher.launch(flow, {"asset_id": str(asset.id)}, idempotency_key=f"{flow}:{asset.id}:{attempt}")
    except Exception:  # the sweeper relaunches; the client already has its asset id
        log.exception("could not launch %s for asset %s; dispatch-pending will retry", flow, asset.id)
