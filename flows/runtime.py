"""What a flow run needs, built once per process from settings (flows are composition roots)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from core.errors import DomainError, ProviderError
from core.settings import Settings, get_settings
from warehouse.context import Stores
from warehouse.generation import GenerationRules
from warehouse.mail import MailTransport


@dataclass
class FlowRuntime:
    settings: Settings

    @cached_property
    def stores(self) -> Stores:
        return Stores(self.settings)

    @cached_property
    def rules(self) -> GenerationRules:
        return GenerationRules(costs=self.settings.credit_costs)

    @cached_property
    def mail(self) -> MailTransport:
        s = self.settings
        return MailTransport(
            url=s.mail_url,
            sender=s.mail_from,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
        )

    def generator_options(self) -> dict[str, Any]:
        """Options for ``gpu_tasks.generators.make_generator`` (picklable: they travel to Dask workers)."""
        s = self.settings
        if s.generator == "local":
            return {"grid": s.generator_grid}
        if s.generator == "learned":
            return {"weights_dir": str(s.generator_weights_dir) if s.generator_weights_dir else None}
        options: dict[str, Any] = {}
        if s.provider_api_key is not None:
            options["api_key"] = s.provider_api_key.get_secret_value()
        if s.provider_base_url:
            options["base_url"] = s.provider_base_url
        if s.generator == "runpod" and s.runpod_endpoint_id:
            options["endpoint_id"] = s.runpod_endpoint_id
        return options


_lock = threading.Lock()
_runtime: FlowRuntime | None = None


def runtime() -> FlowRuntime:
    """The process-wide runtime for the current settings."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = FlowRuntime(get_settings())
        return _runtime


def reset_runtime(settings: Settings | None = None) -> FlowRuntime:
    """Replace the runtime (tests and the CLI use this after changing settings)."""
    global _runtime
    with _lock:
        if _runtime is not None:
            _runtime.stores.dispose()
        _runtime = FlowRuntime(settings or get_settings())
        return _runtime


_api_lock = threading.Lock()
_api_ready = False


def ensure_prefect_api() -> None:
    """Make sure a Prefect API is reachable before flows run in this process.

    With no ``PREFECT_API_URL``, Prefect starts a temporary local server on first use; several
    flows starting at once in different threads would race to start it, so the first one starts
    it here, under a lock.
    """
    global _api_ready
    with _api_lock:
        if _api_ready:
            return
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            client.api_healthcheck()
        _api_ready = True


@contextmanager
def inprocess_prefect_settings(settings: Settings) -> Iterator[None]:
    """Prefect settings for flows run inside this process.

    Prefect's flow-run heartbeat thread sleeps in one-second steps and is joined when a run
    ends, which adds up to a second to every flow run; in-process runs rely on dispatch-pending
    to catch stuck jobs instead, unless ``flow_heartbeats`` is set.
    """
    if settings.flow_heartbeats:
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def is_transient(error: BaseException) -> bool:
    """Whether a retry may help: provider timeouts, 429s and 5xx, and I/O hiccups; never bad input."""
    if isinstance(error, ProviderError):
        return error.transient
    if isinstance(error, DomainError):
        return False
    return isinstance(error, (ConnectionError, TimeoutError))
