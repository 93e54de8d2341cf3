"""A pure-ASGI fast path for repeated stats and chart requests.

A stats answer depends only on the snapshot version and the request's path and query string, so
once the normal route has produced it, the same request from an already-authenticated admin key
is answered here from the snapshot source's cache: no routing, validation or dependency
resolution. Anything else (unknown keys, other roles, misses, a due snapshot refresh, rate
limits) falls through to the application, which decides and answers as usual.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import AppContext, KeyCache
from api.ratelimit import RateLimited, RateLimiter
from core.enums import Role
from warehouse.api_keys import hash_key

PREFIXES = ("/v1/stats/", "/dashboard/charts/")
CACHE_CONTROL = b"private, max-age=60, must-revalidate"


def raw_key(path: str, query: bytes | str) -> tuple[str, str, str]:
    q = query.decode("latin-1") if isinstance(query, bytes) else query
    return ("raw", path, q)


class StatsFastPath:
    def __init__(self, app: ASGIApp, *, ctx: AppContext, key_cache: KeyCache, limiter: RateLimiter) -> None:
        self.app = app
        self.ctx = ctx
        self.key_cache = key_cache
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(PREFIXES):
            await self.app(scope, receive, send)
            return
        auth = b""
        inm = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value
            elif name == b"if-none-match":
                inm = value
        hit = self._hit(scope, auth)
        if hit is None:
            await self.app(scope, receive, send)
            return
        version, body, media_type = hit
        etag = f'"{version}"'.encode()
        headers: list[tuple[bytes, bytes]] = [(b"etag", etag), (b"cache-control", CACHE_CONTROL)]
        if inm and (inm.strip() == b"*" or any(t.strip().removeprefix(b"W/") == etag for t in inm.split(b","))):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers += [(b"content-type", media_type), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _hit(self, scope: Scope, auth: bytes) -> tuple[str, bytes, bytes] | None:
        if auth[:7].lower() != b"bearer ":
            return None
        principal = self.key_cache.get(hash_key(auth[7:].decode("latin-1").strip()))
        if principal is None or principal.role != Role.ADMIN:
            return None
        snapshots = self.ctx.snapshots_if_open()
        if snapshots is None:
            return None
        found: Any = snapshots.lookup(raw_key(scope["path"], scope.get("query_string", b"")))
        if found is None:
            return None
        try:
            self.limiter.hit(principal.key_id, principal.rate_limit_per_minute)
        except RateLimited:
            return None  # the application answers 429 with its Retry-After
        version, (body, media_type) = found
        return version, body, media_type
