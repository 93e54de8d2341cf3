"""Generators behind one interface: concepts (prompt/image → PNGs) and models (image → mesh), with usage.

Importing this package does not import torch; a generator imports it when it first computes.
"""

from __future__ import annotations

from gpu_tasks.devices import select_device
from gpu_tasks.generators.base import (
    ConceptRequest,
    ConceptResult,
    Generator,
    ModelRequest,
    ModelResult,
)
from gpu_tasks.generators.factory import GENERATOR_KINDS, make_generator

__all__ = [
    "GENERATOR_KINDS",
    "ConceptRequest",
    "ConceptResult",
    "Generator",
    "ModelRequest",
    "ModelResult",
    "make_generator",
    "select_device",
]
