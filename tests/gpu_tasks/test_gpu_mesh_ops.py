"""analyse, repair_and_normalise, rescale_to_target, decimate, exports and thumbnails."""

from __future__ import annotations

import io

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from core.errors import BuildVolumeExceeded, InvalidInput, UnsupportedFormat
from gpu_tasks.mesh import (
    analyse,
    decimate,
    export_mesh,
    export_obj,
    load_mesh,
    render_thumbnail,
    repair_and_normalise,
    rescale_to_target,
)


def test_analyse_closed_mesh(sphere: trimesh.Trimesh) -> None:
    report = analyse(sphere)
    assert report.watertight
    assert report.winding_consistent
    assert report.is_volume
    assert report.volume_mm3 == pytest.approx(sphere.volume, rel=1e-12)
    assert report.surface_area_mm2 == pytest.approx(sphere.area, rel=1e-12)
    assert report.bbox_mm == pytest.approx(tuple(sphere.extents))
    assert report.components == 1
    assert (report.vertices, report.faces) == (len(sphere.vertices), len(sphere.faces))


def test_analyse_open_mesh_has_no_volume(sphere: trimesh.Trimesh) -> None:
    open_mesh = trimesh.Trimesh(sphere.vertices, sphere.faces[:-3], process=False)
    report = analyse(open_mesh)
    assert not report.watertight
    assert not report.is_volume
    assert report.volume_mm3 is None
    assert report.note is not None
    assert "not watertight" in report.note


def test_analyse_counts_components(sphere: trimesh.Trimesh) -> None:
    two = trimesh.util.concatenate([sphere, sphere.copy().apply_translation((50, 0, 0))])
    assert analyse(two).components == 2


def test_repair_fixes_what_is_broken_and_reports_it(messy_mesh: trimesh.Trimesh) -> None:
    assert not analyse(messy_mesh).watertight
    fixed, report = repair_and_normalise(messy_mesh, up="z", size=1.0)
    result = analyse(fixed)
    assert result.watertight
    assert result.winding_consistent
    assert result.is_volume
    assert result.components == 1
    assert report.merged_vertices > 0
    assert report.degenerate_faces_removed == 1
    assert report.duplicate_faces_removed == 1
    assert report.faces_flipped == 3
    assert report.floating_components_removed == 1
    assert report.faces_after == 12
    assert report.watertight
    assert report.winding_consistent
    # Centred on the bounding box, longest side 1, aspect kept (20 x 10 x 40).
    lo, hi = fixed.bounds
    assert np.allclose((lo + hi) / 2, 0, atol=1e-12)
    assert result.bbox_mm == pytest.approx((0.5, 0.25, 1.0))


def test_inside_out_mesh_is_turned_outward(sphere: trimesh.Trimesh) -> None:
    inverted = trimesh.Trimesh(sphere.vertices, sphere.faces[:, ::-1], process=False)
    assert not analyse(inverted).is_volume
    fixed, report = repair_and_normalise(inverted)
    assert analyse(fixed).is_volume
    assert report.faces_flipped == len(sphere.faces)


@pytest.mark.parametrize(
    ("source", "up", "expected"), [("y", "z", (1, 3, 2)), ("z", "z", (1, 2, 3)), ("z", "x", (3, 2, 1))]
)
def test_orients_to_the_chosen_up_axis(source: str, up: str, expected: tuple[int, int, int]) -> None:
    box = trimesh.creation.box(extents=(1.0, 2.0, 3.0))
    box.metadata["up_axis"] = source
    fixed, report = repair_and_normalise(box, up=up, size=3.0)
    assert tuple(fixed.extents) == pytest.approx(expected)
    assert report.rotated_from == source
    assert fixed.metadata["up_axis"] == up
    assert analyse(fixed).is_volume


def test_repair_refuses_bad_arguments(sphere: trimesh.Trimesh) -> None:
    with pytest.raises(InvalidInput):
        repair_and_normalise(sphere, size=0.0)
    with pytest.raises(InvalidInput):
        repair_and_normalise(sphere, up="w")


def test_vertex_colours_survive_repair() -> None:
    box = trimesh.creation.box()
    box.visual.vertex_colors = (250, 10, 10, 255)
    fixed, _ = repair_and_normalise(box)
    assert (fixed.visual.vertex_colors[:, :3] == (250, 10, 10)).all()


extents = st.tuples(*(st.floats(0.01, 1000.0) for _ in range(3)))


@settings(max_examples=60, deadline=None)
@given(shape=extents, target=st.floats(0.1, 5000.0))
def test_rescale_longest_is_exact(shape: tuple[float, float, float], target: float) -> None:
    box = trimesh.creation.box(extents=shape)
    scaled = rescale_to_target(box, target, mode="longest")
    assert max(scaled.extents) == pytest.approx(target, rel=1e-9)
    ratio = np.asarray(scaled.extents) / np.asarray(box.extents)
    assert np.allclose(ratio, ratio[0], rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(shape=extents, box=extents)
def test_rescale_fit_is_exact_and_fits(shape: tuple[float, float, float], box: tuple[float, float, float]) -> None:
    scaled = rescale_to_target(trimesh.creation.box(extents=shape), box, mode="fit")
    e, b = np.asarray(scaled.extents), np.asarray(box)
    assert (e <= b * (1 + 1e-9)).all()
    assert np.isclose(e / b, 1.0, rtol=1e-9).any()


@settings(max_examples=60, deadline=None)
@given(shape=extents, target=st.floats(1.0, 600.0), volume=extents)
def test_build_volume_check_agrees_with_sorted_dimensions(
    shape: tuple[float, float, float], target: float, volume: tuple[float, float, float]
) -> None:
    box = trimesh.creation.box(extents=shape)
    expected_extent = np.asarray(shape) * (target / max(shape))
    fits = bool((np.sort(expected_extent) <= np.sort(volume) * (1 - 1e-9)).all())
    exceeds = bool((np.sort(expected_extent) > np.sort(volume) * (1 + 1e-9)).any())
    if fits:
        scaled = rescale_to_target(box, target, build_volume_mm=volume)
        assert max(scaled.extents) == pytest.approx(target, rel=1e-9)
    elif exceeds:
        with pytest.raises(BuildVolumeExceeded):
            rescale_to_target(box, target, build_volume_mm=volume)


def test_rescale_refuses_bad_targets(sphere: trimesh.Trimesh) -> None:
    for bad in (0.0, -1.0, float("nan"), (1.0, 2.0)):
        with pytest.raises(InvalidInput):
            rescale_to_target(sphere, bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        rescale_to_target(sphere, 10.0, mode="fit")
    with pytest.raises(InvalidInput):
        rescale_to_target(sphere, 10.0, mode="stretch")


def test_decimate_meets_budget_and_stays_closed() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=4)
    small = decimate(sphere, 1000)
    assert len(small.faces) <= 1000
    assert len(small.faces) > 500
    assert analyse(small).is_volume
    assert len(decimate(sphere, 10**6).faces) == len(sphere.faces)
    with pytest.raises(InvalidInput):
        decimate(sphere, 2)


@pytest.mark.parametrize("fmt", ["glb", "stl", "3mf", "obj"])
def test_exports_round_trip(fmt: str, messy_mesh: trimesh.Trimesh) -> None:
    fixed, _ = repair_and_normalise(messy_mesh, up="z", size=100.0)
    data = export_obj(fixed)["model.obj"] if fmt == "obj" else export_mesh(fixed, fmt)
    back, _ = repair_and_normalise(load_mesh(data), up="z", size=100.0)
    a, b = analyse(fixed), analyse(back)
    assert (b.vertices, b.faces, b.is_volume) == (a.vertices, a.faces, True)
    assert b.volume_mm3 == pytest.approx(a.volume_mm3, rel=1e-6)
    assert b.bbox_mm == pytest.approx(a.bbox_mm, rel=1e-6)


def test_obj_comes_with_its_material(sphere: trimesh.Trimesh) -> None:
    files = export_obj(sphere)
    assert set(files) == {"model.obj", "material.mtl"}
    assert b"mtllib material.mtl" in files["model.obj"]
    assert b"newmtl material_0" in files["material.mtl"]


def test_unknown_export_format_is_refused(sphere: trimesh.Trimesh) -> None:
    with pytest.raises(UnsupportedFormat):
        export_mesh(sphere, "fbx")


def test_thumbnail_draws_the_mesh(sphere: trimesh.Trimesh) -> None:
    sphere.visual.vertex_colors = (200, 40, 40, 255)
    image = Image.open(io.BytesIO(render_thumbnail(sphere, size=64, device="cpu")))
    assert image.size == (64, 64)
    assert image.mode == "RGBA"
    pixels = np.asarray(image)
    covered = pixels[..., 3] > 0
    # An orthographic sphere fills a disc of 90% of the frame: pi/4 * 0.9² of the pixels.
    assert covered.mean() == pytest.approx(np.pi / 4 * 0.81, rel=0.06)
    assert pixels[0, 0, 3] == 0
    assert pixels[32, 32, 3] == 255
    lit = pixels[covered][:, :3].astype(int)
    assert (lit[:, 0] > lit[:, 1]).all()  # red surface
    assert lit[:, 0].std() > 5  # shaded, not flat


def test_thumbnail_nearest_face_wins() -> None:
    # Two equal plates along the view axis: the one towards the camera (+z) must hide part of the other.
    near = trimesh.creation.box(extents=(2, 2, 0.5)).apply_translation((0, 0, 0.6))
    near.visual.vertex_colors = (0, 255, 0, 255)
    far = trimesh.creation.box(extents=(2, 2, 0.5)).apply_translation((0, 0, -0.6))
    far.visual.vertex_colors = (0, 0, 255, 255)
    both = trimesh.util.concatenate([near, far])
    both.metadata["up_axis"] = "y"
    pixels = np.asarray(Image.open(io.BytesIO(render_thumbnail(both, size=96, device="cpu")))).astype(int)
    green = ((pixels[..., 1] > pixels[..., 2]) & (pixels[..., 3] > 0)).sum()
    blue = ((pixels[..., 2] > pixels[..., 1]) & (pixels[..., 3] > 0)).sum()
    assert green > 1.2 * blue > 0


@pytest.mark.gpu
def test_thumbnail_on_cuda_matches_cpu(sphere: trimesh.Trimesh) -> None:
    cpu = np.asarray(Image.open(io.BytesIO(render_thumbnail(sphere, size=64, device="cpu"))))
    gpu = np.asarray(Image.open(io.BytesIO(render_thumbnail(sphere, size=64, device="cuda"))))
    assert (cpu[..., 3] != gpu[..., 3]).mean() < 0.01
