"""Facts about a mesh for the asset record and print quotes: counts, size, volume, topology."""

from __future__ import annotations

import numpy as np
import trimesh
from pydantic import BaseModel

from gpu_tasks.mesh.topology import bounds, edge_topology, face_components


class MeshReport(BaseModel):
    """What ``analyse`` found. Lengths are in mesh units, which the platform takes as millimetres."""

    vertices: int
    faces: int
    bbox_mm: tuple[float, float, float]
    surface_area_mm2: float
    volume_mm3: float | None
    watertight: bool
    winding_consistent: bool
    is_volume: bool
    components: int
    note: str | None = None


def analyse(mesh: trimesh.Trimesh) -> MeshReport:
    """Measure ``mesh``.

    The volume is given only when the mesh encloses one (watertight, consistently wound and
    with positive signed volume); otherwise ``volume_mm3`` is None and ``note`` says why.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        ``vertices`` (n, 3), ``faces`` (m, 3); units are millimetres.

    Returns
    -------
    MeshReport
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    topo = edge_topology(faces, len(vertices))
    n_components, _ = face_components(len(faces), topo)
    tri = vertices[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = 0.5 * float(np.linalg.norm(cross, axis=1).sum())
    signed_volume = float(np.einsum("ij,ij->i", tri[:, 0], cross).sum() / 6.0)
    lo, hi = bounds(vertices)
    extent = hi - lo
    is_volume = topo.watertight and topo.winding_consistent and signed_volume > 0
    note = None
    if not topo.watertight:
        note = f"not watertight: {topo.boundary_edges} open and {topo.nonmanifold_edges} non-manifold edges"
    elif not topo.winding_consistent:
        note = "watertight but winding is inconsistent"
    elif signed_volume <= 0:
        note = "watertight but inside out (negative volume)"
    return MeshReport(
        vertices=len(vertices),
        faces=len(faces),
        bbox_mm=(float(extent[0]), float(extent[1]), float(extent[2])),
        surface_area_mm2=area,
        volume_mm3=signed_volume if is_volume else None,
        watertight=topo.watertight,
        winding_consistent=topo.winding_consistent,
        is_volume=is_volume,
        components=n_components,
        note=note,
    )
