"""Every numeric tolerance of the compute layer, in one place."""

from __future__ import annotations

from typing import Final

#: Vertices closer than this (relative to the mesh's bounding-box diagonal) are merged.
MERGE_RELATIVE: Final[float] = 1e-6
#: A face whose area is below this fraction of the squared bounding-box diagonal is degenerate.
DEGENERATE_AREA_RELATIVE: Final[float] = 1e-14
#: A connected component with less than this fraction of the total surface area is a floating speck.
FLOATING_AREA_FRACTION: Final[float] = 0.005
#: Relative exactness promised by ``rescale_to_target``.
RESCALE_RELATIVE: Final[float] = 1e-9
#: Marching-cubes vertices stay at least this fraction of a cell from a grid corner, so none coincide.
MC_EDGE_CLAMP: Final[float] = 1e-3
#: Conjugate-gradient stop: relative residual of the silhouette Poisson solve.
POISSON_RELATIVE_RESIDUAL: Final[float] = 1e-6
#: Colour distance (0..1 RGB, Euclidean) under which a pixel matches the estimated background.
BACKGROUND_DISTANCE: Final[float] = 0.12
#: Alpha above which a pixel belongs to the object.
ALPHA_THRESHOLD: Final[float] = 0.5
