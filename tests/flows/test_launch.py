"""The in-process launcher: the first run of a flow runs alone, later runs overlap."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from flows import launch as launch_module
from flows.launch import InProcessLauncher


def test_first_run_of_a_flow_runs_alone_then_runs_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[tuple[str, int]] = []
    lock = threading.Lock()
    running = {"now": 0, "peak_after_first": 0}

    def fake_flow(n: int) -> int:
        with lock:
            running["now"] += 1
            events.append(("start", n))
            if n > 0:
                running["peak_after_first"] = max(running["peak_after_first"], running["now"])
        time.sleep(0.3)
        with lock:
            running["now"] -= 1
            events.append(("end", n))
        return n

    monkeypatch.setattr(launch_module, "load_flow", lambda name: fake_flow)
    launcher = InProcessLauncher(max_workers=4)
    handles: list[Any] = [launcher.launch("dispatch-pending", {"n": i}) for i in range(4)]
    assert [h.result(timeout=30) for h in handles] == [0, 1, 2, 3]
    launcher.shutdown()
    first_end = events.index(("end", 0))
    assert all(events.index(("start", i)) > first_end for i in (1, 2, 3)), events
    assert running["peak_after_first"] >= 2, "runs after the first one overlap"
