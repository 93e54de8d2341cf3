"""SQL reconciliations every build runs (METRICS.md, "Checks every build runs").

Each returns a ``CheckOutcome``; Dagster asset checks and the publication gate both call them,
so a failing reconciliation stops publication wherever it is found.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from warehouse.analytics.store import AnalyticsStore, ident
from warehouse.analytics.tables import spec

log = logging.getLogger(__name__)

SAMPLE = 5


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check: whether it passed, a sentence, and facts behind it."""

    name: str
    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _sample(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: (str(v) if not isinstance(v, int | float | str | type(None)) else v) for k, v in r.items()}
        for r in rows[:SAMPLE]
    ]


def _window_clause(table: str, start: date | None, end: date | None, alias: str = "") -> tuple[str, dict[str, Any]]:
    col = spec(table).partition_column
    if col is None or start is None or end is None or spec(table).partition == "none":
        return "1 = 1", {}
    col = f"{ident(alias)}.{ident(col)}" if alias else ident(col)
    return f"{col} >= :start_day AND {col} < :end_day", {"start_day": start, "end_day": end}


def unique_key(store: AnalyticsStore, table: str, start: date | None = None, end: date | None = None) -> CheckOutcome:
    """The table's key columns identify one row (no fan-out)."""
    key = ", ".join(ident(k) for k in spec(table).key)
    where, params = _window_clause(table, start, end)
    rows = store.query(
        f"SELECT {key}, COUNT(*) AS n FROM {ident(table)} WHERE {where} GROUP BY {key} HAVING COUNT(*) > 1", params
    )
    return CheckOutcome(
        f"{table}_unique_key",
        not rows,
        f"{table}: {len(rows)} duplicated keys ({key})",
        {"duplicates": len(rows), "sample": _sample(rows)},
    )


def date_spine(store: AnalyticsStore, table: str, start: date, end: date) -> CheckOutcome:
    """A dense daily mart has exactly one row per day of ``[start, end)``."""
    rows = store.query(
        f"SELECT COUNT(*) AS n, COUNT(DISTINCT day) AS days FROM {ident(table)} "
        "WHERE day >= :start_day AND day < :end_day",
        {"start_day": start, "end_day": end},
    )[0]
    expected = (end - start).days
    ok = int(rows["n"]) == expected and int(rows["days"]) == expected
    return CheckOutcome(
        f"{table}_date_spine",
        ok,
        f"{table}: {rows['n']} rows for {expected} days of the spine",
        {"rows": int(rows["n"]), "expected": expected},
    )


def ledger_balances(store: AnalyticsStore) -> CheckOutcome:
    """Σ ledger entries = cached balance for every user; no negative balance."""
    rows = store.query(
        """
        SELECT u.user_id, u.credit_balance, COALESCE(l.total, 0) AS ledger_sum
        FROM raw_users u
        LEFT JOIN (SELECT user_id, SUM(amount) AS total FROM raw_credit_ledger GROUP BY user_id) l
            ON l.user_id = u.user_id
        WHERE u.credit_balance <> COALESCE(l.total, 0) OR u.credit_balance < 0
        """
    )
    orphans = store.query(
        "SELECT COUNT(*) AS n FROM raw_credit_ledger l "
        "WHERE NOT EXISTS (SELECT 1 FROM raw_users u WHERE u.user_id = l.user_id)"
    )[0]["n"]
    ok = not rows and int(orphans) == 0
    return CheckOutcome(
        "ledger_balances",
        ok,
        f"{len(rows)} users whose cached balance ≠ Σ ledger (or negative); {orphans} orphan entries",
        {"mismatches": len(rows), "orphan_entries": int(orphans), "sample": _sample(rows)},
    )


def paid_grants_match_payments(store: AnalyticsStore) -> CheckOutcome:
    """Σ paid credit grants = credits of succeeded Stripe credit-pack payments, per Stripe object id."""
    rows = store.query(
        """
        WITH bought AS (
            SELECT c.id AS charge_id, o.checkout_session_id, o.payment_intent_id, o.order_id,
                   SUM(i.quantity * p.credits) AS credits
            FROM raw_stripe_charges c
            -- Checkout's charges name their payment intent; a charge may also carry the session in metadata
            JOIN raw_orders o ON o.checkout_session_id = c.checkout_session_id
                OR (c.payment_intent_id IS NOT NULL AND o.payment_intent_id = c.payment_intent_id)
            JOIN raw_order_items i ON i.order_id = o.order_id AND i.kind = 'credit_pack'
            JOIN raw_credit_packs p ON p.credit_pack_id = i.credit_pack_id
            WHERE c.status = 'succeeded'
            GROUP BY c.id, o.checkout_session_id, o.payment_intent_id, o.order_id
        ),
        granted AS (
            SELECT reference_id, SUM(amount) AS credits FROM raw_credit_ledger
            WHERE kind = 'grant_purchase' GROUP BY reference_id
        ),
        refs AS (
            -- a paid grant may name the payment by checkout session, payment intent, order or charge id
            SELECT charge_id, checkout_session_id AS ref FROM bought WHERE checkout_session_id IS NOT NULL
            UNION SELECT charge_id, payment_intent_id FROM bought WHERE payment_intent_id IS NOT NULL
            UNION SELECT charge_id, order_id FROM bought
            UNION SELECT charge_id, charge_id FROM bought
        ),
        matched AS (
            SELECT b.charge_id, b.credits AS bought, COALESCE(SUM(g.credits), 0) AS granted
            FROM bought b
            LEFT JOIN refs r ON r.charge_id = b.charge_id
            LEFT JOIN granted g ON g.reference_id = r.ref
            GROUP BY b.charge_id, b.credits
        ),
        unmatched_grants AS (
            SELECT g.reference_id AS charge_id, 0 AS bought, g.credits AS granted FROM granted g
            WHERE NOT EXISTS (SELECT 1 FROM refs r WHERE r.ref = g.reference_id)
        )
        SELECT * FROM matched WHERE bought <> granted
        UNION ALL
        SELECT * FROM unmatched_grants
        """
    )
    return CheckOutcome(
        "paid_grants_match_payments",
        not rows,
        f"{len(rows)} Stripe payments whose credits ≠ paid grants",
        {"mismatches": len(rows), "sample": _sample(rows)},
    )


_NON_REVENUE = (
    "('payout', 'payout_cancel', 'payout_failure', 'payout_minimum_balance_hold', 'payout_minimum_balance_release', "
    "'transfer', 'transfer_cancel', 'transfer_failure', 'transfer_refund')"
)


def revenue_net(store: AnalyticsStore, start: date | None = None, end: date | None = None) -> CheckOutcome:
    """Net revenue of revenue_daily = Σ net of the balance transactions it covers, day by day."""
    where, params = _window_clause("revenue_daily", start, end, "r")
    rows = store.query(
        f"""
        WITH bt AS (
            SELECT CAST(created_at AS DATE) AS day, SUM(net) AS net, COUNT(*) AS n
            FROM raw_stripe_balance_transactions WHERE type NOT IN {_NON_REVENUE} GROUP BY 1
        )
        SELECT r.day, r.net_revenue_cents, COALESCE(bt.net, 0) AS bt_net,
               r.balance_transactions, COALESCE(bt.n, 0) AS bt_n
        FROM revenue_daily r LEFT JOIN bt ON bt.day = r.day
        WHERE ({where}) AND (r.net_revenue_cents <> COALESCE(bt.net, 0) OR r.balance_transactions <> COALESCE(bt.n, 0))
        """,
        params,
    )
    return CheckOutcome(
        "revenue_net_reconciles",
        not rows,
        f"{len(rows)} days where net revenue ≠ Σ net of their balance transactions",
        {"mismatched_days": len(rows), "sample": _sample(rows)},
    )


def payouts_reconcile(store: AnalyticsStore) -> CheckOutcome:
    """Every payout = Σ net of the balance transactions it pays out."""
    rows = store.query("SELECT * FROM payout_reconciliation WHERE difference_cents <> 0")
    total = store.query("SELECT COUNT(*) AS n FROM payout_reconciliation")[0]["n"]
    return CheckOutcome(
        "payouts_reconcile",
        not rows,
        f"{len(rows)} of {total} payouts do not reconcile",
        {"unreconciled": len(rows), "payouts": int(total), "sample": _sample(rows)},
    )


def mrr_identity(store: AnalyticsStore, start: date | None = None, end: date | None = None) -> CheckOutcome:
    """end = start + new + reactivation + expansion − contraction − churn; start = previous end."""
    where, params = _window_clause("mrr_monthly", start, end, "m")
    rows = store.query(
        f"""
        SELECT m.month, m.mrr_start_cents, m.mrr_end_cents, p.mrr_end_cents AS previous_end
        FROM mrr_monthly m
        LEFT JOIN mrr_monthly p ON p.month = CAST(m.month - INTERVAL '1 month' AS DATE)
        WHERE ({where}) AND (
            m.mrr_end_cents <> m.mrr_start_cents + m.new_cents + m.reactivation_cents + m.expansion_cents
                               - m.contraction_cents - m.churn_cents
            OR (p.month IS NOT NULL AND p.mrr_end_cents <> m.mrr_start_cents)
        )
        """,
        params,
    )
    return CheckOutcome(
        "mrr_movement_identity",
        not rows,
        f"{len(rows)} months break the MRR movement identity",
        {"broken_months": len(rows), "sample": _sample(rows)},
    )


def credit_positions_complete(store: AnalyticsStore) -> CheckOutcome:
    """Every ledger entry that grants or consumes credits is in the core tables, and each user's
    grants tile their FIFO order without gaps or overlaps (a backfill that did not start at the
    first day, or a day built before the day before it, breaks this)."""
    rows = store.query(
        """
        WITH ledger AS (
            SELECT user_id,
                   SUM(amount) FILTER (WHERE kind IN ('grant_purchase', 'grant_promo', 'grant_subscription')
                                       OR (kind = 'adjustment' AND amount > 0)) AS granted,
                   COUNT(*) FILTER (WHERE kind IN ('spend', 'refund') OR (kind = 'adjustment' AND amount < 0))
                       AS consumptions
            FROM raw_credit_ledger GROUP BY user_id
        ),
        grants AS (
            SELECT user_id, SUM(credits) AS granted, MAX(credits_before + credits) AS reach,
                   COUNT(*) FILTER (WHERE credits_before <> prior) AS gaps
            FROM (
                SELECT user_id, credits, credits_before,
                       COALESCE(SUM(credits) OVER (PARTITION BY user_id ORDER BY created_at, entry_id
                                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS prior
                FROM core_credit_grants
            ) AS g
            GROUP BY user_id
        ),
        consumed AS (SELECT user_id, COUNT(*) AS consumptions FROM core_credit_consumption GROUP BY user_id)
        SELECT l.user_id, l.granted AS ledger_granted, g.granted AS core_granted, g.reach, g.gaps,
               l.consumptions AS ledger_consumptions, c.consumptions AS core_consumptions
        FROM ledger l
        LEFT JOIN grants g ON g.user_id = l.user_id
        LEFT JOIN consumed c ON c.user_id = l.user_id
        WHERE COALESCE(l.granted, 0) <> COALESCE(g.granted, 0)
           OR COALESCE(g.reach, 0) <> COALESCE(g.granted, 0)
           OR COALESCE(g.gaps, 0) <> 0
           OR l.consumptions <> COALESCE(c.consumptions, 0)
        ORDER BY l.user_id
        """
    )
    return CheckOutcome(
        "credit_positions_complete",
        not rows,
        f"{len(rows)} users whose grants or consumptions in the core tables differ from the ledger",
        {"users": len(rows), "sample": _sample(rows)},
    )


def stripe_freshness(store: AnalyticsStore, *, now: datetime, max_age: timedelta) -> CheckOutcome:
    """The newest Stripe balance transaction is no older than the sync interval allows."""
    latest = store.query("SELECT MAX(created_at) AS latest FROM raw_stripe_balance_transactions")[0]["latest"]
    ok = latest is not None and now - latest <= max_age
    return CheckOutcome(
        "stripe_freshness",
        ok,
        f"newest Stripe balance transaction: {latest.isoformat() if latest else 'none'}; allowed age {max_age}",
        {"latest": latest.isoformat() if latest else None, "max_age_s": int(max_age.total_seconds())},
    )


def publication_gate(store: AnalyticsStore) -> list[CheckOutcome]:
    """The blocking checks run over whole tables before a snapshot is published."""
    from warehouse.analytics.tables import MARTS

    runs: list[Callable[[], CheckOutcome]] = [
        lambda: ledger_balances(store),
        lambda: paid_grants_match_payments(store),
        lambda: revenue_net(store),
        lambda: payouts_reconcile(store),
        lambda: mrr_identity(store),
        lambda: credit_positions_complete(store),
    ]
    runs += [lambda t=t.name: unique_key(store, t) for t in MARTS]  # type: ignore[misc]
    return [r() for r in runs]
