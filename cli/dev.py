"""``makeit3d dev``: the local stack in one command, one prefixed log stream per component.

Starts a Prefect server, then the prefect.yaml deployments served against it (schedules fire),
``dagster dev`` (webserver and daemon) on the analytics definitions, and the API. Ctrl-C stops
everything: each component gets SIGTERM (its whole process group), then SIGKILL after a grace
period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from core.settings import Settings

COLOURS = ("cyan", "magenta", "green", "yellow", "blue")


@dataclass
class Component:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def components(settings: Settings, *, prefect_port: int, dagster_port: int, api_port: int) -> list[Component]:
    """The processes of the dev stack, with the environment each needs."""
    base = {**os.environ}
    var = settings.var_dir.resolve()
    prefect_api = f"http://127.0.0.1:{prefect_port}/api"
    prefect_env = {**base, "PREFECT_HOME": str((settings.prefect_home or var / "prefect").resolve())}
    dagster_home = (settings.dagster_home or var / "dagster").resolve()
    dagster_home.mkdir(parents=True, exist_ok=True)
    return [
        Component(
            "prefect",
            [_bin("prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(prefect_port)],
            {**prefect_env, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
            ready_url=f"{prefect_api}/health",
        ),
        Component(
            "flows",
            [_bin("makeit3d"), "flows", "serve"],
            {**prefect_env, "PREFECT_API_URL": prefect_api, "MAKEIT3D_LAUNCH_MODE": "deployment"},
        ),
        Component(
            "dagster",
            [_bin("dagster"), "dev", "-m", "assets_pipeline.definitions", "-h", "127.0.0.1", "-p", str(dagster_port)],
            {**base, "DAGSTER_HOME": str(dagster_home)},
        ),
        Component(
            "api",
            [_bin("makeit3d"), "api", "--port", str(api_port)],
            {**prefect_env, "PREFECT_API_URL": prefect_api, "MAKEIT3D_LAUNCH_MODE": "deployment"},
        ),
    ]


def _pump(component: Component, colour: str, console: Console) -> None:
    assert component.process is not None and component.process.stdout is not None
    for raw in component.process.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        console.print(
            f"[{colour}]{component.name:>8} |[/{colour}] {line}", markup=True, highlight=False, soft_wrap=True
        )


def _wait_ready(url: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - a loopback URL we built
                if resp.status < 500:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def stop_all(stack: Sequence[Component], grace_s: float = 10.0) -> None:
    """SIGTERM every component's process group, then SIGKILL what is still running."""
    for c in reversed(stack):
        if c.process and c.process.poll() is None:
            os.killpg(c.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for c in stack:
        if c.process is None:
            continue
        try:
            c.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(c.process.pid, signal.SIGKILL)


def run_dev(settings: Settings, *, prefect_port: int, dagster_port: int, api_port: int, console: Console) -> int:
    """Start the stack and block until Ctrl-C or until a component exits; return an exit code."""
    stack = components(settings, prefect_port=prefect_port, dagster_port=dagster_port, api_port=api_port)
    threads = []

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # Explicit handlers: a shell's background job inherits SIGINT as ignored, and process
    # managers stop services with SIGTERM; both must shut the whole stack down.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        for i, c in enumerate(stack):
            c.process = subprocess.Popen(  # noqa: S603 - our own executables
                c.argv, env=c.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
            )
            t = threading.Thread(target=_pump, args=(c, COLOURS[i % len(COLOURS)], console), daemon=True)
            t.start()
            threads.append(t)
            if c.ready_url and not _wait_ready(c.ready_url, 90):
                console.print(f"[red]{c.name} did not become ready at {c.ready_url}[/red]")
                return 1
        console.rule("dev stack up")
        console.print(f"Prefect UI   http://127.0.0.1:{prefect_port}")
        console.print(f"Dagster UI   http://127.0.0.1:{dagster_port}")
        console.print(f"API          http://127.0.0.1:{api_port}/docs   dashboard: /dashboard")
        console.print("Ctrl-C stops everything.")
        while True:
            for c in stack:
                if c.process is not None and c.process.poll() is not None:
                    console.print(f"[red]{c.name} exited with {c.process.returncode}; stopping the stack[/red]")
                    return c.process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping…")
        return 0
    finally:
        stop_all(stack)
