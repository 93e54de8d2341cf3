"""Core tables: FIFO positions carried partition by partition, valued consumption, customer MRR,
late provider calls and raw facts kept in time order: each against hand-computed answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from tests.warehouse_analytics.conftest import load
from warehouse.analytics.extract import _arrow_dicts, replace_raw
from warehouse.analytics.marts import build_mart, build_range, build_with_upstream, day_window
from warehouse.analytics.tables import spec

T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)


def _day(n: int, hour: int = 9) -> datetime:
    return T0 + timedelta(days=n, hours=hour - 9)


def _entry(n: int, user: str, kind: str, amount: int, at: datetime, bal: int, ref: str | None = None) -> dict:
    return {
        "entry_id": f"e{n:03d}",
        "user_id": user,
        "kind": kind,
        "amount": amount,
        "balance_after": bal,
        "idempotency_key": f"k{n}",
        "reference_id": ref,
        "created_at": at,
    }


def _orders(store, orders: list[tuple[str, int, str | None, str | None]]) -> None:
    load(
        store,
        "raw_orders",
        [
            {
                "order_id": oid,
                "user_id": "u1",
                "status": "FULFILLED",
                "amount_total_cents": cents,
                "checkout_session_id": cs,
                "payment_intent_id": pi,
                "created_at": _day(0, 8),
            }
            for oid, cents, cs, pi in orders
        ],
    )
    load(
        store,
        "raw_order_items",
        [
            {
                "item_id": f"i_{oid}",
                "order_id": oid,
                "kind": "credit_pack",
                "quantity": 1,
                "amount_cents": cents,
                "created_at": _day(0, 8),
            }
            for oid, cents, _cs, _pi in orders
        ],
    )


def _ledger(store) -> None:
    # u1: 10 credits for $1 (10 ¢ each, named by session), 5 promotional, then 10 for $3 (30 ¢ each,
    # named by payment intent); spends cross from one grant into the next on later days.
    # u2: only a subscription grant of 20 credits for an invoice of $4 (20 ¢ each).
    _orders(store, [("o1", 100, "cs_1", None), ("o2", 300, None, "pi_2")])
    load(
        store,
        "raw_stripe_invoice_lines",
        [
            {
                "line_id": "il_1",
                "invoice_id": "in_1",
                "customer_id": "cus_2",
                "invoice_status": "paid",
                "line_type": "subscription",
                "amount": 400,
                "created_at": _day(0),
            }
        ],
    )
    load(
        store,
        "raw_credit_ledger",
        [
            _entry(1, "u1", "grant_purchase", 10, _day(0, 9), 10, "cs_1"),
            _entry(2, "u1", "spend", -8, _day(0, 10), 2),  # 8 × 10 ¢ = 80 ¢
            _entry(3, "u1", "grant_promo", 5, _day(1, 9), 7),
            _entry(4, "u1", "spend", -4, _day(1, 10), 3),  # 2 × 10 ¢ + 2 promo = 20 ¢
            _entry(5, "u1", "grant_purchase", 10, _day(2, 9), 13, "pi_2"),
            _entry(6, "u1", "spend", -6, _day(2, 10), 7),  # 3 promo + 3 × 30 ¢ = 90 ¢
            _entry(7, "u1", "refund", 2, _day(3, 9), 9),  # gives back the last 2 consumed: −60 ¢
            _entry(8, "u2", "grant_subscription", 20, _day(1, 12), 20, "in_1"),
            _entry(9, "u2", "spend", -5, _day(3, 12), 15),  # 5 × 20 ¢ = 100 ¢
        ],
    )


def test_grants_carry_fifo_positions_and_the_money_behind_them(store) -> None:
    _ledger(store)
    build_mart(store, "core_credit_grants", day_window(date(2026, 4, 1), date(2026, 4, 5)))
    rows = {r["entry_id"]: r for r in store.query("SELECT * FROM core_credit_grants")}
    assert {k: (r["credits_before"], r["credits"], r["value_cents"]) for k, r in rows.items()} == {
        "e001": (0, 10, 100),
        "e003": (10, 5, 0),
        "e005": (15, 10, 300),
        "e008": (0, 20, 400),
    }
    assert rows["e005"]["value_per_credit_cents"] == 30.0
    assert rows["e003"]["day"] == date(2026, 4, 2)


def test_consumption_is_valued_first_in_first_out(store) -> None:
    _ledger(store)
    build_with_upstream(store, "core_credit_consumption", day_window(date(2026, 4, 1), date(2026, 4, 5)))
    rows = {r["entry_id"]: r for r in store.query("SELECT * FROM core_credit_consumption")}
    got = {k: (r["credits"], r["consumed_before"], round(r["value_cents"], 9)) for k, r in rows.items()}
    assert got == {
        "e002": (8, 0, 80.0),
        "e004": (4, 8, 20.0),
        "e006": (6, 12, 90.0),
        "e007": (-2, 18, -60.0),
        "e009": (5, 0, 100.0),
    }


def test_one_day_at_a_time_equals_one_range(store) -> None:
    _ledger(store)
    window = day_window(date(2026, 4, 1), date(2026, 4, 5))
    build_with_upstream(store, "unit_economics", window)
    whole = store.query("SELECT * FROM core_credit_consumption ORDER BY entry_id")
    marts = store.query("SELECT * FROM unit_economics ORDER BY day")
    for table in ("core_credit_grants", "core_credit_consumption", "unit_economics"):
        store.execute(f"DELETE FROM {table}")
    for n in range(4):
        day = date(2026, 4, 1) + timedelta(days=n)
        build_with_upstream(store, "unit_economics", day_window(day, day + timedelta(days=1)))
    assert store.query("SELECT * FROM core_credit_consumption ORDER BY entry_id") == whole
    assert store.query("SELECT * FROM unit_economics ORDER BY day") == marts
    assert [r["consumed_value_cents"] for r in marts] == [80, 20, 90, 40]
    assert [r["pack_sales_cents"] for r in marts] == [100, 0, 300, 0]


def test_a_new_day_reads_its_own_partition_and_the_carried_positions(store) -> None:
    """The raw ledger of earlier days is not read: deleting it leaves the new day's answer unchanged."""
    _ledger(store)
    build_with_upstream(store, "unit_economics", day_window(date(2026, 4, 1), date(2026, 4, 3)))
    store.execute("DELETE FROM raw_credit_ledger WHERE created_at < :t", {"t": _day(2, 0)})
    build_with_upstream(store, "unit_economics", day_window(date(2026, 4, 3), date(2026, 4, 4)))
    (row,) = store.query("SELECT * FROM core_credit_consumption WHERE entry_id = 'e006'")
    assert (row["consumed_before"], row["value_cents"]) == (12, 90.0)


def test_customer_mrr_sums_a_customers_subscriptions(store) -> None:
    def line(n: int, sub: str, amount: int) -> dict:
        return {
            "line_id": f"il_{n}",
            "invoice_id": f"in_{n}",
            "customer_id": "cus_1",
            "subscription_id": sub,
            "invoice_status": "paid",
            "line_type": "subscription",
            "proration": False,
            "period_start": datetime(2026, 3, 10, tzinfo=UTC),
            "period_end": datetime(2026, 4, 10, tzinfo=UTC),
            "unit_amount": amount,
            "quantity": 1,
            "interval": "month",
            "interval_count": 1,
            "discount_amount": 0,
            "amount": amount,
            "created_at": datetime(2026, 3, 10, tzinfo=UTC),
        }

    load(store, "raw_stripe_invoice_lines", [line(1, "sub_a", 900), line(2, "sub_b", 2900)])
    build_mart(store, "core_customer_mrr", day_window(date(2026, 3, 1), date(2026, 4, 1)), now=T0)
    (row,) = store.query("SELECT * FROM core_customer_mrr")
    assert (row["month"], row["customer_id"], row["subscriptions"], row["mrr_cents"]) == (
        date(2026, 3, 1),
        "cus_1",
        2,
        3800,
    )


def _call(n: int, asset: str, asset_at: datetime, at: datetime, cost: int, status: str = "succeeded") -> dict:
    return {
        "call_id": f"c{n}",
        "asset_id": asset,
        "user_id": "u1",
        "stage": "model",
        "provider": "meshy",
        "model": "m",
        "status": status,
        "cost_nano_usd": cost,
        "asset_created_at": asset_at,
        "created_at": at,
    }


def test_a_late_call_reaches_its_generation_when_its_own_day_is_built(store) -> None:
    a1, a2 = _day(0, 23), _day(2)
    load(
        store,
        "raw_assets",
        [
            {"asset_id": "a1", "user_id": "u1", "mode": "text", "status": "COMPLETED", "created_at": a1},
            {"asset_id": "a2", "user_id": "u1", "mode": "image", "status": "COMPLETED", "created_at": a2},
        ],
    )
    load(store, "raw_provider_calls", [_call(1, "a1", a1, a1 + timedelta(minutes=5), 100, "failed")])
    build_range(store, date(2026, 4, 1), date(2026, 4, 3), now=_day(3), names=["cost_per_generation"])
    # a retry after midnight, and a regeneration two days later, of the generation of day 0
    load(
        store,
        "raw_provider_calls",
        [
            _call(2, "a1", a1, _day(1, 0) + timedelta(minutes=10), 200),
            _call(3, "a1", a1, _day(2, 15), 400),
            _call(4, "a2", a2, a2 + timedelta(minutes=1), 50),
        ],
    )
    for n in (1, 2):  # only the days the late calls landed on
        day = date(2026, 4, 1) + timedelta(days=n)
        build_mart(store, "cost_per_generation", day_window(day, day + timedelta(days=1)))
    rows = {r["asset_id"]: r for r in store.query("SELECT * FROM cost_per_generation")}
    assert (rows["a1"]["day"], rows["a1"]["calls"], rows["a1"]["failed_calls"], rows["a1"]["cost_nano_usd"]) == (
        date(2026, 4, 1),
        3,
        1,
        700,
    )
    assert (rows["a2"]["day"], rows["a2"]["cost_nano_usd"]) == (date(2026, 4, 3), 50)
    assert len(rows) == 2
    # rebuilding the generation's own day gives the same total
    build_mart(store, "cost_per_generation", day_window(date(2026, 4, 1), date(2026, 4, 2)))
    (again,) = store.query("SELECT cost_nano_usd FROM cost_per_generation WHERE asset_id = 'a1'")
    assert again["cost_nano_usd"] == 700


def test_raw_facts_are_written_in_time_order(store) -> None:
    rows = [
        {
            "call_id": f"c{i}",
            "stage": "model",
            "provider": "p",
            "model": "m",
            "status": "succeeded",
            "cost_nano_usd": 1,
            "created_at": _day(0, 9) + timedelta(hours=h),
        }
        for i, h in enumerate([5, 1, 3, 0, 4, 2])
    ]
    data: pa.Table = _arrow_dicts(spec("raw_provider_calls"), rows)
    replace_raw(store, "raw_provider_calls", data, day_window(date(2026, 4, 1), date(2026, 4, 2)))
    stored = [r["created_at"] for r in store.query("SELECT created_at FROM raw_provider_calls")]
    assert stored == sorted(stored)
