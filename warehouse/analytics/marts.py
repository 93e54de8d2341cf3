"""Build marts: run each mart's SQL file for a window and replace exactly that window.

A daily mart's window is a range of whole UTC days (one partition, or a backfill range in one
statement); a monthly mart's a range of whole months; other marts are rebuilt whole. Core tables
(group ``core``) are built the same way, before the marts that read them. The SQL files are named
after their tables and take the parameters ``:start``/``:end`` (UTC instants),
``:start_day``/``:end_day`` (dates) and ``:now``. Two optional companions:
``<name>.params.sql``, a one-row query run first whose columns become more parameters, and
``<name>.delete.sql``, which replaces the default delete of the window's partitions (for a table
whose window also refreshes rows of earlier partitions).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from graphlib import TopologicalSorter
from importlib import resources
from typing import Any

from warehouse.analytics.extract import Window, create_table
from warehouse.analytics.store import AnalyticsStore, ident
from warehouse.analytics.tables import BUILT, spec

log = logging.getLogger(__name__)


#: Tables each core table and mart reads (the Dagster asset graph follows this).
MART_DEPS: dict[str, tuple[str, ...]] = {
    "core_credit_grants": ("raw_credit_ledger", "raw_orders", "raw_order_items", "raw_stripe_invoice_lines"),
    "core_credit_consumption": ("raw_credit_ledger", "core_credit_grants"),
    "core_customer_mrr": ("raw_stripe_invoice_lines", "raw_stripe_subscriptions"),
    # admin_overview also carries the ledger and paid-grant reconciliations, hence the ledger and orders.
    "admin_overview": (
        "raw_users",
        "raw_assets",
        "raw_asset_files",
        "ai_cost_daily",
        "revenue_daily",
        "raw_credit_ledger",
        "raw_stripe_charges",
        "raw_orders",
        "raw_order_items",
        "raw_credit_packs",
    ),
    "user_growth_daily": ("raw_users",),
    "user_growth_monthly": ("raw_users", "raw_orders", "raw_stripe_charges"),
    "active_users": ("raw_credit_ledger",),
    "generation_activity_daily": ("raw_provider_calls",),
    "recent_activity": ("raw_users", "raw_assets", "raw_orders", "raw_stripe_refunds"),
    "orders_daily": ("raw_orders", "raw_order_items"),
    "storage_usage": ("raw_asset_files",),
    "ai_cost_daily": ("raw_provider_calls",),
    "cost_per_generation": ("raw_assets", "raw_provider_calls"),
    "unit_economics": ("core_credit_grants", "core_credit_consumption", "raw_provider_calls", "raw_assets"),
    "revenue_daily": ("raw_stripe_balance_transactions", "raw_stripe_charges"),
    "mrr_monthly": ("core_customer_mrr",),
    "payout_reconciliation": ("raw_stripe_payouts", "raw_stripe_balance_transactions"),
}

BUILT_NAMES: frozenset[str] = frozenset(t.name for t in BUILT)

#: Core tables and marts in an order that builds every table after the tables it reads.
BUILD_ORDER: tuple[str, ...] = tuple(
    n
    for n in TopologicalSorter(
        {m: [d for d in deps if d in BUILT_NAMES] for m, deps in MART_DEPS.items()}
    ).static_order()
    if n in BUILT_NAMES
)


@cache
def mart_sql(name: str, part: str = "") -> str | None:
    """SQL of table ``name``: ``sql/<name>.sql``, or its ``.params``/``.delete`` companion (None if absent)."""
    path = resources.files("warehouse.analytics").joinpath(f"sql/{ident(name)}{part}.sql")
    return path.read_text(encoding="utf-8") if path.is_file() else None


def day_window(start: date, end: date) -> Window:
    """UTC instants of the whole days ``[start, end)``."""
    return (datetime.combine(start, time(), UTC), datetime.combine(end, time(), UTC))


def month_floor(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def mart_params(window: Window | None, now: datetime) -> dict[str, Any]:
    start, end = window if window is not None else (now - timedelta(days=1), now)
    return {
        "start": start,
        "end": end,
        "start_day": start.date(),
        "end_day": end.date(),
        "now": now,
    }


def build_mart(store: AnalyticsStore, name: str, window: Window | None = None, *, now: datetime | None = None) -> int:
    """Rebuild core table or mart ``name`` for ``window`` (partitioned) or whole; return the window's rows."""
    table = spec(name)
    now = now or datetime.now(UTC)
    if table.partition != "none" and window is None:
        raise ValueError(f"{name} is partitioned by {table.partition}; give a window")
    create_table(store, table)
    params = mart_params(window, now)
    extra = mart_sql(name, ".params")
    if extra is not None:
        params.update(store.query(extra, params)[0])
    body = mart_sql(name)
    assert body is not None, f"no SQL for {name}"
    cols = ", ".join(ident(c) for c in table.column_names)
    partitioned = table.partition != "none" and table.partition_column is not None
    where = (
        f"{ident(table.partition_column)} >= :start_day AND {ident(table.partition_column)} < :end_day"
        if partitioned and table.partition_column
        else "1 = 1"
    )
    with store.transaction():
        store.execute(mart_sql(name, ".delete") or f"DELETE FROM {ident(name)} WHERE {where}", params)
        if table.partition != "none" and table.partition_column:
            # written in partition order, as raw facts are: a later window's delete, count and
            # reads then touch that window's row groups only (DuckDB zone maps; PostgreSQL's
            # index on the partition column finds them together)
            col = ident(table.partition_column)
            body = f"SELECT * FROM (\n{body}\n) AS built ORDER BY {col}"
        store.execute(f"INSERT INTO {ident(name)} ({cols}) {body}", params)
    n = store.query(f"SELECT COUNT(*) AS n FROM {ident(name)} WHERE {where}", params)[0]["n"]
    log.info("built %s (%s rows)", name, n)
    return int(n)


def build_range(
    store: AnalyticsStore, first: date, end: date, *, now: datetime, names: Iterable[str] = BUILD_ORDER
) -> None:
    """Build ``names`` (core tables and marts, in build order) for the days ``[first, end)``.

    Daily tables get the whole range in one statement, monthly ones the months it touches,
    unpartitioned ones are rebuilt whole, as a single-run Dagster backfill does.
    """
    days = day_window(first, end)
    months = day_window(first.replace(day=1), add_months(end - timedelta(days=1), 1))
    wanted = set(names)
    for name in BUILD_ORDER:
        if name in wanted:
            p = spec(name).partition
            build_mart(store, name, days if p == "daily" else months if p == "monthly" else None, now=now)


def upstream(name: str) -> list[str]:
    """The core tables and marts that ``name`` reads, directly or not, in build order."""
    seen: set[str] = set()
    todo = [d for d in MART_DEPS.get(name, ()) if d in BUILT_NAMES]
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo += [d for d in MART_DEPS.get(dep, ()) if d in BUILT_NAMES]
    return [n for n in BUILD_ORDER if n in seen]


def build_with_upstream(
    store: AnalyticsStore, name: str, window: Window | None = None, *, now: datetime | None = None
) -> int:
    """Build the tables ``name`` reads (same partitioning, same window) and then ``name``."""
    partition = spec(name).partition
    for dep in upstream(name):
        if spec(dep).partition == partition:
            build_mart(store, dep, window, now=now)
    return build_mart(store, name, window, now=now)
