"""Orders from Stripe checkouts (one per checkout session), their items, and download rights."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from core.enums import OrderItemKind, OrderStatus
from core.errors import InvalidInput, NotFound
from warehouse._sql import insert_if_new
from warehouse.models import Asset, CreditPack, DownloadEntitlement, Order, OrderItem, PrintConfig
from warehouse.types import utcnow


@dataclass(frozen=True)
class CartItem:
    """One line of a checkout, as fulfilment reads it from the session's metadata or line items."""

    kind: OrderItemKind
    quantity: int
    unit_amount_cents: int
    asset_id: uuid.UUID | None = None
    print_config_id: uuid.UUID | None = None
    credit_pack_id: str | None = None

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise InvalidInput(f"cart quantity must be at least 1, got {self.quantity}")
        if self.unit_amount_cents < 0:
            raise InvalidInput("cart amounts cannot be negative")
        needs = {
            OrderItemKind.DIGITAL_ASSET: self.asset_id,
            OrderItemKind.PRINT: self.print_config_id,
            OrderItemKind.CREDIT_PACK: self.credit_pack_id,
        }[self.kind]
        if needs is None:
            raise InvalidInput(f"a {self.kind} cart item needs its reference")


def create_order(
    *,
    session: Session,
    user_id: uuid.UUID,
    checkout_session_id: str,
    items: Sequence[CartItem],
    amount_total_cents: int,
    currency: str,
    payment_intent_id: str | None = None,
    email: str | None = None,
    shipping: dict[str, Any] | None = None,
    paid_at: datetime | None = None,
) -> tuple[Order, bool]:
    """Create the order of a checkout session with its items; the same session twice is one order.

    Returns ``(order, created)``. Concurrent calls for one session create one order: the insert
    is ``ON CONFLICT DO NOTHING`` on the UNIQUE session id, and the loser reads the winner's row.
    """
    if not items:
        raise InvalidInput(f"checkout {checkout_session_id} has no items")
    check_cart(session=session, user_id=user_id, items=items)
    order_id = uuid.uuid4()
    with session.begin_nested():
        created = insert_if_new(
            session,
            Order.__table__,  # type: ignore[arg-type]
            {
                "id": order_id,
                "user_id": user_id,
                "stripe_checkout_session_id": checkout_session_id,
                "stripe_payment_intent_id": payment_intent_id,
                "status": OrderStatus.PAID,
                "amount_total_cents": amount_total_cents,
                "currency": currency.lower(),
                "email": email,
                "shipping": shipping,
                "created_at": utcnow(),
                "paid_at": paid_at or utcnow(),
            },
            key=["stripe_checkout_session_id"],
        )
        if created:
            for position, item in enumerate(items):
                session.add(
                    OrderItem(
                        order_id=order_id,
                        position=position,
                        kind=item.kind,
                        asset_id=item.asset_id,
                        print_config_id=item.print_config_id,
                        credit_pack_id=item.credit_pack_id,
                        quantity=item.quantity,
                        unit_amount_cents=item.unit_amount_cents,
                        amount_cents=item.unit_amount_cents * item.quantity,
                    )
                )
            session.flush()
    order = get_order_by_checkout(session=session, checkout_session_id=checkout_session_id)
    return order, created


def check_cart(*, session: Session, user_id: uuid.UUID, items: Sequence[CartItem]) -> None:
    """Raise ``InvalidInput`` naming the first item whose reference is unknown or not the buyer's."""
    for position, item in enumerate(items):
        if item.kind == OrderItemKind.CREDIT_PACK and session.get(CreditPack, item.credit_pack_id) is None:
            raise InvalidInput(f"cart item {position}: no credit pack {item.credit_pack_id!r}")
        if item.kind == OrderItemKind.DIGITAL_ASSET:
            asset = session.get(Asset, item.asset_id)
            if asset is None or asset.deleted_at is not None:
                raise InvalidInput(f"cart item {position}: no asset {item.asset_id}")
        if item.kind == OrderItemKind.PRINT:
            config = session.get(PrintConfig, item.print_config_id)
            if config is None or config.user_id != user_id:
                raise InvalidInput(f"cart item {position}: no print configuration {item.print_config_id} of this user")


def record_unfulfillable(
    *,
    session: Session,
    user_id: uuid.UUID,
    checkout_session_id: str,
    amount_total_cents: int,
    currency: str,
    reason: str,
    payment_intent_id: str | None = None,
) -> Order:
    """Keep a paid checkout whose cart cannot be fulfilled as a ``FAILED`` order (no items), once."""
    insert_if_new(
        session,
        Order.__table__,  # type: ignore[arg-type]
        {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "stripe_checkout_session_id": checkout_session_id,
            "stripe_payment_intent_id": payment_intent_id,
            "status": OrderStatus.FAILED,
            "amount_total_cents": amount_total_cents,
            "currency": currency.lower(),
            "failure_reason": reason[:4000],
            "created_at": utcnow(),
        },
        key=["stripe_checkout_session_id"],
    )
    order = get_order_by_checkout(session=session, checkout_session_id=checkout_session_id)
    if order.status == OrderStatus.FAILED:
        order.failure_reason = reason[:4000]
    return order


def get_order_by_checkout(*, session: Session, checkout_session_id: str) -> Order:
    order = session.scalar(
        select(Order)
        .where(Order.stripe_checkout_session_id == checkout_session_id)
        .options(selectinload(Order.items))
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(f"no order for checkout session {checkout_session_id}")
    return order


def get_order(*, session: Session, order_id: uuid.UUID, user_id: uuid.UUID | None = None) -> Order:
    """An order with its items; with ``user_id``, only the user's own (others get ``NotFound``)."""
    order = session.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.items)))
    if order is None or (user_id is not None and order.user_id != user_id):
        raise NotFound(f"no order {order_id}", order_id=str(order_id))
    return order


def list_orders(
    *, session: Session, user_id: uuid.UUID | None, before: tuple[datetime, uuid.UUID] | None = None, limit: int = 20
) -> list[Order]:
    """Orders newest first, keyset-paginated by ``(created_at, id)``."""
    stmt = select(Order).options(selectinload(Order.items))
    if user_id is not None:
        stmt = stmt.where(Order.user_id == user_id)
    if before is not None:
        ts, oid = before
        stmt = stmt.where((Order.created_at < ts) | ((Order.created_at == ts) & (Order.id < oid)))
    stmt = stmt.order_by(Order.created_at.desc(), Order.id.desc()).limit(max(1, min(limit, 100)))
    return list(session.scalars(stmt))


def set_order_status(
    *, session: Session, order_id: uuid.UUID, status: OrderStatus, failure_reason: str | None = None
) -> None:
    values: dict[str, Any] = {"status": OrderStatus(status), "failure_reason": failure_reason}
    if status == OrderStatus.FULFILLED:
        values["fulfilled_at"] = utcnow()
    session.execute(update(Order).where(Order.id == order_id).values(**values))


def grant_entitlement(*, session: Session, user_id: uuid.UUID, asset_id: uuid.UUID, order_id: uuid.UUID) -> bool:
    """Let the user download the asset's model; return whether the right is new."""
    return insert_if_new(
        session,
        DownloadEntitlement.__table__,  # type: ignore[arg-type]
        {"id": uuid.uuid4(), "user_id": user_id, "asset_id": asset_id, "order_id": order_id, "created_at": utcnow()},
        key=["user_id", "asset_id"],
    )


def has_entitlement(*, session: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> bool:
    stmt = select(DownloadEntitlement.id).where(
        DownloadEntitlement.user_id == user_id, DownloadEntitlement.asset_id == asset_id
    )
    return session.scalar(stmt) is not None
