"""``make_generator``: the one place a generator kind name becomes an object."""

from __future__ import annotations

from typing import Any, Final

from core.errors import InvalidInput
from gpu_tasks.generators.base import Generator

GENERATOR_KINDS: Final = ("local", "learned", "tripo", "meshy", "runpod")


def make_generator(kind: str, **options: Any) -> Generator:
    """Build the generator ``kind`` with its options.

    Options per kind: ``local``: device, grid, relief, max_batch. ``learned``: weights_dir,
    device, dtype, grid. ``tripo``/``meshy``: api_key, base_url, timeouts, retries, polling.
    ``runpod``: api_key, endpoint_id or base_url, timeouts, retries, polling. See each class.
    """
    if kind == "local":
        from gpu_tasks.generators.local import LocalGenerator

        return LocalGenerator(**options)
    if kind == "learned":
        from gpu_tasks.generators.learned import LearnedGenerator

        return LearnedGenerator(**options)
    if kind == "tripo":
        from gpu_tasks.generators.remote.tripo import TripoGenerator

        return TripoGenerator(**options)
    if kind == "meshy":
        from gpu_tasks.generators.remote.meshy import MeshyGenerator

        return MeshyGenerator(**options)
    if kind == "runpod":
        from gpu_tasks.generators.remote.runpod import RunPodGenerator

        return RunPodGenerator(**options)
    raise InvalidInput(f"unknown generator kind {kind!r}; known: {', '.join(GENERATOR_KINDS)}")
