"""Per-key request rate limits: an in-memory token bucket per API key (per process)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import PlanLimitExceeded


class RateLimited(PlanLimitExceeded):
    """The key sent more requests than its ``rate_limit_per_minute``."""

    code = "rate_limited"


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets holding ``per_minute`` tokens, refilled continuously at ``per_minute / 60`` per second.

    Limits are per process: with several API workers a key gets up to ``workers ×`` its limit,
    which is acceptable for abuse protection (billing limits live in the ledger and plan rules).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[uuid.UUID, _Bucket] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: uuid.UUID, per_minute: int) -> None:
        """Take one token or raise ``RateLimited`` with the seconds until one is available."""
        now = self._clock()
        rate = per_minute / 60.0
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = _Bucket(tokens=float(per_minute), updated=now)
            else:
                bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.updated) * rate)
                bucket.updated = now
            if bucket.tokens < 1.0:
                wait = (1.0 - bucket.tokens) / rate
                raise RateLimited(
                    f"rate limit of {per_minute} requests per minute exceeded",
                    retry_after_s=wait,
                    limit="requests_per_minute",
                    per_minute=per_minute,
                )
            bucket.tokens -= 1.0
