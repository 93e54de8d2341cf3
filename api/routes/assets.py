"""A user's assets: poll, list, choose a concept, regenerate, publish, delete."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import ActingUser, LauncherDep, RulesDep, SessionDep, StoresDep
from api.docs import AUTH, errors
from api.launching import launch_step
from api.pagination import decode_cursor, encode_cursor
from api.presenters import asset_public
from api.schemas import AssetPublic, AssetsPublic, AssetUpdate, ChooseConcept, Regenerate
from core.enums import AssetFileKind, AssetStatus
from warehouse import assets as asset_repo
from warehouse import generation

router = APIRouter(prefix="/v1/assets", tags=["assets"])


@router.get(
    "",
    response_model=AssetsPublic,
    summary="List your assets, newest first",
    responses=errors(*AUTH, 422),
)
def list_assets(
    user_id: ActingUser,
    session: SessionDep,
    stores: StoresDep,
    status: AssetStatus | None = None,
    format: Annotated[
        AssetFileKind | None, Query(description="only assets with a model file of this format, e.g. glb")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="search in prompts")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> AssetsPublic:
    rows = asset_repo.list_assets(
        session=session,
        user_id=user_id,
        status=status,
        search=q,
        before=decode_cursor(cursor),
        limit=limit,
        file_kind=format,
    )
    nxt = encode_cursor(rows[-1].created_at, rows[-1].id) if len(rows) == limit else None
    return AssetsPublic(data=[asset_public(session, stores.objects, a) for a in rows], next_cursor=nxt)


@router.get(
    "/{asset_id}",
    response_model=AssetPublic,
    summary="Poll an asset: status, progress, concept and model URLs, mesh facts",
    responses=errors(*AUTH, 404, 422),
)
def get_asset(asset_id: uuid.UUID, user_id: ActingUser, session: SessionDep, stores: StoresDep) -> AssetPublic:
    asset = asset_repo.get_asset(session=session, asset_id=asset_id, user_id=user_id)
    return asset_public(session, stores.objects, asset)


@router.post(
    "/{asset_id}/model",
    status_code=202,
    response_model=AssetPublic,
    summary="Choose a concept and start its 3D model",
    responses=errors(*AUTH, 402, 404, 409, 422),
)
def choose_concept(
    asset_id: uuid.UUID,
    body: ChooseConcept,
    user_id: ActingUser,
    session: SessionDep,
    stores: StoresDep,
    rules: RulesDep,
    launcher: LauncherDep,
) -> AssetPublic:
    asset = generation.choose_concept(
        session=session, rules=rules, asset_id=asset_id, user_id=user_id, concept=body.concept
    )
    session.commit()
    launch_step(launcher, asset)
    return asset_public(session, stores.objects, asset)


@router.post(
    "/{asset_id}/regenerate",
    status_code=202,
    response_model=AssetPublic,
    summary="Regenerate the model (default) or the concepts",
    responses=errors(*AUTH, 402, 404, 409, 422),
)
def regenerate(
    asset_id: uuid.UUID,
    user_id: ActingUser,
    session: SessionDep,
    stores: StoresDep,
    rules: RulesDep,
    launcher: LauncherDep,
    body: Regenerate | None = None,
) -> AssetPublic:
    stage = body.stage if body is not None else "model"
    if stage == "concepts":
        asset = generation.regenerate_concepts(session=session, rules=rules, asset_id=asset_id, user_id=user_id)
    else:
        asset = generation.regenerate_model(session=session, rules=rules, asset_id=asset_id, user_id=user_id)
    session.commit()
    launch_step(launcher, asset)
    return asset_public(session, stores.objects, asset)


@router.patch(
    "/{asset_id}",
    response_model=AssetPublic,
    summary="Make an asset public (shown in the feed) or private",
    responses=errors(*AUTH, 404, 422),
)
def update_asset(
    asset_id: uuid.UUID, body: AssetUpdate, user_id: ActingUser, session: SessionDep, stores: StoresDep
) -> AssetPublic:
    asset_repo.get_asset(session=session, asset_id=asset_id, user_id=user_id)
    asset = asset_repo.update_asset(session=session, asset_id=asset_id, public=body.public)
    session.commit()
    return asset_public(session, stores.objects, asset)


@router.delete(
    "/{asset_id}",
    status_code=204,
    response_class=Response,
    summary="Delete an asset (its files are purged later)",
    responses=errors(*AUTH, 404, 409, 422),
)
def delete_asset(asset_id: uuid.UUID, user_id: ActingUser, session: SessionDep) -> Response:
    asset_repo.soft_delete(session=session, asset_id=asset_id, user_id=user_id)
    session.commit()
    return Response(status_code=204)
