"""The versioned price book: loading, overlaps, no repricing, call pricing frozen at call time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.enums import PriceUnit, Stage
from core.errors import InvalidInput, PriceNotFound, PriceOverlap
from core.usage import UsageRecord
from warehouse.db import transaction
from warehouse.models import ProviderCall, ProviderPrice
from warehouse.prices import load_price_book, parse_price_book, price_at, record_provider_call

BOOK = """
prices:
  - {provider: meshy, model: m5, unit: credit, usd_per_unit: "0.02", valid_from: "2026-01-01T00:00:00Z"}
"""
CLOSED = """
prices:
  - {provider: meshy, model: m5, unit: credit, usd_per_unit: "0.02",
     valid_from: "2026-01-01T00:00:00Z", valid_to: "2026-03-15T00:00:00Z"}
  - {provider: meshy, model: m5, unit: credit, usd_per_unit: "0.016", valid_from: "2026-03-15T00:00:00Z"}
"""


def _prices(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(ProviderPrice)) or 0)


def test_bundled_book_loads_once(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        first = load_price_book(session=s)
    with transaction(sessions) as s:
        again = load_price_book(session=s)
    assert first.inserted >= 10 and again.inserted == 0 and again.unchanged == first.inserted


def test_price_change_mid_month_does_not_reprice_history(sessions: sessionmaker[Session]) -> None:
    def usage(at: datetime, units: float) -> UsageRecord:
        return UsageRecord(
            provider="meshy", model="m5", stage=Stage.MODEL, unit=PriceUnit.CREDIT, units=units, started_at=at
        )

    with transaction(sessions) as s:
        load_price_book(session=s, text=BOOK)
        before = record_provider_call(session=s, usage=usage(datetime(2026, 3, 10, tzinfo=UTC), 20))
    with transaction(sessions) as s:
        res = load_price_book(session=s, text=CLOSED)
        assert (res.inserted, res.closed) == (1, 1)
        after = record_provider_call(session=s, usage=usage(datetime(2026, 3, 20, tzinfo=UTC), 20))
    with sessions() as s:
        calls = {c.id: c for c in s.scalars(select(ProviderCall))}
        assert calls[before.id].cost_usd == Decimal("0.4") and calls[before.id].cost_nano_usd == 400_000_000
        assert calls[after.id].cost_usd == Decimal("0.32")
        assert calls[before.id].price_id != calls[after.id].price_id
        boundary = price_at(
            session=s, provider="meshy", model="m5", unit=PriceUnit.CREDIT, at=datetime(2026, 3, 15, tzinfo=UTC)
        )
        assert boundary.usd_per_unit == Decimal("0.016")


def test_reported_cost_wins_over_inferred(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        load_price_book(session=s, text=BOOK)
        call = record_provider_call(
            session=s,
            usage=UsageRecord(
                provider="meshy",
                model="m5",
                stage=Stage.MODEL,
                unit=PriceUnit.CREDIT,
                units=20,
                started_at=datetime(2026, 2, 1, tzinfo=UTC),
                reported_cost_usd=Decimal("0.333333333"),
            ),
        )
    assert call.cost_nano_usd == 333_333_333 and call.cost_source == "reported"


def test_overlapping_prices_are_refused_and_nothing_is_written(sessions: sessionmaker[Session]) -> None:
    overlapping = (
        BOOK
        + '  - {provider: meshy, model: m5, unit: credit, usd_per_unit: "0.03", valid_from: "2026-02-01T00:00:00Z"}\n'
    )
    with pytest.raises(PriceOverlap, match="overlap"):
        parse_price_book(overlapping)
    with transaction(sessions) as s:
        load_price_book(session=s, text=BOOK)
    later = '  - {provider: meshy, model: m5, unit: credit, usd_per_unit: "0.03", valid_from: "2026-06-01T00:00:00Z"}\n'
    with pytest.raises(PriceOverlap), transaction(sessions) as s:
        # the stored version is open-ended, so a later one overlaps it unless the file closes it
        load_price_book(session=s, text="prices:\n" + later)
    with sessions() as s:
        assert _prices(s) == 1


def test_repricing_history_is_refused(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        load_price_book(session=s, text=BOOK)
    with pytest.raises(InvalidInput, match="never repriced"), transaction(sessions) as s:
        load_price_book(session=s, text=BOOK.replace('"0.02"', '"0.05"'))
    with sessions() as s:
        assert price_at(
            session=s, provider="meshy", model="m5", unit=PriceUnit.CREDIT, at=datetime(2026, 5, 1, tzinfo=UTC)
        ).usd_per_unit == Decimal("0.02")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("prices: 3", "'prices' list"),
        (
            "prices:\n  - {provider: x, model: y, unit: parsec, usd_per_unit: '1', valid_from: '2026-01-01T00:00:00Z'}",
            "row 0",
        ),
        (
            "prices:\n  - {provider: x, model: y, unit: credit, usd_per_unit: '1', valid_from: '2026-01-01T00:00:00'}",
            "timezone",
        ),
        (
            "prices:\n  - {provider: x, model: y, unit: credit, usd_per_unit: '0.0000000001',"
            " valid_from: '2026-01-01T00:00:00Z'}",
            "finer",
        ),
        ("prices: [", "YAML"),
    ],
)
def test_malformed_price_books_are_clear_errors(text: str, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        parse_price_book(text)


def test_no_price_for_the_time_is_a_clear_error(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        load_price_book(session=s, text=BOOK)
    with sessions() as s, pytest.raises(PriceNotFound, match="meshy/m5"):
        price_at(session=s, provider="meshy", model="m5", unit=PriceUnit.CREDIT, at=datetime(2025, 1, 1, tzinfo=UTC))
