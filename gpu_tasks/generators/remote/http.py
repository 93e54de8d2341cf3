"""The HTTP layer every remote adapter shares: httpx, timeouts, retries with backoff, Retry-After, errors."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from core.errors import MeshTooLarge, ProviderError, ProviderRateLimited, ProviderTimeout

logger = logging.getLogger(__name__)

Json = dict[str, Any]
ErrorMapper = Callable[[httpx.Response, Json | None], ProviderError]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried after 429, 5xx or a transport error.

    Attributes
    ----------
    attempts : int
        Tries in total (1 = no retry).
    backoff_s : float
        First wait; doubled each retry, capped at ``max_backoff_s``.
    max_retry_after_s : float
        Longest Retry-After honoured; a longer one is not waited for and the error is raised.
    """

    attempts: int = 4
    backoff_s: float = 0.5
    max_backoff_s: float = 20.0
    max_retry_after_s: float = 120.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff_s, self.backoff_s * 2**attempt))


@dataclass(frozen=True)
class PollPolicy:
    """How a job is waited for: poll every ``interval_s`` until ``timeout_s`` has passed."""

    interval_s: float = 2.0
    timeout_s: float = 900.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def default_error(provider: str) -> ErrorMapper:
    """Map an HTTP error reply to our errors by status: 429 rate limit, 5xx transient, 4xx permanent."""

    def mapper(response: httpx.Response, body: Json | None) -> ProviderError:
        message = ""
        if body:
            message = str(body.get("message") or body.get("error") or body.get("detail") or "")
        text = f"{provider} answered HTTP {response.status_code}" + (f": {message}" if message else "")
        if response.status_code == 429:
            return ProviderRateLimited(
                text, provider=provider, retry_after_s=parse_retry_after(response.headers.get("Retry-After"))
            )
        return ProviderError(
            text, provider=provider, transient=response.status_code >= 500, status=response.status_code
        )

    return mapper


class ProviderHttp:
    """A JSON API client for one provider, with retries; downloads go through a separate client.

    The API key travels only to ``base_url``; result files (often presigned URLs on another
    host) are fetched without it.

    Parameters
    ----------
    provider : str
        Price-book provider name, used in errors.
    base_url : str
    api_key : str or None
        Sent as ``Authorization: Bearer``.
    timeout_s : float
        Read/write timeout per request; ``connect_timeout_s`` for connecting.
    retry : RetryPolicy
    error_mapper : callable or None
        Turns an error reply into a ``ProviderError``; status-based by default.
    sleep : callable
        Waits between retries (injectable for tests).
    transport : httpx.BaseTransport or None
        For tests; None uses the network.
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        api_key: str | None,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        error_mapper: ErrorMapper | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.map_error = error_mapper or default_error(provider)
        timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
        headers = {"Accept": "application/json", "User-Agent": "makeit3d-gpu-tasks"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)
        self.files = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)

    def close(self) -> None:
        self.client.close()
        self.files.close()

    def request_json(
        self,
        method: str,
        path: str,
        *,
        json: Json | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> Json:
        """Send a request and return its JSON object, retrying transient failures.

        Raises
        ------
        ProviderRateLimited
            Still 429 after the last attempt (or a Retry-After beyond the policy).
        ProviderTimeout
            Timed out on every attempt.
        ProviderError
            Any other failure; ``transient`` says whether a later retry may help. A reply that
            is not a JSON object is a non-transient ``ProviderError`` (malformed).
        """
        last: ProviderError | None = None
        for attempt in range(self.retry.attempts):
            try:
                response = self.client.request(method, path, json=json, files=files)
            except httpx.TimeoutException as e:
                last = ProviderTimeout(
                    f"{self.provider} {method} {path} timed out", provider=self.provider, transient=True
                )
                last.__cause__ = e
                wait = self.retry.backoff(attempt)
            except httpx.TransportError as e:
                last = ProviderError(
                    f"{self.provider} {method} {path} failed: {e}", provider=self.provider, transient=True
                )
                last.__cause__ = e
                wait = self.retry.backoff(attempt)
            else:
                body = _json_or_none(response)
                if response.is_success:
                    if body is None:
                        raise ProviderError(
                            f"{self.provider} sent a malformed reply to {method} {path} (not a JSON object)",
                            provider=self.provider,
                            transient=False,
                            status=response.status_code,
                        )
                    return body
                last = self.map_error(response, body)
                if not last.transient:
                    raise last
                # Retry-After is honoured on a 429 and on a 503 (or any transient reply that sends it).
                retry_after = (
                    last.retry_after_s
                    if isinstance(last, ProviderRateLimited)
                    else parse_retry_after(response.headers.get("Retry-After"))
                )
                if retry_after is not None:
                    if retry_after > self.retry.max_retry_after_s:
                        raise last
                    wait = retry_after
                else:
                    wait = self.retry.backoff(attempt)
            if attempt + 1 < self.retry.attempts:
                logger.warning("%s %s %s: %s; retrying in %.2f s", self.provider, method, path, last, wait)
                self.sleep(wait)
        assert last is not None
        raise last

    def download(self, url: str, *, max_bytes: int) -> bytes:
        """Fetch a result file (no API key sent), refusing more than ``max_bytes``; retried like requests."""
        last: ProviderError | None = None
        for attempt in range(self.retry.attempts):
            try:
                with self.files.stream("GET", url) as response:
                    if response.status_code >= 400:
                        last = ProviderError(
                            f"{self.provider} result download answered HTTP {response.status_code}",
                            provider=self.provider,
                            transient=response.status_code >= 500 or response.status_code == 429,
                            status=response.status_code,
                        )
                    else:
                        declared = response.headers.get("Content-Length")
                        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                            raise MeshTooLarge(f"result file is {declared} bytes; the limit is {max_bytes}")
                        chunks, size = [], 0
                        for chunk in response.iter_bytes():
                            size += len(chunk)
                            if size > max_bytes:
                                raise MeshTooLarge(f"result file exceeds {max_bytes} bytes")
                            chunks.append(chunk)
                        return b"".join(chunks)
            except httpx.TimeoutException as e:
                last = ProviderTimeout(
                    f"{self.provider} result download timed out", provider=self.provider, transient=True
                )
                last.__cause__ = e
            except httpx.TransportError as e:
                last = ProviderError(
                    f"{self.provider} result download failed: {e}", provider=self.provider, transient=True
                )
                last.__cause__ = e
            assert last is not None
            if not last.transient:
                raise last
            if attempt + 1 < self.retry.attempts:
                self.sleep(self.retry.backoff(attempt))
        assert last is not None
        raise last


def _json_or_none(response: httpx.Response) -> Json | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
