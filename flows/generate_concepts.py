"""generate-concepts: two concept images for an asset (or, with skip-concept, straight to a model)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from prefect import flow

from core.enums import AssetFileKind, AssetStatus, GenerationMode
from core.errors import Conflict
from flows.generate_model import generate_model
from flows.gpu import generate_concept_images
from flows.runners import make_task_runner, needs_gpu
from flows.runtime import runtime
from flows.steps import asset_snapshot, fail_asset, load_bytes, record_failed_call, record_usage, seed_for, store_files
from gpu_tasks.generators import ConceptRequest
from gpu_tasks.pipeline import OutputFile
from warehouse import assets
from warehouse.db import transaction

log = logging.getLogger(__name__)

CONCEPTS_PER_SET = 2


@flow(name="generate-concepts", task_runner=make_task_runner(runtime().settings), log_prints=False)
def generate_concepts(asset_id: str) -> dict[str, Any]:
    """Generate, store and attach the asset's concept images; ``CONCEPTS_GENERATED`` when done.

    The asset was created and its credit spent by ``warehouse.generation.request_generation``
    (the API does that synchronously, so it can answer 402/429). A skip-concept asset goes
    straight to ``generate-model``. Idempotent: an asset past this step is left as it is. On
    failure the asset becomes ``FAILED`` and the concept credit is refunded.
    """
    rt = runtime()
    aid = uuid.UUID(asset_id)
    asset = asset_snapshot(rt, aid)
    if asset.skip_concept:
        return generate_model(asset_id)
    if asset.status != AssetStatus.PENDING_CONCEPTS:
        if asset.status in (AssetStatus.CONCEPTS_GENERATED, AssetStatus.GENERATING_MODEL, AssetStatus.COMPLETED):
            return {"asset_id": asset_id, "status": str(asset.status), "skipped": True}
        raise Conflict(f"asset {aid} is {asset.status}; generate-concepts needs PENDING_CONCEPTS")
    try:
        image = (
            load_bytes(rt, asset.input_image_key)
            if asset.mode == GenerationMode.IMAGE and asset.input_image_key
            else None
        )
        request = ConceptRequest(
            prompt=asset.prompt,
            image=image,
            style=asset.style,
            seed=seed_for(aid, asset.concept_attempts),
            count=CONCEPTS_PER_SET,
        )
        with needs_gpu():
            result = generate_concept_images.submit(rt.settings.generator, rt.generator_options(), request).result()
        record_usage(rt, result.usage, asset_id=aid, user_id=asset.user_id)
        stored = store_files(
            rt,
            [OutputFile(AssetFileKind.CONCEPT, png, "image/png", ".png") for png in result.images],
            prefix=f"assets/{asset_id}/concepts-{asset.concept_attempts}",
        )
        with transaction(rt.stores.sessions) as s:
            for f in stored:
                assets.add_file(session=s, asset_id=aid, kind=f.kind, stored=f.stored)
            assets.transition(
                session=s,
                asset_id=aid,
                expected=AssetStatus.PENDING_CONCEPTS,
                target=AssetStatus.CONCEPTS_GENERATED,
                concept_keys=[f.stored.key for f in stored],
                progress=100,
            )
    except Exception as e:
        record_failed_call(rt, e, asset_id=aid, user_id=asset.user_id)
        fail_asset(rt, aid, e)
        raise
    return {"asset_id": asset_id, "status": str(AssetStatus.CONCEPTS_GENERATED), "concepts": len(stored)}
