"""Reading untrusted mesh bytes: format sniffed from content, limits checked before allocating."""

from __future__ import annotations

import io
import json
import logging
import re
import struct
import zipfile
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import trimesh

from core.errors import MeshError, MeshTooLarge, UnsupportedFormat

logger = logging.getLogger(__name__)

MeshFormat = Literal["glb", "gltf", "stl_binary", "stl_ascii", "obj", "ply", "3mf"]

#: Up axis by convention of each format: glTF is Y-up by specification; the print formats are Z-up.
FORMAT_UP_AXIS: Final[dict[str, str]] = {
    "glb": "y",
    "gltf": "y",
    "stl_binary": "z",
    "stl_ascii": "z",
    "obj": "y",
    "ply": "z",
    "3mf": "z",
}

_STL_RECORD: Final = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attributes", "<u2")])
_PLY_TYPE_BYTES: Final[dict[str, int]] = {
    "char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2, "uint16": 2,
    "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4, "double": 8, "float64": 8,
}  # fmt: skip
_GLTF_COMPONENT_BYTES: Final[dict[int, int]] = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_TEXT_PROBE: Final[int] = 4096


@dataclass(frozen=True)
class MeshLimits:
    """Upper bounds on an untrusted mesh, checked before anything proportional to them is allocated.

    Parameters
    ----------
    max_bytes : int
        Largest accepted input, in bytes.
    max_vertices : int
        Most vertices accepted (as stored in the file, before merging).
    max_faces : int
        Most triangles accepted (polygons count as the triangles they fan into).
    """

    max_bytes: int = 200 * 1024 * 1024
    max_vertices: int = 5_000_000
    max_faces: int = 10_000_000


def _check_counts(vertices: int, faces: int, limits: MeshLimits, fmt: str) -> None:
    if vertices > limits.max_vertices:
        raise MeshTooLarge(
            f"{fmt} declares {vertices} vertices; the limit is {limits.max_vertices}",
            vertices=vertices,
            limit=limits.max_vertices,
        )
    if faces > limits.max_faces:
        raise MeshTooLarge(
            f"{fmt} declares {faces} faces; the limit is {limits.max_faces}", faces=faces, limit=limits.max_faces
        )


def _is_text(probe: bytes) -> bool:
    if b"\x00" in probe:
        return False
    try:
        probe.decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut at the end of the probe is still text.
        return e.start >= len(probe) - 3
    return True


def sniff_format(data: bytes) -> MeshFormat:
    """Name the mesh format of ``data`` from its content alone.

    Raises
    ------
    UnsupportedFormat
        When the bytes are none of GLB, glTF JSON, STL (binary or ASCII), OBJ or PLY.
    """
    if data[:4] == b"glTF":
        return "glb"
    if data[:4] in (b"ply\n", b"ply\r"):
        return "ply"
    if data[:4] == b"PK\x03\x04" and b"3D/3dmodel.model" in data:
        return "3mf"
    if len(data) >= 84:
        (count,) = struct.unpack_from("<I", data, 80)
        if 84 + 50 * count == len(data):
            return "stl_binary"
    probe = data[:_TEXT_PROBE]
    if not _is_text(probe):
        raise UnsupportedFormat("binary content that is not GLB, PLY or a consistent binary STL")
    stripped = probe.lstrip()
    if stripped[:1] == b"{" and b'"asset"' in data:
        return "gltf"
    if stripped[:5].lower() == b"solid" and b"facet" in data:
        return "stl_ascii"
    if re.search(rb"(?m)^\s*v\s+[-+.\d]", probe) or re.search(rb"(?m)^\s*f\s+\d", data):
        return "obj"
    raise UnsupportedFormat("text that is not glTF, ASCII STL or OBJ")


def _precheck_glb(data: bytes) -> dict[str, Any]:
    if len(data) < 20:
        raise MeshError("GLB shorter than its 20-byte header", size=len(data))
    _magic, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise UnsupportedFormat(f"GLB version {version}; only 2 is read", version=version)
    if length != len(data):
        raise MeshError(f"GLB header says {length} bytes, got {len(data)} (truncated?)", declared=length)
    chunk_len, chunk_type = struct.unpack_from("<I4s", data, 12)
    if chunk_type != b"JSON" or 20 + chunk_len > len(data):
        raise MeshError("GLB without a well-formed JSON chunk")
    return _parse_gltf_json(data[20 : 20 + chunk_len])


def _parse_gltf_json(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MeshError(f"glTF JSON does not parse: {e}") from e
    if not isinstance(doc, dict):
        raise MeshError("glTF JSON is not an object")
    return doc


def _precheck_gltf_counts(doc: dict[str, Any], limits: MeshLimits, data_len: int) -> None:
    """Sum accessor counts of every primitive, so a lying header is refused before loading."""
    accessors = doc.get("accessors", [])
    meshes = doc.get("meshes", [])
    if not isinstance(accessors, list) or not isinstance(meshes, list):
        raise MeshError("glTF accessors/meshes are not lists")
    for buffer in doc.get("buffers", []) or []:
        uri = buffer.get("uri") if isinstance(buffer, dict) else None
        if uri is not None and not str(uri).startswith("data:"):
            raise UnsupportedFormat("glTF refers to an external buffer; send a GLB or embed the buffers")
    vertices = faces = 0
    try:
        for mesh in meshes:
            for prim in mesh.get("primitives", []):
                pos = prim["attributes"]["POSITION"]
                n_vertices = int(accessors[pos]["count"])
                vertices += n_vertices
                if "indices" in prim:
                    faces += int(accessors[prim["indices"]]["count"]) // 3
                else:
                    faces += n_vertices // 3
        total_bytes = 0
        for acc in accessors:
            width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}.get(acc.get("type"), 1)
            total_bytes += int(acc["count"]) * width * _GLTF_COMPONENT_BYTES.get(int(acc["componentType"]), 4)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        raise MeshError(f"glTF primitives are malformed: {e!r}") from e
    _check_counts(vertices, faces, limits, "glTF")
    if faces == 0:
        raise MeshError("glTF has no triangles")
    # Data URIs are base64 (4/3 of the raw bytes); GLB binary chunks are raw.
    if total_bytes > 2 * data_len:
        raise MeshError("glTF accessors describe more data than the file holds", declared_bytes=total_bytes)


def _precheck_ply(data: bytes, limits: MeshLimits) -> None:
    end = data.find(b"end_header", 0, 65536)
    if end < 0:
        raise MeshError("PLY header has no end_header in its first 64 KiB")
    header = data[:end].decode("ascii", errors="replace").splitlines()
    fmt = ""
    counts: dict[str, int] = {}
    row_bytes: dict[str, int] = {}
    current = ""
    for line in header:
        parts = line.split()
        if not parts:
            continue
        try:
            if parts[0] == "format":
                fmt = parts[1]
            elif parts[0] == "element":
                current = parts[1]
                counts[current] = int(parts[2])
                row_bytes[current] = 0
            elif parts[0] == "property" and current:
                # A list property costs at least its count byte(s); fixed ones their width.
                width = parts[2] if parts[1] == "list" else parts[1]
                row_bytes[current] += _PLY_TYPE_BYTES.get(width, 1)
        except (IndexError, ValueError) as e:
            raise MeshError(f"PLY header line is malformed: {line!r}") from e
    n_vertices, n_faces = counts.get("vertex", 0), counts.get("face", 0)
    if n_vertices < 0 or n_faces < 0:
        raise MeshError("PLY header declares a negative count")
    _check_counts(n_vertices, n_faces, limits, "PLY")
    if n_faces == 0:
        raise MeshError("PLY has no faces (a point cloud is not a mesh)")
    if fmt.startswith("binary"):
        need = sum(counts[k] * row_bytes[k] for k in counts)
        if need > len(data) - end:
            raise MeshError("PLY body is shorter than its header declares (truncated?)", declared_bytes=need)


def _precheck_3mf(data: bytes, limits: MeshLimits) -> None:
    """Refuse zip bombs: the declared uncompressed size must stay within the byte limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as e:
        raise MeshError(f"3MF is not a readable zip archive: {e}") from e
    if declared > limits.max_bytes:
        raise MeshTooLarge(f"3MF unpacks to {declared} bytes; the limit is {limits.max_bytes}", size=declared)


def _load_binary_stl(data: bytes) -> trimesh.Trimesh:
    records = np.frombuffer(data, dtype=_STL_RECORD, offset=84)
    triangles = records["vertices"].astype(np.float64).reshape(-1, 3)
    faces = np.arange(len(triangles), dtype=np.int64).reshape(-1, 3)
    return trimesh.Trimesh(vertices=triangles, faces=faces, process=False, validate=False)


def _as_single_mesh(loaded: object, fmt: str) -> trimesh.Trimesh:
    if isinstance(loaded, trimesh.Scene):
        geoms = [g for g in loaded.dump(concatenate=False) if isinstance(g, trimesh.Trimesh)]
        if not geoms:
            raise MeshError(f"{fmt} scene holds no triangle mesh")
        loaded = geoms[0] if len(geoms) == 1 else trimesh.util.concatenate(geoms)
    if not isinstance(loaded, trimesh.Trimesh):
        raise MeshError(f"{fmt} holds a {type(loaded).__name__}, not a triangle mesh")
    return loaded


def _validate(mesh: trimesh.Trimesh, limits: MeshLimits, fmt: str) -> trimesh.Trimesh:
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    _check_counts(len(vertices), len(faces), limits, fmt)
    if len(faces) == 0 or len(vertices) < 3:
        raise MeshError(f"{fmt} mesh is empty (no faces)")
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise MeshError(f"{fmt} faces are not triangles")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise MeshError(f"{fmt} face indices point outside the vertex array")
    if not np.isfinite(vertices).all():
        raise MeshError(f"{fmt} has NaN or infinite vertex coordinates")
    # Most meshes show a face with area in their first few; only all-degenerate ones are scanned whole.
    for chunk in (faces[:1024], faces):
        tri = vertices[chunk]
        if (np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]) != 0).any():
            break
    else:
        raise MeshError(f"{fmt} mesh is degenerate: every face has zero area")
    return mesh


def load_mesh(data: bytes, *, limits: MeshLimits | None = None) -> trimesh.Trimesh:
    """Read one triangle mesh from untrusted bytes.

    The format is sniffed from the content (GLB, glTF with embedded buffers, binary or ASCII
    STL, OBJ, PLY). Declared counts are checked against ``limits`` before the body is parsed.
    The mesh is returned unprocessed (no merging): ``repair_and_normalise`` does that once.
    ``mesh.metadata["up_axis"]`` records the format's up-axis convention and
    ``mesh.metadata["source_format"]`` the sniffed format.

    Parameters
    ----------
    data : bytes
        The file content.
    limits : MeshLimits or None
        Size limits; the defaults when None.

    Returns
    -------
    trimesh.Trimesh
        ``vertices`` (n, 3) float64, ``faces`` (m, 3) int64.

    Raises
    ------
    MeshTooLarge
        Over a byte, vertex or face limit.
    UnsupportedFormat
        Not a format we read.
    MeshError
        Truncated, malformed, empty, degenerate, non-finite or not a triangle mesh.
    """
    limits = limits or MeshLimits()
    if len(data) > limits.max_bytes:
        raise MeshTooLarge(f"{len(data)} bytes; the limit is {limits.max_bytes}", size=len(data))
    if not data:
        raise MeshError("empty input")
    fmt = sniff_format(data)
    if fmt == "glb":
        _precheck_gltf_counts(_precheck_glb(data), limits, len(data))
    elif fmt == "gltf":
        _precheck_gltf_counts(_parse_gltf_json(data), limits, len(data))
    elif fmt == "ply":
        _precheck_ply(data, limits)
    elif fmt == "3mf":
        _precheck_3mf(data, limits)
    elif fmt == "stl_binary":
        _check_counts(3 * (len(data) - 84) // 50, (len(data) - 84) // 50, limits, "STL")
    elif fmt == "stl_ascii":
        _check_counts(3 * data.count(b"facet normal"), data.count(b"facet normal"), limits, "STL")
    else:
        # Lines are counted without splitting: an upper bound that allocates nothing.
        _check_counts(data.count(b"\nv "), data.count(b"\nf "), limits, "OBJ")

    if fmt == "stl_binary":
        mesh = _load_binary_stl(data)
    else:
        file_type = {"stl_ascii": "stl"}.get(fmt, fmt)
        try:
            loaded = trimesh.load(io.BytesIO(data), file_type=file_type, process=False, maintain_order=True)
        except (
            ValueError, KeyError, IndexError, TypeError, AttributeError, struct.error, OSError, zipfile.BadZipFile,
            RuntimeError, NotImplementedError,
        ) as e:  # fmt: skip
            raise MeshError(f"{fmt} does not parse: {e}") from e
        mesh = _as_single_mesh(loaded, fmt)
    mesh = _validate(mesh, limits, fmt)
    mesh.metadata["source_format"] = fmt
    mesh.metadata["up_axis"] = FORMAT_UP_AXIS[fmt]
    logger.debug("loaded %s mesh: %d vertices, %d faces", fmt, len(mesh.vertices), len(mesh.faces))
    return mesh
