"""Image bytes at the boundary: decode untrusted PNG/JPEG/WebP to RGBA arrays, encode PNG."""

from __future__ import annotations

import io
import warnings
from typing import Final

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from core.errors import InvalidInput

#: Largest decoded image accepted (pixels), checked from the header before decoding.
MAX_PIXELS: Final[int] = 4096 * 4096

RGBA = npt.NDArray[np.uint8]


def decode_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> RGBA:
    """Decode ``data`` into an (h, w, 4) uint8 RGBA array.

    Raises
    ------
    InvalidInput
        Not an image, or larger than ``max_pixels``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
                if w * h > max_pixels or w < 2 or h < 2:
                    raise InvalidInput(f"image is {w}x{h}; accepted are 2x2 up to {max_pixels} pixels")
                rgba = im.convert("RGBA")
                rgba.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        raise InvalidInput(f"not a readable image: {e}") from e
    return np.asarray(rgba, dtype=np.uint8).copy()


def encode_png(pixels: RGBA) -> bytes:
    """Encode an (h, w, 4) or (h, w, 3) uint8 array as PNG."""
    buf = io.BytesIO()
    mode = "RGBA" if pixels.shape[2] == 4 else "RGB"
    Image.fromarray(np.ascontiguousarray(pixels), mode=mode).save(buf, format="PNG")
    return buf.getvalue()
