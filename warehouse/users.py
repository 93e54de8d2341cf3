"""Users: creation, lookup and activity."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.enums import Plan, Role
from core.errors import Conflict, InvalidInput, NotFound
from warehouse.models import User
from warehouse.types import utcnow

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def create_user(
    *,
    session: Session,
    email: str,
    display_name: str | None = None,
    plan: Plan = Plan.FREE,
    role: Role = Role.USER,
    created_at: datetime | None = None,
) -> User:
    """Create a user with a zero balance; e-mail addresses are unique (case-insensitive)."""
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"invalid e-mail address {email!r}", email=email)
    try:
        plan, role = Plan(plan), Role(role)
    except ValueError as e:
        raise InvalidInput(str(e)) from e
    user = User(email=email, display_name=display_name, plan=plan, role=role, created_at=created_at or utcnow())
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as e:
        raise Conflict(f"a user with e-mail {email} already exists", email=email) from e
    return user


def get_user(*, session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", user_id=str(user_id))
    return user


def get_user_by_email(*, session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def set_plan(*, session: Session, user_id: uuid.UUID, plan: Plan) -> User:
    user = get_user(session=session, user_id=user_id)
    user.plan = Plan(plan)
    return user


def touch_activity(*, session: Session, user_id: uuid.UUID, at: datetime | None = None) -> None:
    user = get_user(session=session, user_id=user_id)
    user.last_active_at = at or utcnow()


def search_users(
    *, session: Session, query: str | None = None, after_id: uuid.UUID | None = None, limit: int = 50
) -> Sequence[User]:
    """Users whose e-mail or name contains ``query``, by id, after a cursor (keyset pagination)."""
    stmt = select(User).order_by(User.id).limit(max(1, min(limit, 500)))
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(or_(User.email.like(like), func.lower(User.display_name).like(like)))
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    return list(session.scalars(stmt))
