"""Image → watertight mesh by silhouette inflation (Baran & Lehtinen 2009), batched in torch.

For a mask Ω the height h solves ∇²h = −4 in Ω with h = 0 on ∂Ω; the front surface is
z = √h and the back its mirror, so a disc of radius R inflates to a sphere of radius R
(h = R² − r²). The solve is a batched conjugate gradient on the 5-point Laplacian with the
Dirichlet boundary half-way between the last inside and first outside pixel. The solid is the
set h(x, y) − z² > 0, sampled on a voxel grid and meshed by marching cubes: watertight by
construction, because the field is negative on the grid border.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from core.errors import GenerationFailed
from gpu_tasks import tolerances as tol
from gpu_tasks.generators.images import RGBA
from gpu_tasks.generators.marching_cubes import marching_cubes

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

#: Empty cells kept around the silhouette inside the grid.
GRID_MARGIN: Final[int] = 3
#: Convergence is checked every this many CG iterations (each check synchronises a GPU).
_CHECK_EVERY: Final[int] = 8


@dataclass(frozen=True)
class Silhouettes:
    """A batch of silhouettes on the grid, in image orientation (row 0 at the top).

    Attributes
    ----------
    mask : (b, g, g) bool tensor
    colour : (b, g, g, 3) float tensor
        RGB in 0..1.
    """

    mask: torch.Tensor
    colour: torch.Tensor


def _foreground(rgba: torch.Tensor) -> torch.Tensor:
    """Object mask (b, h, w) bool of images (b, h, w, 4) in 0..1.

    Alpha when the image has transparency; otherwise the pixels not reachable from the border
    through background-coloured pixels (the background colour is the median of the border).
    """
    import torch
    import torch.nn.functional as F

    alpha = rgba[..., 3]
    has_alpha = (alpha < 1.0 - 1e-6).flatten(1).any(dim=1)
    rgb = rgba[..., :3]
    border = torch.cat([rgb[:, 0], rgb[:, -1], rgb[:, :, 0], rgb[:, :, -1]], dim=1)  # (b, k, 3)
    background = border.median(dim=1).values  # (b, 3)
    similar = (rgb - background[:, None, None, :]).norm(dim=-1) < tol.BACKGROUND_DISTANCE
    if bool(has_alpha.all()):
        return alpha > tol.ALPHA_THRESHOLD
    seeds = torch.zeros_like(similar)
    seeds[:, 0], seeds[:, -1], seeds[:, :, 0], seeds[:, :, -1] = True, True, True, True
    reached = seeds & similar
    for step in range(4 * (rgba.shape[1] + rgba.shape[2])):
        grown = F.max_pool2d(reached[:, None].to(rgba.dtype), 3, stride=1, padding=1)[:, 0] > 0
        grown &= similar
        if step % _CHECK_EVERY == 0 and bool((grown == reached).all()):
            break
        reached = grown
    segmented = ~reached
    return torch.where(has_alpha[:, None, None], alpha > tol.ALPHA_THRESHOLD, segmented)


def prepare_silhouettes(images: list[RGBA], grid: int, device: torch.device) -> Silhouettes:
    """Mask and colour each image (h, w, 4) uint8 and fit its object into a ``grid``² square."""
    import torch
    import torch.nn.functional as F
    from PIL import Image

    work = 2 * grid
    batch = []
    for image in images:
        pil = Image.fromarray(image, mode="RGBA")
        pil.thumbnail((work, work), Image.Resampling.BOX)
        arr = np.asarray(pil, dtype=np.uint8)
        # Pad to a square with copies of the edge, which keeps a plain background plain.
        padded = np.pad(arr, ((0, work - arr.shape[0]), (0, work - arr.shape[1]), (0, 0)), mode="edge")
        batch.append(padded)
    rgba = torch.as_tensor(np.stack(batch), device=device).to(torch.float32) / 255.0
    fg = _foreground(rgba)

    inner = grid - 2 * GRID_MARGIN
    masks = torch.zeros((len(images), grid, grid), dtype=torch.bool, device=device)
    colours = torch.zeros((len(images), grid, grid, 3), dtype=torch.float32, device=device)
    for b in range(len(images)):
        rows = fg[b].any(dim=1).nonzero()
        cols = fg[b].any(dim=0).nonzero()
        if len(rows) == 0:
            raise GenerationFailed("no object found in the image (empty mask)", index=b)
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        scale = inner / max(r1 - r0, c1 - c0)
        h = max(1, round((r1 - r0) * scale))
        w = max(1, round((c1 - c0) * scale))
        crop_mask = fg[b, r0:r1, c0:c1].to(torch.float32)[None, None]
        crop_rgb = rgba[b, r0:r1, c0:c1, :3].permute(2, 0, 1)[None]
        mode = "area" if scale < 1 else "bilinear"
        kwargs = {} if mode == "area" else {"align_corners": False}
        m = F.interpolate(crop_mask, size=(h, w), mode=mode, **kwargs)[0, 0] > 0.5
        c = F.interpolate(crop_rgb, size=(h, w), mode=mode, **kwargs)[0].permute(1, 2, 0)
        top, left = (grid - h) // 2, (grid - w) // 2
        masks[b, top : top + h, left : left + w] = m
        colours[b, top : top + h, left : left + w] = c.clamp(0, 1)
    return Silhouettes(mask=masks, colour=colours)


def _neighbour_sum(x: torch.Tensor) -> torch.Tensor:
    import torch.nn.functional as F

    p = F.pad(x, (1, 1, 1, 1))
    return p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:]


def solve_heights(mask: torch.Tensor, *, dtype: torch.dtype, max_iterations: int | None = None) -> torch.Tensor:
    """Solve ∇²h = −4 on each mask with h = 0 half a pixel outside it.

    A pixel with an outside neighbour uses the ghost value −h there, which puts the zero on
    the midpoint. The operator (8 − n_inside)·h − Σ inside neighbours is symmetric positive
    definite on the mask, so a batched conjugate gradient converges in O(grid) iterations;
    each image stops updating once its own residual is small, so a result does not depend on
    what else is in the batch.

    Parameters
    ----------
    mask : (b, g, g) bool tensor
    dtype : torch.dtype
        Working precision.

    Returns
    -------
    (b, g, g) tensor
        h, zero outside the mask.
    """
    import torch

    m = mask.to(dtype)
    n_inside = _neighbour_sum(m)
    diag = (8.0 - n_inside) * m

    def apply(x: torch.Tensor) -> torch.Tensor:
        return (diag * x - _neighbour_sum(x)) * m

    b = 4.0 * m
    x = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rs = (r * r).sum(dim=(1, 2))
    # float32 (the GPU default) cannot reach the float64 tolerance; stop a little above its noise.
    relative = max(tol.POISSON_RELATIVE_RESIDUAL, 50 * torch.finfo(dtype).eps)
    stop = (relative**2) * rs
    active = rs > stop
    limit = max_iterations or 8 * mask.shape[-1]
    for it in range(limit):
        ap = apply(p)
        denom = (p * ap).sum(dim=(1, 2))
        alpha = torch.where(active, rs / torch.where(active, denom, torch.ones_like(denom)), torch.zeros_like(rs))
        x = x + alpha[:, None, None] * p
        r = r - alpha[:, None, None] * ap
        rs_new = (r * r).sum(dim=(1, 2))
        beta = torch.where(active, rs_new / torch.where(active, rs, torch.ones_like(rs)), torch.zeros_like(rs))
        p = torch.where(active[:, None, None], r + beta[:, None, None] * p, p)
        rs = torch.where(active, rs_new, rs)
        active = active & (rs_new > stop)
        if it % _CHECK_EVERY == 0 and not bool(active.any()):
            break
    logger.debug("poisson CG stopped after %d iterations", it + 1)
    return x * m


def height_field(h: torch.Tensor, mask: torch.Tensor, relief: torch.Tensor | None = None) -> torch.Tensor:
    """The occupancy field h(x, y) − (z / k)² of one silhouette, on an (x, y-up, z) voxel grid.

    Parameters
    ----------
    h : (g, g) tensor
        Heights in image orientation (row 0 at the top), zero outside ``mask``.
    mask : (g, g) bool tensor
    relief : (g, g) tensor or None
        Front-depth factor k (1 = plain inflation); the back is always the mirror of √h.

    Returns
    -------
    (g, g, nz) tensor
        Positive inside the solid, negative on the grid border. Sample (i, j, k) lies at
        x = i, y = j, z = k − (nz − 1) / 2.
    """
    import torch

    m = mask.to(h.dtype)
    count = _neighbour_sum(m[None])[0]
    ghost = -_neighbour_sum((h * m)[None])[0] / count.clamp(min=1)
    h_max = float(h.max())
    # Inside: h; next to the mask: the mirrored value (zero on the midpoint); further out: below all.
    ext = torch.where(mask, h, torch.where(count > 0, ghost, torch.full_like(h, -(h_max + 1.0))))
    ext_xy = ext.flip(0).transpose(0, 1)  # (x, y-up)
    k = torch.ones_like(ext_xy) if relief is None else relief.flip(0).transpose(0, 1)
    z_max = math.sqrt(max(h_max, 0.0)) * float(k.max())
    nz = 2 * math.ceil(z_max) + 5
    z = torch.arange(nz, dtype=h.dtype, device=h.device) - (nz - 1) / 2
    scale = torch.where(z > 0, z[None, None, :] / k[..., None], z[None, None, :].expand(*k.shape, nz))
    return ext_xy[..., None] - scale * scale


def luminance_relief(colour: torch.Tensor, mask: torch.Tensor, strength: float) -> torch.Tensor:
    """Front-depth factor (g, g) from smoothed luminance: brighter regions bulge by up to ``strength``."""
    import torch.nn.functional as F

    lum = 0.2126 * colour[..., 0] + 0.7152 * colour[..., 1] + 0.0722 * colour[..., 2]
    smooth = F.avg_pool2d(lum[None, None], 5, stride=1, padding=2, count_include_pad=False)[0, 0]
    mean = smooth[mask].mean() if bool(mask.any()) else smooth.mean()
    return (1.0 + 2.0 * strength * (smooth - mean)).clamp(0.25, 2.0)


def field_to_mesh(
    field: torch.Tensor, colour: torch.Tensor, grid: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Mesh the field (g, g, nz) and colour its vertices from ``colour`` (g, g, 3) (image orientation).

    Returns
    -------
    vertices : (n, 3) float64
        Y-up, front towards +z, centred, in units of the grid width (the mask spans < 1).
    faces : (m, 3) int64
    colours : (n, 4) uint8
    """
    import torch

    vertices, faces = marching_cubes(field)
    if len(faces) == 0:
        raise GenerationFailed("the inflated silhouette produced no surface")
    nz = field.shape[2]
    col = vertices[:, 0].round().long().clamp(0, grid - 1)
    row = (grid - 1 - vertices[:, 1].round().long()).clamp(0, grid - 1)
    rgb = (colour[row, col] * 255).round().clamp(0, 255).to(torch.uint8)
    alpha = torch.full((len(rgb), 1), 255, dtype=torch.uint8, device=rgb.device)
    centre = torch.tensor([(grid - 1) / 2, (grid - 1) / 2, (nz - 1) / 2], dtype=vertices.dtype, device=vertices.device)
    positions = (vertices - centre) / grid
    return (
        positions.to(torch.float64).cpu().numpy(),
        faces.cpu().numpy().astype(np.int64),
        torch.cat([rgb, alpha], dim=1).cpu().numpy(),
    )


def depth_field(front: torch.Tensor, back: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The occupancy field of a solid given per-pixel front and back depths, on an (x, y-up, z) grid.

    Inside the mask the field is min(front − z, z + back); next to the mask it mirrors the
    nearest inside values with a negative sign (so the side wall sits half-way), and further
    out it is negative everywhere.

    Parameters
    ----------
    front, back : (g, g) tensor
        Depths in grid cells towards +z and −z, image orientation (row 0 at the top).
    mask : (g, g) bool tensor

    Returns
    -------
    (g, g, nz) tensor
        Sample (i, j, k) lies at x = i, y = j, z = k − (nz − 1) / 2.
    """
    import torch

    m = mask.to(front.dtype)
    front = front.clamp(min=0) * m
    back = back.clamp(min=0) * m
    z_max = float(torch.maximum(front.max(), back.max()))
    nz = 2 * math.ceil(z_max) + 5
    z = torch.arange(nz, dtype=front.dtype, device=front.device) - (nz - 1) / 2
    inner = torch.minimum(front[..., None] - z, z + back[..., None])  # (g, g, nz)
    count = _neighbour_sum(m[None])[0]
    summed = _neighbour_sum((inner * m[..., None]).permute(2, 0, 1)).permute(1, 2, 0)
    ghost = -(summed / count.clamp(min=1)[..., None]).abs() - 1e-3
    far = torch.full_like(inner, -1.0) - z.abs()
    field = torch.where(mask[..., None], inner, torch.where(count[..., None] > 0, ghost, far))
    return field.flip(0).transpose(0, 1)
