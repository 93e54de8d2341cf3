"""API fixtures: an app on a fresh database (SQLite and PostgreSQL), keys of every role, a recording launcher."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from core.enums import Plan, Role
from core.settings import Settings
from flows.launch import LaunchHandle
from tests.utils.factories import make_user
from warehouse.api_keys import create_api_key
from warehouse.catalog import seed_catalog
from warehouse.context import Stores
from warehouse.db import transaction

WEBHOOK_SECRET = "whsec_test_makeit3d"
IN_CI_ENV = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class RecordingLauncher:
    """Records every launch; starts nothing."""

    calls: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def launch(self, flow: str, parameters: Mapping[str, Any], *, idempotency_key: str | None = None) -> LaunchHandle:
        with self.lock:
            self.calls.append((flow, dict(parameters), idempotency_key))
        return LaunchHandle(flow=flow, parameters=dict(parameters), run_id=f"run-{len(self.calls)}")

    def flows(self, name: str) -> list[dict[str, Any]]:
        return [p for f, p, _ in self.calls if f == name]


@dataclass
class ApiEnv:
    app: FastAPI
    client: TestClient
    settings: Settings
    stores: Stores
    sessions: sessionmaker[Session]
    launcher: RecordingLauncher
    admin_key: str
    service_key: str
    user_a: uuid.UUID
    user_a_key: str
    user_b: uuid.UUID
    user_b_key: str

    def h(self, key: str | None, acting: uuid.UUID | None = None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if acting is not None:
            headers["X-Acting-User"] = str(acting)
        return headers

    @property
    def a(self) -> dict[str, str]:
        return self.h(self.user_a_key)

    @property
    def b(self) -> dict[str, str]:
        return self.h(self.user_b_key)

    @property
    def admin(self) -> dict[str, str]:
        return self.h(self.admin_key)


def make_settings(db_url: str, var_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        var_dir=var_dir,
        database_url=db_url,
        storage_url=str(var_dir / "objects"),
        stripe_webhook_secret=WEBHOOK_SECRET,  # type: ignore[arg-type]
        max_upload_bytes=overrides.pop("max_upload_bytes", 2 * 1024 * 1024),
        **overrides,
    )


def build_env(
    db_url: str, tmp_path: Path, *, credits: int = 20, plan: Plan = Plan.PRO, snapshot_opener: Any = None
) -> ApiEnv:
    settings = make_settings(db_url, tmp_path / "var")
    stores = Stores(settings)
    with transaction(stores.sessions) as s:
        seed_catalog(session=s)
        admin = create_api_key(session=s, name="admin", role=Role.ADMIN, rate_limit_per_minute=100_000).plaintext
        service = create_api_key(session=s, name="svc", role=Role.SERVICE, rate_limit_per_minute=100_000).plaintext
        ua = make_user(s, credits=credits, plan=plan)
        ub = make_user(s, credits=credits, plan=plan)
        ka = create_api_key(session=s, name="a", role=Role.USER, user_id=ua, rate_limit_per_minute=100_000).plaintext
        kb = create_api_key(session=s, name="b", role=Role.USER, user_id=ub, rate_limit_per_minute=100_000).plaintext
    launcher = RecordingLauncher()
    app = create_app(settings, stores=stores, launcher=launcher, snapshot_opener=snapshot_opener)
    client = TestClient(app, raise_server_exceptions=False)
    return ApiEnv(app, client, settings, stores, stores.sessions, launcher, admin, service, ua, ka, ub, kb)


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[ApiEnv]:
    """The app on SQLite and on PostgreSQL."""
    e = build_env(db_url, tmp_path)
    with e.client:
        yield e
    e.stores.dispose()


@pytest.fixture
def sqlite_env(sqlite_url: str, tmp_path: Path) -> Iterator[ApiEnv]:
    """The app on SQLite only (for tests that do not depend on the database engine)."""
    e = build_env(sqlite_url, tmp_path)
    with e.client:
        yield e
    e.stores.dispose()


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header, made with Stripe's scheme: ``t=…,v1=HMAC-SHA256(secret, "t.payload")``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event_bytes(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def png_bytes(size: tuple[int, int] = (64, 64), fmt: str = "PNG") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buf, format=fmt)
    return buf.getvalue()


SEED_END = datetime(2026, 3, 15, tzinfo=UTC)


@dataclass(frozen=True)
class PublishedSnapshot:
    """A published DuckDB snapshot of a small synthetic business, and the operational DB it came from."""

    var_dir: Path
    op_url: str

    def settings(self) -> Settings:
        return Settings(
            var_dir=self.var_dir, database_url=self.op_url, analytics_url=f"duckdb:///{self.var_dir / 'a.duckdb'}"
        )


def seed_operational_db(root: Path, *, users: int = 60, months: int = 3, seed: int = 11) -> str:
    """A migrated SQLite operational database with a small deterministic synthetic business."""
    from warehouse.db import make_engine
    from warehouse.migrate import upgrade
    from warehouse.synthetic import seed_operational

    root.mkdir(parents=True, exist_ok=True)
    op_url = f"sqlite:///{root / 'op.db'}"
    upgrade(op_url)
    engine = make_engine(op_url)
    seed_operational(engine, users=users, months=months, seed=seed, end=SEED_END)
    engine.dispose()
    return op_url


def publish_from(op_url: str, store: Any, var_dir: Path, *, months: int = 3) -> None:
    """Extract the operational data into ``store``, build every mart and publish a snapshot."""
    from warehouse.analytics.extract import RAW_TABLES, ensure_tables, extract
    from warehouse.analytics.marts import build_range, day_window
    from warehouse.db import make_engine
    from warehouse.snapshot import publish_snapshot

    engine = make_engine(op_url)
    ensure_tables(store, RAW_TABLES)
    first = date(SEED_END.year, SEED_END.month, 1) - timedelta(days=31 * months + 31)
    days = day_window(first, SEED_END.date() + timedelta(days=1))
    for raw in RAW_TABLES:
        extract(engine, store, raw, days)
    build_range(store, first, SEED_END.date() + timedelta(days=1), now=SEED_END)
    publish_snapshot(store, var_dir=var_dir, now=SEED_END)
    engine.dispose()


def build_published_snapshot(root: Path) -> PublishedSnapshot:
    """Seed synthetic operational data, extract it, build every mart and publish a DuckDB snapshot."""
    from warehouse.analytics.store import DuckDBStore

    op_url = seed_operational_db(root)
    store = DuckDBStore(root / "analytics.duckdb")
    publish_from(op_url, store, root)
    store.close()
    return PublishedSnapshot(var_dir=root, op_url=op_url)


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> PublishedSnapshot:
    return build_published_snapshot(tmp_path_factory.mktemp("published"))


@pytest.fixture
def stats_env(sqlite_url: str, tmp_path: Path, published: PublishedSnapshot) -> Iterator[ApiEnv]:
    """The app (on SQLite) reading the published synthetic snapshot."""
    from api.snapshots import open_published

    snap_settings = published.settings()
    e = build_env(sqlite_url, tmp_path, snapshot_opener=lambda: open_published(snap_settings))
    with e.client:
        yield e
    e.stores.dispose()


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    import socket

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
