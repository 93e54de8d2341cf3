"""In-process materialisation of everything: checks pass, a snapshot is published; bad data blocks it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select, text, update

from assets_pipeline.build import build_everything
from assets_pipeline.definitions import all_assets
from assets_pipeline.resources import make_resources
from warehouse.db import make_engine
from warehouse.models import User
from warehouse.snapshot import SnapshotReader


def test_build_everything_publishes_after_checks(pipeline_settings) -> None:
    report = build_everything(pipeline_settings, start=date(2026, 1, 10), end=date(2026, 3, 15))
    assert report.success, report.steps
    failed = [c for c in report.checks if not c.passed and c.severity == "ERROR"]
    assert failed == []
    assert {c.check for c in report.checks} >= {"expectations", "ledger_balances", "mrr_movement_identity"}
    reader = SnapshotReader.open(pipeline_settings)
    assert reader.info.version == report.snapshot_version
    # the Parquet export follows publication, to <storage_url>/analytics/ by default
    latest = Path(pipeline_settings.storage_url) / "analytics" / "latest.json"
    assert report.export_latest == str(latest)
    assert json.loads(latest.read_text())["version"] == report.snapshot_version
    assert report.export_tables == len(reader.info.tables)
    assert "state marts, publication and Parquet export: ok" in report.steps
    (row,) = reader.query("SELECT total_users, gross_sales_cents FROM admin_overview")
    assert row["total_users"] == 40
    assert row["gross_sales_cents"] > 0
    reader.close()

    # corrupt the operational ledger: the blocking check fails and the old snapshot stays published.
    # A Core UPDATE, like the ledger's own, moves users.updated_at, so the incremental extract sees it.
    engine = make_engine(pipeline_settings.database_url)
    with engine.begin() as conn:
        uid = conn.execute(select(User.id).order_by(User.created_at).limit(1)).scalar_one()
        conn.execute(update(User).where(User.id == uid).values(credit_balance=User.credit_balance + 3))
    engine.dispose()
    again = build_everything(pipeline_settings, start=date(2026, 3, 14), end=date(2026, 3, 15))
    assert not again.success
    assert any(c.check == "ledger_balances" and not c.passed for c in again.checks)
    assert SnapshotReader.open(pipeline_settings).info.version == report.snapshot_version


def test_latest_state_extracts_are_incremental_with_a_full_refresh_on_demand(pipeline_settings) -> None:
    resources = make_resources(pipeline_settings)
    selection = ["raw_users", "raw_stripe_invoice_lines"]

    def run(run_config: dict | None = None) -> dict[str, dict]:
        result = dg.materialize(all_assets, selection=selection, resources=resources, run_config=run_config)
        assert result.success
        return {
            e.materialization.asset_key.to_user_string(): {
                k: getattr(v, "value", v) for k, v in e.materialization.metadata.items()
            }
            for e in result.get_asset_materialization_events()
        }

    first = run()
    assert first["raw_users"]["mode"] == "full"
    assert first["raw_users"]["watermark_before"] == "none (first run)"
    assert first["raw_users"]["dagster/row_count"] == first["raw_users"]["rows_upserted"] == 40
    second = run()
    for name in selection:  # the seeded history is older than the overlap: nothing to read
        meta = second[name]
        assert (meta["mode"], meta["rows_read"], meta["rows_upserted"], meta["rows_deleted"]) == (
            "incremental",
            0,
            0,
            0,
        )
        assert meta["watermark_before"] == first[name]["watermark_after"]
        assert meta["dagster/row_count"] == first[name]["dagster/row_count"]
    full = run({"ops": {"raw_users": {"config": {"full_refresh": True}}}})
    assert (full["raw_users"]["mode"], full["raw_users"]["rows_upserted"]) == ("full", 40)
    assert full["raw_stripe_invoice_lines"]["mode"] == "incremental"


def test_materialize_one_daily_partition(pipeline_settings) -> None:
    engine = make_engine(pipeline_settings.database_url)
    with engine.connect() as conn:
        created = conn.execute(
            text("SELECT MAX(created) FROM stripe_objects WHERE object_type = 'charge' AND created < :t"),
            {"t": 1773100800},  # 2026-03-10
        ).scalar_one()
    engine.dispose()
    day = datetime.fromtimestamp(created, UTC).date()
    resources = make_resources(pipeline_settings)
    selection = ["raw_stripe_balance_transactions", "raw_stripe_charges", "revenue_daily"]
    result = dg.materialize(all_assets, selection=selection, resources=resources, partition_key=day.isoformat())
    assert result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["expectations"]
    assert evaluations["revenue_net_reconciles"]
    with resources["analytics"].open() as store:
        rows = store.query("SELECT day, gross_sales_cents FROM revenue_daily")
    assert [r["day"] for r in rows] == [day]
    assert rows[0]["gross_sales_cents"] > 0


@pytest.mark.slow
def test_backfill_range_runs_in_one_run(pipeline_settings) -> None:
    resources = make_resources(pipeline_settings)
    tags = {"dagster/asset_partition_range_start": "2026-02-01", "dagster/asset_partition_range_end": "2026-02-28"}
    result = dg.materialize(all_assets, selection=["raw_credit_ledger", "active_users"], resources=resources, tags=tags)
    assert result.success
    with resources["analytics"].open() as store:
        assert store.query("SELECT COUNT(*) AS n FROM active_users")[0]["n"] == 28
