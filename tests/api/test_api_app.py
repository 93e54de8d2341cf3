"""The app factory and server entry point: importing touches nothing; unexpected errors keep the body shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.deps import AppContext
from core.settings import Settings


def test_importing_the_module_level_app_opens_nothing() -> None:
    import api.main

    ctx: AppContext = api.main.app.state.ctx
    assert ctx._settings is None and ctx._stores is None and ctx.snapshots_if_open() is None


def test_unexpected_errors_are_500_with_the_error_body(tmp_path: Path) -> None:
    from api.main import create_app

    app = create_app(Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'none' / 'x.db'}"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    client = TestClient(app, raise_server_exceptions=False)
    r = client.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal_error", "message": "an unexpected error occurred", "details": {}}}


def test_serve_runs_uvicorn_with_the_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    from api import server

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    server.serve(Settings(var_dir=tmp_path), "127.0.0.1", 8765)
    assert seen["port"] == 8765 and seen["host"] == "127.0.0.1" and seen["app"].title == "MakeIt3D Platform API"


def test_key_cache_single_flight() -> None:
    import asyncio
    import uuid

    from api.deps import KeyCache, Principal
    from core.enums import Role

    cache = KeyCache()
    calls = 0
    principal = Principal(key_id=uuid.uuid4(), role=Role.ADMIN, user_id=None, rate_limit_per_minute=60)

    async def loader() -> Principal:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return principal

    async def main() -> list[Principal]:
        return await asyncio.gather(*(cache.load("h", loader) for _ in range(20)))

    assert asyncio.run(main()) == [principal] * 20
    assert calls == 1 and cache.get("h") == principal
