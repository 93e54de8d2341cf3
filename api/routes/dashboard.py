"""The admin dashboard: a static page that asks for an admin key once (kept in sessionStorage)
and shows SVG charts rendered here from the published snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api import stats_queries as q
from api.charts import Series, compact, percent, render_chart, usd_from_cents
from api.deps import AdminKey, SnapshotsDep
from api.docs import AUTH, errors
from api.errors import SnapshotUnavailable
from api.routes.stats import cached_response
from api.snapshots import Snapshot
from core.errors import NotFound

router = APIRouter(tags=["dashboard"])

_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class Chart(StrEnum):
    REVENUE = "revenue"
    MRR = "mrr"
    AI_COST = "ai-cost"
    MARGIN = "margin"
    USERS = "users"
    ACTIVE_USERS = "active-users"
    GENERATIONS = "generations"


def _static(name: str) -> bytes:
    return resources.files("api").joinpath(f"static/{name}").read_bytes()


@router.get(
    "/dashboard",
    summary="The admin dashboard page (asks for an admin key; charts load from /dashboard/charts)",
    response_class=Response,
    responses={200: {"content": {"text/html": {"example": "<!doctype html>…"}}, "description": "the page"}},
)
async def dashboard_page() -> Response:
    return Response(_static("dashboard.html"), media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


@router.get("/dashboard/app.js", include_in_schema=False)
async def dashboard_js() -> Response:
    return Response(_static("dashboard.js"), media_type="text/javascript; charset=utf-8", headers=_PAGE_HEADERS)


@router.get("/dashboard/app.css", include_in_schema=False)
async def dashboard_css() -> Response:
    return Response(_static("dashboard.css"), media_type="text/css; charset=utf-8", headers=_PAGE_HEADERS)


def _label(v: Any) -> str:
    return v.isoformat() if isinstance(v, date) else str(v)


def _col(rows: list[dict[str, Any]], name: str, scale: float = 1.0) -> list[float | None]:
    return [None if r.get(name) is None else float(r[name]) * scale for r in rows]


def _chart_svg(snap: Snapshot, chart: Chart, days: int) -> bytes:
    end = snap.info.built_at.date()
    start = end - timedelta(days=days - 1)
    if chart == Chart.REVENUE:
        rows = snap.query(*q.revenue(start, end, q.RevenueInterval.DAILY))
        svg = render_chart(
            "Revenue (daily)",
            [_label(r["period"]) for r in rows],
            [
                Series("Gross sales", _col(rows, "gross_sales_cents")),
                Series("Net revenue", _col(rows, "net_revenue_cents")),
            ],
            y_format=usd_from_cents,
        )
    elif chart == Chart.MRR:
        rows = snap.query(*q.mrr(start - timedelta(days=365), end))
        svg = render_chart(
            "MRR and its movements (monthly)",
            [_label(r["month"])[:7] for r in rows],
            [
                Series("New", _col(rows, "new_cents"), "bar", "#16a34a"),
                Series("Reactivation", _col(rows, "reactivation_cents"), "bar", "#0891b2"),
                Series("Expansion", _col(rows, "expansion_cents"), "bar", "#2563eb"),
                Series("Contraction", _col(rows, "contraction_cents", -1), "bar", "#ea580c"),
                Series("Churn", _col(rows, "churn_cents", -1), "bar", "#dc2626"),
                Series("MRR", _col(rows, "mrr_end_cents"), "line", "#111827"),
            ],
            y_format=usd_from_cents,
        )
    elif chart in (Chart.AI_COST, Chart.MARGIN):
        rows = snap.query(*q.unit_economics(start, end, q.Period.WEEK))
        labels = [_label(r["period"]) for r in rows]
        if chart == Chart.AI_COST:
            svg = render_chart(
                "AI cost against consumed credit value (weekly)",
                labels,
                [
                    Series("Consumed credit value", _col(rows, "consumed_value_cents"), "bar", "#16a34a"),
                    Series("AI cost", _col(rows, "ai_cost_nano_usd", 1e-7), "line", "#dc2626"),
                ],
                y_format=usd_from_cents,
            )
        else:
            svg = render_chart(
                "Gross margin % (weekly)",
                labels,
                [Series("Margin", _col(rows, "margin_pct"), "line", "#9333ea")],
                y_format=percent,
            )
    elif chart == Chart.USERS:
        rows = snap.query(*q.user_growth(start, end, q.RevenueInterval.DAILY))
        svg = render_chart(
            "User growth (daily)",
            [_label(r["period"]) for r in rows],
            [
                Series("New users", _col(rows, "new_users"), "bar", "#93c5fd"),
                Series("Total users", _col(rows, "total_users")),
            ],
            y_format=compact,
        )
    elif chart == Chart.ACTIVE_USERS:
        rows = snap.query(*q.active_users(start, end))
        svg = render_chart(
            "Active users (DAU / WAU / MAU)",
            [_label(r["day"]) for r in rows],
            [Series("DAU", _col(rows, "dau")), Series("WAU", _col(rows, "wau")), Series("MAU", _col(rows, "mau"))],
            y_format=compact,
        )
    else:
        rows = snap.query(*q.generation_activity(start, end, q.Period.DAY))
        svg = render_chart(
            "Generation activity and failures (daily provider calls)",
            [_label(r["period"]) for r in rows],
            [
                Series("Succeeded", _col(rows, "succeeded"), "bar", "#16a34a"),
                Series("Failed", _col(rows, "failed"), "bar", "#dc2626"),
            ],
            y_format=compact,
        )
    return svg.encode("utf-8")


@router.get(
    "/dashboard/charts/{chart}",
    summary="One dashboard chart as SVG, from the published snapshot (admin)",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {"example": "<svg …>…</svg>"}}, "description": "the chart"},
        304: {"description": "not modified"},
        **errors(*AUTH, 422, 503),
    },
)
async def dashboard_chart(
    request: Request,
    chart: Chart,
    _admin: AdminKey,
    snapshots: SnapshotsDep,
    days: Annotated[int, Query(ge=7, le=730, description="days shown, ending on the snapshot's day")] = 90,
) -> Response:
    key = ("chart", chart, days)
    compute: Callable[[Snapshot], bytes] = lambda snap: _chart_svg(snap, chart, days)  # noqa: E731
    try:
        hit = snapshots.lookup(key)
        if hit is None:
            hit = await run_in_threadpool(snapshots.cached, key, compute)
    except NotFound as e:
        raise SnapshotUnavailable(e.message) from e
    version, body = hit
    return cached_response(request, snapshots, version, body, "image/svg+xml")
