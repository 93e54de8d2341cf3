"""Dagster resources: the operational database (read only), the analytics store, the export destination.

Which analytics store runs is chosen once, in the composition root, by a dict lookup on the
settings (``RESOURCES_BY_BACKEND``); assets only ever see ``AnalyticsStoreResource``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import Engine

from warehouse.analytics.store import AnalyticsStore, DuckDBStore, PostgresStore
from warehouse.db import make_engine
from warehouse.snapshot import SnapshotReader
from warehouse.storage import storage_options


@dataclass(frozen=True)
class _SnapshotLocation:
    analytics_url: str
    var_dir: Path


class OperationalDatabase(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The operational database, read by the extracts."""

    url: str

    def engine(self) -> Engine:
        return make_engine(self.url, pool_size=2)

    @contextmanager
    def connected(self) -> Iterator[Engine]:
        """An engine for one step, disposed (its connections closed) when the step is done."""
        engine = self.engine()
        try:
            yield engine
        finally:
            engine.dispose()


class AnalyticsStoreResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where raw extracts and marts live, and where snapshots are published from."""

    var_dir: str
    stripe_max_age_s: int = 2 * 86_400

    @contextmanager
    def open(self) -> Iterator[AnalyticsStore]:
        raise NotImplementedError
        yield  # pragma: no cover

    @property
    def analytics_url(self) -> str:
        raise NotImplementedError

    def open_snapshot(self) -> SnapshotReader:
        """The published snapshot, read only (never the store a run writes); the caller closes it."""
        return SnapshotReader.open(_SnapshotLocation(self.analytics_url, self.var_path))

    @property
    def stripe_max_age(self) -> timedelta:
        return timedelta(seconds=self.stripe_max_age_s)

    @property
    def var_path(self) -> Path:
        return Path(self.var_dir)


class DuckDBAnalytics(AnalyticsStoreResource):
    """The embedded default: one DuckDB file written only by Dagster runs."""

    path: str

    @property
    def analytics_url(self) -> str:
        return f"duckdb:///{self.path}"

    @contextmanager
    def open(self) -> Iterator[AnalyticsStore]:
        store = DuckDBStore(self.path)
        try:
            yield store
        finally:
            store.close()


class PostgresAnalytics(AnalyticsStoreResource):
    """Production: the ``analytics`` schema of a PostgreSQL database."""

    url: str

    @property
    def analytics_url(self) -> str:
        return self.url

    @contextmanager
    def open(self) -> Iterator[AnalyticsStore]:
        store = PostgresStore(self.url)
        try:
            yield store
        finally:
            store.close()


class ExportDestination(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where the published marts are exported as Parquet: a directory, file:// or s3:// URL."""

    url: str
    storage_options: dict[str, Any] | None = None  # fsspec options (s3fs endpoint, region, keys)


def _duckdb(settings: Any) -> AnalyticsStoreResource:
    path = settings.analytics_url.removeprefix("duckdb:///")
    return DuckDBAnalytics(
        path=path, var_dir=str(settings.var_dir), stripe_max_age_s=2 * settings.stripe_sync_interval_s
    )


def _postgres(settings: Any) -> AnalyticsStoreResource:
    return PostgresAnalytics(
        url=settings.analytics_url, var_dir=str(settings.var_dir), stripe_max_age_s=2 * settings.stripe_sync_interval_s
    )


RESOURCES_BY_BACKEND = {"duckdb": _duckdb, "postgres": _postgres}


def backend_of(analytics_url: str) -> str:
    return "postgres" if analytics_url.startswith("postgresql") else "duckdb"


def make_resources(settings: Any) -> dict[str, Any]:
    """The resources for ``settings``: ``operational_db``, ``analytics`` and ``export_destination``."""
    export_url = settings.analytics_export_url
    return {
        "operational_db": OperationalDatabase(url=settings.database_url),
        "analytics": RESOURCES_BY_BACKEND[backend_of(settings.analytics_url)](settings),
        "export_destination": ExportDestination(url=export_url, storage_options=storage_options(export_url, settings)),
    }
