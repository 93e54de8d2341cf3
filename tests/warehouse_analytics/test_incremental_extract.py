"""Latest-state extracts by watermark, on SQLite and PostgreSQL sources into DuckDB and PostgreSQL stores.

Most runs here use ``overlap=0`` so that row counts are exact: the fixture's rows are stamped
moments before the first run, and the default overlap would re-read them (harmlessly).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session, sessionmaker

from core.enums import AssetFileKind, AssetStatus, GenerationMode, LedgerKind, Plan
from core.errors import Conflict
from warehouse import assets, ledger, stripe_store
from warehouse.analytics import extract as ex
from warehouse.analytics.extract import RAW_TABLES, LatestStateResult, extract_latest, is_windowed, read_watermark
from warehouse.analytics.store import DuckDBStore, PostgresStore
from warehouse.catalog import seed_catalog
from warehouse.db import transaction
from warehouse.models import Asset, PrintConfig, User
from warehouse.storage import StoredObject
from warehouse.users import create_user, set_plan

Store = DuckDBStore | PostgresStore
STATE = [n for n in RAW_TABLES if not is_windowed(n)]
EXACT = timedelta(0)
T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _epoch(days: int) -> int:
    return int((T0 + timedelta(days=days)).timestamp())


def _line(line_id: str, amount: int, *, proration: bool = False) -> dict[str, Any]:
    return {
        "id": line_id,
        "type": "subscription",
        "amount": amount,
        "currency": "usd",
        "proration": proration,
        "quantity": 1,
        "period": {"start": _epoch(0), "end": _epoch(31)},
        "price": {"id": "price_pro", "unit_amount": amount, "recurring": {"interval": "month", "interval_count": 1}},
    }


def _invoice(invoice_id: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": invoice_id,
        "object": "invoice",
        "created": _epoch(0),
        "customer": "cus_a",
        "subscription": "sub_a",
        "status": "paid",
        "billing_reason": "subscription_cycle",
        "currency": "usd",
        "lines": {"object": "list", "data": lines},
    }


def _subscription(status: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "id": "sub_a",
        "object": "subscription",
        "created": _epoch(0),
        "customer": "cus_a",
        "status": status,
        "cancel_at_period_end": False,
        "items": {"object": "list", "data": [{"id": "si_a", "quantity": quantity, "price": _line("x", 1900)["price"]}]},
    }


class Source:
    """A small operational dataset and handles on what the tests change."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]) -> None:
        self.engine, self.sessions = engine, sessions
        with transaction(sessions) as s:
            seed_catalog(session=s)
            self.alice = create_user(session=s, email="alice@example.com").id
            self.bob = create_user(session=s, email="bob@example.com", plan=Plan.STARTER).id
            self.carol = create_user(session=s, email="carol@example.com").id
            ledger.grant(session=s, user_id=self.alice, amount=10, idempotency_key="g-a", kind=LedgerKind.GRANT_PROMO)
            self.asset = Asset(user_id=self.alice, mode=GenerationMode.TEXT, status=AssetStatus.COMPLETED)
            other = Asset(user_id=self.bob, mode=GenerationMode.IMAGE, status=AssetStatus.COMPLETED)
            s.add_all([self.asset, other])
            s.flush()
            self.file_keys = []
            for asset_id, kind in ((self.asset.id, "glb"), (self.asset.id, "concept"), (other.id, "stl")):
                key = f"assets/{asset_id}/{uuid.uuid4().hex}.{kind}"
                stored = StoredObject(key=key, size=1000, sha256="0" * 64, content_type="application/octet-stream")
                assets.add_file(session=s, asset_id=asset_id, kind=AssetFileKind(kind), stored=stored)
                self.file_keys.append(key)
            self.print_config = PrintConfig(
                user_id=self.alice,
                asset_id=self.asset.id,
                technology="fdm",
                material="pla",
                colour="white",
                finish="standard",
                quantity=1,
                target_x_mm=50.0,
                target_y_mm=50.0,
                target_z_mm=50.0,
                quoted_price_cents=2500,
            )
            s.add(self.print_config)
            payout = {"id": "po_a", "object": "payout", "created": _epoch(2), "amount": 900, "status": "paid"}
            for obj in (
                payout,
                _invoice("in_a", [_line("il_a1", 1900), _line("il_a2", 500)]),
                _invoice("in_b", [_line("il_b1", 1900)]),
                _subscription("active"),
            ):
                stripe_store.upsert_object(session=s, obj=obj)

    def change(self, fn: Callable[[Session], object]) -> None:
        with transaction(self.sessions) as s:
            fn(s)


@pytest.fixture
def source(engine: Engine, sessions: sessionmaker[Session]) -> Source:
    return Source(engine, sessions)


def run_all(source: Source, store: Store, **kwargs: Any) -> dict[str, LatestStateResult]:
    return {name: extract_latest(source.engine, store, name, **kwargs) for name in STATE}


def _norm(v: Any) -> Any:
    return v.astimezone(UTC) if isinstance(v, datetime) else v


def rows(store: Store, name: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(_norm(v) for v in r.values()) for r in store.query(f"SELECT * FROM {name}")), key=repr)


def assert_equals_full_refresh(source: Source, store: Store) -> None:
    fresh = DuckDBStore(":memory:")
    try:
        run_all(source, fresh, full_refresh=True)
        for name in STATE:
            assert rows(store, name) == rows(fresh, name), name
    finally:
        fresh.close()


def test_first_run_loads_everything_and_an_unchanged_source_reads_nothing(source: Source, store: Store) -> None:
    first = run_all(source, store, overlap=EXACT)
    assert {n: (r.mode, r.rows_upserted) for n, r in first.items()} == {
        "raw_users": ("full", 3),
        "raw_asset_files": ("full", 3),
        "raw_print_configs": ("full", 1),
        "raw_credit_packs": ("full", first["raw_credit_packs"].rows_read),
        "raw_stripe_payouts": ("full", 1),
        "raw_stripe_invoice_lines": ("full", 3),
        "raw_stripe_subscriptions": ("full", 1),
    }
    assert all(r.watermark_before is None for r in first.values())
    before = {n: rows(store, n) for n in STATE}

    second = run_all(source, store, overlap=EXACT)
    for name in STATE:
        r = second[name]
        assert r.watermark_before == first[name].watermark_after, name
        assert r.watermark_after > r.watermark_before, name
        assert read_watermark(store, name) == r.watermark_after, name
        assert rows(store, name) == before[name], name
        if name == "raw_credit_packs":  # a few catalogue rows, reloaded whole every time
            assert r.mode == "full"
            continue
        assert (r.mode, r.rows_read, r.rows_upserted, r.rows_deleted) == ("incremental", 0, 0, 0), name
        assert r.rows_in_table == len(before[name])


def test_changed_rows_only_are_re_extracted_and_match_a_full_refresh(source: Source, store: Store) -> None:
    run_all(source, store, overlap=EXACT)
    source.change(lambda s: set_plan(session=s, user_id=source.bob, plan=Plan.PRO))
    source.change(lambda s: ledger.spend(session=s, user_id=source.alice, amount=4, idempotency_key="spend-1"))
    source.change(lambda s: stripe_store.upsert_object(session=s, obj=_subscription("past_due", quantity=2)))
    extra_line = _invoice("in_a", [_line("il_a1", 1900), _line("il_a2", 500), _line("il_a3", -300, proration=True)])
    source.change(lambda s: stripe_store.upsert_object(session=s, obj=extra_line))
    source.change(lambda s: stripe_store.upsert_object(session=s, obj=_invoice("in_b", [])))  # its line is gone

    again = run_all(source, store, overlap=EXACT)
    assert again["raw_users"].rows_read == 2  # bob's plan, alice's balance: carol is not read
    assert again["raw_stripe_subscriptions"].rows_read == 1
    assert again["raw_stripe_invoice_lines"].rows_read == 2  # two invoices …
    assert again["raw_stripe_invoice_lines"].rows_upserted == 3  # … now holding three lines between them
    for name in ("raw_asset_files", "raw_print_configs", "raw_stripe_payouts"):
        assert again[name].rows_read == 0, name
    users = {r["user_id"]: r for r in store.query("SELECT * FROM raw_users")}
    assert users[str(source.alice)]["credit_balance"] == 6
    assert users[str(source.bob)]["plan"] == "pro"
    (sub,) = store.query("SELECT status, quantity FROM raw_stripe_subscriptions")
    assert (sub["status"], sub["quantity"]) == ("past_due", 2)
    lines = store.query("SELECT line_id FROM raw_stripe_invoice_lines ORDER BY line_id")
    assert [r["line_id"] for r in lines] == ["il_a1", "il_a2", "il_a3"]
    assert_equals_full_refresh(source, store)


def test_deleted_files_leave_the_raw_table(source: Source, store: Store) -> None:
    run_all(source, store, overlap=EXACT)
    source.change(lambda s: assets.remove_files(session=s, keys=[source.file_keys[2]]))  # a regenerated model
    r = extract_latest(source.engine, store, "raw_asset_files", overlap=EXACT)
    assert (r.rows_read, r.rows_upserted, r.rows_deleted, r.rows_in_table) == (0, 0, 1, 2)
    source.change(lambda s: assets.soft_delete(session=s, asset_id=source.asset.id))  # drops its two files
    r = extract_latest(source.engine, store, "raw_asset_files", overlap=EXACT)
    assert (r.rows_deleted, r.rows_in_table) == (2, 0)
    assert_equals_full_refresh(source, store)


def test_a_failed_run_leaves_rows_and_watermark_unchanged(
    source: Source, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_all(source, store, overlap=EXACT)
    watermark, before = read_watermark(store, "raw_users"), rows(store, "raw_users")
    source.change(lambda s: set_plan(session=s, user_id=source.carol, plan=Plan.STUDIO))
    load = store.load_arrow

    def fail_on_users(table: str, data: Any) -> None:
        if table == "raw_users":
            raise OSError("disk full")  # after the old rows of the incoming keys were deleted
        load(table, data)

    monkeypatch.setattr(store, "load_arrow", fail_on_users)
    with pytest.raises(OSError, match="disk full"):
        extract_latest(source.engine, store, "raw_users", overlap=EXACT)
    monkeypatch.undo()
    assert read_watermark(store, "raw_users") == watermark
    assert rows(store, "raw_users") == before
    r = extract_latest(source.engine, store, "raw_users", overlap=EXACT)
    assert (r.watermark_before, r.rows_read) == (watermark, 1)
    assert_equals_full_refresh(source, store)


def test_full_refresh_sees_an_edit_that_skipped_the_change_stamp(source: Source, store: Store) -> None:
    run_all(source, store, overlap=EXACT)
    with source.engine.begin() as conn:  # by hand, without setting updated_at
        conn.execute(text("UPDATE users SET plan = 'studio'"))
    r = extract_latest(source.engine, store, "raw_users", overlap=EXACT)
    assert r.rows_read == 0  # invisible to the watermark: the documented limit
    assert {x["plan"] for x in store.query("SELECT plan FROM raw_users")} != {"studio"}
    r = extract_latest(source.engine, store, "raw_users", full_refresh=True)
    assert (r.mode, r.rows_read, r.rows_in_table) == ("full", 3, 3)
    assert {x["plan"] for x in store.query("SELECT plan FROM raw_users")} == {"studio"}
    assert extract_latest(source.engine, store, "raw_users", overlap=EXACT).mode == "incremental"


def test_the_overlap_catches_a_change_stamped_before_the_watermark(source: Source, store: Store) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)  # out of the overlap
    source.change(lambda s: s.execute(update(User).values(updated_at=an_hour_ago)))
    extract_latest(source.engine, store, "raw_users", overlap=EXACT)
    watermark = read_watermark(store, "raw_users")
    assert watermark is not None
    late = watermark - timedelta(minutes=2)  # stamped before the last read, committed after it
    source.change(lambda s: s.execute(update(User).where(User.id == source.carol).values(plan="pro", updated_at=late)))
    assert extract_latest(source.engine, store, "raw_users", overlap=EXACT).rows_read == 0
    r = extract_latest(source.engine, store, "raw_users")  # the default overlap, 5 minutes
    assert r.rows_read == 1
    (carol,) = store.query("SELECT plan FROM raw_users WHERE user_id = :u", {"u": str(source.carol)})
    assert carol["plan"] == "pro"


def test_a_run_overtaken_by_another_changes_nothing(
    source: Source, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    extract_latest(source.engine, store, "raw_users")
    before = rows(store, "raw_users")
    source.change(lambda s: set_plan(session=s, user_id=source.carol, plan=Plan.PRO))
    read_changes = ex.read_changes

    def read_while_another_run_commits(conn: Any, name: str, since: Any) -> Any:
        got = read_changes(conn, name, since)
        store.execute(
            "UPDATE _extract_watermarks SET watermark = :w WHERE table_name = :t",
            {"w": datetime.now(UTC), "t": name},
        )
        return got

    monkeypatch.setattr(ex, "read_changes", read_while_another_run_commits)
    with pytest.raises(Conflict):
        extract_latest(source.engine, store, "raw_users")
    assert rows(store, "raw_users") == before
