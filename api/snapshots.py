"""The published analytics snapshot as the stats routes see it: opened lazily, refreshed on a timer.

``Snapshot`` is the part of ``warehouse.snapshot.SnapshotReader`` the API relies on, so tests and
benchmarks can pass any object with that shape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from core.errors import NotFound

log = logging.getLogger(__name__)


class SnapshotInfoLike(Protocol):
    @property
    def version(self) -> str: ...
    @property
    def built_at(self) -> datetime: ...
    @property
    def tables(self) -> list[str]: ...


class Snapshot(Protocol):
    @property
    def info(self) -> SnapshotInfoLike: ...
    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...
    def refresh(self) -> bool: ...


MAX_CACHED = 5_000


class SnapshotSource:
    """Opens the snapshot on first use and checks for a newer one at most every ``refresh_s`` seconds.

    Query results are cached per snapshot version (the snapshot is immutable), so repeated stats
    requests cost a dictionary lookup; a new version empties the cache.
    """

    def __init__(self, opener: Callable[[], Snapshot], *, refresh_s: float = 5.0) -> None:
        self._opener = opener
        self._refresh_s = refresh_s
        self._reader: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._cache: dict[Any, Any] = {}
        self._cache_version: str | None = None

    def current(self) -> Snapshot:
        """The open snapshot (``NotFound`` if none is published)."""
        now = time.monotonic()
        reader = self._reader
        if reader is not None and now - self._checked < self._refresh_s:
            return reader
        with self._lock:
            if self._reader is None:
                self._reader = self._opener()
            elif now - self._checked >= self._refresh_s:
                try:
                    self._reader.refresh()
                except NotFound:
                    log.warning("the published snapshot disappeared; keeping the open one")
            self._checked = now
            return self._reader

    def lookup(self, key: Any) -> tuple[str, Any] | None:
        """A cached result for ``key`` if the snapshot is unchanged, without any I/O; else None."""
        reader = self._reader
        if reader is None or time.monotonic() - self._checked >= self._refresh_s:
            return None
        version = self._cache_version
        if version is None or version != reader.info.version:
            return None
        hit = self._cache.get(key)
        return None if hit is None else (version, hit)

    def _remember(self, key: Any, value: Any) -> None:
        # Bounded: when full, start again (cheap, and junk query strings cannot switch caching off).
        if len(self._cache) >= MAX_CACHED:
            self._cache = {}
        self._cache[key] = value

    def store(self, key: Any, version: str, value: Any) -> None:
        """Keep ``value`` for ``key`` if ``version`` is the cache's current version."""
        if self._cache_version == version:
            self._remember(key, value)

    def cached(self, key: Any, compute: Callable[[Snapshot], Any]) -> tuple[str, Any]:
        """``(version, compute(snapshot))``, computed once per snapshot version and key."""
        snap = self.current()
        version = snap.info.version
        if self._cache_version != version:
            with self._lock:
                if self._cache_version != version:
                    self._cache = {}
                    self._cache_version = version
        hit = self._cache.get(key)
        if hit is None:
            hit = compute(snap)
            self._remember(key, hit)
        return version, hit


def open_published(settings: Any) -> Snapshot:
    """Open ``warehouse.snapshot.SnapshotReader`` for the settings (imported lazily: DuckDB)."""
    from warehouse.snapshot import SnapshotReader

    reader: Snapshot = SnapshotReader.open(settings)
    return reader
