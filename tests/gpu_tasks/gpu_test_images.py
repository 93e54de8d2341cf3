"""Test images for the generator tests: discs and rectangles as PNG bytes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def disc_image(size: int = 256, radius: float = 100.0, *, alpha: bool = True) -> bytes:
    """A disc on transparent (or, without alpha, plain white) background."""
    yy, xx = np.mgrid[0:size, 0:size]
    inside = (xx + 0.5 - size / 2) ** 2 + (yy + 0.5 - size / 2) ** 2 < radius**2
    if alpha:
        img = np.zeros((size, size, 4), np.uint8)
        img[..., :3] = (40, 160, 220)
        img[..., 3] = np.where(inside, 255, 0)
    else:
        img = np.full((size, size, 3), 255, np.uint8)
        img[inside] = (40, 160, 220)
    return png(img)


def rect_image(width: int, height: int, size: int = 256) -> bytes:
    """An opaque image: a red rectangle on white (no alpha, so the mask comes from segmentation)."""
    img = np.full((size, size, 3), 255, np.uint8)
    top, left = (size - height) // 2, (size - width) // 2
    img[top : top + height, left : left + width] = (200, 30, 30)
    return png(img)
