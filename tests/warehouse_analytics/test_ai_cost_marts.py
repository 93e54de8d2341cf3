"""AI cost marts from the operational path: calls priced by the price book, frozen, never repriced."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from core.enums import AssetStatus, GenerationMode, PriceUnit, ProviderCallStatus, Stage
from core.usage import UsageRecord
from warehouse.analytics.extract import extract
from warehouse.analytics.marts import build_mart, day_window
from warehouse.db import make_engine, make_session_factory, transaction
from warehouse.migrate import upgrade
from warehouse.models import Asset, User
from warehouse.prices import load_price_book, record_provider_call

NEW_BOOK = """
prices:
  - {provider: meshy, model: meshy-5, unit: credit, usd_per_unit: '0.02', valid_from: '2025-01-01T00:00:00Z',
     valid_to: '2026-06-01T00:00:00Z'}
  - {provider: meshy, model: meshy-5, unit: credit, usd_per_unit: '0.016', valid_from: '2026-06-01T00:00:00Z',
     valid_to: '2026-07-01T00:00:00Z'}
  - {provider: meshy, model: meshy-5, unit: credit, usd_per_unit: '0.5', valid_from: '2026-07-01T00:00:00Z'}
"""
MAY = datetime(2026, 5, 20, 12, tzinfo=UTC)
JUNE = datetime(2026, 6, 10, 12, tzinfo=UTC)  # Meshy's price drops from $0.02 to $0.016 a credit on 1 June


@pytest.fixture
def operational(tmp_path) -> Engine:
    url = f"sqlite:///{tmp_path / 'op.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        load_price_book(session=s)
        user = User(email="a@example.com", created_at=MAY)
        s.add(user)
        s.flush()
        a1 = Asset(user_id=user.id, mode=GenerationMode.TEXT, status=AssetStatus.COMPLETED, created_at=MAY)
        a2 = Asset(user_id=user.id, mode=GenerationMode.IMAGE, status=AssetStatus.FAILED, created_at=JUNE)
        s.add_all([a1, a2])
        s.flush()

        def call(asset: Asset, at: datetime, status: ProviderCallStatus, stage: Stage = Stage.MODEL, run: float = 10.0):
            record_provider_call(
                session=s,
                asset_id=asset.id,
                user_id=user.id,
                usage=UsageRecord(
                    provider="meshy",
                    model="meshy-5",
                    stage=stage,
                    unit=PriceUnit.CREDIT,
                    units=20,
                    queue_seconds=5.0,
                    run_seconds=run,
                    started_at=at,
                    status=status,
                ),
            )

        call(a1, MAY, ProviderCallStatus.FAILED, run=10.0)  # a failure, then its retry: both count
        call(a1, MAY.replace(minute=5), ProviderCallStatus.SUCCEEDED, run=30.0)
        call(a2, JUNE, ProviderCallStatus.TIMED_OUT, run=50.0)
    return engine


def _build(engine: Engine, store) -> None:
    window = day_window(date(2026, 5, 1), date(2026, 7, 1))
    for raw in ("raw_provider_calls", "raw_assets"):
        extract(engine, store, raw, window)
    for mart in ("ai_cost_daily", "cost_per_generation", "generation_activity_daily"):
        build_mart(store, mart, window)


def test_cost_is_frozen_at_call_time_across_a_price_change(operational, store) -> None:
    _build(operational, store)
    rows = {r["day"]: r for r in store.query("SELECT * FROM ai_cost_daily")}
    may, june = rows[date(2026, 5, 20)], rows[date(2026, 6, 10)]
    assert may["cost_nano_usd"] == 2 * 20 * 20_000_000  # 2 calls × 20 credits × $0.02
    assert Decimal(may["cost_usd"]) == Decimal("0.800000000")
    assert may["failed_cost_nano_usd"] == 400_000_000
    assert may["queue_seconds"] == 10.0
    assert may["run_seconds"] == 40.0
    assert june["cost_nano_usd"] == 20 * 16_000_000  # the new price, for the new call only
    # a new price version later on must not reprice history
    factory = make_session_factory(operational)
    with transaction(factory) as s:
        load_price_book(session=s, text=NEW_BOOK)
    _build(operational, store)
    again = {r["day"]: r["cost_nano_usd"] for r in store.query("SELECT * FROM ai_cost_daily")}
    assert again[date(2026, 5, 20)] == 800_000_000
    assert again[date(2026, 6, 10)] == 320_000_000


def test_cost_per_generation_includes_retries_and_failures(operational, store) -> None:
    _build(operational, store)
    rows = sorted(store.query("SELECT * FROM cost_per_generation"), key=lambda r: r["day"])
    assert [(r["calls"], r["failed_calls"], r["cost_nano_usd"], r["succeeded"]) for r in rows] == [
        (2, 1, 800_000_000, True),
        (1, 1, 320_000_000, False),
    ]


def test_generation_activity_success_rate_and_percentiles(operational, store) -> None:
    _build(operational, store)
    (may,) = store.query("SELECT * FROM generation_activity_daily WHERE day = :d", {"d": date(2026, 5, 20)})
    assert (may["stage"], may["mode"], may["provider"]) == ("model", "text", "meshy")
    assert (may["calls"], may["succeeded"], may["failed"], may["generations"]) == (2, 1, 1, 1)
    assert may["success_rate"] == 0.5
    assert may["p50_duration_s"] == pytest.approx(25.0)  # durations 15 and 35 s
    assert may["p95_duration_s"] == pytest.approx(34.0)
