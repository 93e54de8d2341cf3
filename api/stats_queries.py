"""The stats API's read-only queries over the published marts (named parameters, no values in SQL).

Each function returns ``(sql, params)``; the period and dimension names come from closed enums,
never from request text, so the only f-string parts are identifiers from this module.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

Query = tuple[str, dict[str, Any]]


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class RevenueInterval(StrEnum):
    DAILY = "daily"
    MONTHLY = "monthly"


class CostSplit(StrEnum):
    PROVIDER = "provider"
    MODEL = "model"
    STAGE = "stage"


class ActivitySplit(StrEnum):
    STAGE = "stage"
    MODE = "mode"
    PROVIDER = "provider"


def _period(column: str, period: Period) -> str:
    if period == Period.DAY:
        return column
    return f"CAST(date_trunc('{period.value}', {column}) AS DATE)"


def _range(params: dict[str, Any], start: date, end: date, column: str = "day") -> str:
    params["start"], params["end"] = start, end
    return f"{column} >= :start AND {column} <= :end"


def overview() -> Query:
    return "SELECT * FROM admin_overview", {}


def user_growth(start: date, end: date, interval: RevenueInterval) -> Query:
    params: dict[str, Any] = {}
    if interval == RevenueInterval.MONTHLY:
        where = _range(params, start.replace(day=1), end, "month")
        sql = (
            "SELECT month AS period, new_users, total_users, converted_30d, conversion_30d "
            f"FROM user_growth_monthly WHERE {where} ORDER BY month"
        )
    else:
        where = _range(params, start, end)
        sql = f"SELECT day AS period, new_users, total_users FROM user_growth_daily WHERE {where} ORDER BY day"
    return sql, params


def active_users(start: date, end: date) -> Query:
    params: dict[str, Any] = {}
    where = _range(params, start, end)
    return f"SELECT day, dau, wau, mau FROM active_users WHERE {where} ORDER BY day", params


def generation_activity(
    start: date,
    end: date,
    period: Period,
    *,
    stage: str | None = None,
    mode: str | None = None,
    provider: str | None = None,
    split: ActivitySplit | None = None,
) -> Query:
    params: dict[str, Any] = {}
    where = [_range(params, start, end)]
    for name, value in (("stage", stage), ("mode", mode), ("provider", provider)):
        if value is not None:
            where.append(f"{name} = :{name}")
            params[name] = value
    p = _period("day", period)
    dim = f", {split.value}" if split else ""
    sql = (
        f"SELECT {p} AS period{dim}, SUM(calls) AS calls, SUM(succeeded) AS succeeded, SUM(failed) AS failed, "
        "SUM(generations) AS generations, SUM(skip_concept_calls) AS skip_concept_calls, "
        "CASE WHEN SUM(calls) > 0 THEN CAST(SUM(succeeded) AS DOUBLE PRECISION) / SUM(calls) END AS success_rate, "
        "MAX(p95_duration_s) AS max_p95_duration_s "
        f"FROM generation_activity_daily WHERE {' AND '.join(where)} "
        f"GROUP BY {p}{dim} ORDER BY period{dim}"
    )
    return sql, params


def recent_activity(limit: int, event_type: str | None) -> Query:
    params: dict[str, Any] = {"limit": limit}
    where = ""
    if event_type is not None:
        where = "WHERE event_type = :event_type"
        params["event_type"] = event_type
    sql = (
        "SELECT occurred_at, event_type, subject_id, user_id, detail FROM recent_activity "
        f"{where} ORDER BY occurred_at DESC, event_type, subject_id LIMIT :limit"
    )
    return sql, params


def ai_costs(
    start: date,
    end: date,
    period: Period,
    *,
    provider: str | None = None,
    model: str | None = None,
    stage: str | None = None,
    split: CostSplit | None = None,
) -> Query:
    params: dict[str, Any] = {}
    where = [_range(params, start, end)]
    for name, value in (("provider", provider), ("model", model), ("stage", stage)):
        if value is not None:
            where.append(f"{name} = :{name}")
            params[name] = value
    p = _period("day", period)
    dim = f", {split.value}" if split else ""
    sql = (
        f"SELECT {p} AS period{dim}, SUM(calls) AS calls, SUM(failed_calls) AS failed_calls, SUM(units) AS units, "
        "SUM(cost_nano_usd) AS cost_nano_usd, SUM(failed_cost_nano_usd) AS failed_cost_nano_usd, "
        "SUM(queue_seconds) AS queue_seconds, SUM(run_seconds) AS run_seconds "
        f"FROM ai_cost_daily WHERE {' AND '.join(where)} GROUP BY {p}{dim} ORDER BY period{dim}"
    )
    return sql, params


def unit_economics(start: date, end: date, period: Period) -> Query:
    params: dict[str, Any] = {}
    where = _range(params, start, end)
    p = _period("day", period)
    sql = (
        f"SELECT {p} AS period, SUM(paid_credits_granted) AS paid_credits_granted, "
        "SUM(pack_sales_cents) AS pack_sales_cents, SUM(credits_consumed) AS credits_consumed, "
        "SUM(consumed_value_cents) AS consumed_value_cents, SUM(ai_cost_nano_usd) AS ai_cost_nano_usd, "
        "SUM(successful_generations) AS successful_generations, SUM(gross_margin_nano_usd) AS gross_margin_nano_usd, "
        "CASE WHEN SUM(consumed_value_cents) > 0 THEN 1 - (CAST(SUM(ai_cost_nano_usd) AS DOUBLE PRECISION) / 1e7) "
        "/ SUM(consumed_value_cents) END AS margin_pct, "
        "CASE WHEN SUM(successful_generations) > 0 THEN SUM(ai_cost_nano_usd) / SUM(successful_generations) END "
        "AS cost_per_successful_generation_nano_usd "
        f"FROM unit_economics WHERE {where} GROUP BY {p} ORDER BY period"
    )
    return sql, params


_REVENUE_SUMS = (
    "SUM(gross_sales_cents) AS gross_sales_cents, SUM(refunds_cents) AS refunds_cents, "
    "SUM(disputes_cents) AS disputes_cents, SUM(fees_cents) AS fees_cents, "
    "SUM(net_revenue_cents) AS net_revenue_cents, SUM(net_sales_cents) AS net_sales_cents, "
    "SUM(non_recurring_cents) AS non_recurring_cents, SUM(recurring_cents) AS recurring_cents"
)


def revenue(start: date, end: date, interval: RevenueInterval) -> Query:
    params: dict[str, Any] = {}
    where = _range(params, start, end)
    p = _period("day", Period.MONTH if interval == RevenueInterval.MONTHLY else Period.DAY)
    sql = f"SELECT {p} AS period, {_REVENUE_SUMS} FROM revenue_daily WHERE {where} GROUP BY {p} ORDER BY period"
    return sql, params


def mrr(start: date, end: date) -> Query:
    params: dict[str, Any] = {}
    where = _range(params, start.replace(day=1), end, "month")
    return f"SELECT * FROM mrr_monthly WHERE {where} ORDER BY month", params


def orders(start: date, end: date, period: Period) -> Query:
    params: dict[str, Any] = {}
    where = _range(params, start, end)
    p = _period("day", period)
    sql = (
        f"SELECT {p} AS period, SUM(orders) AS orders, SUM(paid_orders) AS paid_orders, "
        "SUM(fulfilled_orders) AS fulfilled_orders, SUM(failed_orders) AS failed_orders, "
        "SUM(digital_items) AS digital_items, SUM(print_items) AS print_items, "
        "SUM(credit_pack_items) AS credit_pack_items, SUM(print_units) AS print_units, "
        "SUM(order_amount_cents) AS order_amount_cents, AVG(avg_fulfilment_hours) AS avg_fulfilment_hours "
        f"FROM orders_daily WHERE {where} GROUP BY {p} ORDER BY period"
    )
    return sql, params


def storage_top(limit: int) -> Query:
    sql = (
        "SELECT user_id, files, bytes_stored, model_bytes FROM storage_usage "
        "ORDER BY bytes_stored DESC, user_id LIMIT :limit"
    )
    return sql, {"limit": limit}


def storage_totals() -> Query:
    sql = (
        "SELECT COUNT(*) AS users, COALESCE(SUM(files), 0) AS files, COALESCE(SUM(bytes_stored), 0) AS bytes_stored, "
        "COALESCE(SUM(model_bytes), 0) AS model_bytes FROM storage_usage"
    )
    return sql, {}
