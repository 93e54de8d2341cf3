"""Dagster resources: the operational database (read only) and the analytics store.

Which analytics store runs is chosen once, in the composition root, by a dict lookup on the
settings (``RESOURCES_BY_BACKEND``); assets only ever see ``AnalyticsStoreResource``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import Engine

from warehouse.analytics.store import AnalyticsStore, DuckDBStore, PostgresStore
from warehouse.db import make_engine


class OperationalDatabase(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The operational database, read by the extracts."""

    url: str

    def engine(self) -> Engine:
        return make_engine(self.url, pool_size=2)


class AnalyticsStoreResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where raw extracts and marts live, and where snapshots are published from."""

    var_dir: str
    stripe_max_age_s: int = 2 * 86_400

    @contextmanager
    def open(self) -> Iterator[AnalyticsStore]:
        raise NotImplementedError
        yield  # pragma: no cover

    @property
    def stripe_max_age(self) -> timedelta:
        return timedelta(seconds=self.stripe_max_age_s)

    @property
    def var_path(self) -> Path:
        return Path(self.var_dir)


class DuckDBAnalytics(AnalyticsStoreResource):
    """The embedded default: one DuckDB file written only by Dagster runs."""

    path: str

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

    @contextmanager
    def open(self) -> Iterator[AnalyticsStore]:
        store = PostgresStore(self.url)
        try:
            yield store
        finally:
            store.close()


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
    """The resources for ``settings``: ``operational_db`` and ``analytics``."""
    return {
        "operational_db": OperationalDatabase(url=settings.database_url),
        "analytics": RESOURCES_BY_BACKEND[backend_of(settings.analytics_url)](settings),
    }
