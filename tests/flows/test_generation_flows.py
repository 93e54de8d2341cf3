"""Generation flows end to end with the local generator and the file:// store."""

from __future__ import annotations

import uuid

import pytest
import trimesh
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.enums import AssetFileKind, AssetStatus, GenerationMode, Plan, Stage
from core.errors import GenerationFailed
from flows.generate_concepts import generate_concepts
from flows.generate_model import generate_model
from flows.runtime import FlowRuntime
from tests.utils.factories import make_user
from warehouse import assets, generation, ledger
from warehouse.db import transaction
from warehouse.models import ProviderCall


def _request(sessions: sessionmaker[Session], rt: FlowRuntime, **kw: object) -> tuple[uuid.UUID, uuid.UUID]:
    with transaction(sessions) as s:
        uid = make_user(s, credits=5, plan=Plan.PRO)
        asset, _ = generation.request_generation(
            session=s,
            rules=rt.rules,
            user_id=uid,
            mode=GenerationMode.TEXT,
            prompt="a ceramic teapot",
            style="figurine",
            **kw,  # type: ignore[arg-type]
        )
    return uid, asset.id


def test_concepts_then_model(sessions: sessionmaker[Session], rt: FlowRuntime) -> None:
    uid, aid = _request(sessions, rt)
    out = generate_concepts(str(aid))
    assert out["status"] == "CONCEPTS_GENERATED"
    with transaction(sessions) as s:
        asset = assets.get_asset(session=s, asset_id=aid)
        assert len(asset.concept_keys) == 2
        assert all(rt.stores.objects.get(k).startswith(b"\x89PNG") for k in asset.concept_keys)
        generation.choose_concept(session=s, rules=rt.rules, asset_id=aid, user_id=uid, concept=1)
    done = generate_model(str(aid))
    assert done["status"] == "COMPLETED"
    with sessions() as s:
        asset = assets.get_asset(session=s, asset_id=aid)
        assert asset.status == AssetStatus.COMPLETED and asset.watertight and asset.volume_mm3
        assert max(asset.bbox_x_mm or 0, asset.bbox_y_mm or 0, asset.bbox_z_mm or 0) == pytest.approx(100, rel=0.02)
        kinds = {f.kind for f in assets.files_of(session=s, asset_id=aid)}
        assert {AssetFileKind.GLB, AssetFileKind.STL, AssetFileKind.OBJ, AssetFileKind.THUMBNAIL} <= kinds
        glb = trimesh.load(trimesh.util.wrap_as_stream(rt.stores.objects.get(asset.model_key or "")), file_type="glb")
        assert len(glb.triangles) > 0 if hasattr(glb, "triangles") else True
        calls = list(s.scalars(select(ProviderCall).where(ProviderCall.asset_id == aid)))
        assert {c.stage for c in calls} == {Stage.CONCEPTS, Stage.MODEL}
        assert all(c.cost_nano_usd > 0 and c.price_id is not None for c in calls)
        assert ledger.balance(session=s, user_id=uid) == 4  # 1 for concepts, first model free
    assert generate_model(str(aid))["skipped"] is True  # re-running changes nothing


def test_skip_concept_goes_straight_to_a_model(sessions: sessionmaker[Session], rt: FlowRuntime) -> None:
    uid, aid = _request(sessions, rt, skip_concept=True)
    assert generate_concepts(str(aid))["status"] == "COMPLETED"
    with sessions() as s:
        assert assets.get_asset(session=s, asset_id=aid).status == AssetStatus.COMPLETED
        assert ledger.balance(session=s, user_id=uid) == 4


def test_generator_failure_refunds_and_records_the_error(
    sessions: sessionmaker[Session], rt: FlowRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gpu_tasks.generators.local import LocalGenerator

    def broken(self: object, req: object) -> object:
        raise GenerationFailed("the silhouette solver diverged")

    monkeypatch.setattr(LocalGenerator, "generate_model", broken)
    uid, aid = _request(sessions, rt, skip_concept=True)
    with pytest.raises(GenerationFailed):
        generate_model(str(aid))
    with sessions() as s:
        asset = assets.get_asset(session=s, asset_id=aid)
        assert asset.status == AssetStatus.FAILED and "diverged" in (asset.error or "")
        assert ledger.balance(session=s, user_id=uid) == 5
        assert ledger.verify_ledger(session=s) == []
