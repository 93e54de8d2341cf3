"""Orders are one per checkout session, even when created concurrently; entitlements once."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.enums import GenerationMode, OrderItemKind, OrderStatus
from core.errors import InvalidInput, NotFound
from tests.utils.factories import make_user
from warehouse import assets, orders
from warehouse.catalog import seed_catalog
from warehouse.db import transaction
from warehouse.models import Order, OrderItem
from warehouse.orders import CartItem


def test_one_order_per_checkout_session_even_concurrently(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s)
        seed_catalog(session=s)
    items = [CartItem(kind=OrderItemKind.CREDIT_PACK, quantity=2, unit_amount_cents=500, credit_pack_id="pack-10")]
    created: list[bool] = []
    barrier = threading.Barrier(6)

    def fulfil() -> None:
        barrier.wait()
        with transaction(sessions) as s:
            _, was_new = orders.create_order(
                session=s,
                user_id=uid,
                checkout_session_id="cs_test_1",
                items=items,
                amount_total_cents=1000,
                currency="USD",
            )
            created.append(was_new)

    threads = [threading.Thread(target=fulfil) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(created) == [False] * 5 + [True]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        assert s.scalar(select(func.count()).select_from(OrderItem)) == 1
        order = orders.get_order_by_checkout(session=s, checkout_session_id="cs_test_1")
        assert (order.status, order.currency, order.items[0].amount_cents) == (OrderStatus.PAID, "usd", 1000)
        other = make_user(s)
        with pytest.raises(NotFound):
            orders.get_order(session=s, order_id=order.id, user_id=other)


def test_entitlements_are_granted_once_and_bad_carts_refused(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s)
        asset, _ = assets.create_asset(session=s, user_id=uid, mode=GenerationMode.TEXT, prompt="p")
        order, _ = orders.create_order(
            session=s,
            user_id=uid,
            checkout_session_id="cs_2",
            amount_total_cents=300,
            currency="usd",
            items=[CartItem(kind=OrderItemKind.DIGITAL_ASSET, quantity=1, unit_amount_cents=300, asset_id=asset.id)],
        )
        assert orders.grant_entitlement(session=s, user_id=uid, asset_id=asset.id, order_id=order.id)
        assert not orders.grant_entitlement(session=s, user_id=uid, asset_id=asset.id, order_id=order.id)
        assert orders.has_entitlement(session=s, user_id=uid, asset_id=asset.id)
    with pytest.raises(InvalidInput, match="needs its reference"):
        CartItem(kind=OrderItemKind.PRINT, quantity=1, unit_amount_cents=100)
    with pytest.raises(InvalidInput, match="no items"), transaction(sessions) as s:
        orders.create_order(
            session=s, user_id=uid, checkout_session_id="cs_3", items=[], amount_total_cents=0, currency="usd"
        )
    assert uuid.UUID(str(order.id))
