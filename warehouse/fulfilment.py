"""What a paid Stripe checkout means for us: reading its cart, and the e-mail to the print partner."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.enums import OrderItemKind
from core.errors import InvalidInput
from warehouse.catalog import credit_pack_by_price
from warehouse.models import Asset, Order, PrintConfig
from warehouse.orders import CartItem

PAID_STATUSES = frozenset({"paid", "no_payment_required"})


@dataclass(frozen=True)
class Checkout:
    """The parts of a Checkout Session that fulfilment needs."""

    session_id: str
    user_id: uuid.UUID
    paid: bool
    amount_total_cents: int
    currency: str
    payment_intent_id: str | None
    email: str | None
    shipping: dict[str, Any] | None
    items: list[CartItem]

    @property
    def payment_reference(self) -> str:
        """The Stripe object the money arrived as (what revenue data links to)."""
        return self.payment_intent_id or self.session_id


def _uuid(value: object, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as e:
        raise InvalidInput(f"{what} {value!r} is not a valid id") from e


def _item(raw: Mapping[str, Any], position: int) -> CartItem:
    try:
        kind = OrderItemKind(str(raw.get("kind")))
    except ValueError as e:
        raise InvalidInput(f"cart item {position}: unknown kind {raw.get('kind')!r}") from e
    quantity, amount = raw.get("quantity", 1), raw.get("unit_amount", 0)
    if not isinstance(quantity, int) or not isinstance(amount, int):
        raise InvalidInput(f"cart item {position}: quantity and unit_amount must be integers")
    ref = raw.get("ref")
    if not ref:
        raise InvalidInput(f"cart item {position}: missing 'ref'")
    return CartItem(
        kind=kind,
        quantity=quantity,
        unit_amount_cents=amount,
        asset_id=_uuid(ref, "asset") if kind == OrderItemKind.DIGITAL_ASSET else None,
        print_config_id=_uuid(ref, "print config") if kind == OrderItemKind.PRINT else None,
        credit_pack_id=str(ref) if kind == OrderItemKind.CREDIT_PACK else None,
    )


def _items_from_line_items(session: Session, line_items: list[Mapping[str, Any]]) -> list[CartItem]:
    items = []
    for i, line in enumerate(line_items):
        price = line.get("price") or {}
        meta = price.get("metadata") or {}
        raw: dict[str, Any] = {
            "kind": meta.get("kind"),
            "ref": meta.get("ref"),
            "quantity": line.get("quantity", 1),
            "unit_amount": price.get("unit_amount", 0),
        }
        if not raw["kind"] and price.get("id"):
            raw["kind"], raw["ref"] = (
                "credit_pack",
                credit_pack_by_price(session=session, stripe_price_id=price["id"]).id,
            )
        items.append(_item(raw, i))
    return items


def read_checkout(*, session: Session, event: Mapping[str, Any]) -> Checkout:
    """Read a ``checkout.session.completed`` (or ``…async_payment_succeeded``) event.

    The cart comes from ``metadata.cart`` (a JSON list of ``{"kind", "ref", "quantity",
    "unit_amount"}``) or from expanded ``line_items`` (kind and ref in the price's metadata, or a
    price sold as a credit pack). The user is ``metadata.user_id`` or ``client_reference_id``.
    """
    obj = (event.get("data") or {}).get("object") or {}
    if obj.get("object") != "checkout.session" or not str(obj.get("id", "")).startswith("cs_"):
        raise InvalidInput("the event does not carry a checkout session")
    meta = obj.get("metadata") or {}
    user_ref = meta.get("user_id") or obj.get("client_reference_id")
    if not user_ref:
        raise InvalidInput(f"checkout {obj['id']} names no user (metadata.user_id or client_reference_id)")
    if meta.get("cart"):
        try:
            cart = json.loads(meta["cart"])
        except json.JSONDecodeError as e:
            raise InvalidInput(f"checkout {obj['id']}: metadata.cart is not JSON") from e
        if not isinstance(cart, list):
            raise InvalidInput(f"checkout {obj['id']}: metadata.cart must be a list")
        items = [_item(raw, i) for i, raw in enumerate(cart)]
    elif (obj.get("line_items") or {}).get("data"):
        items = _items_from_line_items(session, obj["line_items"]["data"])
    else:
        raise InvalidInput(f"checkout {obj['id']} carries no cart (metadata.cart or line_items)")
    details = obj.get("customer_details") or {}
    shipping = obj.get("shipping_details") or (obj.get("collected_information") or {}).get("shipping_details")
    amount_total = obj.get("amount_total")
    if not isinstance(amount_total, int):
        raise InvalidInput(f"checkout {obj['id']} has no integer amount_total")
    pi = obj.get("payment_intent")
    return Checkout(
        session_id=str(obj["id"]),
        user_id=_uuid(user_ref, "user"),
        paid=obj.get("payment_status") in PAID_STATUSES,
        amount_total_cents=amount_total,
        currency=str(obj.get("currency") or "usd"),
        payment_intent_id=pi if isinstance(pi, str) else (pi or {}).get("id") if isinstance(pi, dict) else None,
        email=details.get("email") or obj.get("customer_email"),
        shipping=shipping,
        items=items,
    )


def print_partner_email(
    *, order: Order, config: PrintConfig, asset: Asset, model_url: str, shipping: Mapping[str, Any] | None
) -> tuple[str, str]:
    """Subject and body of the print order sent to the partner."""
    address = (shipping or {}).get("address") or {}
    lines = [
        f"Order {order.id} (Stripe checkout {order.stripe_checkout_session_id})",
        "",
        f"Item: print configuration {config.id} of asset {asset.id}",
        f"Technology / material: {config.technology} / {config.material}",
        f"Colour / finish: {config.colour} / {config.finish}",
        f"Quantity: {config.quantity}",
        f"Target size (mm): {config.target_x_mm:.2f} x {config.target_y_mm:.2f} x {config.target_z_mm:.2f}",
        f"Model (rescaled to the target size): {model_url}",
        "",
        "Ship to:",
        f"  {(shipping or {}).get('name') or ''}",
        *[f"  {address[k]}" for k in ("line1", "line2", "postal_code", "city", "state", "country") if address.get(k)],
    ]
    if config.remarks:
        lines += ["", f"Remarks: {config.remarks}"]
    return f"Print order {order.id} / {config.id}", "\n".join(lines) + "\n"
