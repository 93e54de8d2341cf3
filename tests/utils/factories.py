"""Factories: users with balances, priced data, and the like."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from core.enums import Plan
from warehouse import ledger
from warehouse.users import create_user


def make_user(session: Session, *, credits: int = 0, plan: Plan = Plan.FREE, email: str | None = None) -> uuid.UUID:
    """A user holding ``credits`` (granted through the ledger, so the books balance)."""
    user = create_user(session=session, email=email or f"user-{uuid.uuid4().hex[:10]}@example.com", plan=plan)
    if credits:
        ledger.grant(session=session, user_id=user.id, amount=credits, idempotency_key=f"test-grant:{user.id}")
    return user.id
