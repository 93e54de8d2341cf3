"""Task runners: threads on one machine (default) or a Dask cluster whose workers declare GPUs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.task_runners import ThreadPoolTaskRunner

from core.settings import Settings

GPU_RESOURCE = "GPU"


def make_task_runner(settings: Settings) -> Any:
    """The task runner the settings choose.

    ``threads``: a thread pool in the flow's process. ``dask``: a remote scheduler at
    ``dask_address``, or a ``LocalCluster`` of ``dask_workers`` processes each declaring
    ``gpus_per_worker`` GPUs, so at most that many GPU tasks run on a worker at once.
    """
    if settings.task_runner == "threads":
        return ThreadPoolTaskRunner(max_workers=4)
    from prefect_dask.task_runners import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": settings.dask_workers,
            "threads_per_worker": settings.gpus_per_worker,
            "processes": True,
            "resources": {GPU_RESOURCE: settings.gpus_per_worker},
            "dashboard_address": None,
        },
    )


@contextmanager
def needs_gpu() -> Iterator[None]:
    """Annotate tasks submitted inside this block as needing one GPU (honoured by Dask; no-op for threads)."""
    from dask.base import annotate

    with annotate(resources={GPU_RESOURCE: 1}):
        yield
