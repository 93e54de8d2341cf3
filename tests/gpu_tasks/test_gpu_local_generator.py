"""The local generator: silhouette inflation geometry, determinism, batching, concepts and usage."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from datetime import UTC

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

from core.enums import PriceUnit, Stage
from core.errors import GenerationFailed, InvalidInput
from core.settings import Settings
from gpu_tasks.generators import ConceptRequest, ModelRequest, make_generator, select_device
from gpu_tasks.generators.inflation import solve_heights
from gpu_tasks.generators.local import LocalGenerator
from gpu_tasks.mesh import analyse
from tests.gpu_tasks.gpu_test_images import disc_image, png, rect_image

DEFAULT_GRID = Settings().generator_grid


def mesh_hash(mesh: trimesh.Trimesh) -> str:
    h = hashlib.sha256(np.ascontiguousarray(mesh.vertices, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(mesh.faces, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(mesh.visual.vertex_colors).tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def generator() -> LocalGenerator:
    return LocalGenerator(device="cpu", grid=DEFAULT_GRID)


@pytest.fixture(scope="module")
def disc_mesh(generator: LocalGenerator) -> trimesh.Trimesh:
    return generator.generate_model(ModelRequest(image=disc_image(), seed=1)).mesh


def test_disc_inflates_to_a_sphere(disc_mesh: trimesh.Trimesh) -> None:
    report = analyse(disc_mesh)
    assert report.watertight
    assert report.is_volume
    assert report.components == 1
    x, y, z = report.bbox_mm
    radius = x / 2
    assert y == pytest.approx(x, rel=1e-9)
    assert z == pytest.approx(x, rel=0.03)
    assert report.volume_mm3 == pytest.approx(4 / 3 * np.pi * radius**3, rel=0.03)


def test_square_mask_gives_a_box_like_solid_with_the_right_aspect(generator: LocalGenerator) -> None:
    # Opaque image (no alpha): the mask comes from background segmentation.
    mesh = generator.generate_model(ModelRequest(image=rect_image(140, 140), seed=0)).mesh
    report = analyse(mesh)
    assert report.is_volume
    x, y, z = report.bbox_mm
    assert y == pytest.approx(x, rel=1e-9)
    # ∇²h = −4 on a square of side a peaks at 0.29469·a², so the thickness 2√h_max is 1.0857·a.
    assert z / x == pytest.approx(1.0857, rel=0.03)
    # Box-like: it fills much more of its bounding box than the inscribed sphere would (π/6 ≈ 0.52).
    assert report.volume_mm3 is not None
    assert report.volume_mm3 / (x * y * z) > 0.6


def test_rectangle_keeps_its_aspect(generator: LocalGenerator) -> None:
    mesh = generator.generate_model(ModelRequest(image=rect_image(160, 80), seed=0)).mesh
    x, y, _ = analyse(mesh).bbox_mm
    assert x / y == pytest.approx(2.0, rel=0.03)
    # Image right is +x, image up is +y: the colour under the mesh is the rectangle's.
    assert (mesh.visual.vertex_colors[:, :3] == (200, 30, 30)).all(axis=1).mean() > 0.9


def test_same_input_gives_the_identical_mesh(generator: LocalGenerator, disc_mesh: trimesh.Trimesh) -> None:
    again = generator.generate_model(ModelRequest(image=disc_image(), seed=1)).mesh
    assert mesh_hash(again) == mesh_hash(disc_mesh)
    other = LocalGenerator(device="cpu", grid=DEFAULT_GRID).generate_model(ModelRequest(image=disc_image(), seed=1))
    assert mesh_hash(other.mesh) == mesh_hash(disc_mesh)


def test_batch_results_equal_single_results(generator: LocalGenerator, disc_mesh: trimesh.Trimesh) -> None:
    reqs = [
        ModelRequest(image=rect_image(100, 60), seed=0),
        ModelRequest(image=disc_image(), seed=1),
        ModelRequest(image=disc_image(radius=60), seed=2, grid=48),
    ]
    results = generator.generate_models(reqs)
    assert mesh_hash(results[1].mesh) == mesh_hash(disc_mesh)
    assert mesh_hash(results[0].mesh) == mesh_hash(generator.generate_model(reqs[0]).mesh)
    assert results[2].mesh.metadata["grid"] == 48
    assert len(results[2].mesh.faces) < len(results[1].mesh.faces)
    assert all(r.usage.units > 0 for r in results)


def test_alpha_and_segmented_masks_agree(generator: LocalGenerator, disc_mesh: trimesh.Trimesh) -> None:
    segmented = generator.generate_model(ModelRequest(image=disc_image(alpha=False), seed=1)).mesh
    a, b = analyse(disc_mesh), analyse(segmented)
    assert b.volume_mm3 == pytest.approx(a.volume_mm3, rel=0.01)


def test_usage_record_prices_as_local_cpu(generator: LocalGenerator) -> None:
    usage = generator.generate_model(ModelRequest(image=disc_image(), seed=1, grid=32)).usage
    assert (usage.provider, usage.model, usage.unit, usage.stage) == (
        "local",
        "silhouette-inflation",
        PriceUnit.CPU_SECOND,
        Stage.MODEL,
    )
    assert usage.units == pytest.approx(usage.run_seconds)
    assert usage.gpu_seconds == 0
    assert usage.started_at.tzinfo is UTC
    assert usage.device == "cpu"


def test_relief_changes_only_the_front() -> None:
    img = np.zeros((128, 128, 4), np.uint8)
    yy, xx = np.mgrid[0:128, 0:128]
    img[..., 3] = np.where((xx - 64) ** 2 + (yy - 64) ** 2 < 50**2, 255, 0)
    img[..., :3] = np.where(xx[..., None] < 64, 250, 30).astype(np.uint8)
    plain = LocalGenerator(device="cpu", grid=48).generate_model(ModelRequest(image=png(img), seed=0)).mesh
    bumpy = LocalGenerator(device="cpu", grid=48, relief=0.5).generate_model(ModelRequest(image=png(img), seed=0)).mesh
    assert analyse(bumpy).is_volume
    assert bumpy.bounds[0, 2] == pytest.approx(plain.bounds[0, 2], rel=1e-6)
    assert bumpy.bounds[1, 2] > plain.bounds[1, 2] * 1.05


def test_blank_image_fails_clearly(generator: LocalGenerator) -> None:
    with pytest.raises(GenerationFailed):
        generator.generate_model(ModelRequest(image=png(np.zeros((64, 64, 4), np.uint8)), seed=0))
    with pytest.raises(InvalidInput):
        generator.generate_model(ModelRequest(image=b"not an image", seed=0))


def test_poisson_solve_matches_the_disc_solution() -> None:
    g = 64
    yy, xx = np.mgrid[0:g, 0:g]
    r = 25.0
    mask = torch.as_tensor((xx + 0.5 - g / 2) ** 2 + (yy + 0.5 - g / 2) ** 2 < r**2)[None]
    h = solve_heights(mask, dtype=torch.float64)[0].numpy()
    expected = r**2 - ((xx + 0.5 - g / 2) ** 2 + (yy + 0.5 - g / 2) ** 2)
    inside = mask[0].numpy()
    assert np.abs(h[inside] - expected[inside]).max() < 0.05 * r**2


def test_concepts_are_deterministic_pngs(generator: LocalGenerator) -> None:
    req = ConceptRequest(prompt="a ceramic owl", style="sculpture", seed=7, count=3, size=128)
    first = generator.generate_concepts(req)
    second = generator.generate_concepts(req)
    assert first.images == second.images
    assert len(set(first.images)) == 3
    other = generator.generate_concepts(req.model_copy(update={"seed": 8}))
    assert other.images != first.images
    image = Image.open(io.BytesIO(first.images[0]))
    assert image.format == "PNG"
    assert image.size == (128, 128)
    assert first.usage.model == "procedural-concepts"
    assert first.usage.stage == Stage.CONCEPTS


def test_concept_feeds_the_model_stage(generator: LocalGenerator) -> None:
    concept = generator.generate_concepts(ConceptRequest(prompt="a vase", seed=3, count=1, size=256)).images[0]
    assert analyse(generator.generate_model(ModelRequest(image=concept, seed=3, grid=48)).mesh).is_volume
    variants = generator.generate_concepts(ConceptRequest(image=concept, style="toy", seed=1, count=2, size=128))
    assert len(variants.images) == 2
    assert np.asarray(Image.open(io.BytesIO(variants.images[0])))[..., 3].max() == 255


def test_concept_request_needs_prompt_or_image() -> None:
    with pytest.raises(ValueError, match="prompt or an image"):
        ConceptRequest(seed=0)


def test_factory_and_device_selection() -> None:
    assert make_generator("local", device="cpu", grid=32).name == "local"
    assert select_device("cpu").type == "cpu"
    assert select_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(InvalidInput):
        make_generator("dreamfusion")
    with pytest.raises(InvalidInput):
        LocalGenerator(grid=8)
    if not torch.cuda.is_available():
        with pytest.raises(InvalidInput):
            select_device("cuda")


def test_importing_the_package_does_not_import_torch() -> None:
    code = "import sys, gpu_tasks, gpu_tasks.mesh, gpu_tasks.generators; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.gpu
def test_cuda_matches_cpu_and_bills_gpu_seconds(disc_mesh: trimesh.Trimesh) -> None:
    result = LocalGenerator(device="cuda", grid=DEFAULT_GRID).generate_model(ModelRequest(image=disc_image(), seed=1))
    assert result.usage.provider == "own-gpu"
    assert result.usage.unit == PriceUnit.GPU_SECOND
    assert result.usage.gpu_seconds > 0
    report = analyse(result.mesh)
    assert report.is_volume
    assert report.volume_mm3 == pytest.approx(analyse(disc_mesh).volume_mm3, rel=1e-3)


@pytest.mark.gpu
def test_cuda_batch_of_32() -> None:
    gen = LocalGenerator(device="cuda", grid=DEFAULT_GRID)
    results = gen.generate_models([ModelRequest(image=disc_image(radius=40 + i), seed=i) for i in range(32)])
    assert all(analyse(r.mesh).is_volume for r in results)


def test_cpu_thread_setting_is_restored() -> None:
    before = torch.get_num_threads()
    gen = LocalGenerator(device="cpu", grid=32, cpu_threads=1)
    gen.generate_model(ModelRequest(image=disc_image(), seed=0))
    assert torch.get_num_threads() == before
