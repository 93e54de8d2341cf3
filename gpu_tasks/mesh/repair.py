"""Repair and normalise: one vectorised pass that welds, cleans, re-winds, trims, centres and scales."""

from __future__ import annotations

import logging
from typing import Final

import numpy as np
import numpy.typing as npt
import trimesh
from pydantic import BaseModel

from core.errors import InvalidInput, MeshError
from gpu_tasks import tolerances as tol
from gpu_tasks.mesh.colors import vertex_colors
from gpu_tasks.mesh.topology import (
    bounds,
    compact,
    degenerate_faces,
    duplicate_faces,
    edge_topology,
    face_components,
    merge_vertices,
    orient_faces,
)

logger = logging.getLogger(__name__)

_AXES: Final[dict[str, int]] = {"x": 0, "y": 1, "z": 2}


class RepairReport(BaseModel):
    """What ``repair_and_normalise`` changed."""

    vertices_before: int
    faces_before: int
    vertices_after: int
    faces_after: int
    merged_vertices: int
    degenerate_faces_removed: int
    duplicate_faces_removed: int
    faces_flipped: int
    non_orientable_components: int
    floating_components_removed: int
    floating_faces_removed: int
    components_after: int
    rotated_from: str
    up: str
    translation: tuple[float, float, float]
    scale: float
    texture_baked_to_vertex_colors: bool
    watertight: bool
    winding_consistent: bool


def up_rotation(source: str, target: str) -> npt.NDArray[np.float64]:
    """(3, 3) rotation taking axis ``source`` onto axis ``target`` by a quarter turn (exact integers)."""
    if source not in _AXES or target not in _AXES:
        raise InvalidInput(f"up axis must be one of x, y, z; got {source!r} -> {target!r}")
    eye = np.eye(3)
    if source == target:
        return eye
    s, t = eye[_AXES[source]], eye[_AXES[target]]
    k = np.cross(s, t)
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    # Rodrigues at 90 degrees: I + K + K².
    rotation: npt.NDArray[np.float64] = eye + kx + kx @ kx
    return rotation


def repair_and_normalise(
    mesh: trimesh.Trimesh, *, up: str = "z", size: float = 1.0
) -> tuple[trimesh.Trimesh, RepairReport]:
    """Return a clean copy of ``mesh`` and a report of what changed.

    Steps: weld coincident vertices; drop degenerate and duplicate faces and unreferenced
    vertices; make the winding consistent per component and outward for closed ones; drop
    floating specks (components under ``FLOATING_AREA_FRACTION`` of the area); rotate from the
    source's up axis (``mesh.metadata["up_axis"]``, glTF's ``"y"`` when unknown) to ``up``;
    centre the bounding box on the origin; scale the longest side to ``size``. Colours
    (vertex, face or texture sampled at the UVs) are carried as vertex colours.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        ``vertices`` (n, 3), ``faces`` (m, 3).
    up : {"x", "y", "z"}
        Up axis of the result.
    size : float
        Longest bounding-box side of the result.

    Returns
    -------
    mesh : trimesh.Trimesh
    report : RepairReport
    """
    if not (size > 0 and np.isfinite(size)):
        raise InvalidInput(f"size must be positive and finite, got {size}")
    source_up = str(mesh.metadata.get("up_axis", "y"))
    rotation = up_rotation(source_up, up)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    colors, baked = vertex_colors(mesh)
    n_v0, n_f0 = len(vertices), len(faces)

    vertices, faces, keep = merge_vertices(vertices, faces)
    if colors is not None:
        colors = colors[keep]
    merged = n_v0 - len(vertices)

    degenerate = degenerate_faces(vertices, faces)
    faces = faces[~degenerate]
    duplicate = duplicate_faces(faces, len(vertices))
    faces = faces[~duplicate]
    if len(faces) == 0:
        raise MeshError("no faces left after removing degenerate and duplicate ones")

    topo = edge_topology(faces, len(vertices))
    n_comp, labels = face_components(len(faces), topo)
    faces, flipped, non_orientable = orient_faces(vertices, faces, topo, labels)
    tri = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    comp_area = np.bincount(labels, weights=area, minlength=n_comp)
    small = comp_area < tol.FLOATING_AREA_FRACTION * comp_area.sum()
    floating_faces = int(small[labels].sum())
    if floating_faces:
        faces = faces[~small[labels]]
    vertices, faces, keep = compact(vertices, faces)
    if colors is not None:
        colors = colors[keep]

    if source_up != up:
        vertices = vertices @ rotation.T
    lo, hi = bounds(vertices)
    centre = (lo + hi) / 2.0
    longest = float((hi - lo).max())
    if not longest > 0:
        raise MeshError("mesh has zero extent")
    scale = size / longest
    vertices = (vertices - centre) * scale

    if floating_faces:
        topo = edge_topology(faces, len(vertices))
    out = trimesh.Trimesh(vertices=vertices, faces=faces, vertex_colors=colors, process=False, validate=False)
    out.metadata["up_axis"] = up
    report = RepairReport(
        vertices_before=n_v0,
        faces_before=n_f0,
        vertices_after=len(vertices),
        faces_after=len(faces),
        merged_vertices=merged,
        degenerate_faces_removed=int(degenerate.sum()),
        duplicate_faces_removed=int(duplicate.sum()),
        faces_flipped=flipped,
        non_orientable_components=non_orientable,
        floating_components_removed=int(small.sum()),
        floating_faces_removed=floating_faces,
        components_after=int(n_comp - small.sum()),
        rotated_from=source_up,
        up=up,
        translation=(float(-centre[0]), float(-centre[1]), float(-centre[2])),
        scale=scale,
        texture_baked_to_vertex_colors=baked,
        watertight=topo.watertight,
        # The doubled-graph orientation leaves every orientable component consistent.
        winding_consistent=non_orientable == 0,
    )
    logger.info(
        "repaired mesh: %d->%d faces, %d merged vertices, %d flipped, %d specks removed",
        n_f0,
        len(faces),
        merged,
        flipped,
        report.floating_components_removed,
    )
    return out, report
