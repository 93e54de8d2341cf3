"""Admin stats from the published analytics snapshot (never the operational database).

Responses are computed once per snapshot version and parameters and kept as encoded JSON, so a
repeated request costs a dictionary lookup. Each carries ``ETag: "<snapshot version>"`` and
answers ``If-None-Match`` with 304.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api import stats_queries as q
from api.deps import AdminKey, SnapshotsDep
from api.docs import AUTH, errors
from api.errors import SnapshotUnavailable
from api.fastpath import raw_key
from api.schemas import StatsPublic
from api.snapshots import Snapshot, SnapshotSource
from core.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/stats", tags=["stats"])

CACHE_CONTROL = "private, max-age=60, must-revalidate"
DEFAULT_DAYS = 90
MAX_DAYS = 3660

FromDate = Annotated[date | None, Query(alias="from", description="first day (UTC), inclusive; default 90 days back")]
ToDate = Annotated[date | None, Query(alias="to", description="last day (UTC), inclusive; default the snapshot's day")]
Dim = Annotated[str | None, Query(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:/-]+$")]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _range(snap: Snapshot, start: date | None, end: date | None) -> tuple[date, date]:
    last = end or snap.info.built_at.date()
    first = start or (last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise InvalidInput(f"'from' ({first}) is after 'to' ({last})", start=str(first), end=str(last))
    if (last - first).days > MAX_DAYS:
        raise InvalidInput(f"the range may span at most {MAX_DAYS} days", start=str(first), end=str(last))
    return first, last


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(t.strip().removeprefix("W/") == etag for t in if_none_match.split(","))


Builder = Callable[[Snapshot], dict[str, Any]]


def _finite(value: Any) -> Any:
    """NaN and infinities (0/0 in a mart) become null: JSON has no spelling for them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _encode(snap: Snapshot, build: Builder) -> bytes:
    body = _finite({"snapshot": {"version": snap.info.version, "built_at": snap.info.built_at}, **build(snap)})
    # Encoded once per snapshot version and parameters, so the standard library is fast enough.
    return json.dumps(body, default=_default, separators=(",", ":"), allow_nan=False).encode()


async def _respond(request: Request, snapshots: SnapshotSource, key: tuple[Any, ...], build: Builder) -> Response:
    try:
        hit = snapshots.lookup(key)
        if hit is None:
            hit = await run_in_threadpool(snapshots.cached, key, lambda snap: _encode(snap, build))
    except NotFound as e:
        raise SnapshotUnavailable(e.message) from e
    version, body = hit
    return cached_response(request, snapshots, version, body, "application/json")


def cached_response(
    request: Request, snapshots: SnapshotSource, version: str, body: bytes, media_type: str
) -> Response:
    """The response for a computed answer; also kept for the fast path under the raw request."""
    snapshots.store(
        raw_key(request.url.path, request.scope.get("query_string", b"")), version, (body, media_type.encode())
    )
    etag = f'"{version}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


def _rows(query: q.Query) -> Builder:
    def build(snap: Snapshot) -> dict[str, Any]:
        sql, params = query
        return {"params": {k: v for k, v in params.items()}, "data": snap.query(sql, params)}

    return build


async def _ranged(
    request: Request,
    snapshots: SnapshotSource,
    name: str,
    start: date | None,
    end: date | None,
    make: Callable[[date, date], q.Query],
    extra: tuple[Any, ...] = (),
) -> Response:
    def build(snap: Snapshot) -> dict[str, Any]:
        first, last = _range(snap, start, end)
        return _rows(make(first, last))(snap)

    return await _respond(request, snapshots, (name, start, end, *extra), build)


_DOC: dict[str, Any] = {
    "response_model": StatsPublic,
    "responses": {
        **errors(*AUTH, 422, 503),
        304: {"description": "not modified: the If-None-Match ETag is the current snapshot version"},
    },
}


@router.get("/overview", summary="Headline numbers: users, generations, AI cost, revenue, credits, storage", **_DOC)
async def overview(request: Request, _admin: AdminKey, snapshots: SnapshotsDep) -> Response:
    def build(snap: Snapshot) -> dict[str, Any]:
        sql, params = q.overview()
        rows = snap.query(sql, params)
        return {"params": {}, "data": rows[0] if rows else {}}

    return await _respond(request, snapshots, ("overview",), build)


@router.get("/users/growth", summary="New and total users per day or month, with 30-day conversion", **_DOC)
async def users_growth(
    request: Request,
    _admin: AdminKey,
    snapshots: SnapshotsDep,
    start: FromDate = None,
    end: ToDate = None,
    interval: q.RevenueInterval = q.RevenueInterval.DAILY,
) -> Response:
    return await _ranged(
        request, snapshots, "growth", start, end, lambda a, b: q.user_growth(a, b, interval), (interval,)
    )


@router.get("/users/active", summary="DAU, WAU and MAU per day (users with a credit-spending generation)", **_DOC)
async def users_active(
    request: Request, _admin: AdminKey, snapshots: SnapshotsDep, start: FromDate = None, end: ToDate = None
) -> Response:
    return await _ranged(request, snapshots, "active", start, end, q.active_users)


@router.get("/generations/activity", summary="Generation calls, successes, failures and durations", **_DOC)
async def generations_activity(
    request: Request,
    _admin: AdminKey,
    snapshots: SnapshotsDep,
    start: FromDate = None,
    end: ToDate = None,
    group_by: q.Period = q.Period.DAY,
    stage: Dim = None,
    mode: Dim = None,
    provider: Dim = None,
    split: q.ActivitySplit | None = None,
) -> Response:
    return await _ranged(
        request,
        snapshots,
        "activity",
        start,
        end,
        lambda a, b: q.generation_activity(a, b, group_by, stage=stage, mode=mode, provider=provider, split=split),
        (group_by, stage, mode, provider, split),
    )


@router.get("/generations/recent", summary="Recent activity: sign-ups, generations, orders, refunds", **_DOC)
async def generations_recent(
    request: Request,
    _admin: AdminKey,
    snapshots: SnapshotsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    event_type: Dim = None,
) -> Response:
    return await _respond(
        request, snapshots, ("recent", limit, event_type), _rows(q.recent_activity(limit, event_type))
    )


@router.get("/ai-costs", summary="AI cost by day, week or month; filter and split by provider, model, stage", **_DOC)
async def ai_costs(
    request: Request,
    _admin: AdminKey,
    snapshots: SnapshotsDep,
    start: FromDate = None,
    end: ToDate = None,
    group_by: q.Period = q.Period.DAY,
    provider: Dim = None,
    model: Dim = None,
    stage: Dim = None,
    split: q.CostSplit | None = None,
) -> Response:
    return await _ranged(
        request,
        snapshots,
        "ai-costs",
        start,
        end,
        lambda a, b: q.ai_costs(a, b, group_by, provider=provider, model=model, stage=stage, split=split),
        (group_by, provider, model, stage, split),
    )


@router.get("/unit-economics", summary="Consumed credit value against AI cost: margin per period", **_DOC)
async def unit_economics(
    request: Request,
    _admin: AdminKey,
    snapshots: SnapshotsDep,
    start: FromDate = None,
    end: ToDate = None,
    group_by: q.Period = q.Period.DAY,
) -> Response:
    return await _ranged(
        request, snapshots, "unit", start, end, lambda a, b: q.unit_economics(a, b, group_by), (group_by,)
    )


@router.get("/revenue", summary="Gross, refunds, disputes, fees and net revenue, daily or monthly", **_DOC)
async def revenue(
    request: Request,
    _admin: AdminKey,
    snapshots: SnapshotsDep,
    start: FromDate = None,
    end: ToDate = None,
    interval: q.RevenueInterval = q.RevenueInterval.DAILY,
) -> Response:
    return await _ranged(request, snapshots, "revenue", start, end, lambda a, b: q.revenue(a, b, interval), (interval,))


@router.get("/mrr", summary="MRR per month with its movements (new, expansion, contraction, churn, …)", **_DOC)
async def mrr(
    request: Request, _admin: AdminKey, snapshots: SnapshotsDep, start: FromDate = None, end: ToDate = None
) -> Response:
    return await _ranged(request, snapshots, "mrr", start, end, q.mrr)


@router.get("/orders", summary="Orders, items by kind, print units and fulfilment lead time", **_DOC)
async def orders(
    request: Request,
    _admin: AdminKey,
    snapshots: SnapshotsDep,
    start: FromDate = None,
    end: ToDate = None,
    group_by: q.Period = q.Period.DAY,
) -> Response:
    return await _ranged(request, snapshots, "orders", start, end, lambda a, b: q.orders(a, b, group_by), (group_by,))


@router.get("/storage", summary="Bytes stored in total and by the largest users", **_DOC)
async def storage(
    request: Request, _admin: AdminKey, snapshots: SnapshotsDep, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> Response:
    def build(snap: Snapshot) -> dict[str, Any]:
        totals = snap.query(*q.storage_totals())
        top_sql, top_params = q.storage_top(limit)
        return {
            "params": {"limit": limit},
            "totals": totals[0] if totals else {},
            "data": snap.query(top_sql, top_params),
        }

    return await _respond(request, snapshots, ("storage", limit), build)


def snapshot_age(built_at: datetime) -> float:
    """Seconds since the snapshot was built (for logs and readiness)."""
    return (datetime.now(built_at.tzinfo) - built_at).total_seconds()
