"""Print quotes for an asset at a target size, and saved print configurations."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy.orm import Session

from api.deps import ActingUser, SessionDep
from api.docs import AUTH, errors
from api.schemas import PrintConfigCreate, PrintConfigPublic, PrintQuotePublic, PrintQuoteRequest
from core.pricing import PrintQuote
from warehouse import print_configs
from warehouse.models import PrintConfig

router = APIRouter(tags=["prints"])


def _quote(session: Session, user_id: uuid.UUID, body: PrintQuoteRequest) -> PrintQuote:
    return print_configs.quote_for_asset(
        session=session,
        asset_id=body.asset_id,
        user_id=user_id,
        technology=body.technology,
        material=body.material,
        colour=body.colour,
        finish=body.finish,
        quantity=body.quantity,
        longest_side_mm=body.target_size_mm,
    )


def _config_public(config: PrintConfig) -> PrintConfigPublic:
    return PrintConfigPublic(
        id=config.id,
        asset_id=config.asset_id,
        technology=config.technology,
        material=config.material,
        colour=config.colour,
        finish=config.finish,
        quantity=config.quantity,
        target_mm=(config.target_x_mm, config.target_y_mm, config.target_z_mm),
        remarks=config.remarks,
        quoted_price_cents=config.quoted_price_cents,
        currency=config.currency,
        status=str(config.status),
        quote=config.quote,
        created_at=config.created_at,
    )


@router.post(
    "/v1/print-quotes",
    response_model=PrintQuotePublic,
    summary="Price a print of your asset (refuses sizes outside the printer's build volume)",
    responses=errors(*AUTH, 404, 409, 422),
)
def create_print_quote(body: PrintQuoteRequest, user_id: ActingUser, session: SessionDep) -> PrintQuotePublic:
    return PrintQuotePublic.model_validate(_quote(session, user_id, body).model_dump())


@router.post(
    "/v1/print-configs",
    status_code=201,
    response_model=PrintConfigPublic,
    summary="Save a quoted print configuration (priced again on the server)",
    responses=errors(*AUTH, 404, 409, 422),
)
def create_print_config(body: PrintConfigCreate, user_id: ActingUser, session: SessionDep) -> PrintConfigPublic:
    quote = _quote(session, user_id, body)
    config = print_configs.save_print_config(
        session=session, user_id=user_id, asset_id=body.asset_id, quote=quote, remarks=body.remarks
    )
    session.commit()
    return _config_public(config)
