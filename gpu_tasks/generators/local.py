"""The local, weight-free generator: procedural concepts and silhouette inflation (a geometric baseline).

It is honest about what it is: no learned prior, so a mesh is the inflated silhouette of the
object in the image (round where the outline is round, mirrored front and back), coloured by
the image. It runs anywhere, deterministically, with no weights and no provider.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

import trimesh

from core.enums import PriceUnit, Stage
from core.errors import InvalidInput
from core.usage import UsageRecord
from gpu_tasks.devices import cpu_threads, select_device
from gpu_tasks.generators.base import ConceptRequest, ConceptResult, ModelRequest, ModelResult, utc_now
from gpu_tasks.generators.concepts import procedural_concepts
from gpu_tasks.generators.images import RGBA, decode_image
from gpu_tasks.generators.inflation import (
    field_to_mesh,
    height_field,
    luminance_relief,
    prepare_silhouettes,
    solve_heights,
)

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

MODEL_NAME: Final = "silhouette-inflation"
CONCEPT_MODEL_NAME: Final = "procedural-concepts"
DEFAULT_GRID: Final[int] = 96


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work so wall-clock times are the work's."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def billing_for(device: torch.device) -> tuple[str, PriceUnit]:
    """Price-book provider and unit of compute on ``device``: own GPUs per GPU-second, else CPU-seconds."""
    if device.type == "cuda":
        return "own-gpu", PriceUnit.GPU_SECOND
    return "local", PriceUnit.CPU_SECOND


def batch_results(
    meshes: list[trimesh.Trimesh], *, model: str, device: torch.device, started_at: datetime, seconds: float
) -> list[ModelResult]:
    """One result per mesh of a batch, each billed an equal share of the batch's compute time."""
    share = seconds / max(len(meshes), 1)
    provider, unit = billing_for(device)
    return [
        ModelResult(
            mesh=mesh,
            usage=UsageRecord(
                provider=provider,
                model=model,
                stage=Stage.MODEL,
                unit=unit,
                units=share,
                gpu_seconds=share if unit is PriceUnit.GPU_SECOND else 0.0,
                run_seconds=share,
                started_at=started_at,
                device=str(device),
            ),
        )
        for mesh in meshes
    ]


def concept_usage(started_at_wall: float, started_at: datetime) -> UsageRecord:
    """Usage of a procedural concept call (always CPU: numpy drawing)."""
    seconds = time.perf_counter() - started_at_wall
    return UsageRecord(
        provider="local",
        model=CONCEPT_MODEL_NAME,
        stage=Stage.CONCEPTS,
        unit=PriceUnit.CPU_SECOND,
        units=seconds,
        run_seconds=seconds,
        started_at=started_at,
        device="cpu",
    )


def local_concepts(req: ConceptRequest) -> ConceptResult:
    """Draw ``req.count`` deterministic procedural concept PNGs, with their CPU usage: what every
    generator answers for concepts (the learned and remote ones do image → 3D only)."""
    started_at, t0 = utc_now(), time.perf_counter()
    images = procedural_concepts(
        prompt=req.prompt, image=req.image, style=req.style, seed=req.seed, count=req.count, size=req.size
    )
    return ConceptResult(images=images, usage=concept_usage(t0, started_at))


class LocalGenerator:
    """Procedural concepts and silhouette-inflation meshes on CPU or CUDA.

    Parameters
    ----------
    device : str or None
        ``None``/``"auto"`` picks CUDA when present.
    grid : int
        Default voxel grid (cells across the image); a request's ``grid`` overrides it.
    relief : float
        Luminance relief strength on the front (0 = pure inflation).
    max_batch : int
        Most images solved together in ``generate_models``.
    cpu_threads : int or None
        torch intra-op threads while computing on the CPU. The default 1 suits the platform:
        CPU work runs as parallel tasks, and at these tensor sizes threads cost more in
        synchronisation than they gain (on a busy 2-core machine, 2 threads made the solve ~30×
        slower). None leaves torch's setting alone.
    """

    name = "local"

    def __init__(
        self,
        *,
        device: str | None = None,
        grid: int = DEFAULT_GRID,
        relief: float = 0.0,
        max_batch: int = 32,
        cpu_threads: int | None = 1,
    ) -> None:
        if not 16 <= grid <= 512:
            raise InvalidInput(f"grid must be within 16..512, got {grid}")
        if not 0.0 <= relief <= 1.0:
            raise InvalidInput(f"relief must be within 0..1, got {relief}")
        self.device = select_device(device)
        self.grid = grid
        self.relief = relief
        self.max_batch = max(1, max_batch)
        self.cpu_threads = cpu_threads if self.device.type == "cpu" else None

    def generate_concepts(self, req: ConceptRequest) -> ConceptResult:
        """Draw ``req.count`` deterministic concept PNGs (see ``gpu_tasks.generators.concepts``)."""
        return local_concepts(req)

    def generate_model(self, req: ModelRequest) -> ModelResult:
        """Inflate the object in ``req.image`` into a watertight, vertex-coloured mesh."""
        return self.generate_models([req])[0]

    def generate_models(self, reqs: list[ModelRequest]) -> list[ModelResult]:
        """Batch entry point: requests with the same grid are solved together on the device.

        Each result's usage carries its share of its batch's wall time.
        """
        results: dict[int, ModelResult] = {}
        by_grid: dict[int, list[int]] = {}
        for i, req in enumerate(reqs):
            by_grid.setdefault(req.grid or self.grid, []).append(i)
        for grid, indices in by_grid.items():
            for start in range(0, len(indices), self.max_batch):
                chunk = indices[start : start + self.max_batch]
                for i, result in zip(chunk, self._run_batch([reqs[i] for i in chunk], grid), strict=True):
                    results[i] = result
        return [results[i] for i in range(len(reqs))]

    def meshes_from_images(self, images: Sequence[RGBA], grid: int) -> list[trimesh.Trimesh]:
        """Inflate decoded images (h, w, 4) uint8 into meshes (the compute without usage records)."""
        import torch

        dtype = torch.float64 if self.device.type == "cpu" else torch.float32
        silhouettes = prepare_silhouettes(list(images), grid, self.device)
        heights = solve_heights(silhouettes.mask, dtype=dtype)
        meshes = []
        for b in range(len(images)):
            relief = (
                luminance_relief(silhouettes.colour[b].to(dtype), silhouettes.mask[b], self.relief)
                if self.relief > 0
                else None
            )
            field = height_field(heights[b], silhouettes.mask[b], relief)
            vertices, faces, colours = field_to_mesh(field, silhouettes.colour[b], grid)
            mesh = trimesh.Trimesh(vertices=vertices, faces=faces, vertex_colors=colours, process=False, validate=False)
            mesh.metadata.update({"up_axis": "y", "generator": MODEL_NAME, "grid": grid})
            meshes.append(mesh)
        return meshes

    def _run_batch(self, reqs: list[ModelRequest], grid: int) -> list[ModelResult]:
        started_at, t0 = utc_now(), time.perf_counter()
        images = [decode_image(r.image) for r in reqs]
        with cpu_threads(self.cpu_threads):
            meshes = self.meshes_from_images(images, grid)
        synchronize(self.device)
        share = (time.perf_counter() - t0) / len(reqs)
        logger.info("local generator: %d meshes at grid %d on %s, %.3f s each", len(reqs), grid, self.device, share)
        return batch_results(
            meshes, model=MODEL_NAME, device=self.device, started_at=started_at, seconds=share * len(reqs)
        )
