"""The handler our RunPod serverless workers run: a job's ``input`` in, JSON-safe ``output`` out.

Contract (what ``RunPodGenerator`` sends and reads):
``{"task": "model", "image_b64": str, "seed": int, "grid": int | null}`` →
``{"mesh_glb_b64": str, "faces": int}``;
``{"task": "concepts", "prompt": str | null, "image_b64": str | null, "style": str | null,
"seed": int, "count": int, "size": int}`` → ``{"images_b64": [str, ...]}``.
A worker image wraps it with ``runpod.serverless.start({"handler": make_handler(generator)})``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from core.errors import InvalidInput
from gpu_tasks.generators.base import ConceptRequest, Generator, ModelRequest
from gpu_tasks.mesh.export import export_mesh


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as e:
        raise InvalidInput(f"{what} is not valid base64") from e


def make_handler(generator: Generator) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Bind ``generator`` into a RunPod handler taking the job dict (with ``"input"``)."""

    def handler(job: dict[str, Any]) -> dict[str, Any]:
        payload = job.get("input")
        if not isinstance(payload, dict):
            raise InvalidInput("job has no input object")
        task = payload.get("task")
        if task == "model":
            result = generator.generate_model(
                ModelRequest(
                    image=_unb64(payload.get("image_b64"), "image_b64"),
                    seed=int(payload.get("seed", 0)),
                    grid=payload.get("grid"),
                )
            )
            return {"mesh_glb_b64": _b64(export_mesh(result.mesh, "glb")), "faces": len(result.mesh.faces)}
        if task == "concepts":
            image = payload.get("image_b64")
            concepts = generator.generate_concepts(
                ConceptRequest(
                    prompt=payload.get("prompt"),
                    image=None if image is None else _unb64(image, "image_b64"),
                    style=payload.get("style"),
                    seed=int(payload.get("seed", 0)),
                    count=int(payload.get("count", 2)),
                    size=int(payload.get("size", 512)),
                )
            )
            return {"images_b64": [_b64(png) for png in concepts.images]}
        raise InvalidInput(f"unknown task {task!r}")

    return handler
