"""Meshy adapter: ``POST /openapi/v1/image-to-3d`` with a data-URI image, poll ``GET .../{id}``.

Statuses: PENDING, IN_PROGRESS, SUCCEEDED, FAILED, CANCELED; ``progress`` 0..100; the result
is ``model_urls.glb``; ``created_at``/``started_at``/``finished_at`` (epoch ms) give queue and
run time. Errors are ``{"message": ...}`` with the HTTP status. Billed in Meshy credits, a
configured amount per task (Meshy's reply does not state it).
"""

from __future__ import annotations

import base64
import logging
from typing import Any, Final

from core.enums import PriceUnit
from core.errors import ProviderError
from gpu_tasks.generators.base import ModelRequest
from gpu_tasks.generators.remote.base import JobState, JobStatus, RemoteGenerator

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.meshy.ai"
_PATH: Final = "/openapi/v1/image-to-3d"
_STATUS: Final[dict[str, JobStatus]] = {
    "PENDING": "queued",
    "IN_PROGRESS": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "CANCELED": "cancelled",
    "CANCELLED": "cancelled",
    "EXPIRED": "failed",
}


def _data_uri(image: bytes) -> str:
    mime = "image/jpeg" if image[:3] == b"\xff\xd8\xff" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


class MeshyGenerator(RemoteGenerator):
    """Image → 3D through Meshy.

    Parameters
    ----------
    ai_model : str
        Meshy's model name sent with the task.
    credits_per_task : float
        Credits one successful image-to-3D task costs on the account's plan.
    should_texture : bool
        Ask for a textured model.
    **options
        See ``RemoteGenerator``.
    """

    name = "meshy"
    provider = "meshy"
    model = "meshy-5"
    unit = PriceUnit.CREDIT

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        ai_model: str = "meshy-5",
        credits_per_task: float = 30.0,
        should_texture: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(base_url=base_url, **options)
        self.ai_model = ai_model
        self.credits_per_task = credits_per_task
        self.should_texture = should_texture

    def submit_model(self, req: ModelRequest) -> str:
        body = self.http.request_json(
            "POST",
            _PATH,
            json={
                "image_url": _data_uri(req.image),
                "ai_model": self.ai_model,
                "should_texture": self.should_texture,
                "seed": req.seed,
            },
        )
        task_id = body.get("result")
        if not isinstance(task_id, str) or not task_id:
            raise ProviderError("meshy create task: no task id in 'result'", provider=self.provider, transient=False)
        logger.info("meshy task %s submitted", task_id)
        return task_id

    def poll_job(self, job_id: str) -> JobState:
        data = self.http.request_json("GET", f"{_PATH}/{job_id}")
        raw = data.get("status")
        if raw not in _STATUS:
            raise ProviderError(f"meshy task {job_id}: unknown status {raw!r}", provider=self.provider, transient=False)
        error = data.get("task_error")
        message = str(error.get("message")) if isinstance(error, dict) and error.get("message") else None
        progress = data.get("progress")
        return JobState(
            status=_STATUS[raw],
            raw_status=str(raw),
            progress=float(progress) if isinstance(progress, int | float) else None,
            payload=data,
            message=message,
            transient=raw == "FAILED",
        )

    def cancel_job(self, job_id: str) -> None:
        self.http.request_json("DELETE", f"{_PATH}/{job_id}")

    def result_url(self, state: JobState) -> str:
        urls = state.payload.get("model_urls")
        if isinstance(urls, dict) and isinstance(urls.get("glb"), str) and urls["glb"]:
            return str(urls["glb"])
        raise ProviderError("meshy task succeeded without model_urls.glb", provider=self.provider, transient=False)

    def billing(self, state: JobState, queue_s: float, run_s: float) -> tuple[float, float, float, float]:
        p = state.payload
        created, started, finished = p.get("created_at"), p.get("started_at"), p.get("finished_at")
        if all(isinstance(t, int | float) and t > 0 for t in (created, started)):
            queue_s = max(0.0, (float(started) - float(created)) / 1000.0)  # type: ignore[arg-type]
            if isinstance(finished, int | float) and finished > 0:
                run_s = max(0.0, (float(finished) - float(started)) / 1000.0)  # type: ignore[arg-type]
        credits = self.credits_per_task if state.status == "succeeded" else 0.0
        return credits, 0.0, queue_s, run_s
