"""Extracts from the operational database into the analytics store's ``raw_*`` tables.

Facts are extracted by time window (a daily partition, or a range of them in one go) and
replace exactly that window, so re-running a day is idempotent and a new day costs what the
new data costs. Latest-state tables (users, files, print configs, packs, payouts, invoices,
subscriptions) are replaced whole. Data moves through Arrow: DuckDB cannot reach the
operational database directly here (no postgres_scanner), and Arrow keeps types exact.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, Select, select

from warehouse.analytics.store import AnalyticsStore, ident
from warehouse.analytics.tables import TableSpec, spec
from warehouse.models import (
    Asset,
    AssetFile,
    CreditPack,
    LedgerEntry,
    Order,
    OrderItem,
    PrintConfig,
    ProviderCall,
    StripeObject,
    User,
)

log = logging.getLogger(__name__)

Window = tuple[datetime, datetime]


def _plain(v: Any) -> Any:
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, Enum):
        return v.value
    return v


def _arrow_tuples(table: TableSpec, rows: Iterable[tuple[Any, ...]]) -> pa.Table:
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=False)) or [() for _ in table.columns]
    return _arrow_cols(table, cols)


def _arrow_dicts(table: TableSpec, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    dict_rows = list(rows)
    return _arrow_cols(table, [tuple(r.get(n) for r in dict_rows) for n in table.column_names])


def _arrow_cols(table: TableSpec, cols: list[tuple[Any, ...]]) -> pa.Table:
    arrays = [pa.array([_plain(v) for v in col], type=c.arrow_type) for col, c in zip(cols, table.columns, strict=True)]
    return pa.Table.from_arrays(arrays, schema=table.arrow_schema)


def _ts(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _id(v: Any) -> str | None:
    """A Stripe reference that may be an id or an expanded object."""
    if isinstance(v, Mapping):
        inner = v.get("id")
        return inner if isinstance(inner, str) else None
    return v if isinstance(v, str) else None


# ------------------------------------------------------------------ operational tables (SQL)
def _sel_users() -> Select[Any]:
    u = User.__table__.c
    return select(u.id, u.role, u.plan, u.credit_balance, u.stripe_customer_id, u.created_at)


def _sel_ledger() -> Select[Any]:
    e = LedgerEntry.__table__.c
    return select(
        e.id,
        e.user_id,
        e.kind,
        e.amount,
        e.balance_after,
        e.idempotency_key,
        e.reference_type,
        e.reference_id,
        e.created_at,
    )


def _sel_assets() -> Select[Any]:
    a = Asset.__table__.c
    return select(
        a.id,
        a.user_id,
        a.mode,
        a.skip_concept,
        a.status,
        a.concept_attempts,
        a.model_attempts,
        a.created_at,
        a.completed_at,
        a.deleted_at,
    )


def _sel_files() -> Select[Any]:
    f, a = AssetFile.__table__.c, Asset.__table__.c
    return select(f.id, f.asset_id, a.user_id, f.kind, f.size_bytes, f.created_at).join_from(
        AssetFile.__table__, Asset.__table__, f.asset_id == a.id
    )


def _sel_calls() -> Select[Any]:
    # The asset's mode, skip-concept flag and creation time are copied onto each call here (an indexed lookup per
    # new call), so the activity mart never joins a day's calls to the whole history of assets.
    p, a = ProviderCall.__table__.c, Asset.__table__.c
    return select(
        p.id,
        p.asset_id,
        p.user_id,
        p.stage,
        p.provider,
        p.model,
        p.status,
        p.queue_seconds,
        p.run_seconds,
        p.units,
        p.unit,
        p.price_id,
        p.cost_nano_usd,
        p.cost_source,
        a.mode,
        a.skip_concept,
        a.created_at.label("asset_created_at"),
        p.created_at,
    ).join_from(ProviderCall.__table__, Asset.__table__, p.asset_id == a.id, isouter=True)


def _sel_orders() -> Select[Any]:
    o = Order.__table__.c
    return select(
        o.id,
        o.user_id,
        o.status,
        o.amount_total_cents,
        o.currency,
        o.stripe_checkout_session_id,
        o.stripe_payment_intent_id,
        o.created_at,
        o.paid_at,
        o.fulfilled_at,
    )


def _sel_items() -> Select[Any]:
    i, o = OrderItem.__table__.c, Order.__table__.c
    return select(
        i.id,
        i.order_id,
        i.kind,
        i.asset_id,
        i.print_config_id,
        i.credit_pack_id,
        i.quantity,
        i.unit_amount_cents,
        i.amount_cents,
        o.created_at,
    ).join_from(OrderItem.__table__, Order.__table__, i.order_id == o.id)


def _sel_prints() -> Select[Any]:
    p = PrintConfig.__table__.c
    return select(
        p.id, p.user_id, p.asset_id, p.technology, p.material, p.quantity, p.quoted_price_cents, p.status, p.created_at
    )


def _sel_packs() -> Select[Any]:
    k = CreditPack.__table__.c
    return select(k.id, k.credits, k.price_cents, k.currency)


@dataclass(frozen=True)
class SqlExtract:
    select: Callable[[], Select[Any]]
    time_column: str | None  # the operational column a window filters on


SQL_EXTRACTS: dict[str, SqlExtract] = {
    "raw_users": SqlExtract(_sel_users, None),
    "raw_credit_ledger": SqlExtract(_sel_ledger, "credit_ledger.created_at"),
    "raw_assets": SqlExtract(_sel_assets, "assets.created_at"),
    "raw_asset_files": SqlExtract(_sel_files, None),
    "raw_provider_calls": SqlExtract(_sel_calls, "provider_calls.created_at"),
    "raw_orders": SqlExtract(_sel_orders, "orders.created_at"),
    "raw_order_items": SqlExtract(_sel_items, "orders.created_at"),
    "raw_print_configs": SqlExtract(_sel_prints, None),
    "raw_credit_packs": SqlExtract(_sel_packs, None),
}


# ------------------------------------------------------------------ Stripe objects (JSON payloads)
def _bt(o: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": o["id"],
            "type": o.get("type"),
            "reporting_category": o.get("reporting_category"),
            "amount": o.get("amount"),
            "fee": o.get("fee", 0),
            "net": o.get("net"),
            "currency": o.get("currency"),
            "status": o.get("status"),
            "source_id": _id(o.get("source")),
            "created_at": _ts(o.get("created")),
            "available_on": _ts(o.get("available_on")),
        }
    ]


def _charge(o: Mapping[str, Any]) -> list[dict[str, Any]]:
    meta = o.get("metadata") or {}
    return [
        {
            "id": o["id"],
            "customer_id": _id(o.get("customer")),
            "amount": o.get("amount"),
            "amount_refunded": o.get("amount_refunded", 0),
            "currency": o.get("currency"),
            "status": o.get("status"),
            "paid": o.get("paid"),
            "refunded": o.get("refunded"),
            "disputed": o.get("disputed"),
            "payment_intent_id": _id(o.get("payment_intent")),
            "invoice_id": _id(o.get("invoice")),
            "balance_transaction_id": _id(o.get("balance_transaction")),
            "checkout_session_id": meta.get("checkout_session_id"),
            "created_at": _ts(o.get("created")),
        }
    ]


def _refund(o: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": o["id"],
            "charge_id": _id(o.get("charge")),
            "amount": o.get("amount"),
            "currency": o.get("currency"),
            "status": o.get("status"),
            "reason": o.get("reason"),
            "balance_transaction_id": _id(o.get("balance_transaction")),
            "created_at": _ts(o.get("created")),
        }
    ]


def _dispute(o: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": o["id"],
            "charge_id": _id(o.get("charge")),
            "amount": o.get("amount"),
            "currency": o.get("currency"),
            "status": o.get("status"),
            "reason": o.get("reason"),
            "created_at": _ts(o.get("created")),
        }
    ]


def _payout(o: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": o["id"],
            "amount": o.get("amount"),
            "currency": o.get("currency"),
            "status": o.get("status"),
            "automatic": o.get("automatic"),
            "balance_transaction_id": _id(o.get("balance_transaction")),
            "arrival_date": _ts(o.get("arrival_date")),
            "created_at": _ts(o.get("created")),
        }
    ]


def _invoice_lines(o: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for line in (o.get("lines") or {}).get("data", []):
        price = line.get("price") or {}
        recurring = price.get("recurring") or {}
        period = line.get("period") or {}
        out.append(
            {
                "line_id": line["id"],
                "invoice_id": o["id"],
                "customer_id": _id(o.get("customer")),
                "subscription_id": _id(line.get("subscription")) or _id(o.get("subscription")),
                "invoice_status": o.get("status"),
                "billing_reason": o.get("billing_reason"),
                "line_type": line.get("type"),
                "proration": bool(line.get("proration", False)),
                "period_start": _ts(period.get("start")),
                "period_end": _ts(period.get("end")),
                "unit_amount": price.get("unit_amount"),
                "quantity": line.get("quantity") or 1,
                "interval": recurring.get("interval"),
                "interval_count": recurring.get("interval_count") or 1,
                "discount_amount": sum(int(d.get("amount", 0)) for d in line.get("discount_amounts") or []),
                "amount": line.get("amount"),
                "currency": line.get("currency") or o.get("currency"),
                "created_at": _ts(o.get("created")),
            }
        )
    return out


def _subscription(o: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = (o.get("items") or {}).get("data") or [{}]
    item = items[0]
    price = item.get("price") or {}
    recurring = price.get("recurring") or {}
    return [
        {
            "id": o["id"],
            "customer_id": _id(o.get("customer")),
            "status": o.get("status"),
            "price_id": price.get("id"),
            "unit_amount": price.get("unit_amount"),
            "quantity": item.get("quantity") or 1,
            "interval": recurring.get("interval"),
            "interval_count": recurring.get("interval_count") or 1,
            "cancel_at_period_end": bool(o.get("cancel_at_period_end", False)),
            "canceled_at": _ts(o.get("canceled_at")),
            "ended_at": _ts(o.get("ended_at")),
            "created_at": _ts(o.get("created")),
        }
    ]


@dataclass(frozen=True)
class StripeExtract:
    object_type: str
    flatten: Callable[[Mapping[str, Any]], list[dict[str, Any]]]
    windowed: bool


STRIPE_EXTRACTS: dict[str, StripeExtract] = {
    "raw_stripe_balance_transactions": StripeExtract("balance_transaction", _bt, True),
    "raw_stripe_charges": StripeExtract("charge", _charge, True),
    "raw_stripe_refunds": StripeExtract("refund", _refund, True),
    "raw_stripe_disputes": StripeExtract("dispute", _dispute, True),
    "raw_stripe_payouts": StripeExtract("payout", _payout, False),
    "raw_stripe_invoice_lines": StripeExtract("invoice", _invoice_lines, False),
    "raw_stripe_subscriptions": StripeExtract("subscription", _subscription, False),
}

RAW_TABLES: tuple[str, ...] = tuple(SQL_EXTRACTS) + tuple(STRIPE_EXTRACTS)


def create_table(store: AnalyticsStore, table: TableSpec) -> None:
    """Create ``table`` (and, where the store wants them, its partition index) if missing.

    A table created by an older version gains the columns added since (NULL in the partitions
    built before; rebuild them to fill them). Columns are never dropped or retyped here.
    """
    store.execute(table.ddl())
    existing = {
        r["column_name"]
        for r in store.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = :t AND table_schema = current_schema()",
            {"t": table.name},
        )
    }
    for col in table.columns:
        if col.name not in existing:
            log.warning("adding column %s.%s (%s)", table.name, col.name, col.sql_type)
            store.execute(f"ALTER TABLE {ident(table.name)} ADD COLUMN {ident(col.name)} {col.sql_type}")
    if store.wants_indexes:
        for ddl in table.index_ddl():
            store.execute(ddl)


def ensure_tables(store: AnalyticsStore, names: Iterable[str]) -> None:
    for name in names:
        create_table(store, spec(name))


def read_operational(engine: Engine, name: str, window: Window | None = None) -> pa.Table:
    """Read one raw table's rows (in ``window`` if it is a fact) from the operational DB."""
    table = spec(name)
    if name in SQL_EXTRACTS:
        ex = SQL_EXTRACTS[name]
        stmt = ex.select()
        if window is not None and ex.time_column is not None:
            tname, cname = ex.time_column.split(".")
            col = next(c for c in stmt.selected_columns if c.name == cname and c.table.name == tname)
            stmt = stmt.where(col >= window[0], col < window[1])
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return _arrow_tuples(table, (tuple(r) for r in rows))
    sx = STRIPE_EXTRACTS[name]
    o = StripeObject.__table__.c
    stmt2 = select(o.payload).where(o.object_type == sx.object_type)
    if window is not None and sx.windowed:
        stmt2 = stmt2.where(o.created >= int(window[0].timestamp()), o.created < int(window[1].timestamp()))
    with engine.connect() as conn:
        payloads = conn.execute(stmt2).scalars().all()
    flat = [row for p in payloads for row in sx.flatten(p)]
    return _arrow_dicts(table, flat)


def is_windowed(name: str) -> bool:
    return spec(name).partition == "daily"


def replace_raw(store: AnalyticsStore, name: str, data: pa.Table, window: Window | None) -> int:
    """Replace ``window`` of raw table ``name`` (or all of it) with ``data``, in one transaction.

    A fact table's rows are written in the order of its partition column, so the table stays
    clustered by time however a range was loaded: DuckDB's zone maps then skip every row group
    outside a window, and a new day's build reads that day and not the history.
    """
    table = spec(name)
    create_table(store, table)
    if table.partition != "none" and table.partition_column and data.num_rows > 1:
        data = data.sort_by(table.partition_column)
    with store.transaction():
        if window is not None and table.partition_column:
            col = ident(table.partition_column)
            store.execute(
                f"DELETE FROM {ident(name)} WHERE {col} >= :start AND {col} < :end",
                {"start": window[0], "end": window[1]},
            )
        else:
            store.execute(f"DELETE FROM {ident(name)}")
        store.load_arrow(name, data)
    return int(data.num_rows)


def extract(engine: Engine, store: AnalyticsStore, name: str, window: Window | None = None) -> int:
    """Copy one raw table (a window of it for facts) from the operational DB to the store."""
    w = window if is_windowed(name) else None
    data = read_operational(engine, name, w)
    n = replace_raw(store, name, data, w)
    log.info("extracted %s rows into %s", n, name)
    return n
