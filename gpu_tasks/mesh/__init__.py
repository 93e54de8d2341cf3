"""Mesh toolkit: load untrusted bytes, analyse, repair and normalise, rescale, decimate, export, render."""

from __future__ import annotations

from gpu_tasks.mesh.analyse import MeshReport, analyse
from gpu_tasks.mesh.export import export_mesh, export_obj
from gpu_tasks.mesh.load import MeshLimits, load_mesh, sniff_format
from gpu_tasks.mesh.render import render_thumbnail
from gpu_tasks.mesh.repair import RepairReport, repair_and_normalise
from gpu_tasks.mesh.scale import decimate, rescale_to_target

__all__ = [
    "MeshLimits",
    "MeshReport",
    "RepairReport",
    "analyse",
    "decimate",
    "export_mesh",
    "export_obj",
    "load_mesh",
    "render_thumbnail",
    "repair_and_normalise",
    "rescale_to_target",
    "sniff_format",
]
