"""Helpers shared by the benchmarks: JSON lines and throwaway Postgres databases."""

from __future__ import annotations

import json
import os
import sys
import uuid
from typing import Any

from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("MAKEIT3D_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def emit(bench: str, case: str, value: float, unit: str, baseline: float | None = None, **extra: Any) -> None:
    """Print one measurement as a JSON line (with the baseline and ratio when there is one)."""
    row: dict[str, Any] = {"bench": bench, "case": case, "value": round(value, 4), "unit": unit}
    if baseline is not None:
        row["baseline"] = round(baseline, 4)
        row["ratio"] = round(value / baseline, 4) if baseline else None
    row.update(extra)
    print(json.dumps(row), flush=True)


def pg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database() -> str:
    import psycopg

    name = f"mk3d_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_conninfo(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import psycopg

    name = make_url(url).database
    with psycopg.connect(pg_conninfo(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
