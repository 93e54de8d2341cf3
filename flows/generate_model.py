"""generate-model: a chosen concept (or the input image) into a finished, stored 3D model."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from core.enums import AssetFileKind, AssetStatus, GenerationMode
from core.errors import Conflict
from flows.gpu import generate_concept_images, generate_mesh
from flows.runners import make_task_runner, needs_gpu
from flows.runtime import FlowRuntime, runtime
from flows.steps import (
    StoredFile,
    asset_snapshot,
    delete_objects,
    fail_asset,
    load_bytes,
    record_failed_call,
    record_usage,
    seed_for,
    store_files,
)
from gpu_tasks.generators import ConceptRequest, ModelRequest
from gpu_tasks.pipeline import FinishedModel, finish_generated_model
from warehouse import assets
from warehouse.db import transaction
from warehouse.models import Asset

log = logging.getLogger(__name__)

MODEL_FILE_KINDS = (AssetFileKind.GLB, AssetFileKind.STL, AssetFileKind.OBJ, AssetFileKind.MTL, AssetFileKind.THUMBNAIL)


def _source_image(rt: FlowRuntime, asset: Asset) -> bytes:
    """The image the model is made from: the chosen concept, the upload, or (text + skip-concept) one concept."""
    if asset.chosen_concept is not None and asset.concept_keys:
        return load_bytes(rt, str(asset.concept_keys[asset.chosen_concept]))
    if asset.mode == GenerationMode.IMAGE and asset.input_image_key:
        return load_bytes(rt, asset.input_image_key)
    request = ConceptRequest(
        prompt=asset.prompt, style=asset.style, seed=seed_for(asset.id, asset.model_attempts), count=1
    )
    with needs_gpu():
        result = generate_concept_images.submit(rt.settings.generator, rt.generator_options(), request).result()
    record_usage(rt, result.usage, asset_id=asset.id, user_id=asset.user_id)
    return result.images[0]


@task(name="finish-model", cache_policy=NO_CACHE, persist_result=False)
def finish_model(mesh: Any, size_mm: float, face_budget: int) -> FinishedModel:
    """Repair, normalise, decimate, export GLB/STL/OBJ and render a thumbnail."""
    return finish_generated_model(mesh, size_mm=size_mm, face_budget=face_budget)


@task(name="store-model", cache_policy=NO_CACHE, persist_result=False)
def store_model(asset_id: str, attempt: int, finished: FinishedModel) -> list[StoredFile]:
    """Store every file of the model under fresh keys."""
    return store_files(runtime(), finished.files, prefix=f"assets/{asset_id}/model-{attempt}")


def _complete(rt: FlowRuntime, asset: Asset, stored: list[StoredFile], finished: FinishedModel) -> list[str]:
    """Point the asset at the new files and record the mesh facts; return the keys it no longer uses."""
    report = finished.report
    by_kind = {f.kind: f.stored.key for f in stored}
    with transaction(rt.stores.sessions) as s:
        previous = assets.files_of(session=s, asset_id=asset.id, kinds=list(MODEL_FILE_KINDS))
        old_keys = [f.key for f in previous]
        assets.remove_files(session=s, keys=old_keys)
        for f in stored:
            assets.add_file(session=s, asset_id=asset.id, kind=f.kind, stored=f.stored)
        assets.transition(
            session=s,
            asset_id=asset.id,
            expected=AssetStatus.GENERATING_MODEL,
            target=AssetStatus.COMPLETED,
            model_key=by_kind[AssetFileKind.GLB],
            thumbnail_key=by_kind.get(AssetFileKind.THUMBNAIL),
            vertices=report.vertices,
            faces=report.faces,
            bbox_x_mm=report.bbox_mm[0],
            bbox_y_mm=report.bbox_mm[1],
            bbox_z_mm=report.bbox_mm[2],
            volume_mm3=report.volume_mm3,
            watertight=report.watertight,
            error=None,
        )
    return old_keys


@flow(name="generate-model", task_runner=make_task_runner(runtime().settings), log_prints=False)
def generate_model(asset_id: str) -> dict[str, Any]:
    """Generate the asset's model on the GPU runner, finish it, store it, and complete the asset.

    Idempotent: an asset already ``COMPLETED`` for its current attempt is left as it is. On any
    failure the asset becomes ``FAILED`` with the error and the attempt's credit is refunded.
    """
    rt = runtime()
    aid = uuid.UUID(asset_id)
    asset = asset_snapshot(rt, aid)
    if asset.status == AssetStatus.COMPLETED:
        return {"asset_id": asset_id, "status": str(asset.status), "skipped": True}
    if asset.status != AssetStatus.GENERATING_MODEL:
        raise Conflict(f"asset {aid} is {asset.status}; generate-model needs GENERATING_MODEL")
    try:
        image = _source_image(rt, asset)
        request = ModelRequest(image=image, seed=seed_for(aid, asset.model_attempts), grid=rt.settings.generator_grid)
        with needs_gpu():
            result = generate_mesh.submit(rt.settings.generator, rt.generator_options(), request).result()
        record_usage(rt, result.usage, asset_id=aid, user_id=asset.user_id)
        with transaction(rt.stores.sessions) as s:
            assets.update_asset(session=s, asset_id=aid, progress=70)
        finished = finish_model(result.mesh, rt.settings.model_size_mm, rt.settings.face_budget)
        stored = store_model(asset_id, asset.model_attempts, finished)
        old_keys = _complete(rt, asset, stored, finished)
    except Exception as e:
        record_failed_call(rt, e, asset_id=aid, user_id=asset.user_id)
        fail_asset(rt, aid, e)
        raise
    delete_objects(rt, old_keys)
    return {
        "asset_id": asset_id,
        "status": str(AssetStatus.COMPLETED),
        "faces": finished.report.faces,
        "volume_mm3": finished.report.volume_mm3,
        "generation_seconds": result.usage.run_seconds,
    }
