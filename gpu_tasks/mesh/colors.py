"""Per-vertex colours of a mesh, whatever visual it carries."""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import trimesh

logger = logging.getLogger(__name__)


def vertex_colors(mesh: trimesh.Trimesh) -> tuple[npt.NDArray[np.uint8] | None, bool]:
    """Return (colours (n, 4) uint8 or None, whether a texture was baked into them).

    Textured meshes are sampled at their UVs, so a texture survives vertex welding as colour.
    """
    visual = mesh.visual
    if isinstance(visual, trimesh.visual.TextureVisuals):
        try:
            baked = visual.to_color().vertex_colors  # type: ignore[no-untyped-call]
        except (ValueError, TypeError, AttributeError, IndexError) as e:
            logger.warning("texture could not be sampled to vertex colours: %s", e)
            return None, False
        return np.asarray(baked, dtype=np.uint8), True
    if isinstance(visual, trimesh.visual.ColorVisuals) and visual.kind in {"vertex", "face"}:
        return np.asarray(visual.vertex_colors, dtype=np.uint8), False
    return None, False
