"""Vectorised mesh topology: vertex welding, face clean-up, edge-connected components, winding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gpu_tasks import tolerances as tol

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def bounds(vertices: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-axis (min (3,), max (3,)) of ``vertices`` (n, 3).

    Reduces over a wide (n/64, 192) view: numpy's axis-0 reduction of a 3-column array runs a
    three-element inner loop and is several times slower.
    """
    if len(vertices) == 0:
        return np.zeros(3), np.zeros(3)
    v = np.ascontiguousarray(vertices, dtype=np.float64)
    n = len(v) // 64 * 64
    lo, hi = v[n:].min(axis=0, initial=np.inf), v[n:].max(axis=0, initial=-np.inf)
    if n:
        wide = v[:n].reshape(-1, 192)
        lo = np.minimum(lo, wide.min(axis=0).reshape(64, 3).min(axis=0))
        hi = np.maximum(hi, wide.max(axis=0).reshape(64, 3).max(axis=0))
    return lo, hi


def bbox_diagonal(vertices: FloatArray) -> float:
    """Length of the bounding-box diagonal of ``vertices`` (n, 3)."""
    lo, hi = bounds(vertices)
    return float(np.linalg.norm(hi - lo))


def merge_vertices(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Weld vertices that coincide within ``MERGE_RELATIVE`` of the bounding-box diagonal.

    Parameters
    ----------
    vertices : (n, 3) float64
    faces : (m, 3) int64

    Returns
    -------
    vertices : (k, 3) float64
        The first occurrence of each welded position.
    faces : (m, 3) int64
        Faces re-indexed into the welded vertices.
    keep : (k,) int64
        Index into the input vertices of each kept vertex.
    """
    lo, hi = bounds(vertices)
    scale = max(float(np.linalg.norm(hi - lo)), np.finfo(np.float64).tiny)
    inv_step = 1.0 / (scale * tol.MERGE_RELATIVE)
    # Non-negative, so truncation is rounding to the nearest step.
    q = ((vertices - lo) * inv_step + 0.5).astype(np.int64)
    # Pack three quantised coordinates into one int64 when they fit (they do at the default tolerance).
    span = ((hi - lo) * inv_step + 1.5).astype(np.int64)
    if np.prod(span.astype(np.float64)) < 2.0**62:
        key = (q[:, 0] * span[1] + q[:, 1]) * span[2] + q[:, 2]
        keep, inverse = _group(key)
    else:
        rows = np.ascontiguousarray(q).view(np.dtype((np.void, 24))).ravel()
        _, keep, inverse = np.unique(rows, return_index=True, return_inverse=True)
    # Keep the original order of first occurrences so results do not depend on coordinates' sort order.
    order = np.argsort(keep)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    keep = keep[order].astype(np.int64)
    new_faces = rank[inverse.reshape(-1)][faces]
    return vertices[keep], new_faces.astype(np.int64), keep


def _group(key: IntArray) -> tuple[IntArray, IntArray]:
    """Group equal keys (n,): (first index of each group, group of each key).

    One unstable sort plus a segmented minimum; ``np.unique`` with ``return_index`` would use
    a slower stable sort.
    """
    order = np.argsort(key)
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    first = np.minimum.reduceat(order, starts)
    group_sorted = np.cumsum(np.r_[False, sorted_key[1:] != sorted_key[:-1]])
    inverse = np.empty_like(order)
    inverse[order] = group_sorted
    return first.astype(np.int64), inverse.astype(np.int64)


def degenerate_faces(vertices: FloatArray, faces: IntArray) -> BoolArray:
    """Mask (m,) of faces that repeat a vertex or have (near-)zero area."""
    repeated = (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 0] == faces[:, 2])
    v0 = vertices[faces[:, 0]]
    cross = np.cross(vertices[faces[:, 1]] - v0, vertices[faces[:, 2]] - v0)
    area2_sq = np.einsum("ij,ij->i", cross, cross)
    limit = 2.0 * tol.DEGENERATE_AREA_RELATIVE * bbox_diagonal(vertices) ** 2
    return np.asarray(repeated | (area2_sq <= limit * limit), dtype=np.bool_)


def duplicate_faces(faces: IntArray, n_vertices: int) -> BoolArray:
    """Mask (m,) of faces whose vertex set repeats an earlier face (either winding)."""
    s = np.sort(faces, axis=1)
    n = np.int64(max(n_vertices, 1))
    if float(n) ** 3 < 2.0**62:
        key = (s[:, 0] * n + s[:, 1]) * n + s[:, 2]
        _, first = np.unique(key, return_index=True)
    else:
        rows = np.ascontiguousarray(s).view(np.dtype((np.void, 24))).ravel()
        _, first = np.unique(rows, return_index=True)
    dup = np.ones(len(faces), dtype=np.bool_)
    dup[first] = False
    return dup


def compact(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Drop vertices no face references.

    Returns
    -------
    vertices : (k, 3) float64
    faces : (m, 3) int64
    keep : (k,) int64
        Index of each kept vertex in the input.
    """
    used = np.zeros(len(vertices), dtype=np.bool_)
    used[faces.ravel()] = True
    keep = np.flatnonzero(used).astype(np.int64)
    remap = np.full(len(vertices), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    return vertices[keep], remap[faces], keep


@dataclass(frozen=True)
class EdgeTopology:
    """Edge facts of a triangle mesh.

    Attributes
    ----------
    pair_faces : (p, 2) int64
        The two faces on each manifold edge (an edge used by exactly two faces).
    pair_same_direction : (p,) bool
        True where both faces traverse their shared edge the same way (inconsistent winding).
    boundary_edges : int
        Edges used by one face.
    nonmanifold_edges : int
        Edges used by three faces or more.
    """

    pair_faces: IntArray
    pair_same_direction: BoolArray
    boundary_edges: int
    nonmanifold_edges: int

    @property
    def watertight(self) -> bool:
        return self.boundary_edges == 0 and self.nonmanifold_edges == 0

    @property
    def winding_consistent(self) -> bool:
        return not bool(self.pair_same_direction.any())


def edge_topology(faces: IntArray, n_vertices: int) -> EdgeTopology:
    """Group the directed edges of ``faces`` (m, 3) into undirected edges and classify them."""
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    owner = np.repeat(np.arange(len(faces), dtype=np.int64), 3)
    lo = directed.min(axis=1)
    hi = directed.max(axis=1)
    key = lo * np.int64(max(n_vertices, 1)) + hi
    order = np.argsort(key)
    k = key[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    counts = np.diff(np.r_[starts, len(k)])
    two = starts[counts == 2]
    a, b = order[two], order[two + 1]
    pair_faces = np.stack([owner[a], owner[b]], axis=1)
    same = directed[a, 0] == directed[b, 0]
    return EdgeTopology(
        pair_faces=pair_faces,
        pair_same_direction=np.asarray(same, dtype=np.bool_),
        boundary_edges=int((counts == 1).sum()),
        nonmanifold_edges=int((counts > 2).sum()),
    )


def face_components(n_faces: int, topo: EdgeTopology) -> tuple[int, IntArray]:
    """Label faces (m,) by edge-connected component; returns (count, labels)."""
    if n_faces == 0:
        return 0, np.zeros(0, dtype=np.int64)
    p = topo.pair_faces
    graph = coo_matrix((np.ones(len(p), dtype=np.int8), (p[:, 0], p[:, 1])), shape=(n_faces, n_faces))
    count, labels = connected_components(graph, directed=False)
    return int(count), labels.astype(np.int64)


def orient_faces(
    vertices: FloatArray, faces: IntArray, topo: EdgeTopology, components: IntArray | None = None
) -> tuple[IntArray, int, int]:
    """Make winding consistent within each component and point closed components outward.

    Uses a doubled face graph (each face and its flipped twin): a consistent pair links f–g and
    f'–g', an inconsistent one f–g' and f'–g. Each orientable component then splits into two
    labels, and every face takes the orientation of the smaller label, all at once.

    Parameters
    ----------
    vertices : (n, 3) float64
    faces : (m, 3) int64
    topo : EdgeTopology
        Of ``faces``.
    components : (m,) int64 or None
        Face component labels from ``face_components``; when given and the winding is already
        consistent, the doubled graph is skipped.

    Returns
    -------
    faces : (m, 3) int64
        Re-wound faces.
    flipped : int
        How many faces were flipped.
    non_orientable : int
        Components that admit no consistent winding (left as they were).
    """
    m = len(faces)
    if components is not None and topo.winding_consistent:
        orientable = np.ones(m, dtype=np.bool_)
        flip = np.zeros(m, dtype=np.bool_)
        component = components
    else:
        p, same = topo.pair_faces, topo.pair_same_direction
        f, g = p[:, 0], p[:, 1]
        rows = np.concatenate([f, f + m])
        cols = np.concatenate([np.where(same, g + m, g), np.where(same, g, g + m)])
        graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(2 * m, 2 * m))
        _, labels = connected_components(graph, directed=False)
        straight, twin = labels[:m], labels[m:]
        orientable = straight != twin
        flip = orientable & (straight > twin)
        component = np.minimum(straight, twin)

    out = faces.copy()
    out[flip] = out[flip][:, ::-1]
    # Outward: the signed volume about each component's centroid must be positive.
    tri = vertices[out]
    n_comp = int(component.max()) + 1
    mid = tri.mean(axis=1)
    counts = np.maximum(np.bincount(component, minlength=n_comp), 1)
    sums = np.stack([np.bincount(component, weights=mid[:, i], minlength=n_comp) for i in range(3)], axis=1)
    centroid = sums / counts[:, None].astype(np.float64)
    rel = tri - centroid[component][:, None, :]
    signed = np.einsum("ij,ij->i", rel[:, 0], np.cross(rel[:, 1], rel[:, 2]))
    volume = np.bincount(component, weights=signed)
    inward = (volume < 0)[component] & orientable
    out[inward] = out[inward][:, ::-1]
    flipped = int((flip ^ inward).sum())
    non_orientable = len(np.unique(component[~orientable]))
    return out, flipped, non_orientable
