"""rescale-model: scale an asset's current model to a print configuration's size, destructively.

The destructive-rescale rule: the new file is stored first, then the asset is pointed at it and
the print configuration marked in one commit, and only then is the previous file deleted. A crash
anywhere leaves the asset pointing at a file that exists; strays are swept by purge-storage.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from core.enums import AssetFileKind, AssetStatus, PrintConfigStatus, PrintTechnology
from core.errors import Conflict
from core.pricing import DEFAULT_MATERIALS
from flows.runtime import FlowRuntime, runtime
from flows.steps import StoredFile, delete_objects, store_files
from gpu_tasks.pipeline import FinishedModel, rescale_model_file
from warehouse import assets, print_configs
from warehouse.db import transaction

log = logging.getLogger(__name__)

REPLACED_KINDS = (AssetFileKind.GLB, AssetFileKind.STL, AssetFileKind.OBJ, AssetFileKind.MTL)


@task(name="rescale-mesh", cache_policy=NO_CACHE, persist_result=False)
def rescale_mesh(
    glb: bytes, target_mm: tuple[float, float, float], build_volume_mm: tuple[float, float, float]
) -> FinishedModel:
    """Scale the model uniformly to the target and re-export it."""
    return rescale_model_file(glb, target_mm=target_mm, build_volume_mm=build_volume_mm)


def _commit(
    rt: FlowRuntime, asset_id: uuid.UUID, config_id: uuid.UUID, stored: list[StoredFile], finished: FinishedModel
) -> list[str]:
    report = finished.report
    with transaction(rt.stores.sessions) as s:
        config = print_configs.get_print_config(session=s, config_id=config_id)
        if config.status != PrintConfigStatus.ORDERED:
            raise Conflict(f"print configuration {config_id} is {config.status}; another run rescaled it")
        old = [f.key for f in assets.files_of(session=s, asset_id=asset_id, kinds=list(REPLACED_KINDS))]
        assets.remove_files(session=s, keys=old)
        for f in stored:
            assets.add_file(session=s, asset_id=asset_id, kind=f.kind, stored=f.stored)
        by_kind = {f.kind: f.stored.key for f in stored}
        assets.update_asset(
            session=s,
            asset_id=asset_id,
            model_key=by_kind[AssetFileKind.GLB],
            vertices=report.vertices,
            faces=report.faces,
            bbox_x_mm=report.bbox_mm[0],
            bbox_y_mm=report.bbox_mm[1],
            bbox_z_mm=report.bbox_mm[2],
            volume_mm3=report.volume_mm3,
            watertight=report.watertight,
        )
        print_configs.set_status(session=s, config_id=config_id, status=PrintConfigStatus.RESCALED)
    return old


@flow(name="rescale-model", log_prints=False)
def rescale_model(asset_id: str, print_config_id: str) -> dict[str, Any]:
    """Replace the asset's model with one scaled to the print configuration's target size."""
    rt = runtime()
    aid, cid = uuid.UUID(asset_id), uuid.UUID(print_config_id)
    with rt.stores.sessions() as s:
        config = print_configs.get_print_config(session=s, config_id=cid)
        asset = assets.get_asset(session=s, asset_id=aid)
    if config.asset_id != aid:
        raise Conflict(f"print configuration {cid} is for asset {config.asset_id}, not {aid}")
    if config.status in (PrintConfigStatus.RESCALED, PrintConfigStatus.SENT):
        return {"asset_id": asset_id, "print_config_id": print_config_id, "skipped": True, "model_key": asset.model_key}
    if config.status != PrintConfigStatus.ORDERED:
        raise Conflict(f"print configuration {cid} is {config.status}; only ordered prints are rescaled")
    if asset.status != AssetStatus.COMPLETED or not asset.model_key:
        raise Conflict(f"asset {aid} has no finished model to rescale")
    rule = DEFAULT_MATERIALS.get((PrintTechnology(config.technology), config.material))
    target = (config.target_x_mm, config.target_y_mm, config.target_z_mm)
    finished = rescale_mesh(
        rt.stores.objects.get(asset.model_key), target, rule.build_volume_mm if rule else (1e9, 1e9, 1e9)
    )
    stored = store_files(rt, finished.files, prefix=f"assets/{asset_id}/print-{print_config_id}")
    old_keys = _commit(rt, aid, cid, stored, finished)
    delete_objects(rt, old_keys)  # only after the commit: the asset never points at a missing file
    return {
        "asset_id": asset_id,
        "print_config_id": print_config_id,
        "model_key": next(f.stored.key for f in stored if f.kind == AssetFileKind.GLB),
        "bbox_mm": list(finished.report.bbox_mm),
    }
