"""Export the published marts as Parquet to the object store (a directory, file:// or s3:// via s3fs)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import InvalidInput
from warehouse.analytics.store import ident

log = logging.getLogger(__name__)

_VERSION = re.compile(r"^[0-9A-Za-z_-]+$")


def export_parquet(
    tables: Mapping[str, pa.Table], *, destination: str, version: str, storage_options: Mapping[str, Any] | None = None
) -> list[str]:
    """Write each table to ``<destination>/analytics/<version>/<table>.parquet``; return the paths written."""
    import fsspec

    base = destination.rstrip("/")
    fs, root = fsspec.core.url_to_fs(base, **dict(storage_options or {}))
    if not _VERSION.match(version):
        raise InvalidInput(f"not a snapshot version: {version!r}")
    folder = f"{root}/analytics/{version}"
    fs.makedirs(folder, exist_ok=True)
    written = []
    for name, data in tables.items():
        path = f"{folder}/{ident(name)}.parquet"
        with fs.open(path, "wb") as f:
            pq.write_table(data, f)
        written.append(path if "://" not in base else f"{base.split('://', 1)[0]}://{path}")
    log.info("exported %d tables to %s", len(written), folder)
    return written
