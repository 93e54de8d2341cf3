"""Paid generation steps: limits, charges, idempotency, refunds on failure, concurrency."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.enums import AssetStatus, GenerationMode, Plan
from core.errors import Conflict, InsufficientCredits, InvalidInput, PlanLimitExceeded
from core.plans import DEFAULT_PLAN_LIMITS
from tests.utils.factories import make_user
from warehouse import assets, generation, ledger
from warehouse.db import transaction
from warehouse.generation import GenerationRules
from warehouse.types import utcnow

RULES = GenerationRules()


def _start(s: Session, uid: uuid.UUID, **kw: object) -> uuid.UUID:
    asset, _ = generation.request_generation(
        session=s,
        rules=RULES,
        user_id=uid,
        mode=GenerationMode.TEXT,
        prompt="a brass owl",
        **kw,  # type: ignore[arg-type]
    )
    return asset.id


def test_full_paid_path_costs_what_the_product_design_says(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=5, plan=Plan.STUDIO)
        aid = _start(s, uid)  # concepts: 1 credit
        assets.transition(
            session=s,
            asset_id=aid,
            expected=AssetStatus.PENDING_CONCEPTS,
            target=AssetStatus.CONCEPTS_GENERATED,
            concept_keys=["c0.png", "c1.png"],
        )
        generation.choose_concept(session=s, rules=RULES, asset_id=aid, user_id=uid, concept=1)  # first model: free
        assets.transition(session=s, asset_id=aid, expected=AssetStatus.GENERATING_MODEL, target=AssetStatus.COMPLETED)
        generation.regenerate_model(session=s, rules=RULES, asset_id=aid, user_id=uid)  # regeneration: 1 credit
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 3
        a = assets.get_asset(session=s, asset_id=aid)
        assert (a.status, a.model_attempts, a.chosen_concept) == (AssetStatus.GENERATING_MODEL, 2, 1)


def test_insufficient_credits_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=0)
    with pytest.raises(InsufficientCredits), transaction(sessions) as s:
        _start(s, uid)
    with sessions() as s:
        assert assets.list_assets(session=s, user_id=uid) == []


def test_same_request_key_is_one_generation_and_one_charge(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=5)
        first = _start(s, uid, request_key="idem-1")
    with transaction(sessions) as s:
        again = _start(s, uid, request_key="idem-1")
    assert first == again
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 4


def test_failure_refunds_the_step_once(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=2)
        aid = _start(s, uid, skip_concept=True)
    with transaction(sessions) as s:
        asset, refund = generation.fail_generation(session=s, asset_id=aid, error="GPU fell over")
        assert refund is not None and refund.amount == 1
        assert asset.status == AssetStatus.FAILED and asset.error == "GPU fell over"
    with transaction(sessions) as s:
        _, again = generation.fail_generation(session=s, asset_id=aid, error="GPU fell over")
        assert again is None
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 2
        assert ledger.verify_ledger(session=s) == []


def test_free_first_model_attempt_has_nothing_to_refund(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=1)
        aid = _start(s, uid)
        assets.transition(
            session=s,
            asset_id=aid,
            expected=AssetStatus.PENDING_CONCEPTS,
            target=AssetStatus.CONCEPTS_GENERATED,
            concept_keys=["a", "b"],
        )
        generation.choose_concept(session=s, rules=RULES, asset_id=aid, user_id=uid, concept=0)
        _, refund = generation.fail_generation(session=s, asset_id=aid, error="x")
    assert refund is None
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 0


def test_limits_and_bad_choices(sessions: sessionmaker[Session]) -> None:
    free = DEFAULT_PLAN_LIMITS[Plan.FREE]
    with transaction(sessions) as s:
        uid = make_user(s, credits=50)
        for _ in range(free.concurrent_jobs):
            _start(s, uid)
    with pytest.raises(PlanLimitExceeded, match="in progress"), transaction(sessions) as s:
        _start(s, uid)
    with transaction(sessions) as s:
        aid = assets.list_assets(session=s, user_id=uid)[0].id
        assets.transition(
            session=s,
            asset_id=aid,
            expected=AssetStatus.PENDING_CONCEPTS,
            target=AssetStatus.CONCEPTS_GENERATED,
            concept_keys=["a", "b"],
        )
    with pytest.raises(InvalidInput, match="between 0 and 1"), transaction(sessions) as s:
        generation.choose_concept(session=s, rules=RULES, asset_id=aid, user_id=uid, concept=2)
    with pytest.raises(Conflict), transaction(sessions) as s:
        generation.regenerate_model(session=s, rules=RULES, asset_id=aid, user_id=uid)
    with transaction(sessions) as s:
        generation.choose_concept(session=s, rules=RULES, asset_id=aid, user_id=uid, concept=0)
        assets.transition(session=s, asset_id=aid, expected=AssetStatus.GENERATING_MODEL, target=AssetStatus.COMPLETED)
    with pytest.raises(PlanLimitExceeded, match="cooling down"), transaction(sessions) as s:
        generation.regenerate_model(session=s, rules=RULES, asset_id=aid, user_id=uid)
    with transaction(sessions) as s:
        later = utcnow() + timedelta(seconds=free.regeneration_cooldown_s + 1)
        generation.regenerate_model(session=s, rules=RULES, asset_id=aid, user_id=uid, now=later)


def test_twenty_concurrent_generations_with_five_credits(sessions: sessionmaker[Session]) -> None:
    """Exactly 5 start, 15 are refused, the balance never goes negative and the books balance."""
    with transaction(sessions) as s:
        uid = make_user(s, credits=5, plan=Plan.STUDIO)
    outcomes: list[str] = []
    barrier = threading.Barrier(20)
    lock = threading.Lock()

    def request(i: int) -> None:
        barrier.wait()
        try:
            with transaction(sessions) as s:
                _start(s, uid, request_key=f"r{i}")
            out = "ok"
        except InsufficientCredits:
            out = "insufficient"
        except PlanLimitExceeded:
            out = "limited"
        with lock:
            outcomes.append(out)

    threads = [threading.Thread(target=request, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 5 and outcomes.count("insufficient") == 15
    with sessions() as s:
        assert ledger.balance(session=s, user_id=uid) == 0
        assert len(assets.list_assets(session=s, user_id=uid)) == 5
        assert ledger.verify_ledger(session=s) == []


def test_concurrent_requests_respect_the_concurrent_jobs_limit(sessions: sessionmaker[Session]) -> None:
    limit = DEFAULT_PLAN_LIMITS[Plan.FREE].concurrent_jobs
    with transaction(sessions) as s:
        uid = make_user(s, credits=100, plan=Plan.FREE)
    outcomes: list[str] = []
    barrier = threading.Barrier(10)

    def request(i: int) -> None:
        barrier.wait()
        try:
            with transaction(sessions) as s:
                _start(s, uid, request_key=f"c{i}")
            outcomes.append("ok")
        except PlanLimitExceeded:
            outcomes.append("limited")

    threads = [threading.Thread(target=request, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == limit and outcomes.count("limited") == 10 - limit
