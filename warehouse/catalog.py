"""The catalogue: generation styles and credit packs (seeded from ``data/catalog.yaml``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from warehouse.models import CreditPack, Style


@dataclass(frozen=True)
class CatalogSeed:
    styles: int
    credit_packs: int


def seed_catalog(*, session: Session, text: str | None = None) -> CatalogSeed:
    """Insert or update the styles and credit packs of the catalogue file (idempotent)."""
    doc = yaml.safe_load(text or resources.files("warehouse").joinpath("data/catalog.yaml").read_text("utf-8"))
    if not isinstance(doc, dict):
        raise InvalidInput("catalogue must be a mapping with 'styles' and 'credit_packs'")
    for raw in doc.get("styles", []):
        style = session.get(Style, raw["id"]) or Style(id=raw["id"])
        style.name = raw["name"]
        style.description = raw.get("description", "")
        style.prompt_hint = raw.get("prompt_hint", "")
        style.active = raw.get("active", True)
        session.add(style)
    for raw in doc.get("credit_packs", []):
        if int(raw["credits"]) <= 0 or int(raw["price_cents"]) <= 0:
            raise InvalidInput(f"credit pack {raw['id']} needs positive credits and price")
        pack = session.get(CreditPack, raw["id"]) or CreditPack(id=raw["id"])
        pack.name = raw["name"]
        pack.credits = int(raw["credits"])
        pack.price_cents = int(raw["price_cents"])
        pack.currency = raw.get("currency", "usd")
        pack.stripe_price_id = raw.get("stripe_price_id")
        pack.active = raw.get("active", True)
        session.add(pack)
    session.flush()
    return CatalogSeed(styles=len(doc.get("styles", [])), credit_packs=len(doc.get("credit_packs", [])))


def list_styles(*, session: Session) -> Sequence[Style]:
    return list(session.scalars(select(Style).where(Style.active.is_(True)).order_by(Style.id)))


def get_style(*, session: Session, style_id: str) -> Style:
    style = session.get(Style, style_id)
    if style is None or not style.active:
        raise NotFound(f"unknown style {style_id!r}", style=style_id)
    return style


def list_credit_packs(*, session: Session) -> Sequence[CreditPack]:
    return list(session.scalars(select(CreditPack).where(CreditPack.active.is_(True)).order_by(CreditPack.credits)))


def get_credit_pack(*, session: Session, pack_id: str) -> CreditPack:
    pack = session.get(CreditPack, pack_id)
    if pack is None:
        raise NotFound(f"unknown credit pack {pack_id!r}", credit_pack=pack_id)
    return pack


def credit_pack_by_price(*, session: Session, stripe_price_id: str) -> CreditPack:
    pack = session.scalar(select(CreditPack).where(CreditPack.stripe_price_id == stripe_price_id))
    if pack is None:
        raise NotFound(f"no credit pack sold as Stripe price {stripe_price_id!r}", price=stripe_price_id)
    return pack
