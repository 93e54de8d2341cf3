"""Fixtures of the gpu_tasks tests: meshes, images, and the rule that ``gpu`` tests need CUDA."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if "gpu" in item.keywords and "gpu_tasks" in str(item.path)]
    if not gpu_items:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in gpu_items:
        item.add_marker(skip)


@pytest.fixture
def sphere() -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=3, radius=10.0)


@pytest.fixture
def messy_mesh() -> trimesh.Trimesh:
    """A box, unwelded (triangle soup), with flipped faces, a duplicate, a degenerate face and a speck."""
    box = trimesh.creation.box(extents=(20.0, 10.0, 40.0))
    tri = box.vertices[box.faces].copy()
    tri[[1, 5, 7]] = tri[[1, 5, 7]][:, ::-1]
    speck = trimesh.creation.icosphere(subdivisions=1, radius=0.05)
    speck_tri = speck.vertices[speck.faces] + 50.0
    soup = np.concatenate([tri, tri[[3]], [[[0, 0, 0], [1, 1, 1], [2, 2, 2]]], speck_tri])
    faces = np.arange(len(soup) * 3).reshape(-1, 3)
    mesh = trimesh.Trimesh(soup.reshape(-1, 3), faces, process=False, validate=False)
    mesh.metadata["up_axis"] = "z"
    return mesh
