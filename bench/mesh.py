"""Mesh pipeline benchmark: load → repair/normalise → rescale → export GLB+STL, against plain trimesh.

Each case is a closed torus of about N faces with the usual defects of generated meshes
(triangle soup, a few duplicate and degenerate faces, a floating speck), stored as binary STL.
The baseline does the same steps with plain trimesh calls in the same process. One JSON line
per case: {"bench", "case", "value", "unit", "baseline", "ratio"} (ratio = ours / baseline).

Usage: python bench/mesh.py [--sizes 10000,100000,1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import trimesh

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpu_tasks import tolerances as tol
from gpu_tasks.mesh import export_mesh, load_mesh, repair_and_normalise, rescale_to_target

TARGET_MM = 150.0


def torus_soup(faces: int) -> bytes:
    """A binary STL of a torus with about ``faces`` triangles plus defects, as triangle soup."""
    v_count = max(8, int(math.sqrt(faces / 2 / 4)))
    u_count = max(8, faces // (2 * v_count))
    u = np.linspace(0, 2 * np.pi, u_count, endpoint=False)
    v = np.linspace(0, 2 * np.pi, v_count, endpoint=False)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    big, small = 40.0, 12.0
    pts = np.stack(
        [(big + small * np.cos(vv)) * np.cos(uu), (big + small * np.cos(vv)) * np.sin(uu), small * np.sin(vv)], axis=-1
    ).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(u_count), np.arange(v_count), indexing="ij")
    a = i * v_count + j
    b = ((i + 1) % u_count) * v_count + j
    c = ((i + 1) % u_count) * v_count + (j + 1) % v_count
    d = i * v_count + (j + 1) % v_count
    quads = np.stack([a, b, c, d], axis=-1).reshape(-1, 4)
    tris = np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])
    speck = trimesh.creation.icosphere(subdivisions=1, radius=0.2)
    soup = np.concatenate(
        [
            pts[tris],
            pts[tris[:50]],  # duplicates
            np.repeat(pts[tris[:20, :1]], 3, axis=1),  # degenerate
            speck.vertices[speck.faces] + 100.0,  # floating speck
        ]
    )
    soup[: len(tris) // 7] = soup[: len(tris) // 7, ::-1]  # some flipped faces
    record = np.zeros(len(soup), dtype=[("n", "<f4", (3,)), ("v", "<f4", (3, 3)), ("a", "<u2")])
    record["v"] = soup
    return b"\0" * 80 + np.uint32(len(soup)).tobytes() + record.tobytes()


def ours(data: bytes) -> tuple[bytes, bytes]:
    mesh = load_mesh(data)
    mesh, _ = repair_and_normalise(mesh, up="z", size=1.0)
    mesh = rescale_to_target(mesh, TARGET_MM)
    return export_mesh(mesh, "glb"), export_mesh(mesh, "stl")


def plain_trimesh(data: bytes) -> tuple[bytes, bytes]:
    mesh = trimesh.load(io.BytesIO(data), file_type="stl")  # process=True merges vertices
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.update_faces(mesh.unique_faces())
    mesh.remove_unreferenced_vertices()
    trimesh.repair.fix_normals(mesh)
    parts = mesh.split(only_watertight=False)
    total = sum(p.area for p in parts)
    mesh = trimesh.util.concatenate([p for p in parts if p.area >= tol.FLOATING_AREA_FRACTION * total])
    mesh.apply_translation(-mesh.bounds.mean(axis=0))
    mesh.apply_scale(1.0 / mesh.extents.max())
    mesh.apply_scale(TARGET_MM / mesh.extents.max())
    return mesh.export(file_type="glb"), mesh.export(file_type="stl")


def best_of(fn: Callable[[bytes], tuple[bytes, bytes]], data: bytes, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(data)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        data = torus_soup(size)
        repeat = args.repeat if size < 1_000_000 else max(1, args.repeat - 1)
        # Same output check first: both pipelines must agree on the result's size.
        a, b = (
            trimesh.load(io.BytesIO(ours(data)[1]), file_type="stl"),
            trimesh.load(io.BytesIO(plain_trimesh(data)[1]), file_type="stl"),
        )
        assert np.allclose(a.extents, b.extents, rtol=1e-4), (a.extents, b.extents)
        value = best_of(ours, data, repeat)
        baseline = best_of(plain_trimesh, data, repeat)
        label = f"{size // 1000}k_faces" if size < 1_000_000 else f"{size // 1_000_000}M_faces"
        print(
            json.dumps(
                {
                    "bench": "mesh_pipeline",
                    "case": label,
                    "value": round(value, 4),
                    "unit": "s",
                    "baseline": round(baseline, 4),
                    "ratio": round(value / baseline, 3),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
