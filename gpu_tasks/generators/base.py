"""The one generator interface: requests, results with their usage record, and the protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import trimesh
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.usage import UsageRecord


class ConceptRequest(BaseModel):
    """Concept images from a prompt and/or an image."""

    model_config = ConfigDict(frozen=True)

    prompt: str | None = None
    image: bytes | None = None
    style: str | None = None
    seed: int = 0
    count: int = Field(2, ge=1, le=16)
    size: int = Field(512, ge=64, le=2048)

    @model_validator(mode="after")
    def _prompt_or_image(self) -> ConceptRequest:
        if not self.prompt and not self.image:
            raise ValueError("a concept request needs a prompt or an image")
        return self


class ModelRequest(BaseModel):
    """A mesh from one image (a chosen concept or an upload)."""

    model_config = ConfigDict(frozen=True)

    image: bytes
    seed: int = 0
    grid: int | None = Field(None, ge=16, le=512)


@dataclass(frozen=True)
class ConceptResult:
    """PNG images and what making them cost."""

    images: list[bytes]
    usage: UsageRecord


@dataclass(frozen=True)
class ModelResult:
    """A mesh (Y-up, glTF convention, ``metadata["up_axis"] == "y"``) and what making it cost."""

    mesh: trimesh.Trimesh
    usage: UsageRecord


@runtime_checkable
class Generator(Protocol):
    """What every generator offers; ``generate_models`` is the batch entry point."""

    name: str

    def generate_concepts(self, req: ConceptRequest) -> ConceptResult: ...

    def generate_model(self, req: ModelRequest) -> ModelResult: ...

    def generate_models(self, reqs: list[ModelRequest]) -> list[ModelResult]: ...


def utc_now() -> datetime:
    """Timezone-aware UTC now (the ``started_at`` of a usage record)."""
    return datetime.now(UTC)
