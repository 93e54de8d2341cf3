"""Assets (generation jobs): creation, state transitions, files and mesh facts, listings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.enums import AssetFileKind, AssetStatus, GenerationMode, LedgerKind
from core.errors import Conflict, InvalidInput, NotFound
from core.states import ACTIVE_STATES, INITIAL_STATES, check_transition
from warehouse.models import Asset, AssetFile, LedgerEntry, Style, User
from warehouse.storage import StoredObject
from warehouse.types import utcnow

MAX_PROMPT = 2000


def create_asset(
    *,
    session: Session,
    user_id: uuid.UUID,
    mode: GenerationMode,
    prompt: str | None = None,
    input_image_key: str | None = None,
    style: str | None = None,
    skip_concept: bool = False,
    request_key: str | None = None,
    asset_id: uuid.UUID | None = None,
) -> tuple[Asset, bool]:
    """Create an asset in its initial state; return ``(asset, created)``.

    With a ``request_key`` (the client's Idempotency-Key) the same request twice gives the first
    asset back with ``created=False``.
    """
    mode = GenerationMode(mode)
    if request_key is not None:
        existing = session.scalar(select(Asset).where(Asset.user_id == user_id, Asset.request_key == request_key))
        if existing is not None:
            return existing, False
    if mode == GenerationMode.TEXT:
        if not prompt or not prompt.strip():
            raise InvalidInput("a text generation needs a prompt")
    elif input_image_key is None:
        raise InvalidInput("an image generation needs an input image")
    if prompt is not None and len(prompt) > MAX_PROMPT:
        raise InvalidInput(f"prompt is longer than {MAX_PROMPT} characters", length=len(prompt))
    if session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}", user_id=str(user_id))
    if style is not None and session.get(Style, style) is None:
        raise InvalidInput(f"unknown style {style!r}", style=style)
    status = AssetStatus.GENERATING_MODEL if skip_concept else AssetStatus.PENDING_CONCEPTS
    assert status in INITIAL_STATES
    asset = Asset(
        id=asset_id or uuid.uuid4(),
        user_id=user_id,
        mode=mode,
        prompt=prompt.strip() if prompt else None,
        input_image_key=input_image_key,
        style=style,
        skip_concept=skip_concept,
        status=status,
        request_key=request_key,
        concept_keys=[],
    )
    session.add(asset)
    session.flush()
    return asset, True


def find_by_request_key(*, session: Session, user_id: uuid.UUID, request_key: str) -> Asset | None:
    """The asset a client's earlier request with this Idempotency-Key created, if any."""
    return session.scalar(select(Asset).where(Asset.user_id == user_id, Asset.request_key == request_key))


def get_asset(*, session: Session, asset_id: uuid.UUID, user_id: uuid.UUID | None = None) -> Asset:
    """An asset; with ``user_id``, only if that user owns it (others get ``NotFound``, not a hint)."""
    asset = session.get(Asset, asset_id)
    if asset is None or asset.deleted_at is not None or (user_id is not None and asset.user_id != user_id):
        raise NotFound(f"no asset {asset_id}", asset_id=str(asset_id))
    return asset


def transition(
    *, session: Session, asset_id: uuid.UUID, expected: AssetStatus, target: AssetStatus, **changes: Any
) -> Asset:
    """Move an asset ``expected → target`` (checked by the state machine) with a compare-and-set.

    If another worker moved it first the update matches no row and ``Conflict`` is raised, so a
    state change is never lost or applied twice.
    """
    tgt = check_transition(expected, target)
    values: dict[str, Any] = {"status": tgt, "updated_at": utcnow(), **changes}
    if tgt == AssetStatus.COMPLETED:
        values.setdefault("completed_at", utcnow())
        values.setdefault("progress", 100)
    result = session.execute(
        update(Asset)
        .where(Asset.id == asset_id, Asset.status == expected)
        .values(**values)
        .returning(Asset.id)
        .execution_options(synchronize_session=False)
    )
    if result.first() is None:
        current = session.get(Asset, asset_id)
        if current is None:
            raise NotFound(f"no asset {asset_id}", asset_id=str(asset_id))
        session.refresh(current)
        raise Conflict(
            f"asset {asset_id} is {current.status}, not {expected}", current=str(current.status), expected=str(expected)
        )
    asset = session.get(Asset, asset_id)
    assert asset is not None
    session.refresh(asset)
    return asset


def update_asset(*, session: Session, asset_id: uuid.UUID, **changes: Any) -> Asset:
    """Change non-status fields (progress, keys, counters); the status goes through ``transition``."""
    if "status" in changes:
        raise InvalidInput("use transition() to change an asset's status")
    asset = get_asset(session=session, asset_id=asset_id)
    for name, value in changes.items():
        if not hasattr(Asset, name):
            raise InvalidInput(f"assets have no field {name!r}")
        setattr(asset, name, value)
    session.flush()
    return asset


def add_file(*, session: Session, asset_id: uuid.UUID, kind: AssetFileKind, stored: StoredObject) -> AssetFile:
    """Register a stored object as belonging to an asset."""
    row = AssetFile(
        asset_id=asset_id,
        kind=AssetFileKind(kind),
        key=stored.key,
        content_type=stored.content_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
    )
    session.add(row)
    session.flush()
    return row


def files_of(*, session: Session, asset_id: uuid.UUID, kinds: Sequence[AssetFileKind] | None = None) -> list[AssetFile]:
    stmt = select(AssetFile).where(AssetFile.asset_id == asset_id).order_by(AssetFile.created_at, AssetFile.key)
    if kinds:
        stmt = stmt.where(AssetFile.kind.in_(list(kinds)))
    return list(session.scalars(stmt))


def remove_files(*, session: Session, keys: Sequence[str]) -> int:
    """Forget file rows (the objects are deleted after the commit by the caller)."""
    if not keys:
        return 0
    rows = list(session.scalars(select(AssetFile).where(AssetFile.key.in_(list(keys)))))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def referenced_keys(*, session: Session) -> set[str]:
    """Every object key a row refers to (asset files, input images, current models, thumbnails)."""
    keys: set[str] = set(session.scalars(select(AssetFile.key)))
    for col in (Asset.input_image_key, Asset.model_key, Asset.thumbnail_key):
        keys.update(k for k in session.scalars(select(col).where(col.is_not(None))) if k)
    for concept_keys in session.scalars(select(Asset.concept_keys)):
        keys.update(k for k in (concept_keys or []) if isinstance(k, str))
    return keys


@dataclass(frozen=True)
class UsageCounts:
    """What the plan-limit checks need to know about a user's recent use."""

    active_jobs: int
    spends_last_hour: int
    spent_this_month: int


def usage_counts(*, session: Session, user_id: uuid.UUID, now: datetime | None = None) -> UsageCounts:
    now = now or utcnow()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    active = session.scalar(
        select(func.count())
        .select_from(Asset)
        .where(Asset.user_id == user_id, Asset.status.in_(list(ACTIVE_STATES)), Asset.deleted_at.is_(None))
    )
    spends_hour = session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(
            LedgerEntry.user_id == user_id,
            LedgerEntry.kind == LedgerKind.SPEND,
            LedgerEntry.created_at >= now - timedelta(hours=1),
        )
    )
    # Net of refunds: a failed generation that was refunded does not count against the month.
    spent_month = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.user_id == user_id,
            LedgerEntry.kind.in_([LedgerKind.SPEND, LedgerKind.REFUND]),
            LedgerEntry.created_at >= month_start,
        )
    )
    return UsageCounts(
        active_jobs=int(active or 0), spends_last_hour=int(spends_hour or 0), spent_this_month=-int(spent_month or 0)
    )


def list_assets(
    *,
    session: Session,
    user_id: uuid.UUID | None = None,
    public_only: bool = False,
    status: AssetStatus | None = None,
    search: str | None = None,
    before: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 20,
    file_kind: AssetFileKind | None = None,
) -> list[Asset]:
    """Assets newest first, keyset-paginated by ``(created_at, id)`` (stable under inserts).

    ``file_kind`` keeps assets that have a file of that kind (e.g. a ``glb`` model).
    """
    stmt = select(Asset).where(Asset.deleted_at.is_(None))
    if file_kind is not None:
        has_file = select(AssetFile.id).where(
            AssetFile.asset_id == Asset.id, AssetFile.kind == AssetFileKind(file_kind)
        )
        stmt = stmt.where(has_file.exists())
    if user_id is not None:
        stmt = stmt.where(Asset.user_id == user_id)
    if public_only:
        stmt = stmt.where(Asset.public.is_(True), Asset.status == AssetStatus.COMPLETED)
    if status is not None:
        stmt = stmt.where(Asset.status == AssetStatus(status))
    if search:
        stmt = stmt.where(func.lower(Asset.prompt).like(f"%{search.strip().lower()}%"))
    if before is not None:
        ts, aid = before
        stmt = stmt.where((Asset.created_at < ts) | ((Asset.created_at == ts) & (Asset.id < aid)))
    stmt = stmt.order_by(Asset.created_at.desc(), Asset.id.desc()).limit(max(1, min(limit, 100)))
    return list(session.scalars(stmt))


def stuck_assets(
    *, session: Session, older_than: timedelta, now: datetime | None = None, limit: int = 100
) -> list[Asset]:
    """Assets left in an active state with no update for longer than ``older_than``."""
    cutoff = (now or utcnow()) - older_than
    stmt = (
        select(Asset)
        .where(Asset.status.in_(list(ACTIVE_STATES)), Asset.updated_at < cutoff, Asset.deleted_at.is_(None))
        .order_by(Asset.updated_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def soft_delete(*, session: Session, asset_id: uuid.UUID, user_id: uuid.UUID | None = None) -> Asset:
    """Hide an asset (its files become orphans for purge-storage); refused while it is generating."""
    asset = get_asset(session=session, asset_id=asset_id, user_id=user_id)
    if asset.status in ACTIVE_STATES:
        raise Conflict(f"asset {asset_id} is still generating ({asset.status})")
    asset.deleted_at = utcnow()
    for f in list(asset.files):
        session.delete(f)
    asset.model_key = asset.thumbnail_key = asset.input_image_key = None
    asset.concept_keys = []
    session.flush()
    return asset
