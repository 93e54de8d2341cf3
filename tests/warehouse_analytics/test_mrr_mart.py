"""mrr_monthly against a hand-built month: one new, one expansion, one contraction, one churn, one reactivation."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.warehouse_analytics.conftest import load
from warehouse.analytics import checks
from warehouse.analytics.marts import build_with_upstream, day_window


def _t(m: int, d: int, y: int = 2026) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def _line(n: int, cust: str, start: datetime, end: datetime, unit: int, interval: str = "month", **kw: object) -> dict:
    row = {
        "line_id": f"il_{n}",
        "invoice_id": f"in_{n}",
        "customer_id": cust,
        "subscription_id": f"sub_{cust}",
        "invoice_status": "paid",
        "billing_reason": "subscription_cycle",
        "line_type": "subscription",
        "proration": False,
        "period_start": start,
        "period_end": end,
        "unit_amount": unit,
        "quantity": 1,
        "interval": interval,
        "interval_count": 1,
        "discount_amount": 0,
        "amount": unit,
        "currency": "usd",
        "created_at": start,
    }
    row.update(kw)
    return row


def _fixture(store) -> None:
    load(
        store,
        "raw_stripe_invoice_lines",
        [
            _line(1, "cus_a", _t(3, 5), _t(4, 5), 2900),  # new in March
            _line(2, "cus_b", _t(2, 10), _t(3, 10), 900),  # expansion 900 → 2900
            _line(3, "cus_b", _t(3, 10), _t(4, 10), 2900),
            _line(4, "cus_c", _t(2, 3), _t(3, 3), 9900),  # contraction 9900 → 2900
            _line(5, "cus_c", _t(3, 3), _t(4, 3), 2900),
            _line(6, "cus_d", _t(2, 15), _t(3, 15), 2900),  # churns when its paid period ends
            _line(7, "cus_e", _t(1, 1), _t(2, 1), 900),  # had MRR in January, none in February …
            _line(8, "cus_e", _t(3, 20), _t(4, 20), 900),  # … reactivates in March
            _line(9, "cus_f", _t(1, 10), _t(1, 10, 2027), 12000, interval="year"),  # 1000 a month, unchanged
            _line(10, "cus_g", _t(3, 1), _t(4, 1), 2900, amount=0),  # trialing: counts 0
            _line(11, "cus_b", _t(3, 5), _t(3, 10), 2000, proration=True),  # a proration never counts
            _line(12, "cus_h", _t(3, 1), _t(4, 1), 2900, invoice_status="void"),  # void invoices never count
        ],
    )
    load(
        store,
        "raw_stripe_subscriptions",
        [
            {
                "id": "sub_cus_d",
                "customer_id": "cus_d",
                "status": "canceled",
                "created_at": _t(2, 15),
                "ended_at": _t(3, 15),
            }
        ],
    )


def test_march_movements(store) -> None:
    _fixture(store)
    build_with_upstream(store, "mrr_monthly", day_window(date(2026, 1, 1), date(2026, 4, 1)), now=_t(5, 1))
    rows = {r["month"]: r for r in store.query("SELECT * FROM mrr_monthly ORDER BY month")}
    feb, mar = rows[date(2026, 2, 1)], rows[date(2026, 3, 1)]
    assert feb["mrr_end_cents"] == 900 + 9900 + 2900 + 1000
    assert mar["mrr_start_cents"] == feb["mrr_end_cents"] == 14700
    assert mar["new_cents"] == 2900
    assert mar["new_customers"] == 1
    assert mar["expansion_cents"] == 2000
    assert mar["contraction_cents"] == 7000
    assert mar["churn_cents"] == 2900
    assert mar["churned_customers"] == 1
    assert mar["reactivation_cents"] == 900
    assert mar["reactivated_customers"] == 1
    assert mar["mrr_end_cents"] == 2900 + 2900 + 2900 + 900 + 1000 == 10600
    assert mar["arr_cents"] == 12 * 10600
    assert mar["paying_subscribers"] == 5
    assert mar["arpu_cents"] == 10600 / 5
    assert mar["logo_churn"] == 1 / 4
    assert abs(mar["gross_mrr_churn"] - (2900 + 7000) / 14700) < 1e-12
    assert abs(mar["nrr"] - (14700 + 2000 - 7000 - 2900) / 14700) < 1e-12
    assert checks.mrr_identity(store).passed


def test_weekly_and_multi_month_intervals_normalise(store) -> None:
    load(
        store,
        "raw_stripe_invoice_lines",
        [
            _line(1, "cus_w", _t(3, 25), _t(4, 8), 1200, interval="week", interval_count=2),
            _line(2, "cus_q", _t(3, 1), _t(6, 1), 9000, interval="month", interval_count=3),
        ],
    )
    build_with_upstream(store, "mrr_monthly", day_window(date(2026, 3, 1), date(2026, 4, 1)), now=_t(5, 1))
    (mar,) = store.query("SELECT * FROM mrr_monthly")
    assert mar["mrr_end_cents"] == 1200 * 52 // 12 // 2 + 3000  # 2600 + 3000


def test_identity_check_catches_a_broken_month(store) -> None:
    _fixture(store)
    build_with_upstream(store, "mrr_monthly", day_window(date(2026, 1, 1), date(2026, 4, 1)), now=_t(5, 1))
    store.execute("UPDATE mrr_monthly SET churn_cents = churn_cents + 1 WHERE month = :m", {"m": date(2026, 3, 1)})
    outcome = checks.mrr_identity(store)
    assert not outcome.passed
    assert outcome.metadata["broken_months"] == 1
