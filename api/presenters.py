"""ORM rows → response models (URLs of stored objects are made here, per request)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.schemas import (
    AssetPublic,
    AssetSummaryPublic,
    DownloadLink,
    FeedItemPublic,
    MeshFacts,
    ModelFilePublic,
    OrderItemPublic,
    OrderPublic,
)
from core.enums import AssetFileKind, OrderItemKind
from warehouse import assets as asset_repo
from warehouse import orders as order_repo
from warehouse.models import Asset, Order, PrintConfig
from warehouse.storage import ObjectStore

MODEL_KINDS = (AssetFileKind.GLB, AssetFileKind.STL, AssetFileKind.OBJ)


def _url(objects: ObjectStore, key: str | None) -> str | None:
    return objects.url(key) if key else None


def mesh_facts(asset: Asset) -> MeshFacts:
    bbox = None
    if asset.bbox_x_mm is not None and asset.bbox_y_mm is not None and asset.bbox_z_mm is not None:
        bbox = (asset.bbox_x_mm, asset.bbox_y_mm, asset.bbox_z_mm)
    return MeshFacts(
        vertices=asset.vertices,
        faces=asset.faces,
        bbox_mm=bbox,
        volume_mm3=asset.volume_mm3,
        watertight=asset.watertight,
    )


def asset_public(session: Session, objects: ObjectStore, asset: Asset) -> AssetPublic:
    files = asset_repo.files_of(session=session, asset_id=asset.id, kinds=MODEL_KINDS)
    return AssetPublic(
        id=asset.id,
        status=asset.status,
        progress=asset.progress,
        mode=asset.mode,
        prompt=asset.prompt,
        style=asset.style,
        skip_concept=asset.skip_concept,
        public=asset.public,
        concept_urls=[objects.url(k) for k in (asset.concept_keys or []) if isinstance(k, str)],
        chosen_concept=asset.chosen_concept,
        model_url=_url(objects, asset.model_key),
        thumbnail_url=_url(objects, asset.thumbnail_key),
        files=[ModelFilePublic(format=str(f.kind), url=objects.url(f.key), size_bytes=f.size_bytes) for f in files],
        mesh=mesh_facts(asset),
        concept_attempts=asset.concept_attempts,
        model_attempts=asset.model_attempts,
        error=asset.error,
        created_at=asset.created_at,
        updated_at=asset.updated_at,
        completed_at=asset.completed_at,
    )


def asset_summary(asset: Asset) -> AssetSummaryPublic:
    return AssetSummaryPublic(id=asset.id, status=asset.status, prompt=asset.prompt, created_at=asset.created_at)


def feed_item(objects: ObjectStore, asset: Asset) -> FeedItemPublic:
    return FeedItemPublic(
        id=asset.id,
        prompt=asset.prompt,
        style=asset.style,
        thumbnail_url=_url(objects, asset.thumbnail_key),
        model_url=_url(objects, asset.model_key),
        mesh=mesh_facts(asset),
        created_at=asset.created_at,
    )


def _downloads(session: Session, objects: ObjectStore, asset: Asset | None) -> list[DownloadLink]:
    """Links to the asset's current model (its files, or the model key if files are not registered)."""
    if asset is None or asset.deleted_at is not None or not asset.model_key:
        return []
    files = asset_repo.files_of(session=session, asset_id=asset.id, kinds=MODEL_KINDS)
    if files:
        return [DownloadLink(format=str(f.kind), url=objects.url(f.key)) for f in files]
    fmt = asset.model_key.rsplit(".", 1)[-1] if "." in asset.model_key else "model"
    return [DownloadLink(format=fmt, url=objects.url(asset.model_key))]


def order_public(session: Session, objects: ObjectStore, order: Order) -> OrderPublic:
    items: list[OrderItemPublic] = []
    for item in order.items:
        target: tuple[float, float, float] | None = None
        downloads: list[DownloadLink] = []
        if item.kind == OrderItemKind.PRINT and item.print_config_id is not None:
            config = session.get(PrintConfig, item.print_config_id)
            if config is not None:
                target = (config.target_x_mm, config.target_y_mm, config.target_z_mm)
                downloads = _downloads(session, objects, session.get(Asset, config.asset_id))
        elif (
            item.kind == OrderItemKind.DIGITAL_ASSET
            and item.asset_id is not None
            and order_repo.has_entitlement(session=session, user_id=order.user_id, asset_id=item.asset_id)
        ):
            downloads = _downloads(session, objects, session.get(Asset, item.asset_id))
        items.append(
            OrderItemPublic(
                position=item.position,
                kind=item.kind,
                quantity=item.quantity,
                unit_amount_cents=item.unit_amount_cents,
                amount_cents=item.amount_cents,
                asset_id=item.asset_id,
                credit_pack_id=item.credit_pack_id,
                print_config_id=item.print_config_id,
                print_target_mm=target,
                downloads=downloads,
            )
        )
    return OrderPublic(
        id=order.id,
        status=order.status,
        amount_total_cents=order.amount_total_cents,
        currency=order.currency,
        tracking_number=order.tracking_number,
        failure_reason=order.failure_reason,
        created_at=order.created_at,
        paid_at=order.paid_at,
        fulfilled_at=order.fulfilled_at,
        items=items,
    )
