"""Tripo3D adapter (API v2): upload the image, ``POST /task`` image_to_model, poll ``GET /task/{id}``.

Replies are ``{"code": 0, "data": {...}}``; errors carry a non-zero ``code`` and ``message``.
Task statuses: queued, running, success, failed, cancelled, banned, expired (and unknown).
Billed in Tripo credits: the task's reported consumption when the reply has one, else the
configured credits per task.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import httpx

from core.enums import PriceUnit
from core.errors import ProviderError, ProviderRateLimited
from gpu_tasks.generators.base import ModelRequest
from gpu_tasks.generators.remote.base import JobState, JobStatus, RemoteGenerator
from gpu_tasks.generators.remote.http import ErrorMapper, Json, parse_retry_after

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.tripo3d.ai/v2/openapi"
_STATUS: Final[dict[str, JobStatus]] = {
    "queued": "queued",
    "running": "running",
    "success": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
    "banned": "failed",
    "expired": "failed",
    "unknown": "failed",
}
#: Tripo error codes: rate limit, and the ones no retry can fix.
_RATE_LIMIT_CODES: Final = frozenset({2000})
_TRANSIENT_CODES: Final = frozenset({1000, 1001})


def _image_type(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "png"


class TripoGenerator(RemoteGenerator):
    """Image → 3D through Tripo3D.

    Parameters
    ----------
    model_version : str
        Tripo's model version string sent with the task.
    credits_per_task : float
        Credits billed for one image_to_model task when the reply does not report them.
    **options
        See ``RemoteGenerator``.
    """

    name = "tripo"
    provider = "tripo"
    model = "tripo-v2.5"
    unit = PriceUnit.CREDIT

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        model_version: str = "v2.5-20250123",
        credits_per_task: float = 30.0,
        **options: Any,
    ) -> None:
        super().__init__(base_url=base_url, **options)
        self.model_version = model_version
        self.credits_per_task = credits_per_task

    def error_mapper(self) -> ErrorMapper:
        def mapper(response: httpx.Response, body: Json | None) -> ProviderError:
            code = body.get("code") if body else None
            message = str(body.get("message", "")) if body else ""
            text = f"tripo HTTP {response.status_code} code {code}: {message}".rstrip(": ")
            if response.status_code == 429 or code in _RATE_LIMIT_CODES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                return ProviderRateLimited(text, provider=self.provider, retry_after_s=retry_after)
            transient = response.status_code >= 500 or code in _TRANSIENT_CODES
            return ProviderError(
                text, provider=self.provider, transient=transient, status=response.status_code, provider_code=code
            )

        return mapper

    def _data(self, body: Json, what: str) -> Json:
        data = body.get("data")
        if body.get("code", 0) != 0 or not isinstance(data, dict):
            raise ProviderError(
                f"tripo {what}: malformed or failed reply (code {body.get('code')}): {body.get('message', '')}",
                provider=self.provider,
                transient=False,
                provider_code=body.get("code"),
            )
        return data

    def submit_model(self, req: ModelRequest) -> str:
        kind = _image_type(req.image)
        upload = self._data(
            self.http.request_json("POST", "/upload", files={"file": (f"image.{kind}", req.image, f"image/{kind}")}),
            "upload",
        )
        token = upload.get("image_token")
        if not isinstance(token, str):
            raise ProviderError("tripo upload: no image_token in the reply", provider=self.provider, transient=False)
        task = self._data(
            self.http.request_json(
                "POST",
                "/task",
                json={
                    "type": "image_to_model",
                    "model_version": self.model_version,
                    "file": {"type": kind, "file_token": token},
                    "model_seed": req.seed,
                },
            ),
            "create task",
        )
        task_id = task.get("task_id")
        if not isinstance(task_id, str):
            raise ProviderError("tripo create task: no task_id in the reply", provider=self.provider, transient=False)
        logger.info("tripo task %s submitted", task_id)
        return task_id

    def poll_job(self, job_id: str) -> JobState:
        data = self._data(self.http.request_json("GET", f"/task/{job_id}"), "task status")
        raw = data.get("status")
        if raw not in _STATUS:
            raise ProviderError(f"tripo task {job_id}: unknown status {raw!r}", provider=self.provider, transient=False)
        progress = data.get("progress")
        return JobState(
            status=_STATUS[raw],
            raw_status=str(raw),
            progress=float(progress) if isinstance(progress, int | float) else None,
            payload=data,
            message=f"tripo task {raw}" if raw in {"failed", "banned", "expired", "unknown"} else None,
            # A failed task may succeed when run again; banned and expired ones will not.
            transient=raw == "failed",
        )

    def result_url(self, state: JobState) -> str:
        output = state.payload.get("output")
        if isinstance(output, dict):
            for key in ("pbr_model", "model", "base_model"):
                url = output.get(key)
                if isinstance(url, str) and url:
                    return url
                if isinstance(url, dict) and isinstance(url.get("url"), str):
                    return str(url["url"])
        raise ProviderError("tripo task succeeded without a model URL", provider=self.provider, transient=False)

    def billing(self, state: JobState, queue_s: float, run_s: float) -> tuple[float, float, float, float]:
        reported = state.payload.get("consumed_credit")
        if isinstance(reported, int | float) and reported >= 0:
            credits = float(reported)
        else:
            # Tripo does not charge a task that failed or was refused.
            credits = self.credits_per_task if state.status == "succeeded" else 0.0
        return credits, 0.0, queue_s, run_s
