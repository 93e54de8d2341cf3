"""The caller's own account: credits, plan limits, this month's use, asset stats."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ActingUser, RulesDep, SessionDep
from api.docs import AUTH, errors
from api.presenters import asset_summary
from api.schemas import MeStatsPublic, MonthUsage, UsagePublic
from warehouse.usage import user_asset_stats, user_usage

router = APIRouter(prefix="/v1/me", tags=["me"])


@router.get(
    "/usage",
    response_model=UsagePublic,
    summary="Credits, plan limits and this month's use",
    responses=errors(*AUTH, 404, 422),
)
def get_usage(user_id: ActingUser, session: SessionDep, rules: RulesDep) -> UsagePublic:
    usage = user_usage(session=session, rules=rules, user_id=user_id)
    return UsagePublic(
        user_id=usage.user_id,
        credits=usage.credits,
        plan=usage.plan,
        limits=usage.limits,
        this_month=MonthUsage(
            credits_spent=usage.spent_this_month,
            spend_cap=usage.limits.monthly_spend_cap,
            remaining_before_cap=usage.remaining_before_cap,
            paid_steps_last_hour=usage.spends_last_hour,
            active_jobs=usage.active_jobs,
        ),
    )


@router.get(
    "/stats",
    response_model=MeStatsPublic,
    summary="Your assets by status, storage used and recent assets",
    responses=errors(*AUTH, 404, 422),
)
def get_stats(user_id: ActingUser, session: SessionDep) -> MeStatsPublic:
    stats = user_asset_stats(session=session, user_id=user_id)
    return MeStatsPublic(
        assets_by_status=stats.by_status,
        assets_total=stats.total,
        storage_bytes=stats.storage_bytes,
        recent_assets=[asset_summary(a) for a in stats.recent],
    )
