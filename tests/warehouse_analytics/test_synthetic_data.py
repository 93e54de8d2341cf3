"""The synthetic generator: deterministic, consistent ledger, priced calls, Stripe-shaped objects."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from tests.warehouse_analytics.conftest import SEED_END
from warehouse.db import make_engine
from warehouse.migrate import upgrade
from warehouse.models import LedgerEntry, ProviderCall, ProviderPrice, StripeObject, User
from warehouse.prices import cost_nano
from warehouse.synthetic import seed_operational


def _fingerprint(engine) -> tuple:
    with engine.connect() as c:
        return (
            c.execute(select(func.count(), func.sum(ProviderCall.cost_nano_usd))).one(),
            c.execute(select(func.sum(LedgerEntry.amount))).scalar(),
            sorted(c.execute(select(StripeObject.id)).scalars())[:20],
            sorted(str(x) for x in c.execute(select(User.id)).scalars())[:5],
        )


def test_same_seed_same_data(seeded_engine, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'again.db'}"
    upgrade(url)
    again = make_engine(url)
    seed_operational(again, users=60, months=3, seed=16, end=SEED_END)
    assert _fingerprint(again) == _fingerprint(seeded_engine)
    again.dispose()


def test_ledger_is_consistent_and_calls_priced_from_the_book(seeded_engine) -> None:
    with seeded_engine.connect() as c:
        sums = dict(
            c.execute(select(LedgerEntry.user_id, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.user_id)).all()
        )
        for uid, balance in c.execute(select(User.id, User.credit_balance)).all():
            assert balance == sums.get(uid, 0)
            assert balance >= 0
    from sqlalchemy.orm import Session

    with Session(seeded_engine) as s:
        prices = {p.id: p for p in s.scalars(select(ProviderPrice))}
        for call in s.scalars(select(ProviderCall).limit(500)):
            price = prices[call.price_id]
            assert price.valid_from <= call.created_at
            assert price.valid_to is None or call.created_at < price.valid_to
            assert call.cost_nano_usd == cost_nano(price, call.units)


def test_stripe_objects_are_shaped_like_stripe(seeded_engine) -> None:
    prefixes = {
        "charge": "ch_",
        "refund": "re_",
        "dispute": "dp_",
        "payout": "po_",
        "invoice": "in_",
        "subscription": "sub_",
        "balance_transaction": "txn_",
    }
    with seeded_engine.connect() as c:
        rows = c.execute(select(StripeObject.object_type, StripeObject.payload)).all()
    kinds = Counter(t for t, _ in rows)
    assert {"charge", "balance_transaction", "invoice", "subscription", "payout", "refund"} <= set(kinds)
    for otype, p in rows:
        assert p["object"] == otype
        assert p["id"].startswith(prefixes[otype])
        assert isinstance(p["created"], int)
        if otype == "balance_transaction":
            assert p["net"] == p["amount"] - p["fee"]
            assert isinstance(p["available_on"], int)
            assert p["type"] in {"charge", "refund", "adjustment", "payout"}
    statuses = Counter(p["status"] for t, p in rows if t == "subscription")
    assert statuses["canceled"] >= 1
    assert statuses["active"] >= 1
