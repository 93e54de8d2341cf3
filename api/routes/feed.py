"""The public feed: completed public assets of all users, newest first (infinite scroll)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentKey, SessionDep, StoresDep
from api.docs import errors
from api.pagination import decode_cursor, encode_cursor
from api.presenters import feed_item
from api.schemas import FeedPublic
from warehouse import assets as asset_repo

router = APIRouter(prefix="/v1/feed", tags=["feed"])


@router.get("", response_model=FeedPublic, summary="Public assets, newest first", responses=errors(401, 429, 422))
def get_feed(
    _key: CurrentKey,
    session: SessionDep,
    stores: StoresDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> FeedPublic:
    rows = asset_repo.list_assets(session=session, public_only=True, before=decode_cursor(cursor), limit=limit)
    nxt = encode_cursor(rows[-1].created_at, rows[-1].id) if len(rows) == limit else None
    return FeedPublic(data=[feed_item(stores.objects, a) for a in rows], next_cursor=nxt)
