"""A user's orders: items, status, tracking, print sizes and download links."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActingUser, SessionDep, StoresDep
from api.docs import AUTH, errors
from api.pagination import decode_cursor, encode_cursor
from api.presenters import order_public
from api.schemas import OrderPublic, OrdersPublic
from warehouse import orders as order_repo

router = APIRouter(prefix="/v1/orders", tags=["orders"])


@router.get("", response_model=OrdersPublic, summary="Your orders, newest first", responses=errors(*AUTH, 422))
def list_orders(
    user_id: ActingUser,
    session: SessionDep,
    stores: StoresDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> OrdersPublic:
    rows = order_repo.list_orders(session=session, user_id=user_id, before=decode_cursor(cursor), limit=limit)
    nxt = encode_cursor(rows[-1].created_at, rows[-1].id) if len(rows) == limit else None
    return OrdersPublic(data=[order_public(session, stores.objects, o) for o in rows], next_cursor=nxt)


@router.get("/{order_id}", response_model=OrderPublic, summary="One of your orders", responses=errors(*AUTH, 404, 422))
def get_order(order_id: uuid.UUID, user_id: ActingUser, session: SessionDep, stores: StoresDep) -> OrderPublic:
    order = order_repo.get_order(session=session, order_id=order_id, user_id=user_id)
    return order_public(session, stores.objects, order)
