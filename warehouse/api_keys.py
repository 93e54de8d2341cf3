"""Bearer API keys: created with a role, stored as SHA-256 hashes, shown in plaintext once."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.enums import Role
from core.errors import AuthError, InvalidInput, NotFound
from warehouse.models import ApiKey, User
from warehouse.types import utcnow

KEY_PREFIX = "mk3d_"


@dataclass(frozen=True)
class NewApiKey:
    """A freshly created key: ``plaintext`` is never stored and cannot be recovered."""

    record: ApiKey
    plaintext: str


def hash_key(plaintext: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_api_key(
    *,
    session: Session,
    name: str,
    role: Role,
    user_id: uuid.UUID | None = None,
    rate_limit_per_minute: int = 600,
) -> NewApiKey:
    """Create a key. A ``user`` key is bound to a user; admin and service keys are not."""
    role = Role(role)
    if role == Role.USER and user_id is None:
        raise InvalidInput("a user key must be bound to a user id")
    if role != Role.USER and user_id is not None:
        raise InvalidInput(f"{role} keys are not bound to a user")
    if user_id is not None and session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}", user_id=str(user_id))
    if not name.strip():
        raise InvalidInput("an API key needs a name")
    if rate_limit_per_minute < 1:
        raise InvalidInput("rate_limit_per_minute must be at least 1")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        name=name.strip()[:80],
        prefix=plaintext[: len(KEY_PREFIX) + 6],
        key_hash=hash_key(plaintext),
        role=role,
        user_id=user_id,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    session.add(record)
    session.flush()
    return NewApiKey(record=record, plaintext=plaintext)


def authenticate(*, session: Session, plaintext: str, touch: bool = True) -> ApiKey:
    """The live key matching ``plaintext``, or ``AuthError``."""
    if not plaintext or not plaintext.startswith(KEY_PREFIX):
        raise AuthError("missing or malformed API key")
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext)))
    if key is None or key.revoked_at is not None:
        raise AuthError("invalid or revoked API key")
    if touch:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=utcnow()))
    return key


def revoke_api_key(*, session: Session, key_id: uuid.UUID) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key
