"""Export the published marts as Parquet to the object store (a directory, file:// or s3:// via s3fs).

Layout: ``<destination>/analytics/<version>/<table>.parquet``, then the pointer
``<destination>/analytics/latest.json`` (version, built_at, and each table's path, rows and bytes),
written last, so a reader that follows the pointer never meets a half-written version. Each file
is serialised in memory (marts are small aggregates) and stored in one step: in a directory as a
temporary file renamed into place, on S3 as one PUT, which S3 shows whole or not at all. A failed
export leaves the previous pointer as it was; exporting a version again overwrites its files.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import InvalidInput, StorageError
from warehouse.analytics.store import ident
from warehouse.storage import atomic_write_file

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from warehouse.snapshot import SnapshotReader

log = logging.getLogger(__name__)

LATEST = "latest.json"
_VERSION = re.compile(r"^[0-9A-Za-z_-]+$")


@dataclass(frozen=True)
class ExportedTable:
    """One Parquet file of an export: the table, where it was written, its rows and its size."""

    name: str
    path: str
    rows: int
    bytes: int


@dataclass(frozen=True)
class ParquetExport:
    """What an export wrote; ``latest_updated`` is False when the pointer already named a newer version."""

    version: str
    destination: str
    tables: tuple[ExportedTable, ...]
    latest: str
    latest_updated: bool

    @property
    def bytes_written(self) -> int:
        return sum(t.bytes for t in self.tables)

    @property
    def paths(self) -> list[str]:
        return [t.path for t in self.tables]


def _is_local(fs: AbstractFileSystem) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def _put(fs: AbstractFileSystem, path: str, data: bytes) -> None:
    """Store ``data`` at ``path`` so that a reader sees the old object or the new one, never a part."""
    if not _is_local(fs):
        fs.pipe_file(path, data)
        return
    atomic_write_file(path, data)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def _current_version(fs: AbstractFileSystem, pointer: str) -> str | None:
    try:
        with fs.open(pointer, "rb") as f:
            return str(json.loads(f.read())["version"])
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return None


def export_parquet(
    tables: Mapping[str, pa.Table],
    *,
    destination: str,
    version: str,
    built_at: datetime | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> ParquetExport:
    """Write each table to ``<destination>/analytics/<version>/<table>.parquet``, then the pointer.

    The pointer ``analytics/latest.json`` is replaced last and never moved back to an older version
    (versions sort by their build time). ``StorageError`` if the destination cannot be written;
    the previous pointer then stays.
    """
    import fsspec

    if not _VERSION.match(version):
        raise InvalidInput(f"not a snapshot version: {version!r}")
    base = destination.rstrip("/")
    fs, root = fsspec.core.url_to_fs(base, **dict(storage_options or {}))
    scheme = base.split("://", 1)[0] if "://" in base else None

    def url(path: str) -> str:
        return f"{scheme}://{path}" if scheme else path

    folder = f"{root}/analytics/{version}"
    pointer = f"{root}/analytics/{LATEST}"
    written: list[ExportedTable] = []
    path = folder
    try:
        for name, data in tables.items():
            path = f"{folder}/{ident(name)}.parquet"
            blob = _parquet_bytes(data)
            _put(fs, path, blob)
            written.append(ExportedTable(name=name, path=url(path), rows=data.num_rows, bytes=len(blob)))
        path = pointer
        current = _current_version(fs, pointer)
        update = current is None or current <= version
        if update:
            manifest = {
                "version": version,
                "built_at": built_at.isoformat() if built_at else None,
                "exported_at": datetime.now(UTC).isoformat(),
                "tables": [asdict(t) for t in written],
            }
            _put(fs, pointer, json.dumps(manifest, indent=2).encode())
    except OSError as e:
        raise StorageError(
            f"could not write {url(path)}: {e}; {url(pointer)} still names the previous export",
            path=url(path),
        ) from e
    if update:
        log.info("exported %d tables to %s and pointed %s at %s", len(written), url(folder), LATEST, version)
    else:
        log.warning("exported %s to %s; %s keeps the newer version %s", version, url(folder), LATEST, current)
    return ParquetExport(
        version=version, destination=base, tables=tuple(written), latest=url(pointer), latest_updated=update
    )


def export_snapshot(
    reader: SnapshotReader, *, destination: str, storage_options: Mapping[str, Any] | None = None
) -> ParquetExport:
    """Export every table of the snapshot ``reader`` has open, typed by the table registry."""
    tables = {name: reader.read_arrow(name) for name in reader.info.tables}
    return export_parquet(
        tables,
        destination=destination,
        version=reader.info.version,
        built_at=reader.info.built_at,
        storage_options=storage_options,
    )
