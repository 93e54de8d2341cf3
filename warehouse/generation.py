"""The rules of a generation's paid steps, used by the API (synchronously) and by the flows.

Each paid step checks the plan's limits, moves the asset through the state machine and spends
its credits in one transaction, with the idempotency key ``spend:<asset>:<stage>:<attempt>``.
A failed step refunds exactly that spend (``refund:<spend key>``), so retries, replays and
concurrent deliveries never charge or refund twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.credits import CreditCosts, spend_key
from core.enums import AssetStatus, GenerationMode, Plan
from core.errors import Conflict, InvalidInput
from core.plans import (
    DEFAULT_PLAN_LIMITS,
    PlanLimits,
    check_concept_sets,
    check_generation_allowed,
    check_regeneration_cooldown,
)
from warehouse import assets, ledger
from warehouse.models import Asset, LedgerEntry, User
from warehouse.types import utcnow
from warehouse.users import get_user

STAGE_CONCEPTS = "concepts"
STAGE_MODEL = "model"


@dataclass(frozen=True)
class GenerationRules:
    """Credit costs and plan limits in force (from settings; defaults from the product design)."""

    costs: CreditCosts = field(default_factory=CreditCosts)
    limits: Mapping[Plan, PlanLimits] | None = None

    def limits_for(self, plan: Plan) -> PlanLimits:
        return (self.limits or DEFAULT_PLAN_LIMITS)[Plan(plan)]


@dataclass(frozen=True)
class StepCharge:
    """What a paid step spent: the key to refund it by, and the amount (0 for free steps)."""

    idempotency_key: str | None
    amount: int


def _charge(session: Session, *, asset: Asset, stage: str, attempt: int, amount: int, memo: str) -> StepCharge:
    if amount <= 0:
        return StepCharge(idempotency_key=None, amount=0)
    key = spend_key(asset.id, stage, attempt)
    ledger.spend(
        session=session,
        user_id=asset.user_id,
        amount=amount,
        idempotency_key=key,
        reference_type="asset",
        reference_id=str(asset.id),
        memo=memo,
    )
    return StepCharge(idempotency_key=key, amount=amount)


def _check_limits(session: Session, rules: GenerationRules, *, user_id: uuid.UUID, cost: int, new_job: bool) -> None:
    # Lock the user's row so concurrent requests count each other's jobs (Postgres; SQLite
    # transactions are already serialised by BEGIN IMMEDIATE).
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    user = get_user(session=session, user_id=user_id)
    counts = assets.usage_counts(session=session, user_id=user_id)
    check_generation_allowed(
        rules.limits_for(user.plan),
        cost=cost,
        spent_this_month=counts.spent_this_month,
        spends_last_hour=counts.spends_last_hour,
        active_jobs=counts.active_jobs if new_job else max(0, counts.active_jobs - 1),
    )


def request_generation(
    *,
    session: Session,
    rules: GenerationRules,
    user_id: uuid.UUID,
    mode: GenerationMode,
    prompt: str | None = None,
    input_image_key: str | None = None,
    style: str | None = None,
    skip_concept: bool = False,
    request_key: str | None = None,
    asset_id: uuid.UUID | None = None,
) -> tuple[Asset, bool]:
    """Start a generation: plan limits, a new asset, and its first paid step, atomically.

    Returns ``(asset, created)``; the same ``request_key`` twice returns the first asset and
    charges nothing more. Raises ``PlanLimitExceeded`` or ``InsufficientCredits`` (nothing written).
    """
    cost = rules.costs.skip_concept if skip_concept else rules.costs.concepts_cost(1)
    with session.begin_nested():
        if request_key is not None:
            prior = assets.find_by_request_key(session=session, user_id=user_id, request_key=request_key)
            if prior is not None:
                return prior, False
        _check_limits(session, rules, user_id=user_id, cost=cost, new_job=True)
        asset, created = assets.create_asset(
            session=session,
            user_id=user_id,
            mode=mode,
            prompt=prompt,
            input_image_key=input_image_key,
            style=style,
            skip_concept=skip_concept,
            request_key=request_key,
            asset_id=asset_id,
        )
        if skip_concept:
            asset.model_attempts = 1
            asset.last_model_attempt_at = utcnow()
            _charge(session, asset=asset, stage=STAGE_MODEL, attempt=1, amount=cost, memo="skip-concept generation")
        else:
            asset.concept_attempts = 1
            _charge(session, asset=asset, stage=STAGE_CONCEPTS, attempt=1, amount=cost, memo="concept generation")
        session.flush()
    return asset, created


def regenerate_concepts(*, session: Session, rules: GenerationRules, asset_id: uuid.UUID, user_id: uuid.UUID) -> Asset:
    """A new set of concepts for an asset (limited per plan; costs ``concept_regeneration``)."""
    with session.begin_nested():
        asset = assets.get_asset(session=session, asset_id=asset_id, user_id=user_id)
        if asset.skip_concept:
            raise Conflict("this generation skipped concepts")
        user = get_user(session=session, user_id=user_id)
        check_concept_sets(rules.limits_for(user.plan), sets_so_far=asset.concept_attempts)
        attempt = asset.concept_attempts + 1
        cost = rules.costs.concepts_cost(attempt)
        _check_limits(session, rules, user_id=user_id, cost=cost, new_job=True)
        asset = assets.transition(
            session=session,
            asset_id=asset_id,
            expected=asset.status,
            target=AssetStatus.PENDING_CONCEPTS,
            concept_attempts=attempt,
            chosen_concept=None,
            progress=0,
            error=None,
        )
        _charge(session, asset=asset, stage=STAGE_CONCEPTS, attempt=attempt, amount=cost, memo="concept regeneration")
    return asset


def _start_model_attempt(
    session: Session,
    rules: GenerationRules,
    asset: Asset,
    *,
    memo: str,
    now: datetime | None = None,
    **changes: Any,
) -> Asset:
    """Plan limits, ``→ GENERATING_MODEL`` with the next attempt number, and that attempt's charge."""
    attempt = asset.model_attempts + 1
    cost = rules.costs.model_attempt_cost(attempt)
    _check_limits(session, rules, user_id=asset.user_id, cost=cost, new_job=True)
    started = assets.transition(
        session=session,
        asset_id=asset.id,
        expected=asset.status,
        target=AssetStatus.GENERATING_MODEL,
        model_attempts=attempt,
        last_model_attempt_at=now or utcnow(),
        progress=0,
        error=None,
        **changes,
    )
    _charge(session, asset=started, stage=STAGE_MODEL, attempt=attempt, amount=cost, memo=memo)
    return started


def choose_concept(
    *, session: Session, rules: GenerationRules, asset_id: uuid.UUID, user_id: uuid.UUID, concept: int
) -> Asset:
    """Pick a concept and start the asset's first model attempt (free by default)."""
    with session.begin_nested():
        asset = assets.get_asset(session=session, asset_id=asset_id, user_id=user_id)
        if asset.status != AssetStatus.CONCEPTS_GENERATED:
            raise Conflict(f"concepts can be chosen once they are generated; the asset is {asset.status}")
        if not 0 <= concept < len(asset.concept_keys or []):
            raise InvalidInput(
                f"concept must be between 0 and {len(asset.concept_keys or []) - 1}, got {concept}", concept=concept
            )
        asset = _start_model_attempt(session, rules, asset, memo="model generation", chosen_concept=concept)
    return asset


def regenerate_model(
    *, session: Session, rules: GenerationRules, asset_id: uuid.UUID, user_id: uuid.UUID, now: datetime | None = None
) -> Asset:
    """Another model attempt for a completed (or failed) asset: cooldown, then ``model_regeneration``."""
    with session.begin_nested():
        asset = assets.get_asset(session=session, asset_id=asset_id, user_id=user_id)
        if asset.status not in (AssetStatus.COMPLETED, AssetStatus.FAILED) or asset.model_attempts == 0:
            raise Conflict(f"a model can be regenerated once one was attempted; the asset is {asset.status}")
        user = get_user(session=session, user_id=user_id)
        check_regeneration_cooldown(
            rules.limits_for(user.plan), last_attempt_at=asset.last_model_attempt_at, now=now or utcnow()
        )
        asset = _start_model_attempt(session, rules, asset, memo="model regeneration", now=now)
    return asset


def current_spend_key(asset: Asset) -> str:
    """The idempotency key of the spend that paid for the step the asset is in."""
    if asset.status == AssetStatus.PENDING_CONCEPTS:
        return spend_key(asset.id, STAGE_CONCEPTS, max(asset.concept_attempts, 1))
    return spend_key(asset.id, STAGE_MODEL, max(asset.model_attempts, 1))


def fail_generation(*, session: Session, asset_id: uuid.UUID, error: str) -> tuple[Asset, LedgerEntry | None]:
    """Mark the asset ``FAILED`` with the error and refund the step it was in (idempotent).

    Returns the asset and the refund entry (None when the step was free). Failing an asset that is
    already ``FAILED`` refunds nothing more.
    """
    with session.begin_nested():
        asset = assets.get_asset(session=session, asset_id=asset_id)
        if asset.status == AssetStatus.FAILED:
            return asset, None
        key = current_spend_key(asset)
        asset = assets.transition(
            session=session, asset_id=asset_id, expected=asset.status, target=AssetStatus.FAILED, error=error[:4000]
        )
        refund: LedgerEntry | None = None
        if ledger.find_entry(session=session, idempotency_key=key) is not None:
            refund = ledger.refund(session=session, spend_idempotency_key=key, memo=f"refund: {error[:200]}").entry
    return asset, refund
