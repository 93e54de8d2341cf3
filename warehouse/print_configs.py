"""Print quotes for an asset at an ordered size, and saved print configurations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import AssetStatus, PrintConfigStatus
from core.errors import Conflict, InvalidInput, NotFound
from core.pricing import PrintQuote, quote_print
from warehouse.assets import get_asset
from warehouse.models import Asset, PrintConfig


def scaled_volume_mm3(asset: Asset, target_mm: tuple[float, float, float]) -> float:
    """The asset's volume at the size that fits ``target_mm`` (uniform scale, longest side).

    A print is scaled uniformly, so the scale is fixed by the longest side; the volume scales
    with its cube.
    """
    if asset.status != AssetStatus.COMPLETED or asset.bbox_x_mm is None:
        raise Conflict(f"asset {asset.id} has no finished model to print (it is {asset.status})")
    if not asset.watertight or not asset.volume_mm3:
        raise InvalidInput("the model is not watertight, so it cannot be printed as a solid")
    current = max(asset.bbox_x_mm or 0.0, asset.bbox_y_mm or 0.0, asset.bbox_z_mm or 0.0)
    if current <= 0:
        raise InvalidInput("the model has no extent")
    scale = max(target_mm) / current
    return float(asset.volume_mm3) * scale**3


def target_box(asset: Asset, longest_side_mm: float) -> tuple[float, float, float]:
    """The bounding box of the asset scaled so its longest side is ``longest_side_mm``."""
    dims = (asset.bbox_x_mm or 0.0, asset.bbox_y_mm or 0.0, asset.bbox_z_mm or 0.0)
    current = max(dims)
    if current <= 0:
        raise InvalidInput("the model has no extent")
    s = longest_side_mm / current
    return (dims[0] * s, dims[1] * s, dims[2] * s)


def quote_for_asset(
    *,
    session: Session,
    asset_id: uuid.UUID,
    user_id: uuid.UUID | None,
    technology: str,
    material: str,
    colour: str,
    finish: str,
    quantity: int,
    longest_side_mm: float,
) -> PrintQuote:
    """Price a print of the asset scaled uniformly so its longest side is ``longest_side_mm``."""
    if not longest_side_mm > 0:
        raise InvalidInput("the print size must be positive")
    asset = get_asset(session=session, asset_id=asset_id, user_id=user_id)
    box = target_box(asset, longest_side_mm)
    return quote_print(
        technology=technology,
        material=material,
        colour=colour,
        finish=finish,
        quantity=quantity,
        target_mm=box,
        part_volume_mm3=scaled_volume_mm3(asset, box),
    )


def save_print_config(
    *, session: Session, user_id: uuid.UUID, asset_id: uuid.UUID, quote: PrintQuote, remarks: str | None = None
) -> PrintConfig:
    """Keep a quoted configuration so it can be ordered at the quoted price."""
    config = PrintConfig(
        user_id=user_id,
        asset_id=asset_id,
        technology=str(quote.technology),
        material=quote.material,
        colour=quote.colour,
        finish=quote.finish,
        quantity=quote.quantity,
        target_x_mm=quote.target_mm[0],
        target_y_mm=quote.target_mm[1],
        target_z_mm=quote.target_mm[2],
        remarks=(remarks or None) and remarks[:2000],
        quoted_price_cents=quote.total_cents,
        currency=quote.currency,
        quote=quote.model_dump(mode="json"),
    )
    session.add(config)
    session.flush()
    return config


def get_print_config(*, session: Session, config_id: uuid.UUID, user_id: uuid.UUID | None = None) -> PrintConfig:
    config = session.get(PrintConfig, config_id)
    if config is None or (user_id is not None and config.user_id != user_id):
        raise NotFound(f"no print configuration {config_id}", print_config_id=str(config_id))
    return config


def set_status(*, session: Session, config_id: uuid.UUID, status: PrintConfigStatus) -> PrintConfig:
    config = get_print_config(session=session, config_id=config_id)
    config.status = PrintConfigStatus(status)
    session.flush()
    return config


def list_print_configs(*, session: Session, user_id: uuid.UUID, limit: int = 50) -> Sequence[PrintConfig]:
    stmt = (
        select(PrintConfig)
        .where(PrintConfig.user_id == user_id)
        .order_by(PrintConfig.created_at.desc())
        .limit(max(1, min(limit, 200)))
    )
    return list(session.scalars(stmt))
