"""Admin-stats marts and unit economics against hand-computed answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.warehouse_analytics.conftest import load
from warehouse.analytics.marts import build_mart, build_with_upstream, day_window

T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)


def _day(n: int, hour: int = 9) -> datetime:
    return T0 + timedelta(days=n, hours=hour - 9)


def _entry(n: int, user: str, kind: str, amount: int, at: datetime, ref: str | None = None, bal: int = 0) -> dict:
    return {
        "balance_after": bal,
        "entry_id": f"e{n:03d}",
        "user_id": user,
        "kind": kind,
        "amount": amount,
        "idempotency_key": f"k{n}",
        "reference_id": ref,
        "created_at": at,
    }


def test_user_growth_daily_counts_history_before_the_window(store) -> None:
    load(
        store,
        "raw_users",
        [
            {"user_id": "u0", "role": "user", "plan": "free", "credit_balance": 0, "created_at": _day(-10)},
            {"user_id": "u1", "role": "user", "plan": "pro", "credit_balance": 0, "created_at": _day(0)},
            {"user_id": "u2", "role": "admin", "plan": "free", "credit_balance": 0, "created_at": _day(0, 23)},
            {"user_id": "u3", "role": "user", "plan": "free", "credit_balance": 0, "created_at": _day(2)},
        ],
    )
    build_mart(store, "user_growth_daily", day_window(date(2026, 4, 1), date(2026, 4, 4)))
    rows = [(r["new_users"], r["total_users"]) for r in store.query("SELECT * FROM user_growth_daily ORDER BY day")]
    assert rows == [(2, 3), (0, 3), (1, 4)]


def test_active_users_windows(store) -> None:
    # u1 spends on day 0 and day 10; u2 on day 5; u3 only gets grants (not active)
    load(
        store,
        "raw_credit_ledger",
        [
            _entry(1, "u1", "spend", -1, _day(0)),
            _entry(2, "u1", "spend", -1, _day(10)),
            _entry(3, "u2", "spend", -1, _day(5)),
            _entry(4, "u3", "grant_promo", 5, _day(10)),
        ],
    )
    build_mart(store, "active_users", day_window(date(2026, 4, 11), date(2026, 4, 12)))
    (row,) = store.query("SELECT * FROM active_users")
    assert (row["dau"], row["wau"], row["mau"]) == (1, 2, 2)
    build_mart(store, "active_users", day_window(date(2026, 5, 1), date(2026, 5, 2)))  # 30 days after day 0
    row = store.query("SELECT * FROM active_users WHERE day = :d", {"d": date(2026, 5, 1)})[0]
    assert (row["dau"], row["wau"], row["mau"]) == (0, 0, 2)


def test_orders_daily(store) -> None:
    load(
        store,
        "raw_orders",
        [
            {
                "order_id": "o1",
                "user_id": "u1",
                "status": "FULFILLED",
                "amount_total_cents": 9000,
                "created_at": _day(0),
                "paid_at": _day(0),
                "fulfilled_at": _day(0) + timedelta(hours=48),
            },
            {
                "order_id": "o2",
                "user_id": "u1",
                "status": "FAILED",
                "amount_total_cents": 2500,
                "created_at": _day(0),
                "paid_at": _day(0),
            },
            {
                "order_id": "o3",
                "user_id": "u2",
                "status": "PAID",
                "amount_total_cents": 500,
                "created_at": _day(0),
                "paid_at": _day(0),
            },
        ],
    )
    load(
        store,
        "raw_order_items",
        [
            {
                "item_id": "i1",
                "order_id": "o1",
                "kind": "print",
                "quantity": 3,
                "amount_cents": 9000,
                "created_at": _day(0),
            },
            {
                "item_id": "i2",
                "order_id": "o2",
                "kind": "print",
                "quantity": 1,
                "amount_cents": 2500,
                "created_at": _day(0),
            },
            {
                "item_id": "i3",
                "order_id": "o3",
                "kind": "credit_pack",
                "quantity": 1,
                "amount_cents": 500,
                "created_at": _day(0),
            },
        ],
    )
    build_mart(store, "orders_daily", day_window(date(2026, 4, 1), date(2026, 4, 3)))
    d0, d1 = store.query("SELECT * FROM orders_daily ORDER BY day")
    assert (d0["orders"], d0["paid_orders"], d0["fulfilled_orders"], d0["failed_orders"]) == (3, 2, 1, 1)
    assert (d0["print_items"], d0["credit_pack_items"], d0["digital_items"], d0["print_units"]) == (2, 1, 0, 4)
    assert d0["order_amount_cents"] == 9500
    assert d0["avg_fulfilment_hours"] == pytest.approx(48.0)
    assert d1["orders"] == 0
    assert d1["avg_fulfilment_hours"] is None


def test_storage_usage_and_recent_activity(store) -> None:
    load(
        store,
        "raw_asset_files",
        [
            {
                "file_id": "f1",
                "asset_id": "a1",
                "user_id": "u1",
                "kind": "glb",
                "size_bytes": 1000,
                "created_at": _day(0),
            },
            {
                "file_id": "f2",
                "asset_id": "a1",
                "user_id": "u1",
                "kind": "concept",
                "size_bytes": 300,
                "created_at": _day(0),
            },
            {
                "file_id": "f3",
                "asset_id": "a2",
                "user_id": "u2",
                "kind": "stl",
                "size_bytes": 50,
                "created_at": _day(1),
            },
        ],
    )
    load(
        store,
        "raw_users",
        [{"user_id": "u1", "role": "user", "plan": "free", "credit_balance": 0, "created_at": _day(0)}],
    )
    load(
        store,
        "raw_assets",
        [
            {
                "asset_id": "a1",
                "user_id": "u1",
                "mode": "text",
                "status": "COMPLETED",
                "created_at": _day(0, 10),
                "completed_at": _day(0, 11),
            },
        ],
    )
    load(store, "raw_stripe_refunds", [{"id": "re_1", "amount": 500, "created_at": _day(2)}])
    build_mart(store, "storage_usage")
    usage = {
        r["user_id"]: (r["files"], r["bytes_stored"], r["model_bytes"])
        for r in store.query("SELECT * FROM storage_usage")
    }
    assert usage == {"u1": (2, 1300, 1000), "u2": (1, 50, 50)}
    build_mart(store, "recent_activity")
    events = [
        (r["event_type"], r["subject_id"])
        for r in store.query("SELECT * FROM recent_activity ORDER BY occurred_at DESC")
    ]
    assert events == [
        ("refund", "re_1"),
        ("generation_completed", "a1"),
        ("generation_started", "a1"),
        ("signup", "u1"),
    ]


def test_unit_economics_values_consumption_first_in_first_out(store) -> None:
    # u1: 5 promotional credits (worth 0), then 100 bought for $10 (10 ¢ a credit)
    load(
        store,
        "raw_orders",
        [
            {
                "order_id": "o1",
                "user_id": "u1",
                "status": "PAID",
                "amount_total_cents": 1000,
                "checkout_session_id": "cs_1",
                "created_at": _day(0),
            }
        ],
    )
    load(
        store,
        "raw_order_items",
        [
            {
                "item_id": "i1",
                "order_id": "o1",
                "kind": "credit_pack",
                "credit_pack_id": "p100",
                "quantity": 1,
                "amount_cents": 1000,
                "created_at": _day(0),
            }
        ],
    )
    load(
        store,
        "raw_credit_ledger",
        [
            _entry(1, "u1", "grant_promo", 5, _day(0, 8), bal=5),
            _entry(2, "u1", "grant_purchase", 100, _day(0, 9), ref="cs_1", bal=105),
            _entry(3, "u1", "spend", -3, _day(0, 10), bal=102),  # promo credits: worth 0
            _entry(4, "u1", "spend", -4, _day(1), bal=98),  # 2 promo + 2 bought: 20 ¢
            _entry(5, "u1", "refund", 1, _day(2), bal=99),  # gives back the last credit consumed: −10 ¢
            _entry(6, "u1", "spend", -10, _day(2, 12), bal=89),  # 10 bought: 100 ¢
        ],
    )
    load(
        store,
        "raw_provider_calls",
        [
            {
                "call_id": "c1",
                "stage": "model",
                "provider": "tripo",
                "model": "m",
                "status": "succeeded",
                "cost_nano_usd": 300_000_000,
                "created_at": _day(1),
            },
        ],
    )
    load(
        store,
        "raw_assets",
        [
            {
                "asset_id": "a1",
                "user_id": "u1",
                "mode": "text",
                "status": "COMPLETED",
                "created_at": _day(1),
                "completed_at": _day(1, 10),
            }
        ],
    )
    build_with_upstream(store, "unit_economics", day_window(date(2026, 4, 1), date(2026, 4, 4)))
    d0, d1, d2 = store.query("SELECT * FROM unit_economics ORDER BY day")
    assert (d0["paid_credits_granted"], d0["pack_sales_cents"], d0["credit_value_cents"]) == (100, 1000, 10.0)
    assert (d0["credits_consumed"], d0["consumed_value_cents"]) == (3, 0)
    assert (d1["credits_consumed"], d1["consumed_value_cents"]) == (4, 20)
    assert d1["ai_cost_nano_usd"] == 300_000_000
    assert d1["successful_generations"] == 1
    assert d1["cost_per_successful_generation_nano_usd"] == 300_000_000
    assert d1["gross_margin_nano_usd"] == 20 * 10_000_000 - 300_000_000
    assert d1["margin_pct"] == pytest.approx(1 - 300_000_000 / 200_000_000)
    assert (d2["credits_consumed"], d2["consumed_value_cents"]) == (9, 90)
    for day in (date(2026, 4, 1), date(2026, 4, 2), date(2026, 4, 3)):  # one partition at a time: same answer
        build_with_upstream(store, "unit_economics", day_window(day, day + timedelta(days=1)))
    again = [r["consumed_value_cents"] for r in store.query("SELECT * FROM unit_economics ORDER BY day")]
    assert again == [0, 20, 90]
