"""Vectorised marching cubes in torch, with a case table derived so that the result is watertight.

The 256-case table is built here rather than copied: on every cube face the crossing points
are paired so that each inside corner is cut off on its own (the same rule from both cubes
sharing the face), the face segments are chained into loops oriented by the outward normal,
and each loop of four or more points is fanned around an extra centre vertex. Neighbouring
cubes therefore share every boundary edge exactly once, in opposite directions: a field that
is negative on the grid border gives a closed, consistently wound, outward-facing surface.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from gpu_tasks import tolerances as tol

if TYPE_CHECKING:
    import torch

#: Corner c of the unit cube sits at (c & 1, (c >> 1) & 1, (c >> 2) & 1).
_CORNERS: Final = np.array([[(c >> 0) & 1, (c >> 1) & 1, (c >> 2) & 1] for c in range(8)], dtype=np.int64)
#: The 12 edges as (corner a, corner b) with b = a + 2**axis.
_EDGES: Final = [(a, a | (1 << axis)) for axis in range(3) for a in range(8) if not a & (1 << axis)]
_EDGE_AXIS: Final = np.array([axis for axis in range(3) for a in range(8) if not a & (1 << axis)], dtype=np.int64)
_EDGE_ORIGIN: Final = np.array([_CORNERS[a] for a, _ in _EDGES], dtype=np.int64)
#: Most loops (centre vertices) and triangles a cube can produce with this table.
MAX_LOOPS: Final[int] = 4
MAX_TRIANGLES: Final[int] = 12


def _faces_ccw() -> list[list[int]]:
    """The 6 cube faces as corner cycles, counter-clockwise seen from outside the cube."""
    faces = []
    for axis in range(3):
        u, v = (axis + 1) % 3, (axis + 2) % 3
        for side in (0, 1):
            ring = []
            for du, dv in ((0, 0), (1, 0), (1, 1), (0, 1)):
                p = [0, 0, 0]
                p[axis], p[u], p[v] = side, du, dv
                ring.append(p[0] | p[1] << 1 | p[2] << 2)
            # (u, v) order is counter-clockwise about +axis; the side-0 face looks along -axis.
            faces.append(ring if side == 1 else ring[::-1])
    return faces


@lru_cache(maxsize=1)
def case_table() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Build the case table.

    Returns
    -------
    triangles : (256, MAX_TRIANGLES, 3) int64
        Local vertex ids per triangle: 0..11 are edge vertices, 12 + k the centre of loop k;
        -1 pads.
    loops : (256, MAX_LOOPS, 12) bool
        Which edge vertices each loop's centre averages; a loop of three has no centre.
    """
    edge_id = {frozenset(e): i for i, e in enumerate(_EDGES)}
    faces = _faces_ccw()
    triangles = np.full((256, MAX_TRIANGLES, 3), -1, dtype=np.int64)
    loops = np.zeros((256, MAX_LOOPS, 12), dtype=np.bool_)
    for case in range(256):
        inside = [(case >> c) & 1 == 1 for c in range(8)]
        successor: dict[int, int] = {}
        for ring in faces:
            # Walk the face: an entry (outside -> inside) pairs with the next exit (inside -> outside),
            # which cuts off each run of inside corners on its own.
            crossings = []
            for i in range(4):
                a, b = ring[i], ring[(i + 1) % 4]
                if inside[a] != inside[b]:
                    crossings.append((edge_id[frozenset((a, b))], inside[b]))
            for j, (edge, entering) in enumerate(crossings):
                if entering:
                    successor[edge] = crossings[(j + 1) % len(crossings)][0]
        seen: set[int] = set()
        n_tri = n_loop = 0
        for start in sorted(successor):
            if start in seen:
                continue
            cycle = [start]
            seen.add(start)
            while successor[cycle[-1]] != start:
                cycle.append(successor[cycle[-1]])
                seen.add(cycle[-1])
            if len(cycle) == 3:
                triangles[case, n_tri] = cycle
                n_tri += 1
                continue
            centre = 12 + n_loop
            loops[case, n_loop, cycle] = True
            n_loop += 1
            for i in range(len(cycle)):
                triangles[case, n_tri] = (centre, cycle[i], cycle[(i + 1) % len(cycle)])
                n_tri += 1
    return triangles, loops


def marching_cubes(field: torch.Tensor, iso: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Extract the surface ``field == iso`` with inside where ``field > iso``.

    Parameters
    ----------
    field : (nx, ny, nz) float tensor
        Samples on a unit grid; sample (i, j, k) is at position (i, j, k).
    iso : float

    Returns
    -------
    vertices : (n, 3) float tensor
        On ``field``'s device and dtype, in grid units.
    faces : (m, 3) int64 tensor
        Counter-clockwise seen from outside (outward normals).
    """
    import torch

    device, dtype = field.device, field.dtype
    nx, ny, nz = field.shape
    inside = field > iso
    tri_table, loop_table = (torch.as_tensor(t, device=device) for t in case_table())

    # One vertex per grid edge whose ends differ; ids numbered axis by axis.
    edge_ids = []
    positions = []
    offset = 0
    for axis in range(3):
        a = inside.narrow(axis, 0, inside.shape[axis] - 1)
        b = inside.narrow(axis, 1, inside.shape[axis] - 1)
        crossing = a != b
        ids = torch.full(crossing.shape, -1, dtype=torch.int64, device=device)
        where = crossing.nonzero()
        ids[crossing] = torch.arange(offset, offset + len(where), device=device)
        offset += len(where)
        fa = field.narrow(axis, 0, field.shape[axis] - 1)[crossing]
        fb = field.narrow(axis, 1, field.shape[axis] - 1)[crossing]
        t = ((iso - fa) / (fb - fa)).clamp(tol.MC_EDGE_CLAMP, 1 - tol.MC_EDGE_CLAMP)
        pos = where.to(dtype)
        pos[:, axis] += t
        edge_ids.append(ids)
        positions.append(pos)
    edge_vertices = torch.cat(positions)

    # cube index: corner c at (x + c&1, y + (c>>1)&1, z + (c>>2)&1) contributes bit c.
    code = torch.zeros((nx - 1, ny - 1, nz - 1), dtype=torch.int64, device=device)
    for c in range(8):
        dx, dy, dz = int(_CORNERS[c, 0]), int(_CORNERS[c, 1]), int(_CORNERS[c, 2])
        code |= inside[dx : dx + nx - 1, dy : dy + ny - 1, dz : dz + nz - 1].to(torch.int64) << c
    active = (code != 0) & (code != 255)
    cubes = active.nonzero()
    cases = code[active]
    if len(cases) == 0:
        return edge_vertices.new_zeros((0, 3)), torch.zeros((0, 3), dtype=torch.int64, device=device)

    # Global id of each of the 12 local edge vertices of every active cube.
    local = torch.full((len(cases), 12 + MAX_LOOPS), -1, dtype=torch.int64, device=device)
    origin = torch.as_tensor(_EDGE_ORIGIN, device=device)
    for e in range(12):
        axis = int(_EDGE_AXIS[e])
        p = cubes + origin[e]
        local[:, e] = edge_ids[axis][p[:, 0], p[:, 1], p[:, 2]]

    # Centre vertices: the mean of each loop's edge vertices.
    loop_mask = loop_table[cases]  # (k, MAX_LOOPS, 12)
    has_loop = loop_mask.any(dim=2)
    cube_idx, loop_idx = has_loop.nonzero(as_tuple=True)
    members = loop_mask[cube_idx, loop_idx]  # (c, 12)
    gathered = edge_vertices[local[cube_idx, :12].clamp(min=0)]  # (c, 12, 3)
    w = members.to(dtype)
    centres = (gathered * w[..., None]).sum(dim=1) / w.sum(dim=1, keepdim=True)
    centre_ids = torch.arange(len(edge_vertices), len(edge_vertices) + len(centres), device=device)
    local[cube_idx, 12 + loop_idx] = centre_ids
    vertices = torch.cat([edge_vertices, centres])

    tri = tri_table[cases]  # (k, MAX_TRIANGLES, 3)
    valid = tri[..., 0] >= 0
    rows = torch.arange(len(cases), device=device)[:, None, None].expand_as(tri)
    faces = local[rows, tri.clamp(min=0)][valid]
    return vertices, faces
