"""The learned generator: real loading from safetensors and TorchScript, device and dtype, bad weights."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from core.enums import PriceUnit
from core.errors import InvalidInput
from gpu_tasks.generators import ModelRequest, make_generator
from gpu_tasks.generators.learned import LearnedGenerator, build_depth_cnn
from gpu_tasks.mesh import analyse
from tests.gpu_tasks.gpu_test_images import disc_image, rect_image

CONFIG = {"format": "safetensors", "architecture": "depth-cnn-v1", "channels": 8, "layers": 3, "depth_scale": 6.0}


def _network(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_depth_cnn(CONFIG["channels"], CONFIG["layers"], CONFIG["depth_scale"])  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def safetensors_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("weights_st")
    save_file({k: v.contiguous() for k, v in _network().state_dict().items()}, str(root / "model.safetensors"))
    (root / "config.json").write_text(json.dumps({**CONFIG, "grid": 40}))
    return root


@pytest.fixture(scope="module")
def torchscript_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("weights_ts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(_network()).save(str(root / "model.pt"))
    (root / "config.json").write_text(json.dumps({"format": "torchscript", "grid": 40}))
    return root


def test_safetensors_model_makes_a_closed_mesh(safetensors_dir: Path) -> None:
    gen = make_generator("learned", weights_dir=safetensors_dir, device="cpu")
    result = gen.generate_model(ModelRequest(image=disc_image(), seed=0))
    report = analyse(result.mesh)
    assert report.watertight
    assert report.is_volume
    assert result.usage.model == "learned"
    assert result.usage.provider == "local"
    assert result.usage.unit == PriceUnit.CPU_SECOND
    assert result.mesh.metadata["grid"] == 40


def test_torchscript_and_safetensors_agree(safetensors_dir: Path, torchscript_dir: Path) -> None:
    req = ModelRequest(image=rect_image(120, 80), seed=0)
    a = LearnedGenerator(weights_dir=safetensors_dir, device="cpu").generate_model(req).mesh
    b = LearnedGenerator(weights_dir=torchscript_dir, device="cpu").generate_model(req).mesh
    assert np.array_equal(a.faces, b.faces)
    assert np.allclose(a.vertices, b.vertices, atol=1e-6)


def test_weights_change_the_output(safetensors_dir: Path, tmp_path: Path) -> None:
    save_file(
        {k: v.contiguous() for k, v in _network(seed=1).state_dict().items()}, str(tmp_path / "model.safetensors")
    )
    (tmp_path / "config.json").write_text(json.dumps({**CONFIG, "grid": 40}))
    req = ModelRequest(image=disc_image(), seed=0)
    a = LearnedGenerator(weights_dir=safetensors_dir, device="cpu").generate_model(req).mesh
    b = LearnedGenerator(weights_dir=tmp_path, device="cpu").generate_model(req).mesh
    assert analyse(a).volume_mm3 != pytest.approx(analyse(b).volume_mm3, rel=1e-3)


def test_dtype_is_applied(safetensors_dir: Path) -> None:
    gen = LearnedGenerator(weights_dir=safetensors_dir, device="cpu", dtype="bfloat16")
    assert next(gen.network.parameters()).dtype == torch.bfloat16
    results = gen.generate_models([ModelRequest(image=disc_image(), seed=0), ModelRequest(image=rect_image(90, 90))])
    assert all(analyse(r.mesh).is_volume for r in results)


def test_bad_weights_directories_are_refused(tmp_path: Path, safetensors_dir: Path) -> None:
    with pytest.raises(InvalidInput, match=r"config\.json"):
        LearnedGenerator(weights_dir=tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**CONFIG, "channels": 4}))
    with pytest.raises(InvalidInput, match=r"model\.safetensors"):
        LearnedGenerator(weights_dir=tmp_path)
    (tmp_path / "model.safetensors").write_bytes((safetensors_dir / "model.safetensors").read_bytes())
    with pytest.raises(InvalidInput, match="do not fit"):
        LearnedGenerator(weights_dir=tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"garbage")
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    with pytest.raises(InvalidInput):
        LearnedGenerator(weights_dir=tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**CONFIG, "architecture": "gpt"}))
    with pytest.raises(InvalidInput, match="architecture"):
        LearnedGenerator(weights_dir=tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": "torchscript"}))
    with pytest.raises(InvalidInput, match=r"model\.pt"):
        LearnedGenerator(weights_dir=tmp_path)
    (tmp_path / "model.pt").write_bytes(b"not a zip")
    with pytest.raises(InvalidInput):
        LearnedGenerator(weights_dir=tmp_path)


@pytest.mark.gpu
def test_learned_model_on_cuda(safetensors_dir: Path) -> None:
    gen = LearnedGenerator(weights_dir=safetensors_dir, device="cuda", dtype="float16")
    assert next(gen.network.parameters()).device.type == "cuda"
    result = gen.generate_model(ModelRequest(image=disc_image(), seed=0))
    assert analyse(result.mesh).is_volume
    assert result.usage.provider == "own-gpu"
