"""The Definitions load; assets, checks, jobs, schedules and the Stripe sensor are wired as documented."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from assets_pipeline.definitions import defs, make_definitions
from assets_pipeline.resources import (
    DuckDBAnalytics,
    ExportDestination,
    OperationalDatabase,
    PostgresAnalytics,
    make_resources,
)
from core.settings import Settings
from warehouse.analytics.tables import BUILT, CORE, MARTS, RAW


def test_definitions_load_with_every_asset_and_check() -> None:
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert set(specs) == {t.name for t in RAW + CORE + MARTS} | {"analytics_snapshot", "analytics_parquet_export"}
    groups = {s.group_name for s in specs.values()}
    assert {"raw", "core", "admin_stats", "ai_costs", "revenue", "publication"} <= groups
    assert {t.group for t in CORE} == {"core"}
    for t in BUILT:
        assert specs[t.name].group_name == t.group
        assert specs[t.name].description
    checks = {k.to_user_string() for k in defs.resolve_asset_graph().asset_check_keys}
    assert "revenue_daily:revenue_net_reconciles" in checks
    assert "mrr_monthly:mrr_movement_identity" in checks
    assert "admin_overview:ledger_balances" in checks
    assert all(f"{t.name}:expectations" in checks for t in BUILT)
    for job in ("raw_state", "daily_facts", "monthly_mrr", "publish", "revenue_daily_refresh", "revenue_state_refresh"):
        defs.resolve_job_def(job)


def test_parquet_export_runs_after_publication_in_the_publish_job() -> None:
    export = next(s for s in defs.resolve_all_asset_specs() if s.key.to_user_string() == "analytics_parquet_export")
    assert export.group_name == "publication"
    assert [d.asset_key.to_user_string() for d in export.deps] == ["analytics_snapshot"]
    publish = defs.resolve_job_def("publish").asset_layer.selected_asset_keys
    assert {dg.AssetKey("analytics_snapshot"), dg.AssetKey("analytics_parquet_export")} <= publish
    assert defs.resolve_schedule_def("publish_hourly").job_name == "publish"


def test_resources_chosen_by_settings(tmp_path) -> None:
    duck = make_resources(Settings(var_dir=tmp_path))
    assert isinstance(duck["analytics"], DuckDBAnalytics)
    assert isinstance(duck["operational_db"], OperationalDatabase)
    assert duck["export_destination"] == ExportDestination(url=str(tmp_path / "objects"), storage_options={})
    s3 = make_resources(
        Settings(var_dir=tmp_path, analytics_export_url="s3://marts/exports", s3_endpoint_url="http://minio:9000")
    )
    assert s3["export_destination"].url == "s3://marts/exports"
    assert s3["export_destination"].storage_options == {"client_kwargs": {"endpoint_url": "http://minio:9000"}}
    pg = make_resources(Settings(var_dir=tmp_path, analytics_url="postgresql+psycopg://postgres@127.0.0.1/x"))
    assert isinstance(pg["analytics"], PostgresAnalytics)
    make_definitions(Settings(var_dir=tmp_path))


def test_core_tables_feed_the_marts_that_need_history() -> None:
    graph = defs.resolve_asset_graph()

    def parents(name: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(dg.AssetKey(name)).parent_keys}

    assert {"core_credit_grants", "core_credit_consumption"} <= parents("unit_economics")
    assert "raw_credit_ledger" not in parents("unit_economics")
    assert parents("mrr_monthly") == {"core_customer_mrr"}
    assert "core_credit_grants" in parents("core_credit_grants")  # reads its own earlier partitions


def test_hourly_schedule_requests_today_and_yesterday() -> None:
    schedule = defs.resolve_schedule_def("daily_facts_hourly")
    ctx = dg.build_schedule_context(
        repository_def=defs.get_repository_def(), scheduled_execution_time=datetime(2026, 3, 15, 10, 5, tzinfo=UTC)
    )
    requests = schedule.evaluate_tick(ctx).run_requests or []
    assert [r.partition_key for r in requests] == ["2026-03-14", "2026-03-15"]
    monthly = defs.resolve_schedule_def("monthly_mrr_hourly").evaluate_tick(
        dg.build_schedule_context(
            repository_def=defs.get_repository_def(), scheduled_execution_time=datetime(2026, 3, 15, 10, 10, tzinfo=UTC)
        )
    )
    assert [r.partition_key for r in monthly.run_requests or []] == ["2026-02-01", "2026-03-01"]


def test_stripe_sensor_runs_revenue_once_per_batch(pipeline_settings) -> None:
    sensor = defs.resolve_sensor_def("stripe_events_sensor")
    resources = {"operational_db": OperationalDatabase(url=pipeline_settings.database_url)}
    with dg.build_sensor_context(resources=resources, repository_def=defs.get_repository_def()) as ctx:
        first = sensor.evaluate_tick(ctx)
    assert first.run_requests
    assert first.cursor
    jobs = {r.job_name for r in first.run_requests}
    assert jobs == {"revenue_daily_refresh", "revenue_state_refresh"}
    assert len({r.run_key for r in first.run_requests}) == len(first.run_requests)
    with dg.build_sensor_context(
        cursor=first.cursor, resources=resources, repository_def=defs.get_repository_def()
    ) as ctx:
        again = sensor.evaluate_tick(ctx)
    assert not again.run_requests
    assert again.skip_message
