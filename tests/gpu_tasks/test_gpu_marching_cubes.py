"""The derived marching-cubes table and the torch extraction: closed, consistently wound, accurate."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu_tasks.generators.marching_cubes import case_table, marching_cubes
from gpu_tasks.mesh import analyse


def _mesh(field: torch.Tensor) -> trimesh.Trimesh:
    vertices, faces = marching_cubes(field)
    return trimesh.Trimesh(vertices.numpy(), faces.numpy(), process=False)


def test_table_is_complementary_free_and_bounded() -> None:
    triangles, loops = case_table()
    counts = (triangles[..., 0] >= 0).sum(axis=1)
    assert counts[0] == counts[255] == 0
    assert counts[1:255].min() >= 1
    # A single inside corner is cut off by one triangle; four corners of a face by a quad fan.
    assert counts[1] == 1
    assert counts[0b00001111] == 4
    assert loops[0b00001111].sum() == 4


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), density=st.floats(0.2, 0.8))
def test_random_fields_give_closed_outward_meshes(seed: int, density: float) -> None:
    gen = torch.Generator().manual_seed(seed)
    field = torch.rand(12, 11, 10, generator=gen, dtype=torch.float64) - (1 - density)
    field[0], field[-1], field[:, 0], field[:, -1], field[:, :, 0], field[:, :, -1] = -1, -1, -1, -1, -1, -1
    if not (field > 0).any():
        return
    report = analyse(_mesh(field))
    assert report.watertight
    assert report.winding_consistent
    assert report.is_volume


def test_sphere_is_accurate() -> None:
    n, r = 48, 18.0
    g = torch.arange(n, dtype=torch.float64) - (n - 1) / 2
    x, y, z = torch.meshgrid(g, g, g, indexing="ij")
    report = analyse(_mesh(r**2 - x**2 - y**2 - z**2))
    assert report.is_volume
    assert report.volume_mm3 == pytest.approx(4 / 3 * np.pi * r**3, rel=0.005)
    assert report.bbox_mm == pytest.approx((2 * r, 2 * r, 2 * r), rel=0.005)


def test_empty_and_full_fields_give_no_surface() -> None:
    assert len(marching_cubes(-torch.ones(5, 5, 5))[1]) == 0
    assert len(marching_cubes(torch.ones(5, 5, 5))[1]) == 0
