"""Extracts from the operational database into the analytics store's ``raw_*`` tables.

Facts are extracted by time window (a daily partition, or a range of them in one go) and
replace exactly that window, so re-running a day is idempotent and a new day costs what the
new data costs. Data moves through Arrow: DuckDB cannot reach the operational database directly
here (no postgres_scanner), and Arrow keeps types exact.

Latest-state tables (users, files, print configs, payouts, invoice lines, subscriptions) are
extracted incrementally by watermark (``extract_latest``):

- Each source row carries a change stamp that moves on every insert and update:
  ``users.updated_at`` (ORM ``onupdate``, which also covers the ledger's Core ``UPDATE`` of the
  cached balance), ``print_configs.updated_at``, ``stripe_objects.updated_at`` (set by every
  upsert of a Stripe object), and ``asset_files.created_at`` (file rows are inserted and
  deleted, never updated).
- A run reads the rows stamped at or after ``watermark − overlap`` and upserts them by key: it
  deletes the raw rows of the incoming keys and inserts the new rows, in one transaction, so a
  key is never twice in a table. Invoice lines are replaced per invoice: all lines of an incoming
  invoice go, then its current lines come in (a line removed from an invoice disappears).
- The watermark is the extractor's clock when the run started reading, stored in
  ``_extract_watermarks`` in the same transaction as the upsert: a failed run leaves the rows
  and the watermark as they were. The overlap (5 minutes by default) catches a transaction
  stamped before the previous run read but committed after it; re-reading a row is harmless
  (the upsert is idempotent). A change stamped more than the overlap before it commits, or an
  edit by hand that does not set the stamp, is seen only by a full refresh.
- Hard deletes are invisible to a watermark (files are deleted outright when a model is
  regenerated or rescaled and when an asset is deleted). Each incremental run therefore
  reconciles keys: it reads the set of source ids (ids only, through the primary key) and
  removes the raw rows whose source is gone. That costs one id scan per table per run, small
  beside the rows themselves; a soft-delete column was not added because the application reads
  these tables everywhere and would have to learn to skip deleted rows.
- ``full_refresh=True`` (and the first run, with no watermark yet) reads everything and replaces
  the whole table, for recovery. Credit packs, a handful of catalogue rows without a change
  stamp, are reloaded whole on every run.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import ColumnElement, Connection, Engine, Select, select

from core.errors import Conflict
from warehouse.analytics.store import AnalyticsStore, ident
from warehouse.analytics.tables import EXTRACT_WATERMARKS, TableSpec, spec
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
    elif window is None and "created_at" in data.column_names and data.num_rows > 1:
        data = data.sort_by("created_at")  # a whole latest-state table, in the order it grew
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


def extract(
    engine: Engine, store: AnalyticsStore, name: str, window: Window | None = None, *, full_refresh: bool = False
) -> int:
    """Copy one raw table from the operational DB to the store; return the rows written.

    Facts: ``window`` of it is replaced. Latest-state tables: the rows changed since the last run
    are upserted (``extract_latest``; the window does not apply), all of them with ``full_refresh``.
    """
    if not is_windowed(name):
        return extract_latest(engine, store, name, full_refresh=full_refresh).rows_upserted
    data = read_operational(engine, name, window)
    n = replace_raw(store, name, data, window)
    log.info("extracted %s rows into %s", n, name)
    return n


# ------------------------------------------------------------------ latest-state tables, by watermark
OVERLAP = timedelta(minutes=5)
_KEYS = "_extract_keys"  # a temporary table of the keys a run deletes

_so = StripeObject.__table__.c


@dataclass(frozen=True)
class Incremental:
    """How a latest-state raw table follows its source between runs."""

    change_column: ColumnElement[Any]  # stamped by every insert and update of a source row
    id_column: ColumnElement[Any]  # the source key, as the raw table holds it in ``replace_column``
    replace_column: str  # raw rows with an incoming source key are replaced as a group


INCREMENTAL: dict[str, Incremental] = {
    "raw_users": Incremental(User.__table__.c.updated_at, User.__table__.c.id, "user_id"),
    "raw_asset_files": Incremental(AssetFile.__table__.c.created_at, AssetFile.__table__.c.id, "file_id"),
    "raw_print_configs": Incremental(PrintConfig.__table__.c.updated_at, PrintConfig.__table__.c.id, "print_config_id"),
    "raw_stripe_payouts": Incremental(_so.updated_at, _so.id, "id"),
    "raw_stripe_invoice_lines": Incremental(_so.updated_at, _so.id, "invoice_id"),
    "raw_stripe_subscriptions": Incremental(_so.updated_at, _so.id, "id"),
}


@dataclass(frozen=True)
class LatestStateResult:
    """What one run of ``extract_latest`` did."""

    table: str
    mode: Literal["full", "incremental"]
    rows_read: int  # source rows (Stripe objects for Stripe tables) read
    rows_upserted: int  # raw rows written
    rows_deleted: int  # raw rows removed because their source rows are gone
    rows_in_table: int
    watermark_before: datetime | None
    watermark_after: datetime


def _replace_column(name: str) -> str:
    inc = INCREMENTAL.get(name)
    return inc.replace_column if inc else spec(name).key[0]


def _strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return arr.cast(pa.string())


def read_changes(conn: Connection, name: str, since: datetime | None) -> tuple[pa.Table, pa.Array]:
    """Rows of latest-state table ``name`` whose source changed at or after ``since`` (all if None).

    Returns the raw rows and the source keys they replace (for invoice lines: the invoice ids,
    which also covers an invoice that has no lines any more).
    """
    table = spec(name)
    inc = INCREMENTAL.get(name)
    if name in SQL_EXTRACTS:
        stmt = SQL_EXTRACTS[name].select()
        if since is not None and inc is not None:
            stmt = stmt.where(inc.change_column >= since)
        data = _arrow_tuples(table, (tuple(r) for r in conn.execute(stmt).all()))
        return data, _strings(data.column(_replace_column(name)))
    sx = STRIPE_EXTRACTS[name]
    stmt2 = select(_so.id, _so.payload).where(_so.object_type == sx.object_type)
    if since is not None:
        stmt2 = stmt2.where(_so.updated_at >= since)
    objects = conn.execute(stmt2).all()
    data = _arrow_dicts(table, [row for _, payload in objects for row in sx.flatten(payload)])
    return data, pa.array([oid for oid, _ in objects], pa.string())


def read_source_keys(conn: Connection, name: str) -> pa.Array:
    """Every source key of latest-state table ``name`` that exists now (ids only)."""
    inc = INCREMENTAL[name]
    stmt = select(inc.id_column)
    if name in STRIPE_EXTRACTS:
        stmt = stmt.where(_so.object_type == STRIPE_EXTRACTS[name].object_type)
    return pa.array([str(_plain(k)) for k in conn.execute(stmt).scalars()], pa.string())


def read_watermark(store: AnalyticsStore, name: str) -> datetime | None:
    """The watermark of raw table ``name``; None before its first extract."""
    create_table(store, EXTRACT_WATERMARKS)
    return _stored_watermark(store, name)


def _stored_watermark(store: AnalyticsStore, name: str) -> datetime | None:
    rows = store.query(f"SELECT watermark FROM {ident(EXTRACT_WATERMARKS.name)} WHERE table_name = :t", {"t": name})
    return rows[0]["watermark"].astimezone(UTC) if rows else None


def _raw_keys(store: AnalyticsStore, name: str, column: str) -> pa.Array:
    got = store.query_arrow(f"SELECT {ident(column)} AS k FROM {ident(name)}")
    return _strings(got.column("k")) if got.num_columns else pa.array([], pa.string())


def _delete_keys(store: AnalyticsStore, name: str, column: str, keys: pa.Array) -> None:
    if len(keys) == 0:
        return
    store.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_KEYS} (k VARCHAR)")
    store.execute(f"DELETE FROM {_KEYS}")
    store.load_arrow(_KEYS, pa.table({"k": keys}))
    store.execute(f"DELETE FROM {ident(name)} WHERE {ident(column)} IN (SELECT k FROM {_KEYS})")


def _write_watermark(store: AnalyticsStore, result: LatestStateResult) -> None:
    wm = ident(EXTRACT_WATERMARKS.name)
    store.execute(f"DELETE FROM {wm} WHERE table_name = :t", {"t": result.table})
    store.execute(
        f"INSERT INTO {wm} (table_name, watermark, extracted_at, mode, rows_read, rows_upserted, rows_deleted) "
        "VALUES (:t, :watermark, :extracted_at, :mode, :rows_read, :rows_upserted, :rows_deleted)",
        {
            "t": result.table,
            "watermark": result.watermark_after,
            "extracted_at": datetime.now(UTC),
            "mode": result.mode,
            "rows_read": result.rows_read,
            "rows_upserted": result.rows_upserted,
            "rows_deleted": result.rows_deleted,
        },
    )


def extract_latest(
    engine: Engine,
    store: AnalyticsStore,
    name: str,
    *,
    full_refresh: bool = False,
    overlap: timedelta = OVERLAP,
) -> LatestStateResult:
    """Bring latest-state raw table ``name`` up to date: the rows changed since its watermark.

    The first run, a table without a change stamp (credit packs) and ``full_refresh`` read every
    source row and replace the whole table. The rows, the deletions and the new watermark are
    written in one transaction; ``Conflict`` if another run of the same table committed meanwhile.
    """
    if is_windowed(name):
        raise ValueError(f"{name} is extracted by daily partition, not by watermark")
    table = spec(name)
    create_table(store, table)
    column = _replace_column(name)
    if store.wants_indexes:
        store.execute(f"CREATE INDEX IF NOT EXISTS ix_{ident(name)}_{ident(column)} ON {ident(name)} ({ident(column)})")
    before = read_watermark(store, name)
    incremental = name in INCREMENTAL and before is not None and not full_refresh
    started = datetime.now(UTC)
    with engine.connect() as conn:
        # Source keys first: a row inserted after this read is not in the raw table yet (so it is
        # not reconciled away), and one deleted after it goes at the next run.
        live = read_source_keys(conn, name) if incremental else None
        since = before - overlap if incremental and before is not None else None
        data, keys = read_changes(conn, name, since)
    with store.transaction():
        store.lock_table(name)
        if _stored_watermark(store, name) != before:
            raise Conflict(f"another extract of {name} committed while this one read; run it again", table=name)
        raw = _raw_keys(store, name, column)
        gone = pc.invert(pc.is_in(raw, value_set=live if live is not None else keys))
        deleted = int(pc.sum(gone).as_py() or 0)
        if incremental:
            _delete_keys(store, name, column, pa.concat_arrays([pc.unique(raw.filter(gone)), keys]))
        else:
            store.execute(f"DELETE FROM {ident(name)}")
        store.load_arrow(name, data)
        result = LatestStateResult(
            table=name,
            mode="incremental" if incremental else "full",
            rows_read=len(keys),
            rows_upserted=int(data.num_rows),
            rows_deleted=deleted,
            rows_in_table=0,
            watermark_before=before,
            watermark_after=started,
        )
        _write_watermark(store, result)
    n = int(store.query(f"SELECT COUNT(*) AS n FROM {ident(name)}")[0]["n"])
    log.info(
        "%s: %s, %d source rows read, %d raw rows upserted, %d deleted, %d in table; watermark %s -> %s",
        name,
        result.mode,
        result.rows_read,
        result.rows_upserted,
        deleted,
        n,
        before,
        started,
    )
    return replace(result, rows_in_table=n)
