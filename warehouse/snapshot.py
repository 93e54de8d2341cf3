"""The published analytics snapshot: built after the checks pass, swapped in atomically, read by the API.

DuckDB allows one writer process or many readers, never both, so the API never opens the file
a Dagster run writes. Publication copies the marts into a new DuckDB file
``<var>/published/analytics-<version>.duckdb`` (written under a temporary name, fsynced, then
renamed), and then atomically replaces the pointer file ``CURRENT`` that names it. On
PostgreSQL the marts are copied into a fresh schema that replaces ``analytics_published`` in one
transaction. Readers open the snapshot the pointer names read-only and re-open on ``refresh()``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from core.errors import InvalidInput, NotFound
from warehouse.analytics.store import AnalyticsStore, DuckDBStore, PostgresStore, ident
from warehouse.analytics.tables import BY_NAME, PUBLISHED

log = logging.getLogger(__name__)

POINTER = "CURRENT"
PG_PUBLISHED = "analytics_published"
PG_STAGING = "analytics_publishing"
KEEP = 3


class _Settings(Protocol):
    @property
    def analytics_url(self) -> str: ...

    @property
    def var_dir(self) -> Path: ...


@dataclass(frozen=True)
class SnapshotInfo:
    """Which snapshot: its version id, when it was built, and the tables it holds."""

    version: str
    built_at: datetime
    tables: list[str]


def published_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "published"


def _new_version(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _fsync_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def publish_snapshot(
    store: AnalyticsStore,
    *,
    var_dir: Path | None = None,
    tables: Sequence[str] = PUBLISHED,
    now: datetime | None = None,
) -> SnapshotInfo:
    """Publish ``tables`` of ``store`` as a new snapshot, atomically; return what was published."""
    built_at = now or datetime.now(UTC)
    info = SnapshotInfo(version=_new_version(built_at), built_at=built_at, tables=[ident(t) for t in tables])
    if isinstance(store, PostgresStore):
        _publish_postgres(store, info)
    else:
        if var_dir is None:
            raise InvalidInput("publishing a DuckDB snapshot needs var_dir")
        _publish_duckdb(store, info, published_dir(var_dir))
    log.info("published analytics snapshot %s (%d tables)", info.version, len(info.tables))
    return info


def _info_rows(info: SnapshotInfo) -> dict[str, Any]:
    return {"version": info.version, "built_at": info.built_at, "tables": ",".join(info.tables)}


def _publish_duckdb(store: AnalyticsStore, info: SnapshotInfo, out: Path) -> None:
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    final = out / f"analytics-{info.version}.duckdb"
    tmp = out / f".analytics-{info.version}.duckdb.tmp"
    snap = duckdb.connect(str(tmp))
    try:
        for t in info.tables:
            data = store.query_arrow(f"SELECT * FROM {ident(t)}")
            snap.register("_incoming", data)
            snap.execute(f"CREATE TABLE {t} AS SELECT * FROM _incoming")
            snap.unregister("_incoming")
        snap.execute("CREATE TABLE snapshot_info (version VARCHAR, built_at TIMESTAMPTZ, tables VARCHAR)")
        snap.execute("INSERT INTO snapshot_info VALUES ($version, $built_at, $tables)", _info_rows(info))
        snap.execute("CHECKPOINT")
    finally:
        snap.close()
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)
    pointer = {
        "version": info.version,
        "file": final.name,
        "built_at": info.built_at.isoformat(),
        "tables": info.tables,
    }
    _fsync_write(out / POINTER, json.dumps(pointer))
    _prune(out, keep=final.name)


def _prune(out: Path, keep: str) -> None:
    """Drop all but the newest few snapshots (open readers keep their file until they close it)."""
    files = sorted(out.glob("analytics-*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        if old.name != keep:
            old.unlink(missing_ok=True)


def _publish_postgres(store: PostgresStore, info: SnapshotInfo) -> None:
    with store.transaction():
        store.execute(f"DROP SCHEMA IF EXISTS {PG_STAGING} CASCADE")
        store.execute(f"CREATE SCHEMA {PG_STAGING}")
        for t in info.tables:
            store.execute(f"CREATE TABLE {PG_STAGING}.{t} AS SELECT * FROM {store.schema}.{t}")
        store.execute(f"CREATE TABLE {PG_STAGING}.snapshot_info (version TEXT, built_at TIMESTAMPTZ, tables TEXT)")
        store.execute(f"INSERT INTO {PG_STAGING}.snapshot_info VALUES (:version, :built_at, :tables)", _info_rows(info))
        store.execute(f"DROP SCHEMA IF EXISTS {PG_PUBLISHED} CASCADE")
        store.execute(f"ALTER SCHEMA {PG_STAGING} RENAME TO {PG_PUBLISHED}")


def _check_read_only(sql: str) -> None:
    head = sql.lstrip().lower()
    if not head.startswith(("select", "with", "describe", "show", "explain", "(", "values", "summarize", "table")):
        raise InvalidInput("only read-only queries (SELECT/WITH) may run against the published snapshot")
    if ";" in sql.strip().rstrip(";"):
        raise InvalidInput("one statement at a time")


class SnapshotReader:
    """Read-only access to the published snapshot; ``refresh()`` follows newer publications."""

    def __init__(self, settings: _Settings) -> None:
        self._url = settings.analytics_url
        self._dir = published_dir(settings.var_dir)
        self._lock = threading.Lock()
        self._store: DuckDBStore | PostgresStore | None = None
        self.info: SnapshotInfo = self._open()

    @classmethod
    def open(cls, settings: _Settings) -> SnapshotReader:
        """Open the published snapshot; ``NotFound`` if none has been published."""
        return cls(settings)

    def _is_postgres(self) -> bool:
        return self._url.startswith("postgresql")

    def _pointer(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((self._dir / POINTER).read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise NotFound("no analytics snapshot has been published yet", path=str(self._dir)) from e
        return data

    def _open(self) -> SnapshotInfo:
        store: DuckDBStore | PostgresStore
        if self._is_postgres():
            store = PostgresStore(self._url, schema=PG_PUBLISHED, read_only=True)
            try:
                rows = store.query("SELECT version, built_at, tables FROM snapshot_info")
            except Exception as e:  # psycopg raises UndefinedTable when nothing is published
                store.close()
                raise NotFound("no analytics snapshot has been published yet") from e
            info = SnapshotInfo(rows[0]["version"], rows[0]["built_at"], rows[0]["tables"].split(","))
        else:
            pointer = self._pointer()
            store = DuckDBStore(self._dir / pointer["file"], read_only=True)
            info = SnapshotInfo(
                pointer["version"], datetime.fromisoformat(pointer["built_at"]), list(pointer["tables"])
            )
        old, self._store = self._store, store
        if old is not None:
            old.close()
        return info

    def _latest_version(self) -> str:
        if self._is_postgres():
            probe = PostgresStore(self._url, schema=PG_PUBLISHED, read_only=True)
            try:
                return str(probe.query("SELECT version FROM snapshot_info")[0]["version"])
            finally:
                probe.close()
        return str(self._pointer()["version"])

    def refresh(self) -> bool:
        """Re-open if a newer snapshot was published; return whether it changed."""
        with self._lock:
            if self._latest_version() == self.info.version:
                return False
            self.info = self._open()
            return True

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one read-only query against the snapshot."""
        _check_read_only(sql)
        with self._lock:
            assert self._store is not None
            if isinstance(self._store, PostgresStore):
                with self._store.transaction():
                    return self._store.query(sql, params)
            return self._store.query(sql, params)

    def read_arrow(self, table: str) -> pa.Table:
        """One published table as Arrow with the registry's exact schema (decimals, UTC timestamps, dates).

        Types come from ``tables.spec(table).arrow_schema``, never inferred from the rows, so an
        empty table keeps its columns and a DECIMAL stays a decimal on both back ends.
        """
        if table not in self.info.tables:
            raise NotFound(f"table {table!r} is not in snapshot {self.info.version}", table=table)
        if table not in BY_NAME:
            raise NotFound(f"table {table!r} has no schema in the table registry", table=table)
        schema = BY_NAME[table].arrow_schema
        sql = f"SELECT {', '.join(ident(c) for c in schema.names)} FROM {ident(table)}"
        with self._lock:
            assert self._store is not None
            if isinstance(self._store, PostgresStore):
                with self._store.transaction():
                    rows = self._store.query(sql)
                return pa.Table.from_pylist(rows, schema=schema)
            # DuckDB hands Arrow over directly; the cast only renames its time zone (Etc/UTC → UTC)
            return self._store.query_arrow(sql).cast(schema)

    def tables(self) -> Iterable[str]:
        return list(self.info.tables)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
