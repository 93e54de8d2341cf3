"""Local HTTP servers that speak the Tripo3D, Meshy and RunPod serverless protocols, with scripted faults."""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import trimesh

from gpu_tasks.generators.runpod_worker import make_handler
from gpu_tasks.mesh import export_mesh

API_KEY = "test-key"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Response:
    status: int = 200
    body: bytes | dict[str, Any] | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Fault:
    """Answer the next request whose "METHOD path" matches ``pattern`` with ``response`` (``times`` times)."""

    pattern: str
    response: Response
    times: int = 1


class FakeProvider:
    """Base of the fakes: routes, a request log, scripted faults, and per-poll status plans."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.plan: list[str] = []
        self.polls: dict[str, int] = {}
        self.cancelled: list[str] = []
        self.ids = itertools.count(1)
        self.url = ""
        self.mesh_file = export_mesh(trimesh.creation.icosphere(subdivisions=2, radius=5.0), "glb")
        self.lock = threading.Lock()

    def handle(self, req: Request) -> Response:
        with self.lock:
            self.requests.append(req)
            key = f"{req.method} {req.path}"
            for fault in self.faults:
                if fault.times > 0 and re.search(fault.pattern, key):
                    fault.times -= 1
                    return fault.response
        if req.path.startswith("/files/"):
            if req.path == "/files/model.glb":
                return Response(body=self.mesh_file, headers={"Content-Type": "model/gltf-binary"})
            if req.path == "/files/broken.glb":
                return Response(body=self.mesh_file[: len(self.mesh_file) // 2])
            return Response(404, {"message": "no such file"})
        return self.route(req)

    def route(self, req: Request) -> Response:
        raise NotImplementedError

    def next_status(self, job_id: str) -> tuple[str, int]:
        """The status for this poll of ``job_id`` (the plan's last entry repeats) and the poll number."""
        with self.lock:
            n = self.polls.get(job_id, 0)
            self.polls[job_id] = n + 1
        return self.plan[min(n, len(self.plan) - 1)], n

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path.startswith(prefix))


class TripoFake(FakeProvider):
    """Tripo3D v2: POST /upload, POST /task, GET /task/{id}; envelopes {"code", "data"}."""

    def __init__(self) -> None:
        super().__init__()
        self.plan = ["queued", "running", "running", "success"]
        self.consumed_credit: float | None = None
        self.result_file = "model.glb"

    def route(self, req: Request) -> Response:
        if req.headers.get("authorization") != f"Bearer {API_KEY}":
            return Response(401, {"code": 1002, "message": "Authentication failed"})
        if req.method == "POST" and req.path == "/upload":
            if b"\x89PNG" not in req.body or b'name="file"' not in req.body:
                return Response(400, {"code": 2003, "message": "The input file is empty"})
            return Response(body={"code": 0, "data": {"image_token": "tok-1"}})
        if req.method == "POST" and req.path == "/task":
            body = req.json()
            if body.get("type") != "image_to_model" or body.get("file", {}).get("file_token") != "tok-1":
                return Response(400, {"code": 2002, "message": "Unsupported task type"})
            return Response(body={"code": 0, "data": {"task_id": f"task-{next(self.ids)}"}})
        m = re.fullmatch(r"/task/([\w-]+)", req.path)
        if req.method == "GET" and m:
            status, n = self.next_status(m.group(1))
            data: dict[str, Any] = {
                "task_id": m.group(1),
                "type": "image_to_model",
                "status": status,
                "progress": 100 if status == "success" else min(99, 30 * n),
                "output": {},
            }
            if status == "success":
                data["output"] = {"pbr_model": f"{self.url}/files/{self.result_file}"}
                if self.consumed_credit is not None:
                    data["consumed_credit"] = self.consumed_credit
            return Response(body={"code": 0, "data": data})
        return Response(404, {"code": 2001, "message": "not found"})


class MeshyFake(FakeProvider):
    """Meshy: POST/GET/DELETE /openapi/v1/image-to-3d[/{id}]."""

    path = "/openapi/v1/image-to-3d"

    def __init__(self) -> None:
        super().__init__()
        self.plan = ["PENDING", "IN_PROGRESS", "SUCCEEDED"]
        self.error_message = "We could not make a model of this image"

    def route(self, req: Request) -> Response:
        if req.headers.get("authorization") != f"Bearer {API_KEY}":
            return Response(401, {"message": "Invalid API key"})
        if req.method == "POST" and req.path == self.path:
            body = req.json()
            if not str(body.get("image_url", "")).startswith("data:image/png;base64,"):
                return Response(400, {"message": "image_url must be a URL or data URI"})
            return Response(202, {"result": f"0193-{next(self.ids)}"})
        m = re.fullmatch(rf"{self.path}/([\w-]+)", req.path)
        if m and req.method == "DELETE":
            self.cancelled.append(m.group(1))
            return Response(200, {})
        if m and req.method == "GET":
            status, n = self.next_status(m.group(1))
            data: dict[str, Any] = {
                "id": m.group(1),
                "status": status,
                "progress": {"SUCCEEDED": 100}.get(status, min(99, 40 * n)),
                "created_at": 1_700_000_000_000,
                "started_at": 1_700_000_002_500 if status != "PENDING" else 0,
                "finished_at": 1_700_000_010_000 if status in {"SUCCEEDED", "FAILED"} else 0,
                "model_urls": {"glb": f"{self.url}/files/model.glb"} if status == "SUCCEEDED" else {},
                "task_error": {"message": self.error_message if status == "FAILED" else ""},
            }
            return Response(body=data)
        return Response(404, {"message": "Not found"})


class RunPodFake(FakeProvider):
    """RunPod serverless: /run, /runsync, /status/{id}, /cancel/{id}; output made by our real worker handler."""

    def __init__(self, worker: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        super().__init__()
        self.plan = ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
        self.worker = worker
        self.outputs: dict[str, Any] = {}
        self.error = "CUDA out of memory"
        self.output_override: Any = None

    def route(self, req: Request) -> Response:
        if req.headers.get("authorization") != f"Bearer {API_KEY}":
            return Response(401, {"error": "Unauthorized"})
        if req.method == "POST" and req.path in {"/run", "/runsync"}:
            job_id = f"sync-{next(self.ids)}" if req.path == "/runsync" else f"job-{next(self.ids)}"
            self.outputs[job_id] = self.worker(req.json())
            if req.path == "/runsync":
                return Response(body=self._status(job_id, "COMPLETED"))
            return Response(body={"id": job_id, "status": "IN_QUEUE"})
        m = re.fullmatch(r"/status/([\w-]+)", req.path)
        if m and req.method == "GET":
            status, _ = self.next_status(m.group(1))
            return Response(body=self._status(m.group(1), status))
        m = re.fullmatch(r"/cancel/([\w-]+)", req.path)
        if m and req.method == "POST":
            self.cancelled.append(m.group(1))
            return Response(body={"id": m.group(1), "status": "CANCELLED"})
        return Response(404, {"error": "not found"})

    def _status(self, job_id: str, status: str) -> dict[str, Any]:
        body: dict[str, Any] = {"id": job_id, "status": status, "delayTime": 1500}
        if status in {"COMPLETED", "FAILED", "TIMED_OUT"}:
            body["executionTime"] = 4250
        if status == "COMPLETED":
            body["output"] = self.output_override if self.output_override is not None else self.outputs[job_id]
        if status == "FAILED":
            body["error"] = self.error
        return body


def worker_handler(grid: int = 24) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from gpu_tasks.generators.local import LocalGenerator

    return make_handler(LocalGenerator(device="cpu", grid=grid))


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0) serving one fake."""

    def __init__(self, fake: FakeProvider) -> None:
        self.fake = fake

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                resp = fake.handle(Request(self.command, self.path, headers, body))
                if resp.delay:
                    time.sleep(resp.delay)
                if isinstance(resp.body, dict):
                    payload = json.dumps(resp.body).encode()
                    content_type = "application/json"
                elif isinstance(resp.body, str):
                    payload, content_type = resp.body.encode(), "text/plain"
                else:
                    payload, content_type = resp.body, "application/octet-stream"
                try:
                    self.send_response(resp.status)
                    self.send_header("Content-Type", resp.headers.get("Content-Type", content_type))
                    for k, v in resp.headers.items():
                        if k != "Content-Type":
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        fake.url = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
