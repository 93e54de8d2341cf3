"""The credit ledger: append-only entries, exact balances, idempotent operations.

Every operation writes one entry with a UNIQUE idempotency key and changes the user's cached
balance in the same transaction with a conditional update (``… WHERE credit_balance >= :n``),
so a balance never goes negative, even under concurrent spends. The balance change and the
entry insert run inside one SAVEPOINT: if a concurrent transaction inserted the same key first,
both roll back and the first result is returned. Errors are corrected by new entries, never by
edits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.enums import GRANT_KINDS, LedgerKind
from core.errors import IdempotencyConflict, InsufficientCredits, InvalidInput, NotFound
from warehouse.models import LedgerEntry, User
from warehouse.types import utcnow

MAX_AMOUNT = 1_000_000_000


@dataclass(frozen=True)
class LedgerResult:
    """The entry an operation wrote, or found when its idempotency key was already used."""

    entry: LedgerEntry
    created: bool

    @property
    def balance_after(self) -> int:
        return self.entry.balance_after


@dataclass(frozen=True)
class LedgerDiscrepancy:
    """A user whose cached balance differs from the sum of their ledger entries."""

    user_id: uuid.UUID
    cached_balance: int
    ledger_sum: int


def _check_amount(amount: int, *, allow_negative: bool = False) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(f"credit amounts are whole numbers, got {amount!r}", amount=repr(amount))
    if amount == 0 or (amount < 0 and not allow_negative):
        raise InvalidInput(f"credit amount must be {'non-zero' if allow_negative else 'positive'}, got {amount}")
    if abs(amount) > MAX_AMOUNT:
        raise InvalidInput(f"credit amount {amount} exceeds the limit of {MAX_AMOUNT}", amount=amount)


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise InvalidInput("an idempotency key is a non-empty string of at most 200 characters")


def _find(session: Session, key: str) -> LedgerEntry | None:
    return session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def _replay(existing: LedgerEntry, *, user_id: uuid.UUID, kind: LedgerKind, amount: int) -> LedgerResult:
    if existing.user_id != user_id or existing.kind != kind or existing.amount != amount:
        raise IdempotencyConflict(
            f"idempotency key {existing.idempotency_key!r} was already used for a different ledger operation "
            f"({existing.kind} of {existing.amount} for user {existing.user_id})",
            idempotency_key=existing.idempotency_key,
        )
    return LedgerResult(entry=existing, created=False)


def _post(
    session: Session,
    *,
    user_id: uuid.UUID,
    kind: LedgerKind,
    amount: int,
    idempotency_key: str,
    reference_type: str | None,
    reference_id: str | None,
    memo: str | None,
    refunds_entry_id: uuid.UUID | None = None,
) -> LedgerResult:
    """Change the balance and append the entry, or return the entry already under the key.

    The common path (a new key) is three statements: SAVEPOINT, conditional UPDATE … RETURNING,
    INSERT … RETURNING. The key is looked up only when the INSERT hits the unique index (a replay,
    possibly concurrent) or when the balance is short (a replay of a spend that emptied it must
    still return its first result rather than ``InsufficientCredits``).
    """
    _check_key(idempotency_key)
    try:
        with session.begin_nested():
            cond = User.id == user_id
            if amount < 0:
                cond = cond & (User.credit_balance >= -amount)
            new_balance = session.execute(
                update(User)
                .where(cond)
                .values(credit_balance=User.credit_balance + amount)
                .returning(User.credit_balance)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            if new_balance is None:
                existing = _find(session, idempotency_key)
                if existing is not None:
                    return _replay(existing, user_id=user_id, kind=kind, amount=amount)
                current = session.scalar(select(User.credit_balance).where(User.id == user_id))
                if current is None:
                    raise NotFound(f"no user {user_id}", user_id=str(user_id))
                raise InsufficientCredits(
                    f"user {user_id} has {current} credits; {-amount} needed", balance=int(current), needed=-amount
                )
            entry = session.scalars(
                insert(LedgerEntry).returning(LedgerEntry),
                [
                    {
                        "id": uuid.uuid4(),
                        "user_id": user_id,
                        "kind": kind,
                        "amount": amount,
                        "balance_after": new_balance,
                        "idempotency_key": idempotency_key,
                        "reference_type": reference_type,
                        "reference_id": reference_id,
                        "refunds_entry_id": refunds_entry_id,
                        "memo": memo,
                        "created_at": utcnow(),
                    }
                ],
            ).one()
    except IntegrityError:
        # The key exists (committed by us earlier or by a concurrent transaction); the savepoint
        # undid our balance change, so the replay has no effect.
        existing = _find(session, idempotency_key)
        if existing is None:
            raise
        return _replay(existing, user_id=user_id, kind=kind, amount=amount)
    cached = session.identity_map.get(session.identity_key(User, user_id))
    if isinstance(cached, User):
        set_committed_value(cached, "credit_balance", new_balance)
    return LedgerResult(entry=entry, created=True)


def grant(
    *,
    session: Session,
    user_id: uuid.UUID,
    amount: int,
    idempotency_key: str,
    kind: LedgerKind = LedgerKind.GRANT_PURCHASE,
    reference_type: str | None = None,
    reference_id: str | None = None,
    memo: str | None = None,
) -> LedgerResult:
    """Add ``amount`` credits (a purchase, promotion or subscription grant)."""
    if kind not in GRANT_KINDS:
        raise InvalidInput(f"{kind} is not a grant kind", kind=str(kind))
    _check_amount(amount)
    return _post(
        session,
        user_id=user_id,
        kind=kind,
        amount=amount,
        idempotency_key=idempotency_key,
        reference_type=reference_type,
        reference_id=reference_id,
        memo=memo,
    )


def spend(
    *,
    session: Session,
    user_id: uuid.UUID,
    amount: int,
    idempotency_key: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
    memo: str | None = None,
) -> LedgerResult:
    """Take ``amount`` credits, or raise ``InsufficientCredits`` and write nothing."""
    _check_amount(amount)
    return _post(
        session,
        user_id=user_id,
        kind=LedgerKind.SPEND,
        amount=-amount,
        idempotency_key=idempotency_key,
        reference_type=reference_type,
        reference_id=reference_id,
        memo=memo,
    )


def refund(
    *,
    session: Session,
    spend_idempotency_key: str,
    amount: int | None = None,
    idempotency_key: str | None = None,
    memo: str | None = None,
) -> LedgerResult:
    """Give back (part of) a spend. By default the whole spend, once (key ``refund:<spend key>``).

    Refunds of one spend never add up to more than it took.
    """
    original = _find(session, spend_idempotency_key)
    if original is None or original.kind != LedgerKind.SPEND:
        raise NotFound(
            f"no spend with idempotency key {spend_idempotency_key!r}", idempotency_key=spend_idempotency_key
        )
    key = idempotency_key or f"refund:{spend_idempotency_key}"
    value = -original.amount if amount is None else amount
    _check_amount(value)
    existing = _find(session, key)
    if existing is not None:
        return _replay(existing, user_id=original.user_id, kind=LedgerKind.REFUND, amount=value)
    already = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.refunds_entry_id == original.id)
    )
    if int(already or 0) + value > -original.amount:
        raise InvalidInput(
            f"refund of {value} would exceed the spend of {-original.amount} ({already} already refunded)",
            refunded=int(already or 0),
            spent=-original.amount,
        )
    return _post(
        session,
        user_id=original.user_id,
        kind=LedgerKind.REFUND,
        amount=value,
        idempotency_key=key,
        reference_type=original.reference_type,
        reference_id=original.reference_id,
        memo=memo,
        refunds_entry_id=original.id,
    )


def adjust(
    *,
    session: Session,
    user_id: uuid.UUID,
    amount: int,
    idempotency_key: str,
    reason: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
) -> LedgerResult:
    """Correct a balance by a signed ``amount`` with a stated reason (never below zero)."""
    _check_amount(amount, allow_negative=True)
    if not reason or not reason.strip():
        raise InvalidInput("an adjustment needs a reason")
    return _post(
        session,
        user_id=user_id,
        kind=LedgerKind.ADJUSTMENT,
        amount=amount,
        idempotency_key=idempotency_key,
        reference_type=reference_type,
        reference_id=reference_id,
        memo=reason.strip()[:500],
    )


def find_entry(*, session: Session, idempotency_key: str) -> LedgerEntry | None:
    """The entry written under ``idempotency_key``, if any."""
    return _find(session, idempotency_key)


def balance(*, session: Session, user_id: uuid.UUID) -> int:
    """The cached balance of a user."""
    value = session.scalar(select(User.credit_balance).where(User.id == user_id))
    if value is None:
        raise NotFound(f"no user {user_id}", user_id=str(user_id))
    return int(value)


def ledger_sum(*, session: Session, user_id: uuid.UUID) -> int:
    """Σ of a user's ledger entries (what the cached balance must equal)."""
    return int(
        session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.user_id == user_id))
        or 0
    )


def entries(*, session: Session, user_id: uuid.UUID, limit: int = 100) -> list[LedgerEntry]:
    """A user's entries, newest first."""
    stmt = (
        select(LedgerEntry)
        .where(LedgerEntry.user_id == user_id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def verify_ledger(*, session: Session) -> list[LedgerDiscrepancy]:
    """Every user whose cached balance ≠ Σ entries, or whose balance is negative."""
    sums = (
        select(LedgerEntry.user_id, func.sum(LedgerEntry.amount).label("total"))
        .group_by(LedgerEntry.user_id)
        .subquery()
    )
    total = func.coalesce(sums.c.total, 0)
    stmt = (
        select(User.id, User.credit_balance, total)
        .outerjoin(sums, sums.c.user_id == User.id)
        .where((User.credit_balance != total) | (User.credit_balance < 0))
        .order_by(User.id)
    )
    return [LedgerDiscrepancy(uid, int(bal), int(s)) for uid, bal, s in session.execute(stmt)]
