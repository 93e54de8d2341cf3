"""RunPod serverless adapter: ``/run`` or ``/runsync``, ``/status/{id}``, ``/cancel/{id}``.

Statuses: IN_QUEUE, IN_PROGRESS, COMPLETED, FAILED, CANCELLED, TIMED_OUT. Billed per
GPU-second of worker execution (``executionTime``, ms); ``delayTime`` (ms) is the queue time.
The worker runs ``gpu_tasks.generators.runpod_worker`` (its docstring gives the contract), so
concepts and meshes both come from the GPU worker.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any, Final

from core.enums import PriceUnit, ProviderCallStatus, Stage
from core.errors import MeshTooLarge, ProviderError
from gpu_tasks.generators.base import ConceptRequest, ConceptResult, ModelRequest, utc_now
from gpu_tasks.generators.remote.base import JobState, JobStatus, PendingJob, RemoteGenerator
from gpu_tasks.generators.remote.http import Json

logger = logging.getLogger(__name__)

DEFAULT_API: Final = "https://api.runpod.ai/v2"
_STATUS: Final[dict[str, JobStatus]] = {
    "IN_QUEUE": "queued",
    "IN_PROGRESS": "running",
    "COMPLETED": "succeeded",
    "FAILED": "failed",
    "CANCELLED": "cancelled",
    "TIMED_OUT": "timed_out",
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class RunPodGenerator(RemoteGenerator):
    """Concepts and image → 3D on a RunPod serverless endpoint running our worker.

    Parameters
    ----------
    endpoint_id : str or None
        Builds ``https://api.runpod.ai/v2/{endpoint_id}``; or give ``base_url``.
    use_runsync : bool
        Submit with ``/runsync`` (one round trip when the job finishes quickly), then poll.
    gpu_model : str
        Price-book model of the endpoint's GPU (``h100-80gb``, ``a100-80gb``).
    **options
        See ``RemoteGenerator``.
    """

    name = "runpod"
    provider = "runpod"
    model = "h100-80gb"
    unit = PriceUnit.GPU_SECOND

    def __init__(
        self,
        *,
        endpoint_id: str | None = None,
        base_url: str | None = None,
        use_runsync: bool = False,
        gpu_model: str = "h100-80gb",
        **options: Any,
    ) -> None:
        if base_url is None:
            if not endpoint_id:
                raise ProviderError("runpod needs an endpoint_id or a base_url", provider="runpod", transient=False)
            base_url = f"{DEFAULT_API}/{endpoint_id}"
        super().__init__(base_url=base_url, **options)
        self.use_runsync = use_runsync
        self.model = gpu_model
        self._early: dict[str, JobState] = {}

    def _submit(self, payload: Json) -> str:
        body = self.http.request_json("POST", "/runsync" if self.use_runsync else "/run", json={"input": payload})
        job_id = body.get("id")
        if not isinstance(job_id, str) or not job_id:
            raise ProviderError("runpod submit: no job id in the reply", provider=self.provider, transient=False)
        if "status" in body:
            # /runsync may already carry the finished job; keep it for the first poll.
            self._early[job_id] = self._state(job_id, body)
        return job_id

    def submit_model(self, req: ModelRequest) -> str:
        return self._submit({"task": "model", "image_b64": _b64(req.image), "seed": req.seed, "grid": req.grid})

    def _state(self, job_id: str, body: Json) -> JobState:
        raw = body.get("status")
        if raw not in _STATUS:
            raise ProviderError(f"runpod job {job_id}: unknown status {raw!r}", provider=self.provider, transient=False)
        error = body.get("error")
        return JobState(
            status=_STATUS[raw],
            raw_status=str(raw),
            payload=body,
            message=str(error) if error else None,
            # A worker failure may be a bad node; a retry may land elsewhere.
            transient=raw == "FAILED",
        )

    def poll_job(self, job_id: str) -> JobState:
        early = self._early.pop(job_id, None)
        if early is not None:
            return early
        return self._state(job_id, self.http.request_json("GET", f"/status/{job_id}"))

    def cancel_job(self, job_id: str) -> None:
        self.http.request_json("POST", f"/cancel/{job_id}")

    def _output(self, state: JobState) -> Json:
        output = state.payload.get("output")
        if not isinstance(output, dict):
            raise ProviderError(
                "runpod job completed without an output object", provider=self.provider, transient=False
            )
        return output

    def _decode(self, value: object, what: str) -> bytes:
        if not isinstance(value, str):
            raise ProviderError(f"runpod output {what} is missing", provider=self.provider, transient=False)
        if len(value) * 3 // 4 > self.mesh_limits.max_bytes:
            raise MeshTooLarge(f"runpod output {what} exceeds {self.mesh_limits.max_bytes} bytes")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as e:
            raise ProviderError(f"runpod output {what} is not base64", provider=self.provider, transient=False) from e

    def mesh_bytes(self, state: JobState) -> bytes:
        output = self._output(state)
        if isinstance(output.get("mesh_url"), str):
            return self.http.download(str(output["mesh_url"]), max_bytes=self.mesh_limits.max_bytes)
        return self._decode(output.get("mesh_glb_b64"), "mesh_glb_b64")

    def result_url(self, state: JobState) -> str:
        url = self._output(state).get("mesh_url")
        if not isinstance(url, str):
            raise ProviderError("runpod output has no mesh_url", provider=self.provider, transient=False)
        return url

    def billing(self, state: JobState, queue_s: float, run_s: float) -> tuple[float, float, float, float]:
        p = state.payload
        delay, execution = p.get("delayTime"), p.get("executionTime")
        if isinstance(delay, int | float) and delay >= 0:
            queue_s = float(delay) / 1000.0
        if isinstance(execution, int | float) and execution >= 0:
            run_s = float(execution) / 1000.0
        # Every second a worker ran is billed, whether the job succeeded or not.
        return run_s, run_s, queue_s, run_s

    def generate_concepts(self, req: ConceptRequest) -> ConceptResult:
        """Concepts drawn by the worker; billed as its GPU-seconds."""
        started_at = utc_now()
        payload: Json = {
            "task": "concepts",
            "prompt": req.prompt,
            "image_b64": None if req.image is None else _b64(req.image),
            "style": req.style,
            "seed": req.seed,
            "count": req.count,
            "size": req.size,
        }
        job = PendingJob(job_id=self._submit(payload), submitted=self.clock())
        self._wait([job], started_at)
        assert job.state is not None
        encoded = self._output(job.state).get("images_b64")
        if not isinstance(encoded, list) or len(encoded) != req.count:
            raise ProviderError("runpod concepts output is malformed", provider=self.provider, transient=False)
        images = [self._decode(v, "images_b64") for v in encoded]
        usage = self._usage(job, started_at, ProviderCallStatus.SUCCEEDED, None, stage=Stage.CONCEPTS)
        logger.info("runpod concepts job %s: %d images, %.2f GPU-seconds", job.job_id, len(images), usage.gpu_seconds)
        return ConceptResult(images=images, usage=usage)
