"""The versioned provider price book and the pricing of provider calls (as Langfuse prices observations).

A price version is valid on ``[valid_from, valid_to)``; versions of one (provider, model, unit)
never overlap. A call is priced with the version valid at its start and the cost is frozen on
its row, so a later price change never reprices history. Amounts are exact: integer nano-USD.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import PriceUnit
from core.errors import InvalidInput, PriceNotFound, PriceOverlap
from core.usage import UsageRecord
from warehouse.models import ProviderCall, ProviderPrice

NANO_PER_USD = 1_000_000_000


class PriceRow(BaseModel):
    """One line of the price book file."""

    provider: str = Field(min_length=1, max_length=40)
    model: str = Field(min_length=1, max_length=80)
    unit: PriceUnit
    usd_per_unit: Decimal = Field(ge=0)
    valid_from: datetime
    valid_to: datetime | None = None
    source: str | None = None

    @field_validator("valid_from", "valid_to")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("price validity times must carry a timezone (use Z for UTC)")
        return v

    @property
    def nano_usd_per_unit(self) -> int:
        nano = self.usd_per_unit * NANO_PER_USD
        if nano != nano.to_integral_value():
            raise InvalidInput(f"price {self.usd_per_unit} USD is finer than 1e-9 USD", provider=self.provider)
        return int(nano)

    @property
    def series(self) -> tuple[str, str, str]:
        return (self.provider, self.model, str(self.unit))


def usd_to_nano(usd: Decimal) -> int:
    """Round a USD amount half-even to whole nano-USD."""
    return int((usd * NANO_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _overlaps(a_from: datetime, a_to: datetime | None, b_from: datetime, b_to: datetime | None) -> bool:
    return (a_to is None or b_from < a_to) and (b_to is None or a_from < b_to)


def parse_price_book(text: str) -> list[PriceRow]:
    """Parse and validate a price book (YAML with a ``prices:`` list); overlaps are refused."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InvalidInput(f"price book is not valid YAML: {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("prices"), list):
        raise InvalidInput("price book must be a mapping with a 'prices' list")
    rows: list[PriceRow] = []
    for i, raw in enumerate(doc["prices"]):
        try:
            row = PriceRow.model_validate(raw)
        except (ValidationError, InvalidOperation) as e:
            raise InvalidInput(f"price book row {i}: {e}", row=i) from e
        if row.valid_to is not None and row.valid_to <= row.valid_from:
            raise InvalidInput(f"price book row {i}: valid_to must be after valid_from", row=i)
        row.nano_usd_per_unit  # noqa: B018 - validates the precision
        rows.append(row)
    _check_no_overlaps(rows)
    return rows


def _check_no_overlaps(rows: Sequence[PriceRow]) -> None:
    by_series: dict[tuple[str, str, str], list[PriceRow]] = {}
    for r in rows:
        by_series.setdefault(r.series, []).append(r)
    for series, versions in by_series.items():
        versions.sort(key=lambda r: r.valid_from)
        for a, b in itertools.pairwise(versions):
            if _overlaps(a.valid_from, a.valid_to, b.valid_from, b.valid_to):
                raise PriceOverlap(
                    f"prices of {'/'.join(series)} overlap: {a.valid_from.isoformat()} – "
                    f"{a.valid_to.isoformat() if a.valid_to else 'open'} and from {b.valid_from.isoformat()}",
                    series=list(series),
                )


def bundled_price_book() -> str:
    return resources.files("warehouse").joinpath("data/price_book.yaml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class PriceBookLoad:
    inserted: int
    closed: int
    unchanged: int


def load_price_book(*, session: Session, path: Path | None = None, text: str | None = None) -> PriceBookLoad:
    """Bring the price book file into the database, append-only.

    New versions are inserted; an open version may be closed (``valid_to`` set) if no call
    priced with it falls after the new end; any other change to a stored version, or a version
    that would overlap one in the database, is refused and nothing is written.
    """
    rows = parse_price_book(text if text is not None else (path.read_text() if path else bundled_price_book()))
    inserted = closed = unchanged = 0
    with session.begin_nested():
        for row in rows:
            stored = session.scalar(
                select(ProviderPrice).where(
                    ProviderPrice.provider == row.provider,
                    ProviderPrice.model == row.model,
                    ProviderPrice.unit == row.unit,
                    ProviderPrice.valid_from == row.valid_from,
                )
            )
            if stored is not None:
                if stored.nano_usd_per_unit != row.nano_usd_per_unit:
                    raise InvalidInput(
                        f"the price of {'/'.join(row.series)} from {row.valid_from.isoformat()} is already "
                        f"{stored.usd_per_unit} USD; history is never repriced — add a new version instead",
                        series=list(row.series),
                    )
                if stored.valid_to == row.valid_to:
                    unchanged += 1
                    continue
                if stored.valid_to is not None or row.valid_to is None:
                    raise InvalidInput(f"the validity of {'/'.join(row.series)} can only be closed, not changed")
                later_call = session.scalar(
                    select(ProviderCall.id).where(
                        ProviderCall.price_id == stored.id, ProviderCall.created_at >= row.valid_to
                    )
                )
                if later_call is not None:
                    raise InvalidInput(f"calls after {row.valid_to.isoformat()} were priced with this version")
                stored.valid_to = row.valid_to
                closed += 1
                continue
            others = session.scalars(
                select(ProviderPrice).where(
                    ProviderPrice.provider == row.provider,
                    ProviderPrice.model == row.model,
                    ProviderPrice.unit == row.unit,
                )
            )
            for o in others:
                # An open version that the file closes is checked with its new end.
                o_to = o.valid_to
                for r in rows:
                    if r.series == row.series and r.valid_from == o.valid_from and o_to is None:
                        o_to = r.valid_to
                if _overlaps(o.valid_from, o_to, row.valid_from, row.valid_to):
                    raise PriceOverlap(
                        f"new price of {'/'.join(row.series)} from {row.valid_from.isoformat()} overlaps the "
                        f"stored version from {o.valid_from.isoformat()}",
                        series=list(row.series),
                    )
            session.add(
                ProviderPrice(
                    provider=row.provider,
                    model=row.model,
                    unit=row.unit,
                    nano_usd_per_unit=row.nano_usd_per_unit,
                    valid_from=row.valid_from,
                    valid_to=row.valid_to,
                    source=row.source,
                )
            )
            session.flush()
            inserted += 1
    return PriceBookLoad(inserted=inserted, closed=closed, unchanged=unchanged)


def price_at(*, session: Session, provider: str, model: str, unit: PriceUnit, at: datetime) -> ProviderPrice:
    """The price version valid at ``at``, or ``PriceNotFound``."""
    stmt = select(ProviderPrice).where(
        ProviderPrice.provider == provider,
        ProviderPrice.model == model,
        ProviderPrice.unit == unit,
        ProviderPrice.valid_from <= at,
        (ProviderPrice.valid_to.is_(None)) | (ProviderPrice.valid_to > at),
    )
    price = session.scalar(stmt)
    if price is None:
        raise PriceNotFound(
            f"no {unit} price for {provider}/{model} valid at {at.isoformat()}", provider=provider, model=model
        )
    return price


def cost_nano(price: ProviderPrice, units: float) -> int:
    """``units × price`` in nano-USD, rounded half-even (units are measured, prices exact)."""
    return usd_to_nano(Decimal(repr(float(units))) * Decimal(price.nano_usd_per_unit) / NANO_PER_USD)


def record_provider_call(
    *,
    session: Session,
    usage: UsageRecord,
    asset_id: object | None = None,
    user_id: object | None = None,
) -> ProviderCall:
    """Write one provider-call row with its cost frozen from the price valid at the call's start.

    A provider-reported cost wins over the inferred one (the price version is still recorded).
    """
    price = price_at(session=session, provider=usage.provider, model=usage.model, unit=usage.unit, at=usage.started_at)
    if usage.reported_cost_usd is not None:
        cost, source = usd_to_nano(usage.reported_cost_usd), "reported"
    else:
        cost, source = cost_nano(price, usage.units), "inferred"
    call = ProviderCall(
        asset_id=asset_id,
        user_id=user_id,
        stage=usage.stage,
        provider=usage.provider,
        model=usage.model,
        status=usage.status,
        external_id=usage.external_id,
        queue_seconds=usage.queue_seconds,
        run_seconds=usage.run_seconds,
        units=usage.units,
        unit=usage.unit,
        price_id=price.id,
        cost_nano_usd=cost,
        cost_source=source,
        error=usage.error,
        created_at=usage.started_at,
    )
    session.add(call)
    session.flush()
    return call


def all_prices(*, session: Session) -> Iterable[ProviderPrice]:
    return session.scalars(
        select(ProviderPrice).order_by(ProviderPrice.provider, ProviderPrice.model, ProviderPrice.valid_from)
    )
