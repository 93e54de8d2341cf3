"""``makeit3d warehouse export``: the published marts as Parquet, typed by the table registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cli.main import app
from core.settings import get_settings
from warehouse.analytics.extract import ensure_tables
from warehouse.analytics.store import DuckDBStore
from warehouse.analytics.tables import PUBLISHED, spec
from warehouse.snapshot import publish_snapshot

ROWS = {
    "ai_cost_daily": [
        {"day": date(2026, 3, 1), "provider": "local", "model": "m", "stage": "model", "calls": 2,
         "failed_calls": 0, "units": 1.5, "cost_nano_usd": 1_250_000, "cost_usd": Decimal("0.001250000"),
         "failed_cost_nano_usd": 0, "queue_seconds": 0.5, "run_seconds": 3.0},
    ],
    "recent_activity": [
        {"occurred_at": datetime(2026, 3, 1, 12, tzinfo=UTC), "event_type": "signup", "subject_id": "u1",
         "user_id": "u1", "detail": "free"},
    ],
}  # fmt: skip


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Embedded settings under tmp_path for the CLI, with a published snapshot (most marts empty)."""
    monkeypatch.setenv("MAKEIT3D_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    store = DuckDBStore(tmp_path / "analytics.duckdb")
    ensure_tables(store, PUBLISHED)
    for name, rows in ROWS.items():
        store.load_arrow(name, pa.Table.from_pylist(rows, schema=spec(name).arrow_schema))
    publish_snapshot(store, var_dir=tmp_path)
    store.close()
    yield tmp_path
    get_settings.cache_clear()


def test_export_writes_every_published_mart_with_its_registry_schema(var_dir: Path) -> None:
    result = CliRunner().invoke(app, ["warehouse", "export"])
    assert result.exit_code == 0, result.output
    latest = json.loads((var_dir / "objects" / "analytics" / "latest.json").read_text())
    assert [t["name"] for t in latest["tables"]] == list(PUBLISHED)
    for entry in latest["tables"]:
        assert f"{entry['path']}  ({entry['rows']} rows)" in result.output.splitlines()
        table = pq.read_table(entry["path"])
        # before: types were inferred from Python rows, so empty marts lost their columns
        assert table.schema == spec(entry["name"]).arrow_schema
        assert table.to_pylist() == ROWS.get(entry["name"], [])


def test_export_to_a_given_destination(var_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path_factory.mktemp("elsewhere")
    result = CliRunner().invoke(app, ["warehouse", "export", "--destination", f"file://{out}"])
    assert result.exit_code == 0, result.output
    version = json.loads((out / "analytics" / "latest.json").read_text())["version"]
    assert pq.read_table(out / "analytics" / version / "ai_cost_daily.parquet").num_rows == 1


def test_export_without_a_snapshot_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAKEIT3D_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["warehouse", "export"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "no analytics snapshot has been published yet" in result.output
