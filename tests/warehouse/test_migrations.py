"""Migrations run up, down and up again on both back ends, and the CLI drives them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from cli.main import app
from tests.conftest import _pg_url, _require_postgres, create_pg_database, drop_pg_database
from warehouse import migrate
from warehouse.db import make_engine
from warehouse.models import Base


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    _require_postgres()
    name = create_pg_database()
    yield _pg_url(name)
    drop_pg_database(name)


def _tables(url: str) -> set[str]:
    eng = make_engine(url, pool_size=1)
    try:
        return set(inspect(eng).get_table_names()) - {"alembic_version"}
    finally:
        eng.dispose()


def test_up_down_up(empty_db_url: str) -> None:
    migrate.upgrade(empty_db_url)
    assert migrate.current_revision(empty_db_url) == migrate.head_revision(empty_db_url)
    assert _tables(empty_db_url) == set(Base.metadata.tables)
    migrate.downgrade(empty_db_url, "base")
    assert migrate.current_revision(empty_db_url) is None
    assert _tables(empty_db_url) == set()
    migrate.upgrade(empty_db_url)
    assert _tables(empty_db_url) == set(Base.metadata.tables)


def test_models_and_migrations_agree(empty_db_url: str) -> None:
    """Autogenerate finds nothing to do after upgrade: the migrations describe the models exactly."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    migrate.upgrade(empty_db_url)
    eng = make_engine(empty_db_url, pool_size=1)
    try:
        with eng.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    finally:
        eng.dispose()
    assert diff == []


def test_cli_db_upgrade_and_downgrade(empty_db_url: str) -> None:
    runner = CliRunner()
    up = runner.invoke(app, ["db", "upgrade", "--url", empty_db_url])
    assert up.exit_code == 0, up.output
    assert migrate.head_revision(empty_db_url) in up.output
    down = runner.invoke(app, ["db", "downgrade", "base", "--url", empty_db_url])
    assert down.exit_code == 0, down.output
    assert "base" in down.output
    assert migrate.current_revision(empty_db_url) is None
