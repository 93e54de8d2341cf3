"""The credit ledger on SQLite and PostgreSQL: exactness, idempotency, concurrency, bad input."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.enums import LedgerKind
from core.errors import IdempotencyConflict, InsufficientCredits, InvalidInput, NotFound
from tests.utils.factories import make_user
from warehouse import ledger
from warehouse.db import transaction
from warehouse.models import LedgerEntry, User


def _count_entries(session: Session, user_id: uuid.UUID | None = None) -> int:
    stmt = select(func.count()).select_from(LedgerEntry)
    if user_id is not None:
        stmt = stmt.where(LedgerEntry.user_id == user_id)
    return int(session.scalar(stmt) or 0)


def test_grant_spend_refund_adjust_keep_balance_equal_to_sum(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s)
        ledger.grant(session=s, user_id=uid, amount=10, idempotency_key="g1", kind=LedgerKind.GRANT_PROMO)
        ledger.spend(session=s, user_id=uid, amount=3, idempotency_key="s1", reference_type="asset", reference_id="a1")
        r = ledger.refund(session=s, spend_idempotency_key="s1")
        ledger.adjust(session=s, user_id=uid, amount=-2, idempotency_key="adj1", reason="goodwill reversal")
    with sessions() as s:
        assert r.entry.kind == LedgerKind.REFUND and r.entry.amount == 3 and r.entry.reference_id == "a1"
        assert ledger.balance(session=s, user_id=uid) == 8
        assert ledger.ledger_sum(session=s, user_id=uid) == 8
        assert [e.amount for e in reversed(ledger.entries(session=s, user_id=uid))] == [10, -3, 3, -2]
        assert ledger.verify_ledger(session=s) == []


def test_spend_beyond_balance_raises_and_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=2)
    with pytest.raises(InsufficientCredits) as exc, transaction(sessions) as s:
        ledger.spend(session=s, user_id=uid, amount=3, idempotency_key="too-much")
    assert exc.value.details == {"balance": 2, "needed": 3}
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 2
        assert _count_entries(s, uid) == 1


def test_insufficient_spend_inside_a_larger_transaction_keeps_its_other_work(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=1)
    with transaction(sessions) as s:
        ledger.spend(session=s, user_id=uid, amount=1, idempotency_key="ok")
        with pytest.raises(InsufficientCredits):
            ledger.spend(session=s, user_id=uid, amount=1, idempotency_key="refused")
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 0
        assert _count_entries(s, uid) == 2
        assert ledger.verify_ledger(session=s) == []


def test_replayed_spend_is_one_effect_and_returns_the_first_result(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=5)
    with transaction(sessions) as s:
        first = ledger.spend(session=s, user_id=uid, amount=2, idempotency_key="spend:asset-1:concepts:1")
    with transaction(sessions) as s:
        again = ledger.spend(session=s, user_id=uid, amount=2, idempotency_key="spend:asset-1:concepts:1")
    assert first.created and not again.created
    assert again.entry.id == first.entry.id and again.balance_after == 3
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 3
        assert _count_entries(s, uid) == 2


def test_reusing_a_key_for_another_operation_is_refused(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=5)
        ledger.spend(session=s, user_id=uid, amount=1, idempotency_key="k")
    with pytest.raises(IdempotencyConflict), transaction(sessions) as s:
        ledger.spend(session=s, user_id=uid, amount=2, idempotency_key="k")
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 4


def test_refunds_never_exceed_the_spend(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=5)
        ledger.spend(session=s, user_id=uid, amount=3, idempotency_key="sp")
        ledger.refund(session=s, spend_idempotency_key="sp", amount=2, idempotency_key="r-part-1")
    with pytest.raises(InvalidInput, match="exceed"), transaction(sessions) as s:
        ledger.refund(session=s, spend_idempotency_key="sp", amount=2, idempotency_key="r-part-2")
    with transaction(sessions) as s:
        twice = ledger.refund(session=s, spend_idempotency_key="sp", amount=2, idempotency_key="r-part-1")
        assert not twice.created
        ledger.refund(session=s, spend_idempotency_key="sp", amount=1, idempotency_key="r-part-3")
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 5
        assert ledger.verify_ledger(session=s) == []


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "3"])
def test_bad_amounts_are_refused_without_writing(sessions: sessionmaker[Session], amount: object) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=5)
    for op in (ledger.spend, ledger.grant):
        with pytest.raises(InvalidInput), transaction(sessions) as s:
            op(session=s, user_id=uid, amount=amount, idempotency_key=f"bad-{op.__name__}")  # type: ignore[operator]
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 5
        assert _count_entries(s) == 1


def test_unknown_user_and_bad_kinds_are_clear_errors(sessions: sessionmaker[Session]) -> None:
    ghost = uuid.uuid4()
    with pytest.raises(NotFound, match=str(ghost)), transaction(sessions) as s:
        ledger.grant(session=s, user_id=ghost, amount=5, idempotency_key="ghost")
    with transaction(sessions) as s:
        uid = make_user(s)
    with pytest.raises(InvalidInput, match="grant kind"), transaction(sessions) as s:
        ledger.grant(session=s, user_id=uid, amount=5, idempotency_key="x", kind=LedgerKind.SPEND)
    with pytest.raises(InvalidInput, match="reason"), transaction(sessions) as s:
        ledger.adjust(session=s, user_id=uid, amount=5, idempotency_key="y", reason=" ")
    with pytest.raises(NotFound), transaction(sessions) as s:
        ledger.refund(session=s, spend_idempotency_key="no-such-spend")
    with sessions() as s:
        assert _count_entries(s) == 0


def test_negative_adjustment_cannot_take_balance_below_zero(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=1)
    with pytest.raises(InsufficientCredits), transaction(sessions) as s:
        ledger.adjust(session=s, user_id=uid, amount=-2, idempotency_key="adj", reason="chargeback")
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 1


def test_verify_ledger_reports_a_tampered_balance(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=4)
        other = make_user(s, credits=1)
    with transaction(sessions) as s:
        user = s.get(User, uid)
        assert user is not None
        user.credit_balance = 9  # an edit outside the ledger
    with sessions() as s:
        report = ledger.verify_ledger(session=s)
    assert [(d.user_id, d.cached_balance, d.ledger_sum) for d in report] == [(uid, 9, 4)]
    assert other not in {d.user_id for d in report}


def _spend_concurrently(sessions: sessionmaker[Session], uid: uuid.UUID, threads: int, key: str | None) -> list[str]:
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        barrier.wait()
        try:
            with transaction(sessions) as s:
                res = ledger.spend(session=s, user_id=uid, amount=1, idempotency_key=key or f"spend-{i}")
            outcome = "ok" if res.created else "replayed"
        except InsufficientCredits:
            outcome = "insufficient"
        with lock:
            outcomes.append(outcome)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    return outcomes


def test_fifty_concurrent_spends_from_twenty_credits(sessions: sessionmaker[Session]) -> None:
    """50 threads each spend 1 from a balance of 20: exactly 20 succeed, never below zero."""
    with transaction(sessions) as s:
        uid = make_user(s, credits=20)
    outcomes = _spend_concurrently(sessions, uid, 50, key=None)
    assert sorted(set(outcomes)) == ["insufficient", "ok"]
    assert outcomes.count("ok") == 20 and outcomes.count("insufficient") == 30
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 0
        spends = s.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == LedgerKind.SPEND))
        assert spends == 20
        assert ledger.verify_ledger(session=s) == []


def test_concurrent_replays_of_one_key_are_one_effect(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=20)
    outcomes = _spend_concurrently(sessions, uid, 16, key="same-key")
    assert outcomes.count("ok") == 1 and outcomes.count("replayed") == 15
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 19
        assert ledger.verify_ledger(session=s) == []


def test_every_change_to_a_user_moves_updated_at(sessions: sessionmaker[Session]) -> None:
    """The analytics extract reads users by ``updated_at``: the ledger's Core UPDATE of the cached
    balance (grant, spend, refund, adjustment) and ORM changes (plan, activity) all move it."""
    from datetime import datetime
    from itertools import pairwise

    from core.enums import Plan
    from warehouse.users import set_plan, touch_activity

    def stamp() -> datetime:
        with sessions() as s:
            value = s.scalar(select(User.updated_at).where(User.id == uid))
        assert value is not None
        return value

    with transaction(sessions) as s:
        uid = make_user(s)
    seen = [stamp()]
    steps = [
        lambda s: ledger.grant(session=s, user_id=uid, amount=5, idempotency_key="u-g", kind=LedgerKind.GRANT_PROMO),
        lambda s: ledger.spend(session=s, user_id=uid, amount=2, idempotency_key="u-s"),
        lambda s: ledger.refund(session=s, spend_idempotency_key="u-s"),
        lambda s: ledger.adjust(session=s, user_id=uid, amount=-1, idempotency_key="u-a", reason="test"),
        lambda s: set_plan(session=s, user_id=uid, plan=Plan.PRO),
        lambda s: touch_activity(session=s, user_id=uid),
    ]
    for step in steps:
        with transaction(sessions) as s:
            step(s)
        seen.append(stamp())
    assert all(later > earlier for earlier, later in pairwise(seen)), seen
