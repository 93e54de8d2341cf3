"""Analytics stores: DuckDB (embedded default) and PostgreSQL (schema ``analytics``), one interface.

SQL is written once with ``:name`` parameters and translated to each driver's style; values are
always bound, never formatted in. Identifiers (table and column names) come from the table
registry and are checked against a strict pattern before they are put into SQL text.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

log = logging.getLogger(__name__)

Params = Mapping[str, Any] | Sequence[Any] | None

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

PG_SCHEMA = "analytics"


def ident(name: str) -> str:
    """Return ``name`` if it is a safe lower-case SQL identifier, else raise ``ValueError``."""
    if not _IDENT.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return name


def used_params(sql: str, params: Params) -> Params:
    """Only the named parameters ``sql`` uses (drivers refuse extra ones)."""
    if isinstance(params, Mapping):
        names = set(_PARAM.findall(sql))
        return {k: v for k, v in params.items() if k in names} or None
    return params or None


def to_duckdb_sql(sql: str) -> str:
    return _PARAM.sub(r"$\1", sql)


def to_psycopg_sql(sql: str, params: Params) -> str:
    if isinstance(params, Mapping):
        return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
    return sql.replace("?", "%s") if params else sql


class AnalyticsStore(Protocol):
    """What marts, checks, extracts and publication need from an analytics store."""

    dialect: str
    wants_indexes: bool

    def execute(self, sql: str, params: Params = None) -> None: ...

    def query(self, sql: str, params: Params = None) -> list[dict[str, Any]]: ...

    def query_arrow(self, sql: str, params: Params = None) -> pa.Table: ...

    def load_arrow(self, table: str, data: pa.Table) -> None: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def lock_table(self, table: str) -> None:
        """Hold off other writers of ``table`` until the transaction ends (readers go on)."""
        ...

    def close(self) -> None: ...


class DuckDBStore:
    """An analytics store in one DuckDB file (or ``:memory:``)."""

    dialect = "duckdb"
    wants_indexes = False

    def __init__(self, path: str | Path, *, read_only: bool = False, threads: int | None = None) -> None:
        import duckdb

        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # Without the ICU extension (not installable offline) DuckDB computes TIMESTAMPTZ in UTC.
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        self.con = duckdb.connect(self.path, read_only=read_only, config=config)

    def execute(self, sql: str, params: Params = None) -> None:
        self.con.execute(to_duckdb_sql(sql), used_params(sql, params))

    def query(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        cur = self.con.execute(to_duckdb_sql(sql), used_params(sql, params))
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def query_arrow(self, sql: str, params: Params = None) -> pa.Table:
        return self.con.sql(to_duckdb_sql(sql), params=used_params(sql, params)).to_arrow_table()

    def load_arrow(self, table: str, data: pa.Table) -> None:
        cols = ", ".join(ident(c) for c in data.column_names)
        self.con.register("_incoming", data)
        try:
            self.con.execute(f"INSERT INTO {ident(table)} ({cols}) SELECT {cols} FROM _incoming")
        finally:
            self.con.unregister("_incoming")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def lock_table(self, table: str) -> None:
        """Nothing to do: a DuckDB file has one writing process at a time."""
        ident(table)

    def close(self) -> None:
        self.con.close()


def psycopg_conninfo(url: str) -> str:
    """A libpq URL from an SQLAlchemy one (``postgresql+psycopg://`` → ``postgresql://``)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


class PostgresStore:
    """An analytics store in a PostgreSQL schema (``analytics`` by default)."""

    dialect = "postgres"
    wants_indexes = True

    def __init__(self, url: str, *, schema: str = PG_SCHEMA, read_only: bool = False) -> None:
        import psycopg

        self.schema = ident(schema)
        self.con = psycopg.connect(psycopg_conninfo(url), autocommit=True)
        self.con.execute("SET TIME ZONE 'UTC'")
        if not read_only:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
        self.con.execute(f"SET search_path TO {self.schema}")
        if read_only:
            self.con.execute("SET default_transaction_read_only = on")
        self._in_tx = False

    def execute(self, sql: str, params: Params = None) -> None:
        p = used_params(sql, params)
        self.con.execute(to_psycopg_sql(sql, p).encode(), p)

    def query(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        from psycopg.rows import dict_row

        with self.con.cursor(row_factory=dict_row) as cur:
            p = used_params(sql, params)
            cur.execute(to_psycopg_sql(sql, p).encode(), p)
            return list(cur.fetchall()) if cur.description else []

    def query_arrow(self, sql: str, params: Params = None) -> pa.Table:
        rows = self.query(sql, params)
        return pa.Table.from_pylist(rows)

    def load_arrow(self, table: str, data: pa.Table) -> None:
        """Bulk-load with ``COPY … FROM STDIN (FORMAT csv)`` (NULL = unquoted empty field)."""
        import pyarrow.csv as pacsv

        if data.num_rows == 0:
            return
        cols = ", ".join(ident(c) for c in data.column_names)
        buf = io.BytesIO()
        pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        with self.con.cursor() as cur, cur.copy(f"COPY {ident(table)} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buf.getvalue())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.con.transaction():
            yield

    def lock_table(self, table: str) -> None:
        # SHARE ROW EXCLUSIVE conflicts with itself and with writes, not with plain SELECTs.
        self.con.execute(f"LOCK TABLE {ident(table)} IN SHARE ROW EXCLUSIVE MODE".encode())

    def close(self) -> None:
        self.con.close()


def open_store(url: str, *, read_only: bool = False) -> DuckDBStore | PostgresStore:
    """Open the analytics store named by an ``analytics_url`` (``duckdb:///path`` or ``postgresql…``)."""
    if url.startswith("duckdb://"):
        path = url[len("duckdb:///") :] if url.startswith("duckdb:///") else url.removeprefix("duckdb://")
        return DuckDBStore(path or ":memory:", read_only=read_only)
    if url.startswith("postgresql"):
        return PostgresStore(url, read_only=read_only)
    raise ValueError(f"unsupported analytics store URL: {url!r}")
