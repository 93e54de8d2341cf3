"""Atomic publication of the analytics snapshot and the read-only reader the API uses."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.errors import InvalidInput, NotFound
from tests.warehouse_analytics.conftest import build_all
from warehouse.analytics.store import DuckDBStore, PostgresStore
from warehouse.snapshot import PG_PUBLISHED, SnapshotReader, publish_snapshot


@dataclass
class FakeSettings:
    analytics_url: str
    var_dir: Path


def test_duckdb_publish_read_refresh(seeded_engine, tmp_path) -> None:
    settings = FakeSettings(f"duckdb:///{tmp_path / 'analytics.duckdb'}", tmp_path)
    with pytest.raises(NotFound):
        SnapshotReader.open(settings)
    writer = DuckDBStore(tmp_path / "analytics.duckdb")
    build_all(seeded_engine, writer)
    first = publish_snapshot(writer, var_dir=tmp_path)
    reader = SnapshotReader.open(settings)
    assert reader.info.version == first.version
    assert "revenue_daily" in reader.info.tables
    total = reader.query("SELECT SUM(gross_sales_cents) AS g FROM revenue_daily")[0]["g"]
    assert total > 0
    assert reader.query("SELECT version FROM snapshot_info") == [{"version": first.version}]
    assert reader.query("SELECT COUNT(*) AS n FROM revenue_daily WHERE day >= ?", ["2026-03-01"])[0]["n"] > 0
    # the writer keeps writing while the reader reads: the reader never opens the writer's file
    writer.execute("DELETE FROM revenue_daily")
    assert reader.query("SELECT SUM(gross_sales_cents) AS g FROM revenue_daily")[0]["g"] == total
    assert reader.refresh() is False
    second = publish_snapshot(writer, var_dir=tmp_path)
    assert reader.refresh() is True
    assert reader.info.version == second.version
    assert reader.query("SELECT COUNT(*) AS n FROM revenue_daily")[0]["n"] == 0
    with pytest.raises(InvalidInput):
        reader.query("DELETE FROM revenue_daily")
    with pytest.raises(InvalidInput):
        reader.query("SELECT 1; DROP TABLE revenue_daily")
    assert not list((tmp_path / "published").glob(".*.tmp"))
    reader.close()
    writer.close()


def test_concurrent_readers_during_publication(seeded_engine, tmp_path) -> None:
    settings = FakeSettings(f"duckdb:///{tmp_path / 'a.duckdb'}", tmp_path)
    writer = DuckDBStore(tmp_path / "a.duckdb")
    build_all(seeded_engine, writer)
    publish_snapshot(writer, var_dir=tmp_path)
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        reader = SnapshotReader.open(settings)
        try:
            while not stop.is_set():
                reader.refresh()
                assert reader.query("SELECT COUNT(*) AS n FROM mrr_monthly")[0]["n"] > 0
        except BaseException as e:
            errors.append(e)
        finally:
            reader.close()

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(5):
        publish_snapshot(writer, var_dir=tmp_path)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert len(list((tmp_path / "published").glob("analytics-*.duckdb"))) <= 3
    writer.close()


@pytest.mark.postgres
def test_postgres_publication_swaps_schema_in_one_transaction(seeded_engine, pg_database_url, tmp_path) -> None:
    settings = FakeSettings(pg_database_url, tmp_path)
    writer = PostgresStore(pg_database_url)
    try:
        writer.execute(f"DROP SCHEMA IF EXISTS {PG_PUBLISHED} CASCADE")
        with pytest.raises(NotFound):
            SnapshotReader.open(settings)
        build_all(seeded_engine, writer)
        first = publish_snapshot(writer)
        reader = SnapshotReader.open(settings)
        assert reader.info.version == first.version
        n = reader.query("SELECT COUNT(*) AS n FROM revenue_daily")[0]["n"]
        assert n > 0
        writer.execute("DELETE FROM revenue_daily")
        assert reader.query("SELECT COUNT(*) AS n FROM revenue_daily")[0]["n"] == n
        publish_snapshot(writer)
        assert reader.refresh() is True
        assert reader.query("SELECT COUNT(*) AS n FROM revenue_daily")[0]["n"] == 0
        with pytest.raises(InvalidInput):
            reader.query("DROP TABLE revenue_daily")
        reader.close()
    finally:
        writer.execute(f"DROP SCHEMA IF EXISTS {PG_PUBLISHED} CASCADE")
        writer.execute("DROP SCHEMA IF EXISTS analytics CASCADE")
        writer.close()
    _ = uuid
