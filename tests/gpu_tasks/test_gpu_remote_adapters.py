"""Contract tests of the Tripo, Meshy and RunPod adapters against local servers speaking their protocols."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import pytest

from core.enums import PriceUnit, ProviderCallStatus, Stage
from core.errors import MeshError, MeshTooLarge, ProviderError, ProviderRateLimited, ProviderTimeout
from gpu_tasks.generators import ConceptRequest, ModelRequest, make_generator
from gpu_tasks.generators.remote.base import RemoteGenerator
from gpu_tasks.generators.remote.http import PollPolicy, RetryPolicy, parse_retry_after
from gpu_tasks.mesh import MeshLimits, analyse
from tests.gpu_tasks.fake_providers import (
    API_KEY,
    Fault,
    MeshyFake,
    Response,
    RunPodFake,
    Server,
    TripoFake,
    worker_handler,
)
from tests.gpu_tasks.gpu_test_images import disc_image

IMAGE = disc_image(size=64, radius=24)


class Sleeps(list[float]):
    """Records waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Clock:
    """A clock that moves ``step`` seconds every time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def tripo() -> Iterator[TripoFake]:
    fake = TripoFake()
    server = Server(fake)
    yield fake
    server.close()


@pytest.fixture
def meshy() -> Iterator[MeshyFake]:
    fake = MeshyFake()
    server = Server(fake)
    yield fake
    server.close()


@pytest.fixture(scope="module")
def worker() -> Any:
    return worker_handler(grid=24)


@pytest.fixture
def runpod(worker: Any) -> Iterator[RunPodFake]:
    fake = RunPodFake(worker)
    server = Server(fake)
    yield fake
    server.close()


def _gen(kind: str, url: str, sleeps: Sleeps, **options: Any) -> RemoteGenerator:
    options.setdefault("poll", PollPolicy(interval_s=0.5, timeout_s=600))
    options.setdefault("retry", RetryPolicy(attempts=3, backoff_s=0.5))
    gen = make_generator(kind, base_url=url, api_key=API_KEY, sleep=sleeps, **options)
    assert isinstance(gen, RemoteGenerator)
    return gen


# --- Tripo -------------------------------------------------------------------------------------


def test_tripo_success_path(tripo: TripoFake, sleeps: Sleeps) -> None:
    progress: list[float] = []
    gen = _gen("tripo", tripo.url, sleeps, on_progress=lambda _id, p: progress.append(p), credits_per_task=25)
    result = gen.generate_model(ModelRequest(image=IMAGE, seed=4))
    assert analyse(result.mesh).is_volume
    assert result.mesh.metadata["up_axis"] == "y"
    u = result.usage
    assert (u.provider, u.model, u.unit, u.stage) == ("tripo", "tripo-v2.5", PriceUnit.CREDIT, Stage.MODEL)
    assert u.units == 25
    assert u.status == ProviderCallStatus.SUCCEEDED
    assert u.external_id == "task-1"
    assert u.started_at.tzinfo is UTC
    assert progress == sorted(progress)
    assert progress[-1] == 100
    task = next(r for r in tripo.requests if r.path == "/task")
    assert task.json()["file"] == {"type": "png", "file_token": "tok-1"}
    assert task.json()["model_seed"] == 4
    download = next(r for r in tripo.requests if r.path.startswith("/files/"))
    assert "authorization" not in download.headers  # the key never goes to the file host
    assert sleeps == [0.5] * 3  # polled every interval until success


def test_tripo_reported_credits_win(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.consumed_credit = 40
    assert _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE)).usage.units == 40


def test_tripo_honours_retry_after_on_429(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.faults.append(
        Fault("POST /task", Response(429, {"code": 2000, "message": "slow down"}, {"Retry-After": "7"}))
    )
    result = _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert result.usage.status == ProviderCallStatus.SUCCEEDED
    assert sleeps[0] == 7.0
    assert tripo.count("POST", "/task") == 2


def test_tripo_retries_5xx_with_exponential_backoff(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.faults.append(Fault("GET /task/", Response(502, "bad gateway"), times=2))
    _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert sleeps[:2] == [0.5, 1.0]


def test_tripo_persistent_rate_limit_raises(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.faults.append(Fault("POST /upload", Response(429, {"code": 2000, "message": "rate"}), times=10))
    with pytest.raises(ProviderRateLimited) as err:
        _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert err.value.transient
    assert tripo.count("POST", "/upload") == 3


def test_tripo_retry_after_beyond_policy_is_not_waited_for(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.faults.append(Fault("POST /upload", Response(429, {"code": 2000}, {"Retry-After": "3600"})))
    with pytest.raises(ProviderRateLimited) as err:
        _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert err.value.retry_after_s == 3600
    assert sleeps == []


def test_tripo_error_codes_map_to_permanent_errors(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.faults.append(Fault("POST /task", Response(403, {"code": 2010, "message": "You need more credits"})))
    with pytest.raises(ProviderError, match="more credits") as err:
        _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert not err.value.transient
    assert err.value.details["provider_code"] == 2010
    assert tripo.count("POST", "/task") == 1


def test_tripo_bad_key_is_permanent(tripo: TripoFake, sleeps: Sleeps) -> None:
    gen = make_generator("tripo", base_url=tripo.url, api_key="wrong", sleep=sleeps)
    with pytest.raises(ProviderError) as err:
        gen.generate_model(ModelRequest(image=IMAGE))
    assert err.value.status == 401
    assert not err.value.transient


@pytest.mark.parametrize(("status", "transient"), [("failed", True), ("banned", False), ("expired", False)])
def test_tripo_failed_tasks_raise_with_usage(tripo: TripoFake, sleeps: Sleeps, status: str, transient: bool) -> None:
    tripo.plan = ["queued", "running", status]
    with pytest.raises(ProviderError) as err:
        _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert err.value.transient is transient
    usage = err.value.details["usage"]
    assert usage.status == ProviderCallStatus.FAILED
    assert usage.units == 0
    assert err.value.details["call_status"] == ProviderCallStatus.FAILED


def test_tripo_cancelled_by_provider(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.plan = ["queued", "cancelled"]
    with pytest.raises(ProviderError) as err:
        _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert err.value.details["call_status"] == ProviderCallStatus.CANCELLED


@pytest.mark.parametrize(
    "reply",
    [
        Response(200, "<html>oops</html>"),
        Response(200, {"code": 0}),
        Response(200, {"code": 0, "data": {"task_id": "task-1", "status": "exploded"}}),
    ],
)
def test_tripo_malformed_replies(tripo: TripoFake, sleeps: Sleeps, reply: Response) -> None:
    tripo.faults.append(Fault("GET /task/", reply))
    with pytest.raises(ProviderError) as err:
        _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert not err.value.transient


def test_tripo_request_timeout(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.faults.append(Fault("POST /upload", Response(200, {"code": 0}, delay=0.6), times=2))
    gen = _gen("tripo", tripo.url, sleeps, timeout_s=0.15, retry=RetryPolicy(attempts=2, backoff_s=0.1))
    with pytest.raises(ProviderTimeout):
        gen.generate_model(ModelRequest(image=IMAGE))
    assert sleeps == [0.1]


def test_tripo_poll_deadline_times_out(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.plan = ["queued", "running"]
    gen = _gen("tripo", tripo.url, sleeps, poll=PollPolicy(interval_s=5, timeout_s=20), clock=Clock(step=1.0))
    with pytest.raises(ProviderTimeout) as err:
        gen.generate_model(ModelRequest(image=IMAGE))
    assert err.value.details["call_status"] == ProviderCallStatus.TIMED_OUT
    assert err.value.details["usage"].status == ProviderCallStatus.TIMED_OUT


def test_tripo_caller_cancellation(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.plan = ["queued", "running"]
    cancel = threading.Event()
    gen = _gen("tripo", tripo.url, sleeps, cancel_event=cancel, on_progress=lambda *_: cancel.set())
    with pytest.raises(ProviderError) as err:
        gen.generate_model(ModelRequest(image=IMAGE))
    assert err.value.details["call_status"] == ProviderCallStatus.CANCELLED


def test_tripo_bad_result_files(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.result_file = "broken.glb"
    with pytest.raises(MeshError):
        _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    tripo.result_file = "model.glb"
    with pytest.raises(MeshTooLarge):
        _gen("tripo", tripo.url, sleeps, mesh_limits=MeshLimits(max_bytes=1000)).generate_model(
            ModelRequest(image=IMAGE)
        )
    tripo.result_file = "missing.glb"
    with pytest.raises(ProviderError) as err:
        _gen("tripo", tripo.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert err.value.status == 404


def test_tripo_batch_polls_jobs_together(tripo: TripoFake, sleeps: Sleeps) -> None:
    results = _gen("tripo", tripo.url, sleeps).generate_models([ModelRequest(image=IMAGE, seed=i) for i in range(3)])
    assert [r.usage.external_id for r in results] == ["task-1", "task-2", "task-3"]
    assert len(sleeps) == 3  # three rounds, not three per job


def test_tripo_concepts_are_local_and_priced_as_such(tripo: TripoFake, sleeps: Sleeps) -> None:
    result = _gen("tripo", tripo.url, sleeps).generate_concepts(
        ConceptRequest(prompt="a fox", seed=1, count=2, size=64)
    )
    assert len(result.images) == 2
    assert (result.usage.provider, result.usage.model) == ("local", "procedural-concepts")
    assert tripo.requests == []


# --- Meshy -------------------------------------------------------------------------------------


def test_meshy_success_path_uses_provider_timestamps(meshy: MeshyFake, sleeps: Sleeps) -> None:
    result = _gen("meshy", meshy.url, sleeps, credits_per_task=20).generate_model(ModelRequest(image=IMAGE))
    assert analyse(result.mesh).is_volume
    u = result.usage
    assert (u.provider, u.model, u.unit, u.units) == ("meshy", "meshy-5", PriceUnit.CREDIT, 20)
    assert u.queue_seconds == pytest.approx(2.5)
    assert u.run_seconds == pytest.approx(7.5)
    assert u.external_id == "0193-1"


def test_meshy_failure_carries_the_task_error(meshy: MeshyFake, sleeps: Sleeps) -> None:
    meshy.plan = ["PENDING", "FAILED"]
    with pytest.raises(ProviderError, match="could not make a model") as err:
        _gen("meshy", meshy.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert err.value.details["usage"].units == 0


def test_meshy_timeout_cancels_the_task(meshy: MeshyFake, sleeps: Sleeps) -> None:
    meshy.plan = ["PENDING", "IN_PROGRESS"]
    gen = _gen("meshy", meshy.url, sleeps, poll=PollPolicy(interval_s=1, timeout_s=30), clock=Clock(step=1.0))
    with pytest.raises(ProviderTimeout):
        gen.generate_model(ModelRequest(image=IMAGE))
    assert meshy.cancelled == ["0193-1"]


def test_meshy_payment_required_is_permanent(meshy: MeshyFake, sleeps: Sleeps) -> None:
    meshy.faults.append(Fault("POST /openapi", Response(402, {"message": "Insufficient funds"})))
    with pytest.raises(ProviderError, match="Insufficient funds") as err:
        _gen("meshy", meshy.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert err.value.status == 402
    assert not err.value.transient


def test_meshy_retry_after_as_http_date(meshy: MeshyFake, sleeps: Sleeps) -> None:
    meshy.faults.append(
        Fault("GET /openapi", Response(429, {"message": "Too many"}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    )
    _gen("meshy", meshy.url, sleeps).generate_model(ModelRequest(image=IMAGE))
    assert sleeps[0] == 0.0  # a date in the past means "now"


def test_parse_retry_after() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") > 1e8  # type: ignore[operator]


# --- RunPod ------------------------------------------------------------------------------------


def test_runpod_async_job_with_our_worker(runpod: RunPodFake, sleeps: Sleeps) -> None:
    result = _gen("runpod", runpod.url, sleeps).generate_model(ModelRequest(image=IMAGE, seed=2, grid=24))
    assert analyse(result.mesh).is_volume
    u = result.usage
    assert (u.provider, u.model, u.unit) == ("runpod", "h100-80gb", PriceUnit.GPU_SECOND)
    assert u.units == pytest.approx(4.25)
    assert u.gpu_seconds == pytest.approx(4.25)
    assert u.queue_seconds == pytest.approx(1.5)
    submitted = next(r for r in runpod.requests if r.path == "/run").json()["input"]
    assert submitted["task"] == "model"
    assert base64.b64decode(submitted["image_b64"]) == IMAGE


def test_runpod_runsync_needs_no_polling(runpod: RunPodFake, sleeps: Sleeps) -> None:
    result = _gen("runpod", runpod.url, sleeps, use_runsync=True).generate_model(ModelRequest(image=IMAGE, grid=24))
    assert analyse(result.mesh).is_volume
    assert [r.path for r in runpod.requests] == ["/runsync"]
    assert sleeps == []


def test_runpod_concepts_run_on_the_worker(runpod: RunPodFake, sleeps: Sleeps) -> None:
    result = _gen("runpod", runpod.url, sleeps).generate_concepts(ConceptRequest(prompt="a fox", count=3, size=64))
    assert len(result.images) == 3
    assert all(img.startswith(b"\x89PNG") for img in result.images)
    assert result.usage.stage == Stage.CONCEPTS
    assert result.usage.provider == "runpod"


def test_runpod_failed_job_is_still_billed(runpod: RunPodFake, sleeps: Sleeps) -> None:
    runpod.plan = ["IN_QUEUE", "FAILED"]
    with pytest.raises(ProviderError, match="out of memory") as err:
        _gen("runpod", runpod.url, sleeps).generate_model(ModelRequest(image=IMAGE, grid=24))
    assert err.value.transient
    assert err.value.details["usage"].units == pytest.approx(4.25)


def test_runpod_timed_out_status(runpod: RunPodFake, sleeps: Sleeps) -> None:
    runpod.plan = ["IN_PROGRESS", "TIMED_OUT"]
    with pytest.raises(ProviderTimeout):
        _gen("runpod", runpod.url, sleeps).generate_model(ModelRequest(image=IMAGE, grid=24))


def test_runpod_deadline_cancels_the_job(runpod: RunPodFake, sleeps: Sleeps) -> None:
    runpod.plan = ["IN_QUEUE"]
    gen = _gen("runpod", runpod.url, sleeps, poll=PollPolicy(interval_s=1, timeout_s=20), clock=Clock(step=1.0))
    with pytest.raises(ProviderTimeout):
        gen.generate_model(ModelRequest(image=IMAGE, grid=24))
    assert runpod.cancelled == ["job-1"]


@pytest.mark.parametrize("output", [{"mesh_glb_b64": "***not base64***"}, {"something": 1}, "a string"])
def test_runpod_malformed_output(runpod: RunPodFake, sleeps: Sleeps, output: Any) -> None:
    runpod.output_override = output
    with pytest.raises(ProviderError):
        _gen("runpod", runpod.url, sleeps).generate_model(ModelRequest(image=IMAGE, grid=24))


def test_runpod_retries_service_unavailable(runpod: RunPodFake, sleeps: Sleeps) -> None:
    runpod.faults.append(Fault("POST /run", Response(503, {"error": "no workers"}, {"Retry-After": "2"})))
    result = _gen("runpod", runpod.url, sleeps).generate_model(ModelRequest(image=IMAGE, grid=24))
    assert result.usage.status == ProviderCallStatus.SUCCEEDED
    assert sleeps[0] == 2.0


def test_runpod_needs_an_endpoint() -> None:
    with pytest.raises(ProviderError):
        make_generator("runpod", api_key=API_KEY)


def test_plain_number_options_override_policies(tripo: TripoFake, sleeps: Sleeps) -> None:
    tripo.faults.append(Fault("POST /upload", Response(500, "boom"), times=10))
    gen = make_generator("tripo", base_url=tripo.url, api_key=API_KEY, sleep=sleeps, max_attempts=2)
    with pytest.raises(ProviderError):
        gen.generate_model(ModelRequest(image=IMAGE))
    assert tripo.count("POST", "/upload") == 2
    gen = make_generator("tripo", base_url=tripo.url, api_key=API_KEY, poll_interval_s=3, poll_timeout_s=9)
    assert isinstance(gen, RemoteGenerator)
    assert (gen.poll_policy.interval_s, gen.poll_policy.timeout_s) == (3, 9)


def test_batch_submit_failure_cancels_accepted_jobs(meshy: MeshyFake, sleeps: Sleeps) -> None:
    # The first submission is accepted, the second refused: the first must not be left running.
    meshy.faults += [
        Fault("POST /openapi", Response(202, {"result": "0193-first"})),
        Fault("POST /openapi", Response(402, {"message": "Insufficient funds"})),
    ]
    with pytest.raises(ProviderError, match="Insufficient funds"):
        _gen("meshy", meshy.url, sleeps).generate_models([ModelRequest(image=IMAGE), ModelRequest(image=IMAGE)])
    assert meshy.cancelled == ["0193-first"]
