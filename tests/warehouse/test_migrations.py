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


def test_0003_backfills_users_updated_at_with_rows_referring_to_users(empty_db_url: str) -> None:
    """On a database holding data, 0003 adds ``users.updated_at`` = ``created_at`` (no table rebuild:
    SQLite refuses to drop ``users`` while an asset refers to it) and goes down and up again."""
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import JSON, Boolean, Integer, String, Uuid, column, insert, select, table

    from warehouse.types import UTCDateTime

    migrate.upgrade(empty_db_url, "0002")
    created = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    uid = uuid.uuid4()
    users = table(
        "users",
        column("id", Uuid()),
        column("email", String()),
        column("role", String()),
        column("plan", String()),
        column("credit_balance", Integer()),
        column("created_at", UTCDateTime()),
    )
    assets = table(
        "assets",
        *(column(n, Uuid()) for n in ("id", "user_id")),
        *(column(n, String()) for n in ("mode", "status")),
        column("concept_keys", JSON()),
        *(column(n, Boolean()) for n in ("skip_concept", "public")),
        *(column(n, Integer()) for n in ("progress", "concept_attempts", "model_attempts", "dispatch_attempts")),
        *(column(n, UTCDateTime()) for n in ("created_at", "updated_at")),
    )
    eng = make_engine(empty_db_url, pool_size=1)
    try:
        with eng.begin() as conn:
            conn.execute(
                insert(users).values(
                    id=uid, email="a@example.com", role="user", plan="free", credit_balance=0, created_at=created
                )
            )
            conn.execute(
                insert(assets).values(
                    id=uuid.uuid4(),
                    user_id=uid,
                    mode="text",
                    status="FAILED",
                    concept_keys=[],
                    skip_concept=False,
                    public=False,
                    progress=0,
                    concept_attempts=0,
                    model_attempts=0,
                    dispatch_attempts=0,
                    created_at=created,
                    updated_at=created,
                )
            )
        migrate.upgrade(empty_db_url)
        stamped = table("users", column("updated_at", UTCDateTime()))
        with eng.connect() as conn:
            assert conn.execute(select(stamped.c.updated_at)).scalar_one() == created
        migrate.downgrade(empty_db_url, "0002")
        assert "updated_at" not in {c["name"] for c in inspect(eng).get_columns("users")}
        migrate.upgrade(empty_db_url)
        assert migrate.current_revision(empty_db_url) == migrate.head_revision(empty_db_url)
    finally:
        eng.dispose()
