"""Marts export as Parquet to the object store (a directory and S3 on moto), typed by the table registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.errors import StorageError
from core.settings import Settings
from tests.warehouse_analytics.conftest import build_all
from warehouse.analytics.export import LATEST, export_parquet, export_snapshot
from warehouse.analytics.store import DuckDBStore, PostgresStore
from warehouse.analytics.tables import spec
from warehouse.snapshot import PG_PUBLISHED, SnapshotReader, publish_snapshot
from warehouse.storage import storage_options

SCHEMA = spec("ai_cost_daily").arrow_schema
ROW = {
    "day": date(2026, 3, 1),
    "provider": "local",
    "model": "m",
    "stage": "model",
    "calls": 2,
    "failed_calls": 0,
    "units": 1.5,
    "cost_nano_usd": 1_234_000_000,
    "cost_usd": Decimal("1.234000000"),
    "failed_cost_nano_usd": 0,
    "queue_seconds": 0.5,
    "run_seconds": 3.0,
}
TABLES = {"ai_cost_daily": pa.Table.from_pylist([ROW], schema=SCHEMA)}


@dataclass
class FakeSettings:
    analytics_url: str
    var_dir: Path


def _latest(path: Path) -> dict[str, object]:
    return dict(json.loads((path / "analytics" / LATEST).read_text()))


def test_export_to_a_directory_writes_the_files_then_the_pointer(tmp_path) -> None:
    built = datetime(2026, 3, 1, tzinfo=UTC)
    result = export_parquet(TABLES, destination=str(tmp_path), version="20260301T000000Z-abc", built_at=built)
    (path,) = result.paths
    assert path == str(tmp_path / "analytics" / "20260301T000000Z-abc" / "ai_cost_daily.parquet")
    read = pq.read_table(path)
    assert read.schema == SCHEMA
    assert read.to_pylist() == [ROW]
    latest = _latest(tmp_path)
    assert latest["version"] == "20260301T000000Z-abc"
    assert latest["built_at"] == built.isoformat()
    assert latest["tables"] == [{"name": "ai_cost_daily", "path": path, "rows": 1, "bytes": Path(path).stat().st_size}]
    assert result.latest_updated
    assert result.bytes_written == Path(path).stat().st_size
    assert not list(tmp_path.rglob(".tmp-*"))


def test_reexport_overwrites_and_the_pointer_never_moves_back(tmp_path) -> None:
    export_parquet(TABLES, destination=f"file://{tmp_path}", version="20260302T000000Z-b")
    again = export_parquet(TABLES, destination=f"file://{tmp_path}", version="20260302T000000Z-b")
    assert again.latest_updated
    assert again.paths == [f"file://{tmp_path}/analytics/20260302T000000Z-b/ai_cost_daily.parquet"]
    older = export_parquet(TABLES, destination=str(tmp_path), version="20260301T000000Z-a")
    assert not older.latest_updated
    assert _latest(tmp_path)["version"] == "20260302T000000Z-b"
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == [
        "analytics/20260301T000000Z-a/ai_cost_daily.parquet",
        "analytics/20260302T000000Z-b/ai_cost_daily.parquet",
        f"analytics/{LATEST}",
    ]


def test_a_failed_export_keeps_the_previous_pointer(tmp_path) -> None:
    export_parquet(TABLES, destination=str(tmp_path), version="v1")
    two = {"admin_overview": pa.table({"x": [1]}), **TABLES}
    # a directory where the second file should go: the first file is written, then the export fails
    (tmp_path / "analytics" / "v2" / "ai_cost_daily.parquet").mkdir(parents=True)
    with pytest.raises(StorageError, match=r"could not write .*v2/ai_cost_daily\.parquet.*still names the previous"):
        export_parquet(two, destination=str(tmp_path), version="v2")
    assert (tmp_path / "analytics" / "v2" / "admin_overview.parquet").exists()
    assert _latest(tmp_path)["version"] == "v1"
    assert not list(tmp_path.rglob(".tmp-*"))
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    with pytest.raises(StorageError, match="could not write"):
        export_parquet(TABLES, destination=str(blocker / "exports"), version="v1")


@pytest.mark.s3
def test_export_to_s3(moto_endpoint, s3_bucket) -> None:
    import s3fs

    settings = Settings(
        s3_endpoint_url=moto_endpoint,
        s3_region="us-east-1",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    destination = f"s3://{s3_bucket}/exports"
    options = storage_options(destination, settings)
    assert options == {
        "client_kwargs": {"endpoint_url": moto_endpoint, "region_name": "us-east-1"},
        "key": "testing",
        "secret": "testing",
    }
    assert storage_options("var/objects", settings) == {}
    result = export_parquet(TABLES, destination=destination, version="v1", storage_options=options)
    assert result.paths == [f"s3://{s3_bucket}/exports/analytics/v1/ai_cost_daily.parquet"]
    fs = s3fs.S3FileSystem(**options)
    with fs.open(result.paths[0], "rb") as f:
        read = pq.read_table(f)
    assert read.schema == SCHEMA
    assert read.column("cost_usd").to_pylist() == [Decimal("1.234000000")]
    assert json.loads(fs.cat_file(f"{s3_bucket}/exports/analytics/{LATEST}"))["version"] == "v1"
    with pytest.raises(StorageError, match="could not write"):
        export_parquet(TABLES, destination="s3://no-such-bucket-mk3d/x", version="v1", storage_options=options)


def _check_typed_export(reader: SnapshotReader, out: Path) -> None:
    result = export_snapshot(reader, destination=str(out))
    assert [t.name for t in result.tables] == reader.info.tables
    for t in result.tables:
        expected = spec(t.name).arrow_schema
        assert reader.read_arrow(t.name).schema == expected
        assert pq.read_schema(t.path) == expected
        assert t.rows == reader.query(f"SELECT COUNT(*) AS n FROM {t.name}")[0]["n"]
    empty = next(t for t in result.tables if t.name == "revenue_daily")
    assert empty.rows == 0
    assert pq.read_table(empty.path).schema.names == spec("revenue_daily").column_names
    assert _latest(out)["version"] == reader.info.version


def test_snapshot_exports_with_registry_types_on_duckdb(seeded_engine, tmp_path) -> None:
    writer = DuckDBStore(tmp_path / "analytics.duckdb")
    build_all(seeded_engine, writer)
    writer.execute("DELETE FROM revenue_daily")  # an empty table keeps its typed columns
    publish_snapshot(writer, var_dir=tmp_path)
    writer.close()
    reader = SnapshotReader.open(FakeSettings(f"duckdb:///{tmp_path / 'analytics.duckdb'}", tmp_path))
    try:
        _check_typed_export(reader, tmp_path / "exports")
    finally:
        reader.close()


@pytest.mark.postgres
def test_snapshot_exports_with_registry_types_on_postgres(seeded_engine, pg_database_url, tmp_path) -> None:
    writer = PostgresStore(pg_database_url)
    try:
        build_all(seeded_engine, writer)
        writer.execute("DELETE FROM revenue_daily")
        publish_snapshot(writer)
        reader = SnapshotReader.open(FakeSettings(pg_database_url, tmp_path))
        try:
            _check_typed_export(reader, tmp_path / "exports")
        finally:
            reader.close()
    finally:
        writer.execute(f"DROP SCHEMA IF EXISTS {PG_PUBLISHED} CASCADE")
        writer.execute("DROP SCHEMA IF EXISTS analytics CASCADE")
        writer.close()
