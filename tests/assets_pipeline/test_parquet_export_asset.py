"""The ``analytics_parquet_export`` asset: the published snapshot as Parquet on file:// and s3://, pointer last."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import SecretStr

from assets_pipeline.definitions import all_assets
from assets_pipeline.resources import make_resources
from core.settings import Settings
from tests.warehouse_analytics.conftest import build_all
from warehouse.analytics.export import LATEST
from warehouse.analytics.store import DuckDBStore
from warehouse.analytics.tables import PUBLISHED, spec
from warehouse.db import make_engine
from warehouse.snapshot import SnapshotReader

PUBLICATION = ["analytics_snapshot", "analytics_parquet_export"]


@pytest.fixture(scope="module")
def built_marts(seeded_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB analytics file with every mart built from the seeded database (built once, copied per test)."""
    path = tmp_path_factory.mktemp("marts") / "analytics.duckdb"
    engine = make_engine(f"sqlite:///{seeded_db_file}")
    store = DuckDBStore(path)
    try:
        build_all(engine, store)
    finally:
        store.close()
        engine.dispose()
    return path


@pytest.fixture
def settings_for(pipeline_settings: Settings, built_marts: Path) -> Callable[..., Settings]:
    shutil.copy(built_marts, pipeline_settings.analytics_url.removeprefix("duckdb:///"))

    def make(**overrides: Any) -> Settings:
        return pipeline_settings.model_copy(update=overrides)

    return make


def _materialize(settings: Settings, selection: list[str]) -> dg.ExecuteInProcessResult:
    return dg.materialize(all_assets, selection=selection, resources=make_resources(settings), raise_on_error=False)


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    (mat,) = [m.materialization for m in result.get_asset_materialization_events() if m.asset_key.path == [asset]]
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}


def _failure(result: dg.ExecuteInProcessResult) -> str:
    (event,) = [e for e in result.all_events if e.is_step_failure]
    data: Any = event.event_specific_data
    return str(data.error.message)


def _read_file(url: str) -> bytes:
    return Path(url.removeprefix("file://")).read_bytes()


def _check_export(settings: Settings, meta: dict[str, Any], read: Callable[[str], bytes]) -> dict[str, Any]:
    """Every published table is there with the snapshot's rows and the registry's types; the pointer names it."""
    reader = SnapshotReader.open(settings)
    try:
        assert meta["version"] == reader.info.version
        assert meta["tables"] == list(PUBLISHED) == reader.info.tables
        latest = json.loads(read(meta["latest"]))
        assert latest["version"] == reader.info.version
        assert latest["built_at"] == reader.info.built_at.isoformat()
        assert [t["name"] for t in latest["tables"]] == reader.info.tables
        for entry in latest["tables"]:
            name = entry["name"]
            table = pq.read_table(pa.BufferReader(read(entry["path"])))
            assert entry["path"].endswith(f"/analytics/{reader.info.version}/{name}.parquet")
            assert table.schema == spec(name).arrow_schema
            rows = reader.query(f"SELECT COUNT(*) AS n FROM {name}")[0]["n"]
            assert table.num_rows == rows == entry["rows"] == meta["rows"][name]
        assert meta["bytes_written"] == sum(t["bytes"] for t in latest["tables"]) > 0
    finally:
        reader.close()
    return dict(latest)


def test_export_asset_writes_the_published_snapshot_to_a_directory(settings_for, tmp_path) -> None:
    settings = settings_for(analytics_export_url=f"file://{tmp_path / 'exports'}")
    result = _materialize(settings, PUBLICATION)
    assert result.success
    meta = _metadata(result, "analytics_parquet_export")
    assert meta["version"] == _metadata(result, "analytics_snapshot")["version"]
    assert meta["destination"] == f"file://{tmp_path / 'exports'}"
    assert meta["latest"] == f"file://{tmp_path / 'exports' / 'analytics' / LATEST}"
    first = _check_export(settings, meta, _read_file)
    files = sorted(p for p in (tmp_path / "exports").rglob("*") if p.is_file())

    # re-running the export for the same snapshot overwrites the same files
    again = _materialize(settings, ["analytics_parquet_export"])
    assert again.success
    assert _metadata(again, "analytics_parquet_export")["version"] == meta["version"]
    assert sorted(p for p in (tmp_path / "exports").rglob("*") if p.is_file()) == files
    second = _check_export(settings, _metadata(again, "analytics_parquet_export"), _read_file)
    assert second["tables"] == first["tables"]


@pytest.mark.s3
def test_export_asset_writes_to_s3(settings_for, moto_endpoint, s3_bucket) -> None:
    import s3fs

    settings = settings_for(
        analytics_export_url=f"s3://{s3_bucket}/exports",
        s3_endpoint_url=moto_endpoint,
        s3_region="us-east-1",
        s3_access_key_id=SecretStr("testing"),
        s3_secret_access_key=SecretStr("testing"),
    )
    result = _materialize(settings, PUBLICATION)
    assert result.success, _failure(result)
    meta = _metadata(result, "analytics_parquet_export")
    assert meta["latest"] == f"s3://{s3_bucket}/exports/analytics/{LATEST}"
    fs = s3fs.S3FileSystem(key="testing", secret="testing", client_kwargs={"endpoint_url": moto_endpoint})
    _check_export(settings, meta, lambda url: bytes(fs.cat_file(url)))
    assert sorted(fs.ls(f"{s3_bucket}/exports/analytics")) == [
        f"{s3_bucket}/exports/analytics/{meta['version']}",
        f"{s3_bucket}/exports/analytics/{LATEST}",
    ]


def test_failed_export_fails_the_asset_and_keeps_the_previous_latest(settings_for, tmp_path) -> None:
    exports = tmp_path / "exports"
    settings = settings_for(analytics_export_url=str(exports))
    first = _materialize(settings, PUBLICATION)
    assert first.success
    v1 = _metadata(first, "analytics_parquet_export")["version"]
    published = _materialize(settings, ["analytics_snapshot"])
    v2 = _metadata(published, "analytics_snapshot")["version"]
    assert v2 != v1
    # the new version's revenue_daily file cannot be written: a directory stands in its place
    (exports / "analytics" / v2 / "revenue_daily.parquet").mkdir(parents=True)
    failed = _materialize(settings, ["analytics_parquet_export"])
    assert not failed.success
    message = _failure(failed)
    assert f"Parquet export of snapshot {v2} failed" in message
    assert "revenue_daily.parquet" in message
    assert f"{LATEST} still names the previous export" in message
    assert json.loads((exports / "analytics" / LATEST).read_text())["version"] == v1
    assert not list(exports.rglob(".tmp-*"))


def test_export_before_any_publication_fails_clearly(settings_for, tmp_path) -> None:
    settings = settings_for(analytics_export_url=str(tmp_path / "exports"))
    result = _materialize(settings, ["analytics_parquet_export"])
    assert not result.success
    assert "nothing to export: no analytics snapshot has been published yet" in _failure(result)
    assert not (tmp_path / "exports").exists()
