"""Fixtures for the analytics tests: DuckDB in memory and a throwaway PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from warehouse.analytics.extract import RAW_TABLES, _arrow_dicts, ensure_tables
from warehouse.analytics.store import DuckDBStore, PostgresStore, psycopg_conninfo
from warehouse.analytics.tables import spec

ADMIN_URL = os.environ.get("MAKEIT3D_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin_connect() -> Any:
    import psycopg

    try:
        return psycopg.connect(psycopg_conninfo(ADMIN_URL), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable at {ADMIN_URL} (CI=true): {e}")
        pytest.skip(f"PostgreSQL unreachable: {e}")


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A throwaway database for this test session, dropped at the end."""
    admin = _admin_connect()
    name = f"makeit3d_analytics_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f"CREATE DATABASE {name}")
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[DuckDBStore | PostgresStore]:
    """An empty analytics store with every raw table, on each back end."""
    s: DuckDBStore | PostgresStore
    if request.param == "duckdb":
        s = DuckDBStore(":memory:")
    else:
        url = request.getfixturevalue("pg_database_url")
        s = PostgresStore(url, schema=f"t_{uuid.uuid4().hex[:10]}")
    ensure_tables(s, RAW_TABLES)
    yield s
    if isinstance(s, PostgresStore):
        s.execute(f"DROP SCHEMA {s.schema} CASCADE")
    s.close()


def load(store: DuckDBStore | PostgresStore, table: str, rows: list[dict[str, Any]]) -> None:
    """Append hand-written rows (missing columns are NULL) to a raw table."""
    store.load_arrow(table, _arrow_dicts(spec(table), rows))


SEED_END = datetime(2026, 3, 15, tzinfo=UTC)


@pytest.fixture(scope="session")
def seeded_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An operational SQLite database with a small deterministic synthetic dataset."""
    from warehouse.db import make_engine
    from warehouse.migrate import upgrade
    from warehouse.synthetic import seed_operational

    url = f"sqlite:///{tmp_path_factory.mktemp('op') / 'op.db'}"
    upgrade(url)
    engine = make_engine(url)
    # seed 16: a small history that still holds every Stripe object kind (refund, dispute, cancellation…)
    seed_operational(engine, users=60, months=3, seed=16, end=SEED_END)
    yield engine
    engine.dispose()


def build_all(engine: Engine, store: DuckDBStore | PostgresStore) -> None:
    """Extract everything and build every mart for the whole seeded period."""
    from warehouse.analytics.extract import extract
    from warehouse.analytics.marts import build_range, day_window

    days = day_window(date(2025, 12, 1), SEED_END.date() + timedelta(days=1))
    for raw in RAW_TABLES:
        extract(engine, store, raw, days)
    build_range(store, date(2025, 12, 1), SEED_END.date() + timedelta(days=1), now=SEED_END)
