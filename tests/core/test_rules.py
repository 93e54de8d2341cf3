"""Pure domain rules: the state machine, credit costs, plan limits, print pricing, settings."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.credits import CreditCosts
from core.enums import AssetStatus, Plan
from core.errors import BuildVolumeExceeded, IllegalTransition, InvalidInput, PlanLimitExceeded
from core.plans import DEFAULT_PLAN_LIMITS, check_concept_sets, check_generation_allowed, check_regeneration_cooldown
from core.pricing import check_build_volume, quote_print
from core.settings import Settings
from core.states import ASSET_TRANSITIONS, check_transition

S = AssetStatus


def test_every_status_has_a_row_and_legal_paths_work() -> None:
    assert set(ASSET_TRANSITIONS) == set(AssetStatus)
    path = [S.PENDING_CONCEPTS, S.CONCEPTS_GENERATED, S.GENERATING_MODEL, S.COMPLETED, S.GENERATING_MODEL, S.FAILED]
    for a, b in itertools.pairwise(path):
        assert check_transition(a, b) == b


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (S.PENDING_CONCEPTS, S.COMPLETED),
        (S.COMPLETED, S.FAILED),
        (S.COMPLETED, S.PENDING_CONCEPTS),
        ("BOGUS", S.FAILED),
    ],
)
def test_illegal_transitions_are_refused_clearly(a: str, b: str) -> None:
    with pytest.raises(IllegalTransition) as exc:
        check_transition(a, b)
    assert str(b) in exc.value.message or "unknown" in exc.value.message


def test_credit_costs_follow_the_product_design() -> None:
    costs = CreditCosts()
    assert (costs.concepts_cost(1), costs.model_attempt_cost(1), costs.model_attempt_cost(2), costs.skip_concept) == (
        1,
        0,
        1,
        1,
    )
    with pytest.raises(InvalidInput):
        costs.model_attempt_cost(0)


def test_plan_limits() -> None:
    free = DEFAULT_PLAN_LIMITS[Plan.FREE]
    check_generation_allowed(free, cost=1, spent_this_month=0, spends_last_hour=0, active_jobs=0)
    with pytest.raises(PlanLimitExceeded, match="in progress") as exc:
        check_generation_allowed(free, cost=1, spent_this_month=0, spends_last_hour=0, active_jobs=free.concurrent_jobs)
    assert exc.value.details["limit"] == "concurrent_jobs" and exc.value.retry_after_s
    with pytest.raises(PlanLimitExceeded, match="last hour"):
        check_generation_allowed(free, cost=1, spent_this_month=0, spends_last_hour=free.hourly_burst, active_jobs=0)
    with pytest.raises(PlanLimitExceeded, match="caps spending"):
        check_generation_allowed(
            free, cost=1, spent_this_month=free.monthly_spend_cap, spends_last_hour=0, active_jobs=0
        )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    check_regeneration_cooldown(free, last_attempt_at=now - timedelta(seconds=61), now=now)
    with pytest.raises(PlanLimitExceeded, match="cooling down") as cool:
        check_regeneration_cooldown(free, last_attempt_at=now - timedelta(seconds=20), now=now)
    assert cool.value.retry_after_s == pytest.approx(40)
    with pytest.raises(PlanLimitExceeded):
        check_concept_sets(free, sets_so_far=free.max_concept_sets)


def test_print_quote_breakdown_adds_up_exactly() -> None:
    q = quote_print(
        technology="fdm",
        material="pla",
        colour="white",
        finish="raw",
        quantity=3,
        target_mm=(50.0, 40.0, 30.0),
        part_volume_mm3=20_000.0,
    )
    # 20 cm³ × 12 ¢ = 240 ¢ material; 60 cm³ box × 0.5 ¢ = 30 ¢ machine; unit 270 < 800 minimum → top-up 530
    assert [line.amount_cents for line in q.lines] == [720, 90, 1590, 500]
    assert q.unit_price_cents == 800 and q.total_cents == 500 + 3 * 800 == sum(line.amount_cents for line in q.lines)
    assert q.part_weight_g == pytest.approx(24.8)


@pytest.mark.parametrize(
    ("kw", "err", "match"),
    [
        ({"technology": "dlp"}, InvalidInput, "technology"),
        ({"material": "gold"}, InvalidInput, "unknown material"),
        ({"colour": "plaid"}, InvalidInput, "colour"),
        ({"quantity": 0}, InvalidInput, "quantity"),
        ({"part_volume_mm3": 0.0}, InvalidInput, "watertight"),
        ({"target_mm": (300.0, 10.0, 10.0)}, BuildVolumeExceeded, "build volume"),
        ({"target_mm": (-1.0, 10.0, 10.0)}, InvalidInput, "positive"),
    ],
)
def test_bad_quotes(kw: dict[str, object], err: type[Exception], match: str) -> None:
    args: dict[str, object] = {
        "technology": "fdm",
        "material": "pla",
        "colour": "white",
        "finish": "raw",
        "quantity": 1,
        "target_mm": (50.0, 50.0, 50.0),
        "part_volume_mm3": 1000.0,
    }
    with pytest.raises(err, match=match):
        quote_print(**{**args, **kw})  # type: ignore[arg-type]


@given(st.tuples(*[st.floats(0.1, 400, allow_nan=False)] * 3))
def test_build_volume_check_is_orientation_free(dims: tuple[float, float, float]) -> None:
    box = (256.0, 200.0, 150.0)
    fits = all(d <= b for d, b in zip(sorted(dims), sorted(box), strict=True))
    if fits:
        check_build_volume(dims, box)
        check_build_volume((dims[2], dims[0], dims[1]), box)
    else:
        with pytest.raises(BuildVolumeExceeded):
            check_build_volume(dims, box)


def test_settings_embedded_defaults_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAKEIT3D_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("MAKEIT3D_CREDIT_COSTS__MODEL_REGENERATION", "2")
    monkeypatch.setenv("MAKEIT3D_STRIPE_WEBHOOK_SECRET", "whsec_abc")
    s = Settings()
    assert s.database_url == f"sqlite:///{tmp_path / 'makeit3d.db'}"
    assert s.analytics_url.startswith("duckdb:///") and s.storage_url == str(tmp_path / "objects")
    assert s.credit_costs.model_regeneration == 2
    assert "whsec_abc" not in repr(s) and s.stripe_webhook_secret.get_secret_value() == "whsec_abc"
    monkeypatch.setenv("MAKEIT3D_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings().database_url == "postgresql+psycopg://u@h/db"
