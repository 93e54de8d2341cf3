"""Writers for the files the platform stores: GLB, binary STL, 3MF, and OBJ with its MTL."""

from __future__ import annotations

import logging
from typing import Final

import numpy as np
import trimesh

from core.errors import UnsupportedFormat
from gpu_tasks.mesh.colors import vertex_colors

logger = logging.getLogger(__name__)

_STL_RECORD: Final = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attributes", "<u2")])
EXPORT_FORMATS: Final = ("glb", "stl", "3mf")
OBJ_NAME: Final = "model.obj"
MTL_NAME: Final = "material.mtl"


#: Up-axis convention of each written format (glTF is Y-up by specification; print formats are Z-up).
_FORMAT_UP: Final[dict[str, str]] = {"glb": "y", "stl": "z", "3mf": "z", "obj": "y"}


def _in_convention(mesh: trimesh.Trimesh, fmt: str) -> trimesh.Trimesh:
    """Rotate ``mesh`` from its recorded up axis into the format's convention (a copy, or itself)."""
    from gpu_tasks.mesh.repair import up_rotation

    source = mesh.metadata.get("up_axis")
    target = _FORMAT_UP[fmt]
    if source is None or source == target:
        return mesh
    rotation = up_rotation(str(source), target)
    out = trimesh.Trimesh(
        vertices=np.asarray(mesh.vertices, dtype=np.float64) @ rotation.T,
        faces=np.asarray(mesh.faces, dtype=np.int64),
        vertex_colors=vertex_colors(mesh)[0],
        process=False,
        validate=False,
    )
    out.metadata["up_axis"] = target
    return out


def _binary_stl(mesh: trimesh.Trimesh) -> bytes:
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    tri = vertices[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normal, axis=1, keepdims=True)
    normal = np.divide(normal, length, out=np.zeros_like(normal), where=length > 0)
    records = np.zeros(len(faces), dtype=_STL_RECORD)
    records["normal"] = normal
    records["vertices"] = tri
    header = b"MakeIt3D binary STL".ljust(80, b" ")
    return header + np.uint32(len(faces)).tobytes() + records.tobytes()


def export_mesh(mesh: trimesh.Trimesh, fmt: str) -> bytes:
    """Serialise ``mesh`` as ``"glb"``, ``"stl"`` (binary) or ``"3mf"``.

    The mesh is turned from its recorded up axis (``metadata["up_axis"]``) into the format's
    convention: Y-up for GLB, Z-up for STL and 3MF.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        ``vertices`` (n, 3), ``faces`` (m, 3); vertex colours are kept in GLB.
    fmt : {"glb", "stl", "3mf"}

    Returns
    -------
    bytes
    """
    fmt = fmt.lower()
    if fmt not in EXPORT_FORMATS:
        raise UnsupportedFormat(f"cannot export {fmt!r}; use one of {EXPORT_FORMATS} or export_obj")
    mesh = _in_convention(mesh, fmt)
    if fmt == "stl":
        return _binary_stl(mesh)
    if fmt == "glb":
        return bytes(trimesh.exchange.gltf.export_glb(mesh))  # type: ignore[no-untyped-call]
    return bytes(trimesh.exchange.threemf.export_3MF(mesh))  # type: ignore[no-untyped-call]


def export_obj(mesh: trimesh.Trimesh) -> dict[str, bytes]:
    """Serialise ``mesh`` as OBJ with a material library.

    Returns
    -------
    dict
        ``{"model.obj": ..., "material.mtl": ...}``; vertex colours, when present, are written
        as ``v x y z r g b`` and the material is neutral white so they show unaltered.
    """
    mesh = _in_convention(mesh, "obj")
    colors, _ = vertex_colors(mesh)
    plain = trimesh.Trimesh(
        vertices=np.asarray(mesh.vertices, dtype=np.float64),
        faces=np.asarray(mesh.faces, dtype=np.int64),
        vertex_colors=colors,
        process=False,
        validate=False,
    )
    text = trimesh.exchange.obj.export_obj(plain, include_normals=False, include_color=colors is not None)  # type: ignore[no-untyped-call]
    body = "\n".join(line for line in str(text).splitlines() if not line.startswith(("mtllib", "usemtl")))
    obj = f"mtllib {MTL_NAME}\nusemtl material_0\n{body}\n"
    diffuse = "1.000000 1.000000 1.000000" if colors is not None else "0.800000 0.800000 0.800000"
    mtl = (
        "newmtl material_0\nKa 0.000000 0.000000 0.000000\n"
        f"Kd {diffuse}\nKs 0.000000 0.000000 0.000000\nd 1.0\nillum 1\n"
    )
    return {OBJ_NAME: obj.encode("utf-8"), MTL_NAME: mtl.encode("utf-8")}
