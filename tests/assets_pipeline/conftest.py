"""Fixtures for the Dagster tests: a seeded operational SQLite database and settings on tmp_path."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.settings import Settings

PIPELINE_SEED_END = datetime(2026, 3, 15, tzinfo=UTC)


@pytest.fixture(scope="session")
def seeded_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from warehouse.db import make_engine
    from warehouse.migrate import upgrade
    from warehouse.synthetic import seed_operational

    path = tmp_path_factory.mktemp("pipeline") / "seed.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    seed_operational(engine, users=40, months=2, seed=5, end=PIPELINE_SEED_END)
    engine.dispose()
    return path


@pytest.fixture
def pipeline_settings(seeded_db_file: Path, tmp_path: Path) -> Settings:
    """Embedded defaults under tmp_path, with a private copy of the seeded operational database."""
    db = tmp_path / "makeit3d.db"
    shutil.copy(seeded_db_file, db)
    return Settings(
        var_dir=tmp_path,
        database_url=f"sqlite:///{db}",
        analytics_url=f"duckdb:///{tmp_path / 'analytics.duckdb'}",
    )
