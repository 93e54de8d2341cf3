"""A user's own usage: assets by status, storage used, this month's credit use against the plan."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.enums import Plan
from core.plans import PlanLimits
from warehouse.assets import list_assets, usage_counts
from warehouse.generation import GenerationRules
from warehouse.models import Asset, AssetFile
from warehouse.users import get_user


@dataclass(frozen=True)
class UserUsage:
    user_id: uuid.UUID
    credits: int
    plan: Plan
    limits: PlanLimits
    spent_this_month: int
    spends_last_hour: int
    active_jobs: int

    @property
    def remaining_before_cap(self) -> int:
        return max(0, self.limits.monthly_spend_cap - self.spent_this_month)


def user_usage(*, session: Session, rules: GenerationRules, user_id: uuid.UUID) -> UserUsage:
    user = get_user(session=session, user_id=user_id)
    counts = usage_counts(session=session, user_id=user_id)
    return UserUsage(
        user_id=user.id,
        credits=user.credit_balance,
        plan=user.plan,
        limits=rules.limits_for(user.plan),
        spent_this_month=counts.spent_this_month,
        spends_last_hour=counts.spends_last_hour,
        active_jobs=counts.active_jobs,
    )


@dataclass(frozen=True)
class UserAssetStats:
    by_status: dict[str, int]
    storage_bytes: int
    recent: list[Asset]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def user_asset_stats(*, session: Session, user_id: uuid.UUID, recent: int = 5) -> UserAssetStats:
    """Live assets by status, bytes of their files, and the newest few."""
    get_user(session=session, user_id=user_id)
    rows = session.execute(
        select(Asset.status, func.count())
        .where(Asset.user_id == user_id, Asset.deleted_at.is_(None))
        .group_by(Asset.status)
    ).all()
    storage = session.scalar(
        select(func.coalesce(func.sum(AssetFile.size_bytes), 0))
        .join(Asset, Asset.id == AssetFile.asset_id)
        .where(Asset.user_id == user_id, Asset.deleted_at.is_(None))
    )
    return UserAssetStats(
        by_status={str(status): int(n) for status, n in rows},
        storage_bytes=int(storage or 0),
        recent=list_assets(session=session, user_id=user_id, limit=recent),
    )
