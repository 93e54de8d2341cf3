"""A learned image → 3D model loaded from a weights directory (safetensors or TorchScript).

The directory holds ``config.json`` and either ``model.safetensors`` (weights of an
architecture named in the config and defined here) or ``model.pt`` (a TorchScript module).
Either network maps the fitted RGBA silhouette, (b, 4, g, g) in 0..1, to front and back depth
maps in grid cells, (b, 2, g, g); the mesh is the solid between them inside the mask,
extracted by the same watertight marching cubes as the baseline. Inference runs in eval mode
under ``torch.inference_mode`` on the chosen device and dtype, so it is deterministic.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import trimesh

from core.errors import InvalidInput
from gpu_tasks.devices import cpu_threads, select_device
from gpu_tasks.generators.base import ConceptRequest, ConceptResult, ModelRequest, ModelResult, utc_now
from gpu_tasks.generators.images import decode_image
from gpu_tasks.generators.inflation import depth_field, field_to_mesh, prepare_silhouettes
from gpu_tasks.generators.local import batch_results, local_concepts, synchronize

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

MODEL_NAME: Final = "learned"
CONFIG_FILE: Final = "config.json"
SAFETENSORS_FILE: Final = "model.safetensors"
TORCHSCRIPT_FILE: Final = "model.pt"
ARCHITECTURES: Final = ("depth-cnn-v1",)
_DTYPES: Final = ("float32", "float16", "bfloat16", "float64")


def build_depth_cnn(channels: int, layers: int, depth_scale: float) -> torch.nn.Module:
    """The ``depth-cnn-v1`` architecture: a plain 3×3 conv stack, softplus depths times ``depth_scale``.

    Parameters
    ----------
    channels : int
        Hidden width.
    layers : int
        Convolutions in total (at least 2).
    depth_scale : float
        Grid cells per unit of network output.

    Returns
    -------
    torch.nn.Module
        (b, 4, g, g) → (b, 2, g, g).
    """
    import torch
    from torch import nn

    class DepthCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            convs: list[nn.Module] = [nn.Conv2d(4, channels, 3, padding=1), nn.ReLU()]
            for _ in range(layers - 2):
                convs += [nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU()]
            convs.append(nn.Conv2d(channels, 2, 3, padding=1))
            self.body = nn.Sequential(*convs)
            self.depth_scale = depth_scale

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.softplus(self.body(x)) * self.depth_scale

    if layers < 2 or channels < 1:
        raise InvalidInput(f"depth-cnn-v1 needs layers >= 2 and channels >= 1, got {layers}, {channels}")
    return DepthCNN()


class LearnedGenerator:
    """Image → mesh through a network from ``weights_dir``; concepts stay procedural.

    Parameters
    ----------
    weights_dir : str or Path
        Holds ``config.json`` and ``model.safetensors`` or ``model.pt``.
    device : str or None
        ``None``/``"auto"``: CUDA when present.
    dtype : str or None
        Inference dtype; the config's, else float32.
    grid : int or None
        Default grid; the config's, else 96.
    """

    name = "learned"

    def __init__(
        self,
        *,
        weights_dir: str | Path,
        device: str | None = None,
        dtype: str | None = None,
        grid: int | None = None,
        max_batch: int = 32,
        cpu_threads: int | None = None,
    ) -> None:
        import torch

        root = Path(weights_dir)
        config_path = root / CONFIG_FILE
        try:
            config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise InvalidInput(f"no {CONFIG_FILE} in weights directory {root}") from e
        except json.JSONDecodeError as e:
            raise InvalidInput(f"{config_path} is not valid JSON: {e}") from e
        dtype_name = dtype or str(config.get("dtype", "float32"))
        if dtype_name not in _DTYPES:
            raise InvalidInput(f"dtype must be one of {_DTYPES}, got {dtype_name!r}")
        self.device = select_device(device)
        self.dtype: torch.dtype = getattr(torch, dtype_name)
        self.grid = int(grid or config.get("grid", 96))
        self.max_batch = max(1, max_batch)
        self.cpu_threads = cpu_threads if self.device.type == "cpu" else None
        self.network = self._load(root, config).to(device=self.device, dtype=self.dtype).eval()
        logger.info("loaded learned model from %s on %s as %s", root, self.device, dtype_name)

    def _load(self, root: Path, config: dict[str, Any]) -> torch.nn.Module:
        import torch
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        fmt = config.get("format", "safetensors")
        if fmt == "safetensors":
            arch = config.get("architecture")
            if arch not in ARCHITECTURES:
                raise InvalidInput(f"unknown architecture {arch!r}; known: {ARCHITECTURES}")
            module = build_depth_cnn(
                int(config.get("channels", 16)), int(config.get("layers", 3)), float(config.get("depth_scale", 8.0))
            )
            try:
                state = load_file(str(root / SAFETENSORS_FILE), device=str(self.device))
                module.load_state_dict(state, strict=True)
            except FileNotFoundError as e:
                raise InvalidInput(f"no {SAFETENSORS_FILE} in {root}") from e
            except (SafetensorError, RuntimeError) as e:
                raise InvalidInput(f"weights in {root} do not fit {arch}: {e}") from e
            return module
        if fmt == "torchscript":
            path = root / TORCHSCRIPT_FILE
            if not path.is_file():
                raise InvalidInput(f"no {TORCHSCRIPT_FILE} in {root}")
            try:
                with warnings.catch_warnings():
                    # TorchScript is deprecated upstream but remains the portable format many weights ship in.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    loaded: torch.nn.Module = torch.jit.load(  # type: ignore[no-untyped-call]
                        str(path), map_location=self.device
                    )
            except RuntimeError as e:
                raise InvalidInput(f"{path} is not a loadable TorchScript module: {e}") from e
            return loaded
        raise InvalidInput(f"unknown weights format {fmt!r}; use 'safetensors' or 'torchscript'")

    def generate_concepts(self, req: ConceptRequest) -> ConceptResult:
        """Procedural concepts (this model is image → 3D only); priced as the local concept model."""
        return local_concepts(req)

    def generate_model(self, req: ModelRequest) -> ModelResult:
        """One mesh from one image."""
        return self.generate_models([req])[0]

    def generate_models(self, reqs: list[ModelRequest]) -> list[ModelResult]:
        """Batch entry point: one forward pass per grid size and chunk of ``max_batch``."""
        out: dict[int, ModelResult] = {}
        by_grid: dict[int, list[int]] = {}
        for i, req in enumerate(reqs):
            by_grid.setdefault(req.grid or self.grid, []).append(i)
        for grid, indices in by_grid.items():
            for start in range(0, len(indices), self.max_batch):
                chunk = indices[start : start + self.max_batch]
                for i, result in zip(chunk, self._run_batch([reqs[i] for i in chunk], grid), strict=True):
                    out[i] = result
        return [out[i] for i in range(len(reqs))]

    def _run_batch(self, reqs: list[ModelRequest], grid: int) -> list[ModelResult]:
        started_at, t0 = utc_now(), time.perf_counter()
        with cpu_threads(self.cpu_threads):
            meshes = self._meshes(reqs, grid)
        synchronize(self.device)
        elapsed = time.perf_counter() - t0
        return batch_results(meshes, model=MODEL_NAME, device=self.device, started_at=started_at, seconds=elapsed)

    def _meshes(self, reqs: list[ModelRequest], grid: int) -> list[trimesh.Trimesh]:
        import torch

        silhouettes = prepare_silhouettes([decode_image(r.image) for r in reqs], grid, self.device)
        x = torch.cat([silhouettes.colour.permute(0, 3, 1, 2), silhouettes.mask[:, None].to(torch.float32)], dim=1)
        with torch.inference_mode():
            depths = self.network(x.to(self.dtype))
        if depths.shape != (len(reqs), 2, grid, grid):
            raise InvalidInput(f"model returned shape {tuple(depths.shape)}, expected {(len(reqs), 2, grid, grid)}")
        work = torch.float64 if self.device.type == "cpu" else torch.float32
        depths = depths.to(work)
        meshes = []
        for b in range(len(reqs)):
            field = depth_field(depths[b, 0], depths[b, 1], silhouettes.mask[b])
            vertices, faces, colours = field_to_mesh(field, silhouettes.colour[b], grid)
            mesh = trimesh.Trimesh(vertices=vertices, faces=faces, vertex_colors=colours, process=False, validate=False)
            mesh.metadata.update({"up_axis": "y", "generator": MODEL_NAME, "grid": grid})
            meshes.append(mesh)
        return meshes
