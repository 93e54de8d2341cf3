"""Print sizing and simplification: exact uniform rescale with a build-volume check, decimation."""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import trimesh

from core.errors import InvalidInput, MeshError
from core.pricing import check_build_volume
from gpu_tasks.mesh.colors import vertex_colors
from gpu_tasks.mesh.topology import bounds

logger = logging.getLogger(__name__)


def _with_vertices(mesh: trimesh.Trimesh, vertices: npt.NDArray[np.float64]) -> trimesh.Trimesh:
    out = trimesh.Trimesh(
        vertices=vertices,
        faces=np.asarray(mesh.faces, dtype=np.int64),
        vertex_colors=vertex_colors(mesh)[0],
        process=False,
        validate=False,
    )
    out.metadata.update(mesh.metadata)
    return out


def rescale_to_target(
    mesh: trimesh.Trimesh,
    target_mm: tuple[float, float, float] | float,
    *,
    mode: str = "longest",
    build_volume_mm: tuple[float, float, float] | None = None,
) -> trimesh.Trimesh:
    """Scale ``mesh`` uniformly to a print size, about its bounding-box centre.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        ``vertices`` (n, 3); units are millimetres.
    target_mm : float or (3,) float
        ``mode="longest"``: the longest side becomes this length (a 3-tuple means its largest
        value). ``mode="fit"``: the largest uniform scale whose bounding box fits inside this
        box, axis by axis.
    mode : {"longest", "fit"}
    build_volume_mm : (3,) float or None
        When given, the scaled bounding box must fit it in some axis-aligned orientation.

    Returns
    -------
    trimesh.Trimesh
        A new mesh; its size matches the target to ``RESCALE_RELATIVE``.

    Raises
    ------
    BuildVolumeExceeded
        The scaled part does not fit the printer.
    InvalidInput
        Non-positive or non-finite target, unknown mode.
    """
    target = np.atleast_1d(np.asarray(target_mm, dtype=np.float64))
    if target.shape not in {(1,), (3,)} or not np.isfinite(target).all() or (target <= 0).any():
        raise InvalidInput(f"target_mm must be a positive length or three, got {target_mm!r}")
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    lo, hi = bounds(vertices)
    extent = hi - lo
    if not (extent.max() > 0):
        raise MeshError("mesh has zero extent")
    if mode == "longest":
        scale = float(target.max() / extent.max())
    elif mode == "fit":
        if target.shape != (3,):
            raise InvalidInput("mode 'fit' needs a box (x, y, z)")
        with np.errstate(divide="ignore"):
            ratios = np.where(extent > 0, target / np.where(extent > 0, extent, 1.0), np.inf)
        scale = float(ratios.min())
    else:
        raise InvalidInput(f"unknown rescale mode {mode!r}; use 'longest' or 'fit'")
    centre = (lo + hi) / 2.0
    scaled = (vertices - centre) * scale
    new_lo, new_hi = bounds(scaled)
    new_extent = new_hi - new_lo
    if build_volume_mm is not None:
        check_build_volume(
            (float(new_extent[0]), float(new_extent[1]), float(new_extent[2])),
            (float(build_volume_mm[0]), float(build_volume_mm[1]), float(build_volume_mm[2])),
        )
    logger.debug("rescaled by %.6g to extent %s", scale, new_extent)
    return _with_vertices(mesh, scaled)


def decimate(mesh: trimesh.Trimesh, face_budget: int) -> trimesh.Trimesh:
    """Simplify ``mesh`` to at most about ``face_budget`` faces (quadric edge collapse).

    Parameters
    ----------
    mesh : trimesh.Trimesh
        ``vertices`` (n, 3), ``faces`` (m, 3).
    face_budget : int
        Target face count; a mesh already within it is returned unchanged (as a copy).

    Returns
    -------
    trimesh.Trimesh
        Vertex colours are dropped when faces are collapsed (fast-simplification does not carry them).
    """
    import fast_simplification

    if face_budget < 4:
        raise InvalidInput(f"face_budget must be at least 4, got {face_budget}")
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if len(faces) <= face_budget:
        return _with_vertices(mesh, np.asarray(mesh.vertices, dtype=np.float64))
    reduction = 1.0 - face_budget / len(faces)
    points, new_faces = fast_simplification.simplify(
        np.asarray(mesh.vertices, dtype=np.float64), faces.astype(np.int32), target_reduction=reduction
    )
    out = trimesh.Trimesh(
        vertices=np.asarray(points, dtype=np.float64),
        faces=np.asarray(new_faces, dtype=np.int64),
        process=False,
        validate=False,
    )
    out.metadata.update(mesh.metadata)
    logger.debug("decimated %d -> %d faces", len(faces), len(out.faces))
    return out
