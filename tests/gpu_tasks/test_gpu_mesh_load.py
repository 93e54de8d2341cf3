"""load_mesh on good files of every format and on a generated corpus of bad ones."""

from __future__ import annotations

import contextlib
import json
import os
import struct
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest
import trimesh

from core.errors import MeshError, MeshTooLarge, UnsupportedFormat
from gpu_tasks.mesh import MeshLimits, export_mesh, export_obj, load_mesh, sniff_format


def _ascii_stl(mesh: trimesh.Trimesh) -> bytes:
    return trimesh.exchange.stl.export_stl_ascii(mesh).encode()


def _ply(mesh: trimesh.Trimesh, encoding: str) -> bytes:
    return trimesh.exchange.ply.export_ply(mesh, encoding=encoding)


WRITERS: dict[str, Callable[[trimesh.Trimesh], bytes]] = {
    "glb": lambda m: export_mesh(m, "glb"),
    "gltf": lambda m: trimesh.Scene(m).export(file_type="gltf", embed_buffers=True)["model.gltf"],
    "stl_binary": lambda m: export_mesh(m, "stl"),
    "stl_ascii": _ascii_stl,
    "obj": lambda m: export_obj(m)["model.obj"],
    "ply": lambda m: _ply(m, "binary"),
    "3mf": lambda m: export_mesh(m, "3mf"),
}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_is_sniffed_from_content_and_loads(fmt: str, sphere: trimesh.Trimesh) -> None:
    data = WRITERS[fmt](sphere)
    assert sniff_format(data) == fmt
    mesh = load_mesh(data)
    assert mesh.metadata["source_format"] == fmt
    assert np.isclose(mesh.area, sphere.area, rtol=1e-5)
    assert mesh.vertices.dtype == np.float64


def test_ascii_ply_loads(sphere: trimesh.Trimesh) -> None:
    mesh = load_mesh(_ply(sphere, "ascii"))
    assert len(mesh.faces) == len(sphere.faces)


def _peak_bytes(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    with contextlib.suppress(MeshError):
        fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _glb_claiming(count: int) -> bytes:
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": 48}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}, {"buffer": 0, "byteOffset": 36, "byteLength": 12}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},
            {"bufferView": 1, "componentType": 5125, "count": count, "type": "SCALAR"},
        ],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
    }
    body = json.dumps(doc).encode().ljust(4 * ((len(json.dumps(doc)) + 3) // 4), b" ")
    binary = np.array([0, 0, 0, 1, 0, 0, 0, 1, 0], "<f4").tobytes() + np.array([0, 1, 2], "<u4").tobytes()
    chunks = struct.pack("<I4s", len(body), b"JSON") + body + struct.pack("<I4s", len(binary), b"BIN\x00") + binary
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


BAD: dict[str, tuple[bytes, type[MeshError]]] = {
    "empty": (b"", MeshError),
    "random_bytes_named_stl": (os.urandom(4096), UnsupportedFormat),
    "plain_text": (b"hello, this is not a mesh\n" * 10, UnsupportedFormat),
    "png_header": (b"\x89PNG\r\n\x1a\n" + bytes(200), UnsupportedFormat),
    "binary_stl_header_claims_1e9_faces": (b"\0" * 80 + struct.pack("<I", 10**9) + bytes(500), UnsupportedFormat),
    "binary_stl_zero_faces": (b"\0" * 80 + struct.pack("<I", 0), MeshError),
    "ply_claims_1e9_faces": (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
        b"property float z\nelement face 1000000000\nproperty list uchar int vertex_indices\nend_header\n" + bytes(64),
        MeshTooLarge,
    ),
    "ply_truncated_body": (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 300\nproperty float x\nproperty float y\n"
        b"property float z\nelement face 100\nproperty list uchar int vertex_indices\nend_header\n" + bytes(64),
        MeshError,
    ),
    "ply_point_cloud": (
        b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
        b"end_header\n0 0 0\n1 0 0\n0 1 0\n",
        MeshError,
    ),
    "glb_claims_1e9_faces": (_glb_claiming(3 * 10**9), MeshTooLarge),
    "obj_nan_vertex": (b"v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n", MeshError),
    "obj_inf_vertex": (b"v 0 0 0\nv 1 0 0\nv 0 inf 0\nf 1 2 3\n", MeshError),
    "obj_only_vertices": (b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", MeshError),
    "obj_all_degenerate": (b"v 0 0 0\nv 1 1 1\nv 2 2 2\nf 1 2 3\n", MeshError),
    "obj_index_out_of_range": (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n", MeshError),
    "gltf_external_buffer": (
        json.dumps({"asset": {"version": "2.0"}, "buffers": [{"uri": "file:///etc/passwd", "byteLength": 9}]}).encode(),
        UnsupportedFormat,
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_corpus_is_refused_with_a_clear_error(name: str) -> None:
    data, error = BAD[name]
    with pytest.raises(error):
        load_mesh(data)


@pytest.mark.parametrize("name", ["binary_stl_header_claims_1e9_faces", "ply_claims_1e9_faces", "glb_claims_1e9_faces"])
def test_lying_headers_are_refused_without_a_large_allocation(name: str) -> None:
    assert _peak_bytes(lambda: load_mesh(BAD[name][0])) < 2_000_000


def test_truncated_glb_is_refused(sphere: trimesh.Trimesh) -> None:
    data = export_mesh(sphere, "glb")
    for cut in (10, 30, len(data) // 2, len(data) - 1):
        with pytest.raises(MeshError):
            load_mesh(data[:cut])


def test_nan_in_binary_stl_is_refused(sphere: trimesh.Trimesh) -> None:
    data = bytearray(export_mesh(sphere, "stl"))
    data[84 + 12 : 84 + 16] = struct.pack("<f", float("nan"))
    with pytest.raises(MeshError, match="NaN"):
        load_mesh(bytes(data))


def test_limits_are_enforced(sphere: trimesh.Trimesh) -> None:
    data = export_mesh(sphere, "stl")
    with pytest.raises(MeshTooLarge):
        load_mesh(data, limits=MeshLimits(max_bytes=len(data) - 1))
    with pytest.raises(MeshTooLarge):
        load_mesh(data, limits=MeshLimits(max_faces=len(sphere.faces) - 1))
    with pytest.raises(MeshTooLarge):
        load_mesh(export_mesh(sphere, "glb"), limits=MeshLimits(max_vertices=len(sphere.vertices) - 1))
    assert len(load_mesh(data, limits=MeshLimits(max_faces=len(sphere.faces))).faces) == len(sphere.faces)


def test_zip_bomb_3mf_is_refused(sphere: trimesh.Trimesh) -> None:
    data = export_mesh(sphere, "3mf")
    with pytest.raises(MeshTooLarge):
        load_mesh(data, limits=MeshLimits(max_bytes=len(data) + 10))
