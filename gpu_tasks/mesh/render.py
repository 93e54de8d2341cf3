"""Thumbnails: a small orthographic z-buffer rasteriser with Lambert shading, in torch."""

from __future__ import annotations

import io
import logging
import math
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import trimesh
from PIL import Image

from core.errors import InvalidInput, MeshError
from gpu_tasks.devices import select_device
from gpu_tasks.mesh.colors import vertex_colors
from gpu_tasks.mesh.repair import up_rotation

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

#: Most pixel candidates tested at once; bounds the rasteriser's memory.
_CHUNK_CANDIDATES: Final[int] = 1 << 22
_DEPTH_LEVELS: Final[int] = 1 << 30
_FACE_BITS: Final[int] = 24
_BASE_COLOUR: Final = (0.72, 0.75, 0.80)
_LIGHT: Final = (0.35, 0.55, 1.0)
_AMBIENT: Final[float] = 0.25


def _view_matrix(up: str, azimuth_deg: float, elevation_deg: float) -> npt.NDArray[np.float64]:
    to_y = up_rotation(up, "y")
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    yaw = np.array([[math.cos(a), 0.0, math.sin(a)], [0.0, 1.0, 0.0], [-math.sin(a), 0.0, math.cos(a)]])
    pitch = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(e), -math.sin(e)], [0.0, math.sin(e), math.cos(e)]])
    view: npt.NDArray[np.float64] = pitch @ yaw @ to_y
    return view


def rasterise(screen: torch.Tensor, faces: torch.Tensor, size: int) -> torch.Tensor:
    """Nearest face per pixel.

    Parameters
    ----------
    screen : (n, 3) float tensor
        Vertex x, y in pixel units (y up) and depth (larger is nearer).
    faces : (m, 3) int64 tensor
    size : int
        Image width and height.

    Returns
    -------
    (size, size) int64 tensor
        Face index per pixel (row 0 at the bottom), -1 where empty.
    """
    import torch

    device = screen.device
    if len(faces) >= 1 << _FACE_BITS:
        raise MeshError(f"too many faces to render ({len(faces)})")
    tri = screen[faces]  # (m, 3, 3)
    xy = tri[..., :2]
    lo = torch.clamp(torch.ceil(xy.amin(dim=1) - 0.5), 0, size - 1).to(torch.int64)
    hi = torch.clamp(torch.floor(xy.amax(dim=1) - 0.5), -1, size - 1).to(torch.int64)
    wh = (hi - lo + 1).clamp(min=0)
    counts = wh[:, 0] * wh[:, 1]
    z = tri[..., 2]
    zmin, zmax = float(z.min()), float(z.max())
    zspan = max(zmax - zmin, 1e-12)
    best = torch.full((size * size,), torch.iinfo(torch.int64).max, dtype=torch.int64, device=device)
    cumulative = torch.cumsum(counts, 0)
    start = 0
    m = len(faces)
    while start < m:
        base = int(cumulative[start - 1]) if start else 0
        stop = int(torch.searchsorted(cumulative, base + _CHUNK_CANDIDATES, right=True))
        stop = min(max(stop, start + 1), m)
        idx = torch.arange(start, stop, device=device)
        c = counts[idx]
        total = int(c.sum())
        if total:
            owner = torch.repeat_interleave(idx, c)
            offset = torch.arange(total, device=device) - torch.repeat_interleave(torch.cumsum(c, 0) - c, c)
            w = wh[owner, 0]
            px = lo[owner, 0] + offset % w
            py = lo[owner, 1] + offset // w
            cx, cy = px.to(screen.dtype) + 0.5, py.to(screen.dtype) + 0.5
            t = tri[owner]
            x0, y0, x1, y1, x2, y2 = t[:, 0, 0], t[:, 0, 1], t[:, 1, 0], t[:, 1, 1], t[:, 2, 0], t[:, 2, 1]
            area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
            w0 = (x1 - cx) * (y2 - cy) - (x2 - cx) * (y1 - cy)
            w1 = (x2 - cx) * (y0 - cy) - (x0 - cx) * (y2 - cy)
            w2 = area - w0 - w1
            sign = torch.sign(area)
            inside = (w0 * sign >= 0) & (w1 * sign >= 0) & (w2 * sign >= 0) & (area != 0)
            safe = torch.where(area == 0, torch.ones_like(area), area)
            depth = (w0 * t[:, 0, 2] + w1 * t[:, 1, 2] + w2 * t[:, 2, 2]) / safe
            far = ((zmax - depth) / zspan * (_DEPTH_LEVELS - 1)).clamp(0, _DEPTH_LEVELS - 1).to(torch.int64)
            key = (far << _FACE_BITS) | owner
            pixel = py * size + px
            best.scatter_reduce_(0, pixel[inside], key[inside], reduce="amin")
        start = stop
    empty = best == torch.iinfo(torch.int64).max
    face = best & ((1 << _FACE_BITS) - 1)
    return torch.where(empty, torch.full_like(face, -1), face).reshape(size, size)


def render_thumbnail(mesh: trimesh.Trimesh, *, size: int = 256, device: str | None = None) -> bytes:
    """Render ``mesh`` to a PNG: orthographic three-quarter view, Lambert-shaded, transparent background.

    Runs on CUDA when there is one (or on ``device``). The view puts the mesh's up axis
    (``mesh.metadata["up_axis"]``, ``"z"`` when unknown) up on screen.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        ``vertices`` (n, 3), ``faces`` (m, 3); vertex colours are used when present.
    size : int
        Width and height in pixels.

    Returns
    -------
    bytes
        An RGBA PNG.
    """
    import torch

    if not 8 <= size <= 4096:
        raise InvalidInput(f"thumbnail size must be within 8..4096, got {size}")
    dev = select_device(device)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces_np = np.asarray(mesh.faces, dtype=np.int64)
    if len(faces_np) == 0:
        raise MeshError("cannot render a mesh without faces")
    view = _view_matrix(str(mesh.metadata.get("up_axis", "z")), 35.0, 25.0)
    v = torch.as_tensor(vertices @ view.T, dtype=torch.float32, device=dev)
    faces = torch.as_tensor(faces_np, device=dev)
    lo, hi = v.amin(dim=0), v.amax(dim=0)
    extent = float((hi[:2] - lo[:2]).max())
    scale = 0.9 * size / max(extent, 1e-12)
    centre = (lo + hi) / 2
    screen = torch.empty_like(v)
    screen[:, :2] = (v[:, :2] - centre[:2]) * scale + size / 2
    screen[:, 2] = v[:, 2]
    face_id = rasterise(screen, faces, size)

    tri = v[faces]
    normal = torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal = normal / normal.norm(dim=1, keepdim=True).clamp(min=1e-20)
    light = torch.tensor(_LIGHT, device=dev)
    light = light / light.norm()
    # Two-sided: open meshes show their inside faces lit rather than black.
    shade = _AMBIENT + (1 - _AMBIENT) * (normal @ light).abs()
    colors, _ = vertex_colors(mesh)
    if colors is not None:
        vc = torch.as_tensor(colors[:, :3], dtype=torch.float32, device=dev) / 255.0
        albedo = vc[faces].mean(dim=1)
    else:
        albedo = torch.tensor(_BASE_COLOUR, device=dev).expand(len(faces_np), 3)
    rgb_face = (albedo * shade[:, None]).clamp(0, 1)
    hit = face_id >= 0
    image = torch.zeros(size, size, 4, device=dev)
    image[hit, :3] = rgb_face[face_id[hit]]
    image[hit, 3] = 1.0
    pixels = (image.flip(0) * 255).round().to(torch.uint8).cpu().numpy()
    buf = io.BytesIO()
    Image.fromarray(pixels, mode="RGBA").save(buf, format="PNG")
    return buf.getvalue()
