"""The FastAPI application factory. Importing this module touches no database or file."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI

from api.deps import AppContext, KeyCache, get_launcher_dep
from api.errors import install_error_handlers
from api.fastpath import StatsFastPath
from api.limits import DEFAULT_LIMIT, FORM_SLACK, BodySizeLimit
from api.ratelimit import RateLimiter
from api.routes import (
    admin,
    assets,
    catalog,
    dashboard,
    feed,
    generations,
    health,
    me,
    orders,
    prints,
    stats,
    webhooks,
)
from api.snapshots import Snapshot
from core.settings import Settings
from flows.launch import Launcher
from warehouse.context import Stores

log = logging.getLogger(__name__)

DESCRIPTION = """
The platform's face to the web app, to Stripe and to dashboards.

* **Auth**: `Authorization: Bearer <API key>`. Keys have a role: `admin` (stats, user management),
  `service` (acts for a user named in `X-Acting-User`), `user` (bound to one user; sees only its own assets).
* **Errors** always have the body `{"error": {"code", "message", "details"}}`.
* **Limits**: each key has a request rate limit (429 with `Retry-After`); plan limits also answer 429,
  insufficient credits 402.
"""


def create_app(
    settings: Settings | None = None,
    *,
    stores: Stores | None = None,
    launcher: Launcher | None = None,
    snapshot_opener: Callable[[], Snapshot] | None = None,
) -> FastAPI:
    """Build the app. Stores and the snapshot are opened lazily, on the first request that needs them."""
    app = FastAPI(
        title="MakeIt3D Platform API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "generations", "description": "start generations"},
            {"name": "assets", "description": "poll and manage your assets"},
            {"name": "stats", "description": "admin statistics from the published analytics snapshot"},
        ],
    )
    ctx = AppContext(settings=settings, stores=stores, snapshot_opener=snapshot_opener)
    app.state.ctx = ctx
    app.state.key_cache = KeyCache()
    app.state.rate_limiter = RateLimiter()
    app.add_middleware(StatsFastPath, ctx=ctx, key_cache=app.state.key_cache, limiter=app.state.rate_limiter)
    app.add_middleware(BodySizeLimit, limit_for=lambda path: _body_limit(ctx, path))
    if launcher is not None:
        app.dependency_overrides[get_launcher_dep] = lambda: launcher
    install_error_handlers(app)
    for module in (health, generations, assets, prints, me, feed, orders, catalog, admin, stats, dashboard, webhooks):
        app.include_router(module.router)
    return app


def _body_limit(ctx: AppContext, path: str) -> int:
    if path == "/v1/generations":
        return ctx.settings.max_upload_bytes + FORM_SLACK
    return DEFAULT_LIMIT


app = create_app()
