"""Every check passes on consistent data and fails on data corrupted for it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.warehouse_analytics.conftest import SEED_END, build_all, load
from warehouse.analytics import checks
from warehouse.analytics.store import DuckDBStore


@pytest.fixture
def built(seeded_engine) -> DuckDBStore:
    store = DuckDBStore(":memory:")
    build_all(seeded_engine, store)
    return store


def test_all_gate_checks_pass_on_synthetic_data(built) -> None:
    outcomes = checks.publication_gate(built)
    assert [o.name for o in outcomes if not o.passed] == []
    assert checks.stripe_freshness(built, now=SEED_END, max_age=timedelta(days=2)).passed


def test_duplicate_key(built) -> None:
    built.execute("INSERT INTO revenue_daily SELECT * FROM revenue_daily WHERE day = :d", {"d": date(2026, 3, 1)})
    outcome = checks.unique_key(built, "revenue_daily")
    assert not outcome.passed
    assert outcome.metadata["duplicates"] == 1


def test_broken_ledger(built) -> None:
    built.execute(
        "UPDATE raw_users SET credit_balance = credit_balance + 1 WHERE user_id = (SELECT MIN(user_id) FROM raw_users)"
    )
    outcome = checks.ledger_balances(built)
    assert not outcome.passed
    assert outcome.metadata["mismatches"] == 1


def test_ledger_entry_for_unknown_user(built) -> None:
    load(
        built,
        "raw_credit_ledger",
        [{"entry_id": "x", "user_id": "nobody", "kind": "adjustment", "amount": 1, "created_at": SEED_END}],
    )
    assert not checks.ledger_balances(built).passed


def test_missing_day(built) -> None:
    start, end = date(2026, 2, 1), date(2026, 3, 1)
    assert checks.date_spine(built, "orders_daily", start, end).passed
    built.execute("DELETE FROM orders_daily WHERE day = :d", {"d": date(2026, 2, 14)})
    outcome = checks.date_spine(built, "orders_daily", start, end)
    assert not outcome.passed
    assert outcome.metadata == {"rows": 27, "expected": 28}


def test_paid_grant_without_payment(built) -> None:
    load(
        built,
        "raw_credit_ledger",
        [
            {
                "entry_id": "x",
                "user_id": "u",
                "kind": "grant_purchase",
                "amount": 50,
                "reference_id": "cs_forged",
                "created_at": SEED_END,
            }
        ],
    )
    outcome = checks.paid_grants_match_payments(built)
    assert not outcome.passed
    assert outcome.metadata["mismatches"] == 1


def test_payment_without_its_grant(built) -> None:
    built.execute(
        "DELETE FROM raw_credit_ledger "
        "WHERE entry_id = (SELECT MIN(entry_id) FROM raw_credit_ledger WHERE kind = 'grant_purchase')"
    )
    assert not checks.paid_grants_match_payments(built).passed


def test_revenue_not_matching_its_balance_transactions(built) -> None:
    built.execute(
        "UPDATE raw_stripe_balance_transactions SET net = net - 1 "
        "WHERE id = (SELECT MIN(id) FROM raw_stripe_balance_transactions WHERE type = 'charge')"
    )
    outcome = checks.revenue_net(built)
    assert not outcome.passed
    assert outcome.metadata["mismatched_days"] == 1


def test_unreconciled_payout(built) -> None:
    built.execute(
        "UPDATE payout_reconciliation SET difference_cents = 7 "
        "WHERE payout_id = (SELECT MIN(payout_id) FROM payout_reconciliation)"
    )
    assert not checks.payouts_reconcile(built).passed


def test_mrr_start_not_previous_end(built) -> None:
    built.execute(
        "UPDATE mrr_monthly SET mrr_start_cents = mrr_start_cents + 5, new_cents = new_cents - 5 WHERE month = :m",
        {"m": date(2026, 2, 1)},
    )
    assert not checks.mrr_identity(built).passed


def test_stale_stripe_data(built) -> None:
    outcome = checks.stripe_freshness(built, now=datetime(2026, 6, 1, tzinfo=UTC), max_age=timedelta(days=2))
    assert not outcome.passed


def test_core_positions_built_without_their_earlier_days(built) -> None:
    """A day of grants rebuilt after the days before it were lost leaves positions that do not tile."""
    assert checks.credit_positions_complete(built).passed
    (first,) = built.query("SELECT MIN(day) AS d FROM core_credit_grants")
    day = first["d"] + timedelta(days=20)
    built.execute("DELETE FROM core_credit_grants WHERE day < :d", {"d": day})
    outcome = checks.credit_positions_complete(built)
    assert not outcome.passed
    assert outcome.metadata["users"] > 0


def test_ledger_grant_missing_from_the_core_tables(built) -> None:
    (row,) = built.query("SELECT entry_id FROM core_credit_grants ORDER BY created_at DESC LIMIT 1")
    built.execute("DELETE FROM core_credit_grants WHERE entry_id = :e", {"e": row["entry_id"]})
    assert not checks.credit_positions_complete(built).passed
