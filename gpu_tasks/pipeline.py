"""Model finishing pipelines the flows run: a generated mesh into stored formats, and print rescaling."""

from __future__ import annotations

from dataclasses import dataclass, field

import trimesh

from core.enums import AssetFileKind
from gpu_tasks.mesh import (
    MeshReport,
    RepairReport,
    analyse,
    decimate,
    export_mesh,
    export_obj,
    load_mesh,
    render_thumbnail,
    repair_and_normalise,
    rescale_to_target,
)


@dataclass(frozen=True)
class OutputFile:
    """One file to store: its bytes, what it is, its content type and key suffix."""

    kind: AssetFileKind
    data: bytes
    content_type: str
    suffix: str


@dataclass(frozen=True)
class FinishedModel:
    """Every file of a finished model and the facts measured on the final mesh."""

    files: list[OutputFile]
    report: MeshReport
    repair: RepairReport | None = None
    notes: list[str] = field(default_factory=list)

    def file(self, kind: AssetFileKind) -> OutputFile:
        return next(f for f in self.files if f.kind == kind)


def _formats(mesh: trimesh.Trimesh, *, with_thumbnail: bool, thumbnail_size: int) -> list[OutputFile]:
    obj = export_obj(mesh)
    files = [
        OutputFile(AssetFileKind.GLB, export_mesh(mesh, "glb"), "model/gltf-binary", ".glb"),
        OutputFile(AssetFileKind.STL, export_mesh(mesh, "stl"), "model/stl", ".stl"),
        OutputFile(AssetFileKind.OBJ, obj["model.obj"], "model/obj", ".obj"),
    ]
    if "material.mtl" in obj:
        files.append(OutputFile(AssetFileKind.MTL, obj["material.mtl"], "model/mtl", ".mtl"))
    if with_thumbnail:
        files.append(
            OutputFile(AssetFileKind.THUMBNAIL, render_thumbnail(mesh, size=thumbnail_size), "image/png", ".png")
        )
    return files


def finish_generated_model(
    mesh: trimesh.Trimesh, *, size_mm: float, face_budget: int, thumbnail_size: int = 256
) -> FinishedModel:
    """Repair and normalise (longest side ``size_mm``), decimate to ``face_budget``, export, render.

    Returns GLB, binary STL, OBJ (+MTL) and a PNG thumbnail, with the facts of the final mesh.
    """
    repaired, repair = repair_and_normalise(mesh, up="z", size=size_mm)
    final = decimate(repaired, face_budget) if len(repaired.faces) > face_budget else repaired
    report = analyse(final)
    return FinishedModel(
        files=_formats(final, with_thumbnail=True, thumbnail_size=thumbnail_size), report=report, repair=repair
    )


def rescale_model_file(
    glb: bytes,
    *,
    target_mm: tuple[float, float, float],
    build_volume_mm: tuple[float, float, float] | None = None,
) -> FinishedModel:
    """Scale a stored model uniformly so its longest side is ``max(target_mm)``, and re-export it.

    The printer's build volume is checked on the scaled part.
    """
    mesh = load_mesh(glb)
    scaled = rescale_to_target(mesh, target_mm, mode="longest", build_volume_mm=build_volume_mm)
    return FinishedModel(files=_formats(scaled, with_thumbnail=False, thumbnail_size=0), report=analyse(scaled))
