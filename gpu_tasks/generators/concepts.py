"""Procedural concept images: deterministic from prompt, style and seed (a weight-free placeholder model).

This is not a learned image model. It draws, for each concept, a shaded organic silhouette
whose outline, palette and lighting come from a hash of (prompt, style, seed, index), on a
transparent background, so the image→3D stage has a clean alpha mask. From an input image it
makes palette-mapped variants that keep the image's alpha. It exists so the platform runs
end to end without weights or a provider, and its output is honest about that.
"""

from __future__ import annotations

import hashlib
from typing import Final

import numpy as np
import numpy.typing as npt

from gpu_tasks.generators.images import RGBA, decode_image, encode_png

#: Two-colour gradient palettes per style (RGB 0..255); unknown styles hash into this list.
PALETTES: Final[dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]]] = {
    "realistic": ((150, 120, 95), (70, 55, 45)),
    "cartoon": ((255, 170, 60), (230, 60, 90)),
    "lowpoly": ((90, 200, 160), (40, 90, 160)),
    "sculpture": ((225, 220, 210), (140, 135, 130)),
    "toy": ((80, 170, 255), (250, 230, 70)),
}


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(repr(p) for p in parts).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def _palette(style: str | None, rng: np.random.Generator) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    names = sorted(PALETTES)
    key = (style or "").lower()
    top, bottom = PALETTES[key] if key in PALETTES else PALETTES[names[int(rng.integers(len(names)))]]
    jitter = rng.uniform(-20, 20, size=3)
    return np.clip(np.array(top) + jitter, 0, 255), np.clip(np.array(bottom) + jitter, 0, 255)


def _silhouette_concept(size: int, rng: np.random.Generator, style: str | None) -> RGBA:
    """One (size, size, 4) concept: a star-shaped blob, shaded as if lit from the upper left."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    cx, cy = size * rng.uniform(0.45, 0.55), size * rng.uniform(0.45, 0.55)
    dx, dy = (xx - cx) / size, (yy - cy) / size
    theta = np.arctan2(dy, dx)
    radius = np.full_like(theta, rng.uniform(0.26, 0.34))
    for k in range(2, 7):
        radius += rng.uniform(0.0, 0.06 / k * 2) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    aspect = rng.uniform(0.8, 1.25)
    r = np.hypot(dx * aspect, dy / aspect)
    inside = r < radius
    depth = np.sqrt(np.clip(1.0 - (r / np.maximum(radius, 1e-6)) ** 2, 0.0, 1.0))
    light = np.clip(0.35 + 0.65 * (depth * 0.7 - dx * 0.8 - dy * 0.8), 0.15, 1.0)
    top, bottom = _palette(style, rng)
    t = np.clip((yy - (cy - radius * size)) / np.maximum(2 * radius * size, 1), 0, 1)[..., None]
    rgb = (top * (1 - t) + bottom * t) * light[..., None]
    out = np.zeros((size, size, 4), dtype=np.uint8)
    out[..., :3] = np.clip(rgb, 0, 255).astype(np.uint8)
    out[..., 3] = np.where(inside, 255, 0).astype(np.uint8)
    return out


def _image_variant(image: RGBA, size: int, rng: np.random.Generator, style: str | None) -> RGBA:
    """Palette-map ``image`` (h, w, 4) by luminance into ``style``'s colours, resized to fit ``size``."""
    from PIL import Image

    pil = Image.fromarray(image, mode="RGBA")
    pil.thumbnail((size, size), Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas.paste(pil, ((size - pil.width) // 2, (size - pil.height) // 2))
    arr = np.asarray(canvas, dtype=np.float64)
    lum = (0.2126 * arr[..., 0] + 0.7152 * arr[..., 1] + 0.0722 * arr[..., 2]) / 255.0
    levels = int(rng.integers(3, 7))
    lum = np.round(lum * (levels - 1)) / (levels - 1)
    top, bottom = _palette(style, rng)
    rgb = bottom * (1 - lum[..., None]) + top * lum[..., None]
    out = np.zeros((size, size, 4), dtype=np.uint8)
    out[..., :3] = np.clip(rgb, 0, 255).astype(np.uint8)
    out[..., 3] = arr[..., 3].astype(np.uint8)
    return out


def procedural_concepts(
    *, prompt: str | None, image: bytes | None, style: str | None, seed: int, count: int, size: int
) -> list[bytes]:
    """Return ``count`` PNG concepts of ``size``×``size``, the same bytes for the same inputs."""
    source = decode_image(image) if image is not None else None
    images = []
    for index in range(count):
        rng = _rng(prompt, style, seed, index, None if image is None else hashlib.sha256(image).hexdigest())
        if source is not None:
            pixels = _image_variant(source, size, rng, style)
        else:
            pixels = _silhouette_concept(size, rng, style)
        images.append(encode_png(pixels))
    return images
