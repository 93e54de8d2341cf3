"""Start flow runs by name: in-process in the background (embedded default) or as deployment runs.

This thin launcher is the only thing the API imports from ``flows``. The flow modules are
imported lazily, by name, so importing the launcher costs nothing.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.errors import InvalidInput

log = logging.getLogger(__name__)

#: Flow name → "module:function". Deployments in prefect.yaml are named ``<flow>/<flow>``.
FLOW_ENTRYPOINTS: Mapping[str, str] = {
    "generate-concepts": "flows.generate_concepts:generate_concepts",
    "generate-model": "flows.generate_model:generate_model",
    "rescale-model": "flows.rescale_model:rescale_model",
    "fulfil-checkout": "flows.fulfil_checkout:fulfil_checkout",
    "sync-stripe": "flows.sync_stripe:sync_stripe",
    "dispatch-pending": "flows.dispatch_pending:dispatch_pending",
    "purge-storage": "flows.purge_storage:purge_storage",
}


@dataclass
class LaunchHandle:
    """A started flow run: a future for in-process runs, a flow-run id for deployment runs."""

    flow: str
    parameters: dict[str, Any]
    run_id: str | None = None
    future: Future[Any] | None = field(default=None, repr=False)

    def result(self, timeout: float | None = None) -> Any:
        """Wait for an in-process run and return its result (re-raising its error)."""
        if self.future is None:
            raise InvalidInput("deployment runs are awaited through the Prefect API, not the launcher")
        return self.future.result(timeout=timeout)


class Launcher(Protocol):
    def launch(self, flow: str, parameters: Mapping[str, Any], *, idempotency_key: str | None = None) -> LaunchHandle:
        """Start ``flow`` with ``parameters``; the same idempotency key starts it once."""
        ...


def load_flow(name: str) -> Any:
    """The flow object registered under ``name``."""
    try:
        module_name, attr = FLOW_ENTRYPOINTS[name].split(":")
    except KeyError as e:
        raise InvalidInput(f"unknown flow {name!r}; known: {', '.join(sorted(FLOW_ENTRYPOINTS))}") from e
    return getattr(importlib.import_module(module_name), attr)


class InProcessLauncher:
    """Runs flows on a small thread pool in this process (the embedded default)."""

    def __init__(self, max_workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="flow")
        self._lock = threading.Lock()
        self._by_key: dict[str, LaunchHandle] = {}
        self._handles: list[LaunchHandle] = []
        # The first run of each flow runs alone: Prefect and pydantic build schemas and clients lazily
        # on first use, and CPython 3.11's parser is not safe when several threads do that at once.
        self._warm_lock = threading.Lock()
        self._warm: set[str] = set()

    def launch(self, flow: str, parameters: Mapping[str, Any], *, idempotency_key: str | None = None) -> LaunchHandle:
        fn = load_flow(flow)
        params = dict(parameters)
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._by_key:
                return self._by_key[idempotency_key]
            handle = LaunchHandle(flow=flow, parameters=params)
            handle.future = self._pool.submit(self._run_first_alone, fn, flow, params)
            if idempotency_key is not None:
                self._by_key[idempotency_key] = handle
            self._handles.append(handle)
        return handle

    def _run_first_alone(self, fn: Any, flow: str, params: dict[str, Any]) -> Any:
        if flow in self._warm:
            return self._run(fn, flow, params)
        with self._warm_lock:
            if flow not in self._warm:
                try:
                    return self._run(fn, flow, params)
                finally:
                    self._warm.add(flow)
        return self._run(fn, flow, params)

    @staticmethod
    def _run(fn: Any, flow: str, params: dict[str, Any]) -> Any:
        from flows.runtime import ensure_prefect_api, inprocess_prefect_settings, runtime

        try:
            ensure_prefect_api()
            with inprocess_prefect_settings(runtime().settings):
                return fn(**params)
        except Exception:
            log.exception("flow %s failed with parameters %s", flow, params)
            raise

    def failures(self) -> list[tuple[LaunchHandle, BaseException]]:
        """Runs started so far that ended with an error, with the error."""
        with self._lock:
            done = [h for h in self._handles if h.future is not None and h.future.done()]
        out = []
        for h in done:
            assert h.future is not None
            error = h.future.exception()
            if error is not None:
                out.append((h, error))
        return out

    def drain(self, timeout: float | None = None) -> None:
        """Wait for every run started so far (the demo and tests use this)."""
        with self._lock:
            futures = [h.future for h in self._handles if h.future is not None]
        wait(futures, timeout=timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


class DeploymentLauncher:
    """Creates flow runs of the deployments in prefect.yaml through the Prefect API."""

    def launch(self, flow: str, parameters: Mapping[str, Any], *, idempotency_key: str | None = None) -> LaunchHandle:
        if flow not in FLOW_ENTRYPOINTS:
            raise InvalidInput(f"unknown flow {flow!r}")
        from prefect.deployments import run_deployment

        run = run_deployment(
            name=f"{flow}/{flow}",
            parameters=dict(parameters),
            timeout=0,
            idempotency_key=idempotency_key,
            as_subflow=False,
        )
        # Called from synchronous code, run_deployment returns the FlowRun itself.
        run_id = getattr(run, "id", None)
        if run_id is None:
            raise RuntimeError("run_deployment returned no flow run; is it being called from async code?")
        return LaunchHandle(flow=flow, parameters=dict(parameters), run_id=str(run_id))


_launchers: dict[str, Launcher] = {}
_launchers_lock = threading.Lock()


def get_launcher(mode: str = "inprocess") -> Launcher:
    """The process-wide launcher for a ``Settings.launch_mode``."""
    with _launchers_lock:
        if mode not in _launchers:
            if mode == "inprocess":
                _launchers[mode] = InProcessLauncher()
            elif mode == "deployment":
                _launchers[mode] = DeploymentLauncher()
            else:
                raise InvalidInput(f"unknown launch mode {mode!r}")
        return _launchers[mode]


def launch(
    flow: str, parameters: Mapping[str, Any], *, mode: str = "inprocess", idempotency_key: str | None = None
) -> LaunchHandle:
    """Start ``flow`` with the launcher of ``mode``."""
    return get_launcher(mode).launch(flow, parameters, idempotency_key=idempotency_key)
