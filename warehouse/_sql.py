"""Small portable SQL helpers (dialect-aware inserts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_if_new(session: Session, table: Table, values: dict[str, Any], *, key: list[str]) -> bool:
    """``INSERT … ON CONFLICT (key) DO NOTHING``; return whether a row was inserted.

    Uses ``RETURNING`` rather than ``rowcount``, which psycopg reports as -1 for this statement.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=key)
        .returning(*[table.c[k] for k in key])
    )
    return session.execute(stmt).first() is not None


def upsert(session: Session, table: Table, values: dict[str, Any], *, key: list[str], update: list[str]) -> None:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET update…`` on both back ends."""
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(table).values(**values)
        session.execute(pg.on_conflict_do_update(index_elements=key, set_={c: pg.excluded[c] for c in update}))
        return
    lite = sqlite.insert(table).values(**values)
    session.execute(lite.on_conflict_do_update(index_elements=key, set_={c: lite.excluded[c] for c in update}))
