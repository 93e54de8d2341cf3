"""What the remote adapters share: submit, poll to a terminal state, cancel, download, price the call."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

import httpx

from core.enums import PriceUnit, ProviderCallStatus, Stage
from core.errors import ProviderError, ProviderTimeout
from core.usage import UsageRecord
from gpu_tasks.generators.base import ConceptRequest, ConceptResult, ModelRequest, ModelResult, utc_now
from gpu_tasks.generators.local import local_concepts
from gpu_tasks.generators.remote.http import ErrorMapper, Json, PollPolicy, ProviderHttp, RetryPolicy
from gpu_tasks.mesh.load import MeshLimits, load_mesh

logger = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled", "timed_out"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "timed_out"})


@dataclass(frozen=True)
class JobState:
    """One poll's view of a provider job, in our vocabulary.

    Attributes
    ----------
    status : JobStatus
        Normalised status; ``raw_status`` keeps the provider's word.
    progress : float or None
        0..100 when the provider reports it.
    payload : dict
        The provider's reply, for the adapter to read results and billing from.
    message : str or None
        The provider's error text on failure.
    transient : bool
        Whether a failed job may succeed when submitted again.
    """

    status: JobStatus
    raw_status: str
    progress: float | None = None
    payload: Json = field(default_factory=dict)
    message: str | None = None
    transient: bool = False


@dataclass
class PendingJob:
    job_id: str
    submitted: float
    running_since: float | None = None
    state: JobState | None = None


class RemoteGenerator(ABC):
    """Base of the Tripo, Meshy and RunPod adapters.

    Parameters
    ----------
    api_key : str or None
    base_url : str
        The provider's API root (a local server in tests).
    timeout_s : float
        Per-request timeout.
    retry : RetryPolicy or None
    poll : PollPolicy or None
    max_attempts, poll_interval_s, poll_timeout_s : int, float, float or None
        Plain-number overrides of ``retry.attempts``, ``poll.interval_s`` and ``poll.timeout_s``
        (what a settings file most easily provides).
    mesh_limits : MeshLimits or None
        Applied to the downloaded result.
    cancel_event : threading.Event or None
        When set, pending jobs are cancelled at the provider and the call raises.
    on_progress : callable or None
        Called with (job id, progress 0..100) whenever a poll reports progress.
    sleep, clock : callables
        Injected time (tests replace them to run without waiting).
    transport : httpx.BaseTransport or None
    """

    name: str
    provider: str
    model: str
    unit: PriceUnit

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        mesh_limits: MeshLimits | None = None,
        cancel_event: threading.Event | None = None,
        on_progress: Callable[[str, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int | None = None,
        poll_interval_s: float | None = None,
        poll_timeout_s: float | None = None,
    ) -> None:
        retry = retry or RetryPolicy()
        if max_attempts is not None:
            retry = replace(retry, attempts=max(1, max_attempts))
        poll = poll or PollPolicy()
        if poll_interval_s is not None:
            poll = replace(poll, interval_s=poll_interval_s)
        if poll_timeout_s is not None:
            poll = replace(poll, timeout_s=poll_timeout_s)
        self.http = ProviderHttp(
            provider=self.provider,
            base_url=base_url,
            api_key=api_key,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            retry=retry,
            error_mapper=self.error_mapper(),
            sleep=sleep,
            transport=transport,
        )
        self.poll_policy = poll
        self.mesh_limits = mesh_limits or MeshLimits()
        self.cancel_event = cancel_event
        self.on_progress = on_progress
        self.sleep = sleep
        self.clock = clock

    # --- what each provider defines -------------------------------------------------------
    def error_mapper(self) -> ErrorMapper | None:
        """Provider-specific mapping of error replies; None keeps the status-based default."""
        return None

    @abstractmethod
    def submit_model(self, req: ModelRequest) -> str:
        """Start an image → 3D job; return its id."""

    @abstractmethod
    def poll_job(self, job_id: str) -> JobState:
        """Read a job's state."""

    @abstractmethod
    def result_url(self, state: JobState) -> str:
        """Where the finished mesh can be downloaded."""

    @abstractmethod
    def billing(self, state: JobState, queue_s: float, run_s: float) -> tuple[float, float, float, float]:
        """(units, gpu_seconds, queue_seconds, run_seconds) of a finished or failed job."""

    def cancel_job(self, job_id: str) -> None:
        """Ask the provider to stop a job; providers without a cancel call leave it to expire."""
        logger.info("%s has no cancel call; job %s is abandoned", self.provider, job_id)

    def mesh_bytes(self, state: JobState) -> bytes:
        return self.http.download(self.result_url(state), max_bytes=self.mesh_limits.max_bytes)

    # --- the Generator interface ----------------------------------------------------------
    def generate_concepts(self, req: ConceptRequest) -> ConceptResult:
        """Concepts are drawn locally (procedural) and priced as such; this provider does image → 3D."""
        return local_concepts(req)

    def generate_model(self, req: ModelRequest) -> ModelResult:
        """Submit one job, wait for it, download and load its mesh."""
        return self.generate_models([req])[0]

    def generate_models(self, reqs: list[ModelRequest]) -> list[ModelResult]:
        """Submit every job first, then poll them together until all are done.

        Raises
        ------
        ProviderError
            The first job that failed, was cancelled or timed out; ``details["usage"]`` holds
            its usage record (failed calls can cost too) and ``details["call_status"]`` its status.
        """
        started_at = utc_now()
        jobs: list[PendingJob] = []
        try:
            for req in reqs:
                jobs.append(PendingJob(job_id=self.submit_model(req), submitted=self.clock()))
        except ProviderError:
            # Jobs already accepted would run (and bill) for nobody.
            self._abandon(jobs)
            raise
        self._wait(jobs, started_at)
        return [self._finish(job, started_at) for job in jobs]

    def close(self) -> None:
        self.http.close()

    # --- internals ------------------------------------------------------------------------
    def _wait(self, jobs: list[PendingJob], started_at: datetime) -> None:
        deadline = self.clock() + self.poll_policy.timeout_s
        while True:
            for job in jobs:
                if job.state is not None and job.state.status in TERMINAL:
                    continue
                job.state = self.poll_job(job.job_id)
                now = self.clock()
                if job.state.status != "queued" and job.running_since is None:
                    job.running_since = now
                if job.state.progress is not None:
                    logger.debug(
                        "%s job %s: %s %.0f%%", self.provider, job.job_id, job.state.raw_status, job.state.progress
                    )
                    if self.on_progress is not None:
                        self.on_progress(job.job_id, job.state.progress)
                if job.state.status in {"failed", "cancelled", "timed_out"}:
                    self._abandon(jobs)
                    raise self._job_error(job, started_at)
            pending = [j for j in jobs if j.state is None or j.state.status not in TERMINAL]
            if not pending:
                return
            if self.cancel_event is not None and self.cancel_event.is_set():
                self._abandon(jobs)
                job = pending[0]
                raise self._job_error(job, started_at, override=("cancelled", "cancelled by the caller"))
            if self.clock() >= deadline:
                self._abandon(jobs)
                job = pending[0]
                raise self._job_error(
                    job, started_at, override=("timed_out", f"no result after {self.poll_policy.timeout_s:.0f} s")
                )
            self.sleep(self.poll_policy.interval_s)

    def _abandon(self, jobs: list[PendingJob]) -> None:
        for job in jobs:
            if job.state is None or job.state.status not in TERMINAL:
                try:
                    self.cancel_job(job.job_id)
                except ProviderError as e:
                    logger.warning("%s could not cancel job %s: %s", self.provider, job.job_id, e)

    def _times(self, job: PendingJob) -> tuple[float, float]:
        now = self.clock()
        running = job.running_since if job.running_since is not None else now
        return running - job.submitted, now - running

    def _usage(
        self,
        job: PendingJob,
        started_at: datetime,
        status: ProviderCallStatus,
        error: str | None,
        stage: Stage = Stage.MODEL,
    ) -> UsageRecord:
        queue_s, run_s = self._times(job)
        state = job.state or JobState(status="queued", raw_status="unknown")
        units, gpu_s, queue_s, run_s = self.billing(state, queue_s, run_s)
        return UsageRecord(
            provider=self.provider,
            model=self.model,
            stage=stage,
            unit=self.unit,
            units=units,
            gpu_seconds=gpu_s,
            queue_seconds=queue_s,
            run_seconds=run_s,
            started_at=started_at,
            status=status,
            external_id=job.job_id,
            error=error,
        )

    def _job_error(
        self, job: PendingJob, started_at: datetime, override: tuple[str, str] | None = None
    ) -> ProviderError:
        state = job.state or JobState(status="queued", raw_status="unknown")
        kind, message = override or (state.status, state.message or f"job {state.raw_status}")
        call_status = {
            "cancelled": ProviderCallStatus.CANCELLED,
            "timed_out": ProviderCallStatus.TIMED_OUT,
        }.get(kind, ProviderCallStatus.FAILED)
        usage = self._usage(job, started_at, call_status, message)
        text = f"{self.provider} job {job.job_id} {kind}: {message}"
        if kind == "timed_out":
            return ProviderTimeout(
                text, provider=self.provider, transient=True, job_id=job.job_id, call_status=call_status, usage=usage
            )
        return ProviderError(
            text,
            provider=self.provider,
            transient=state.transient and kind == "failed",
            job_id=job.job_id,
            call_status=call_status,
            usage=usage,
        )

    def _finish(self, job: PendingJob, started_at: datetime) -> ModelResult:
        assert job.state is not None
        data = self.mesh_bytes(job.state)
        mesh = load_mesh(data, limits=self.mesh_limits)
        mesh.metadata["generator"] = f"{self.provider}/{self.model}"
        return ModelResult(mesh=mesh, usage=self._usage(job, started_at, ProviderCallStatus.SUCCEEDED, None))
