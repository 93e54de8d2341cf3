"""GPU tasks: generator calls, with retries on transient errors only and a timeout.

They take and return picklable values (bytes, requests, results) so they can run on Dask workers
in other processes; the generator is built where the task runs.
"""

from __future__ import annotations

from typing import Any

from prefect import Task, task
from prefect.tasks import exponential_backoff

from flows.runtime import is_transient, runtime
from gpu_tasks.generators import ConceptRequest, ConceptResult, ModelRequest, ModelResult, make_generator


def _retry_on_transient(_task: Task[Any, Any], _run: Any, state: Any) -> bool:
    try:
        state.result()
    except Exception as e:  # noqa: BLE001 - inspecting the failure is the point
        return is_transient(e)
    return False


_settings = runtime().settings

_task_options: dict[str, Any] = {
    "retries": _settings.task_retries,
    "retry_delay_seconds": exponential_backoff(backoff_factor=_settings.task_retry_delay_s),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": _retry_on_transient,
    "persist_result": False,
}
if _settings.task_runner == "dask":
    # A timeout can stop a task in a Dask worker process; a thread cannot be interrupted, so on the
    # thread runner the bound comes from the generators themselves (HTTP timeouts, poll deadlines).
    _task_options["timeout_seconds"] = _settings.gpu_task_timeout_s


@task(name="generate-concept-images", tags=["gpu"], **_task_options)
def generate_concept_images(kind: str, options: dict[str, Any], request: ConceptRequest) -> ConceptResult:
    """Concept images from a prompt or an image, on the generator ``kind``."""
    return make_generator(kind, **options).generate_concepts(request)


@task(name="generate-mesh", tags=["gpu"], **_task_options)
def generate_mesh(kind: str, options: dict[str, Any], request: ModelRequest) -> ModelResult:
    """A mesh from one image, on the generator ``kind``."""
    return make_generator(kind, **options).generate_model(request)
