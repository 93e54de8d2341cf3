"""Shared fixtures: the operational database on SQLite and PostgreSQL, and object stores.

Each test gets a fresh migrated database: SQLite copies a migrated template file; PostgreSQL
clones a migrated template database (``CREATE DATABASE … TEMPLATE``), both created once per run
and dropped at the end. With ``CI=true`` an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from warehouse import migrate
from warehouse.db import make_engine, make_session_factory

ADMIN_URL = os.environ.get("MAKEIT3D_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_admin() -> object:
    import psycopg

    return psycopg.connect(_pg_conninfo(ADMIN_URL), autocommit=True, connect_timeout=5)


def postgres_available() -> bool:
    try:
        with _pg_admin():  # type: ignore[attr-defined]
            return True
    except Exception:
        return False


def _require_postgres() -> None:
    if postgres_available():
        return
    if IN_CI:
        pytest.fail(f"PostgreSQL is unreachable at {ADMIN_URL} and CI=true: the Postgres tests must run")
    pytest.skip(f"PostgreSQL is unreachable at {ADMIN_URL}")


def _pg_url(dbname: str) -> str:
    return make_url(ADMIN_URL).set(database=dbname).render_as_string(hide_password=False)


def create_pg_database(template: str | None = None) -> str:
    name = f"mk3d_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:  # type: ignore[attr-defined]
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name


def drop_pg_database(name: str) -> None:
    with _pg_admin() as conn:  # type: ignore[attr-defined]
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    _require_postgres()
    name = create_pg_database()
    migrate.upgrade(_pg_url(name))
    yield name
    drop_pg_database(name)


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "makeit3d.db"
    shutil.copyfile(_sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    template: str = request.getfixturevalue("_pg_template")
    name = create_pg_database(template)
    yield _pg_url(name)
    drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated operational database: once on SQLite, once on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url, pool_size=60)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on loopback, for the real s3fs code path."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint: str) -> str:
    import boto3

    name = f"mk3d-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


def pytest_unconfigure(config: pytest.Config) -> None:
    """Prefect's temporary API server logs its shutdown at interpreter exit, after pytest has closed
    the captured streams; without this, logging prints a 'Logging error' traceback for it."""
    import logging

    logging.raiseExceptions = False
