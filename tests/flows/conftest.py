"""Flow tests: one Prefect test harness (a local API server) for the whole directory, and a runtime
pointing every store at the test's database and a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from flows.runtime import FlowRuntime, reset_runtime
from warehouse.catalog import seed_catalog
from warehouse.db import transaction
from warehouse.prices import load_price_book


@pytest.fixture(scope="session", autouse=True)
def prefect_api() -> Iterator[None]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # As in-process runs do (flows.runtime.inprocess_prefect_settings): no heartbeat thread.
    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield


@pytest.fixture
def flow_settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url=db_url,
        storage_url=str(tmp_path / "objects"),
        mail_url=str(tmp_path / "outbox"),
        generator_grid=48,
        face_budget=4000,
        task_retries=0,
    )


@pytest.fixture
def rt(flow_settings: Settings, sessions: sessionmaker[Session]) -> Iterator[FlowRuntime]:
    with transaction(sessions) as s:
        load_price_book(session=s)
        seed_catalog(session=s)
    runtime = reset_runtime(flow_settings)
    yield runtime
    runtime.stores.dispose()
