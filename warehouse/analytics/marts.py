"""Build marts: run each mart's SQL file for a window and replace exactly that window.

A daily mart's window is a range of whole UTC days (one partition, or a backfill range in one
statement); a monthly mart's a range of whole months; other marts are rebuilt whole. The SQL
files are named after their marts and take the parameters ``:start``/``:end`` (UTC instants),
``:start_day``/``:end_day`` (dates) and ``:now``.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any

from warehouse.analytics.extract import Window, create_table
from warehouse.analytics.store import AnalyticsStore, ident
from warehouse.analytics.tables import MARTS, spec

log = logging.getLogger(__name__)

MART_NAMES: tuple[str, ...] = tuple(t.name for t in MARTS)

#: Tables each mart reads (the Dagster asset graph follows this).
MART_DEPS: dict[str, tuple[str, ...]] = {
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
    "unit_economics": (
        "raw_credit_ledger",
        "raw_orders",
        "raw_order_items",
        "raw_stripe_invoice_lines",
        "raw_provider_calls",
        "raw_assets",
    ),
    "revenue_daily": ("raw_stripe_balance_transactions", "raw_stripe_charges"),
    "mrr_monthly": ("raw_stripe_invoice_lines", "raw_stripe_subscriptions"),
    "payout_reconciliation": ("raw_stripe_payouts", "raw_stripe_balance_transactions"),
}


@cache
def mart_sql(name: str) -> str:
    """The SQL of mart ``name`` (``warehouse/analytics/sql/<name>.sql``)."""
    return resources.files("warehouse.analytics").joinpath(f"sql/{ident(name)}.sql").read_text(encoding="utf-8")


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
    """Rebuild mart ``name`` for ``window`` (a partitioned mart) or whole; return the rows written."""
    table = spec(name)
    now = now or datetime.now(UTC)
    if table.partition != "none" and window is None:
        raise ValueError(f"{name} is partitioned by {table.partition}; give a window")
    create_table(store, table)
    params = mart_params(window, now)
    cols = ", ".join(ident(c) for c in table.column_names)
    with store.transaction():
        if table.partition != "none" and table.partition_column:
            col = ident(table.partition_column)
            store.execute(
                f"DELETE FROM {ident(name)} WHERE {col} >= :start_day AND {col} < :end_day",
                {"start_day": params["start_day"], "end_day": params["end_day"]},
            )
        else:
            store.execute(f"DELETE FROM {ident(name)}")
        store.execute(f"INSERT INTO {ident(name)} ({cols}) {mart_sql(name)}", params)
    if table.partition != "none" and table.partition_column:
        col = ident(table.partition_column)
        where = f"{col} >= :start_day AND {col} < :end_day"
    else:
        where = "1 = 1"
    n = store.query(f"SELECT COUNT(*) AS n FROM {ident(name)} WHERE {where}", params)[0]["n"]
    log.info("built %s (%s rows)", name, n)
    return int(n)
