"""Plan limits and the checks that apply them. Pure: callers pass in the usage they counted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from core.enums import Plan
from core.errors import PlanLimitExceeded


class PlanLimits(BaseModel):
    """What a plan allows.

    ``monthly_credits`` is the pool a subscription grants each billing period;
    ``monthly_spend_cap`` is the fair-use ceiling on credits spent per calendar month (UTC),
    purchased credits included; ``hourly_burst`` caps credit-spending steps per rolling hour;
    ``concurrent_jobs`` caps generations in progress; ``regeneration_cooldown_s`` is the wait
    between two model attempts of one asset; ``max_concept_sets`` caps concept regenerations.
    """

    monthly_credits: int = Field(ge=0)
    monthly_spend_cap: int = Field(ge=0)
    hourly_burst: int = Field(ge=1)
    concurrent_jobs: int = Field(ge=1)
    regeneration_cooldown_s: int = Field(ge=0)
    max_concept_sets: int = Field(3, ge=1)
    price_cents: int = Field(0, ge=0)


DEFAULT_PLAN_LIMITS: Mapping[Plan, PlanLimits] = {
    Plan.FREE: PlanLimits(
        monthly_credits=5, monthly_spend_cap=200, hourly_burst=10, concurrent_jobs=2, regeneration_cooldown_s=60
    ),
    Plan.STARTER: PlanLimits(
        monthly_credits=50,
        monthly_spend_cap=1_000,
        hourly_burst=40,
        concurrent_jobs=3,
        regeneration_cooldown_s=30,
        price_cents=900,
    ),
    Plan.PRO: PlanLimits(
        monthly_credits=200,
        monthly_spend_cap=5_000,
        hourly_burst=120,
        concurrent_jobs=5,
        regeneration_cooldown_s=10,
        max_concept_sets=5,
        price_cents=2900,
    ),
    Plan.STUDIO: PlanLimits(
        monthly_credits=1_000,
        monthly_spend_cap=20_000,
        hourly_burst=400,
        concurrent_jobs=10,
        regeneration_cooldown_s=0,
        max_concept_sets=10,
        price_cents=9900,
    ),
}


def check_generation_allowed(
    limits: PlanLimits, *, cost: int, spent_this_month: int, spends_last_hour: int, active_jobs: int
) -> None:
    """Raise ``PlanLimitExceeded`` if a new credit-spending generation step is not allowed."""
    if active_jobs >= limits.concurrent_jobs:
        raise PlanLimitExceeded(
            f"{active_jobs} generations already in progress; the plan allows {limits.concurrent_jobs} at once",
            limit="concurrent_jobs",
            retry_after_s=10.0,
        )
    if cost > 0 and spends_last_hour >= limits.hourly_burst:
        raise PlanLimitExceeded(
            f"{spends_last_hour} paid steps in the last hour; the plan allows {limits.hourly_burst}",
            limit="hourly_burst",
            retry_after_s=300.0,
        )
    if spent_this_month + cost > limits.monthly_spend_cap:
        raise PlanLimitExceeded(
            f"{spent_this_month} credits spent this month; the plan caps spending at {limits.monthly_spend_cap}",
            limit="monthly_spend_cap",
        )


def check_regeneration_cooldown(limits: PlanLimits, *, last_attempt_at: datetime | None, now: datetime) -> None:
    """Raise ``PlanLimitExceeded`` if a model regeneration comes within the cooldown."""
    if last_attempt_at is None or limits.regeneration_cooldown_s == 0:
        return
    ready_at = last_attempt_at + timedelta(seconds=limits.regeneration_cooldown_s)
    if now < ready_at:
        wait = (ready_at - now).total_seconds()
        raise PlanLimitExceeded(
            f"model regeneration is cooling down; try again in {wait:.0f} s",
            limit="regeneration_cooldown",
            retry_after_s=wait,
        )


def check_concept_sets(limits: PlanLimits, *, sets_so_far: int) -> None:
    """Raise ``PlanLimitExceeded`` if another concept set for one asset is over the plan's limit."""
    if sets_so_far >= limits.max_concept_sets:
        raise PlanLimitExceeded(
            f"this asset already has {sets_so_far} concept sets; the plan allows {limits.max_concept_sets}",
            limit="max_concept_sets",
        )
