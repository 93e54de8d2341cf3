"""revenue_daily and payout_reconciliation against hand-computed answers (METRICS.md, Revenue)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.warehouse_analytics.conftest import load
from warehouse.analytics import checks
from warehouse.analytics.marts import build_mart, day_window

D1 = datetime(2026, 3, 1, 10, tzinfo=UTC)
D2 = datetime(2026, 3, 2, 10, tzinfo=UTC)
AVAIL = datetime(2026, 3, 3, tzinfo=UTC)


def _bt(
    id_: str, type_: str, cat: str, amount: int, fee: int, at: datetime, source: str, avail: datetime = AVAIL
) -> dict:
    return {
        "id": id_,
        "type": type_,
        "reporting_category": cat,
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "currency": "usd",
        "status": "available",
        "source_id": source,
        "created_at": at,
        "available_on": avail,
    }


def _fixture(store) -> None:
    load(
        store,
        "raw_stripe_charges",
        [
            {"id": "ch_pack", "amount": 10000, "status": "succeeded", "created_at": D1, "invoice_id": None},
            {"id": "ch_sub", "amount": 2900, "status": "succeeded", "created_at": D1, "invoice_id": "in_1"},
        ],
    )
    load(
        store,
        "raw_stripe_balance_transactions",
        [
            _bt("txn_1", "charge", "charge", 10000, 320, D1, "ch_pack"),
            _bt("txn_2", "charge", "charge", 2900, 114, D1, "ch_sub"),
            _bt("txn_3", "refund", "refund", -2000, 0, D2, "re_1"),
            _bt("txn_4", "adjustment", "dispute", -2900, 1500, D2, "dp_1"),
            _bt("txn_5", "adjustment", "dispute_reversal", 2900, -1500, D2, "dp_1"),
            _bt("txn_6", "payout", "payout", -12466, 0, D2, "po_1", avail=D2),
        ],
    )
    load(
        store,
        "raw_stripe_payouts",
        [
            {"id": "po_1", "amount": 12466 - 2000, "status": "paid", "created_at": datetime(2026, 3, 3, 6, tzinfo=UTC)},
            {"id": "po_2", "amount": 5, "status": "paid", "created_at": datetime(2026, 3, 9, 6, tzinfo=UTC)},
        ],
    )


def test_revenue_daily_matches_hand_computed_numbers(store) -> None:
    _fixture(store)
    build_mart(store, "revenue_daily", day_window(date(2026, 3, 1), date(2026, 3, 4)))
    rows = {r["day"]: r for r in store.query("SELECT * FROM revenue_daily ORDER BY day")}
    assert len(rows) == 3  # dense over the spine, the empty day included
    d1, d2, d3 = rows[date(2026, 3, 1)], rows[date(2026, 3, 2)], rows[date(2026, 3, 3)]
    assert d1["gross_sales_cents"] == 12900
    assert d1["fees_cents"] == 434
    assert d1["net_revenue_cents"] == 12466
    assert d1["non_recurring_cents"] == 10000
    assert d1["recurring_cents"] == 2900
    assert d1["net_sales_cents"] == 12900
    assert d2["gross_sales_cents"] == 0
    assert d2["refunds_cents"] == 2000
    # |dispute debits| + dispute fees − reinstatements = 2900 + (1500 − 1500) − 2900
    assert d2["disputes_cents"] == 0
    assert d2["net_revenue_cents"] == -2000  # payouts excluded
    assert d2["net_sales_cents"] == -2000
    assert d2["balance_transactions"] == 3
    assert d3["gross_sales_cents"] == 0
    assert d3["balance_transactions"] == 0
    assert checks.revenue_net(store).passed


def test_lost_dispute_counts_debit_and_fee(store) -> None:
    load(store, "raw_stripe_balance_transactions", [_bt("txn_9", "adjustment", "dispute", -5000, 1500, D1, "dp_9")])
    build_mart(store, "revenue_daily", day_window(date(2026, 3, 1), date(2026, 3, 2)))
    (row,) = store.query("SELECT * FROM revenue_daily")
    assert row["disputes_cents"] == 6500
    assert row["net_revenue_cents"] == -6500
    assert row["fees_cents"] == 1500


def test_payout_reconciliation(store) -> None:
    _fixture(store)
    build_mart(store, "payout_reconciliation")
    rows = {r["payout_id"]: r for r in store.query("SELECT * FROM payout_reconciliation")}
    # po_1 pays the funds available on 2026-03-03: 9680 + 2786 − 2000 − 4400 + 4400
    assert rows["po_1"]["transactions_net_cents"] == 10466
    assert rows["po_1"]["difference_cents"] == 0
    assert rows["po_2"]["difference_cents"] == 5  # nothing became available that day
    outcome = checks.payouts_reconcile(store)
    assert not outcome.passed
    assert outcome.metadata["unreconciled"] == 1


def test_tables_from_an_older_version_gain_new_columns(store) -> None:
    from warehouse.analytics.extract import create_table
    from warehouse.analytics.tables import spec

    store.execute("DROP TABLE raw_credit_ledger")
    store.execute("CREATE TABLE raw_credit_ledger (entry_id VARCHAR, user_id VARCHAR, amount BIGINT)")
    create_table(store, spec("raw_credit_ledger"))
    cols = {
        r["column_name"]
        for r in store.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'raw_credit_ledger' "
            "AND table_schema = current_schema()"
        )
    }
    assert cols == set(spec("raw_credit_ledger").column_names)
