"""Dependencies as type aliases: settings, stores, sessions, the launcher, the caller's key and user."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.ratelimit import RateLimiter
from api.snapshots import Snapshot, SnapshotSource, open_published
from core.enums import Role
from core.errors import AuthError, Forbidden, InvalidInput
from core.settings import Settings, get_settings
from flows.launch import Launcher, get_launcher
from warehouse import api_keys
from warehouse.context import Stores
from warehouse.db import transaction
from warehouse.generation import GenerationRules

log = logging.getLogger(__name__)

#: How long an authenticated key is trusted without a database lookup (revocation takes this long).
KEY_CACHE_TTL_S = 30.0


@dataclass(frozen=True)
class Principal:
    """The caller: an API key's id, role, bound user (user keys) and rate limit."""

    key_id: uuid.UUID
    role: Role
    user_id: uuid.UUID | None
    rate_limit_per_minute: int


class KeyCache:
    """Authenticated keys by hash for a short TTL, so hot endpoints skip the database.

    An entry older than half its TTL is refreshed in the background while it keeps answering,
    and concurrent misses for one key share one database lookup, so a busy key never makes a
    burst of requests wait on the database together. A revoked key stops working within the TTL.
    """

    def __init__(self, ttl_s: float = KEY_CACHE_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[Principal, float]] = {}  # hash → (principal, fetched at)
        self._inflight: dict[str, asyncio.Future[Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> Principal | None:
        hit = self._entries.get(key_hash)
        if hit is None or time.monotonic() - hit[1] > self.ttl_s:
            return None
        return hit[0]

    def is_aging(self, key_hash: str) -> bool:
        hit = self._entries.get(key_hash)
        return hit is not None and time.monotonic() - hit[1] > self.ttl_s / 2

    def put(self, key_hash: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_hash] = (principal, time.monotonic())

    def forget(self, key_hash: str) -> None:
        with self._lock:
            self._entries.pop(key_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    async def load(self, key_hash: str, loader: Callable[[], Awaitable[Principal]]) -> Principal:
        """Run ``loader`` once for all concurrent callers of one key; cache what it returns."""
        pending = self._inflight.get(key_hash)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Principal] = asyncio.get_running_loop().create_future()
        self._inflight[key_hash] = future
        try:
            principal = await loader()
        except Exception as e:
            self.forget(key_hash)
            future.set_exception(e)
            future.exception()  # retrieved here, so an unawaited future does not warn
            raise
        except BaseException:
            future.cancel()
            raise
        finally:
            self._inflight.pop(key_hash, None)
        self.put(key_hash, principal)
        future.set_result(principal)
        return principal

    def refresh_soon(self, key_hash: str, loader: Callable[[], Awaitable[Principal]]) -> None:
        """Start a background refresh of an aging entry, unless one is running."""
        if key_hash in self._inflight:
            return

        async def refresh() -> None:
            try:
                await self.load(key_hash, loader)
            except AuthError:
                log.info("an API key was revoked; dropped from the cache")
            except Exception:  # the next request on a miss reports any real failure
                log.exception("background API key refresh failed")

        task = asyncio.get_running_loop().create_task(refresh())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    _tasks: ClassVar[set[asyncio.Task[None]]] = set()


class AppContext:
    """What the app needs from the world, built on first use (so importing the app touches nothing)."""

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        stores: Stores | None = None,
        snapshot_opener: Callable[[], Snapshot] | None = None,
    ) -> None:
        self._settings = settings
        self._stores = stores
        self._snapshot_opener = snapshot_opener
        self._snapshots: SnapshotSource | None = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = get_settings()
        return self._settings

    @property
    def stores(self) -> Stores:
        if self._stores is None:
            with self._lock:
                if self._stores is None:
                    self._stores = Stores(self.settings)
        return self._stores

    def snapshots_if_open(self) -> SnapshotSource | None:
        return self._snapshots

    @property
    def snapshots(self) -> SnapshotSource:
        if self._snapshots is None:
            with self._lock:
                if self._snapshots is None:
                    settings = self.settings
                    opener = self._snapshot_opener or (lambda: open_published(settings))
                    self._snapshots = SnapshotSource(opener)
        return self._snapshots


async def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


async def get_settings_dep(request: Request) -> Settings:
    return (await get_context(request)).settings


async def get_stores(request: Request) -> Stores:
    return (await get_context(request)).stores


async def get_snapshots(request: Request) -> SnapshotSource:
    return (await get_context(request)).snapshots


SnapshotsDep = Annotated[SnapshotSource, Depends(get_snapshots)]


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoresDep = Annotated[Stores, Depends(get_stores)]


def get_db(stores: StoresDep) -> Iterator[Session]:
    """A session per request; routes that write commit explicitly (before launching any flow)."""
    with stores.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


async def get_launcher_dep(settings: SettingsDep) -> Launcher:
    """The flow launcher (overridden in tests with ``app.dependency_overrides``)."""
    return get_launcher(settings.launch_mode)


LauncherDep = Annotated[Launcher, Depends(get_launcher_dep)]


async def get_rules(settings: SettingsDep) -> GenerationRules:
    return GenerationRules(costs=settings.credit_costs)


RulesDep = Annotated[GenerationRules, Depends(get_rules)]

_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer mk3d_…`")


def _authenticate(stores: Stores, plaintext: str) -> Principal:
    with transaction(stores.sessions) as session:
        key = api_keys.authenticate(session=session, plaintext=plaintext)
        return Principal(
            key_id=key.id, role=Role(key.role), user_id=key.user_id, rate_limit_per_minute=key.rate_limit_per_minute
        )


async def get_current_key(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The authenticated caller (401 without or with a bad key; 429 over its rate limit)."""
    if credentials is None or not credentials.credentials:
        raise AuthError("an API key is required: send 'Authorization: Bearer <key>'")
    plaintext = credentials.credentials
    cache: KeyCache = request.app.state.key_cache
    digest = api_keys.hash_key(plaintext)
    stores = await get_stores(request)

    async def lookup() -> Principal:
        return await run_in_threadpool(_authenticate, stores, plaintext)

    principal = cache.get(digest)
    if principal is None:
        principal = await cache.load(digest, lookup)
    elif cache.is_aging(digest):
        cache.refresh_soon(digest, lookup)
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.hit(principal.key_id, principal.rate_limit_per_minute)
    request.state.principal = principal
    return principal


CurrentKey = Annotated[Principal, Depends(get_current_key)]


async def require_admin(key: CurrentKey) -> Principal:
    if key.role != Role.ADMIN:
        raise Forbidden(f"this needs an admin key; this key's role is {key.role}", role=str(key.role))
    return key


AdminKey = Annotated[Principal, Depends(require_admin)]


async def get_acting_user(
    key: CurrentKey,
    x_acting_user: Annotated[
        uuid.UUID | None,
        Header(description="service keys only: the id of the user the request is made for"),
    ] = None,
) -> uuid.UUID:
    """The user a request acts for: a user key's own user, or ``X-Acting-User`` for service keys."""
    if key.role == Role.USER:
        assert key.user_id is not None
        if x_acting_user is not None and x_acting_user != key.user_id:
            raise Forbidden("user keys cannot act for another user")
        return key.user_id
    if key.role == Role.SERVICE:
        if x_acting_user is None:
            raise InvalidInput("a service key must name the user it acts for in the X-Acting-User header")
        return x_acting_user
    raise Forbidden(
        "this needs a user key, or a service key acting for a user; admin keys have their own routes",
        role=str(key.role),
    )


ActingUser = Annotated[uuid.UUID, Depends(get_acting_user)]
