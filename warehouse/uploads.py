"""Checks and storage of user uploads (the input image of an image generation)."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from core.errors import InvalidInput, UploadTooLarge
from warehouse.storage import ObjectStore, StoredObject, new_key

#: Content types accepted for an input image, and the Pillow format each must decode as.
IMAGE_TYPES: dict[str, tuple[str, str]] = {
    "image/png": ("PNG", ".png"),
    "image/jpeg": ("JPEG", ".jpg"),
    "image/webp": ("WEBP", ".webp"),
}
MAX_IMAGE_PIXELS = 40_000_000
MIN_IMAGE_SIDE = 16


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    format: str
    width: int
    height: int
    suffix: str


def check_image(data: bytes, *, content_type: str | None, max_bytes: int) -> CheckedImage:
    """Accept ``data`` only if it is a decodable PNG/JPEG/WebP of the declared type within the limits."""
    if len(data) > max_bytes:
        raise UploadTooLarge(f"the image is larger than {max_bytes} bytes", size=len(data), limit=max_bytes)
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype not in IMAGE_TYPES:
        raise InvalidInput(
            f"unsupported image content type {ctype or 'none'!r}; send one of {', '.join(sorted(IMAGE_TYPES))}",
            content_type=ctype,
        )
    if not data:
        raise InvalidInput("the image is empty")
    expected, suffix = IMAGE_TYPES[ctype]
    from PIL import Image, UnidentifiedImageError  # imported here: only image uploads need Pillow

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt, (width, height) = probe.format, probe.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise InvalidInput(f"the image has more than {MAX_IMAGE_PIXELS} pixels", width=width, height=height)
                probe.verify()
            # verify() does not decode pixel data; a full load catches truncated files.
            with Image.open(io.BytesIO(data)) as img:
                img.load()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as e:
        raise InvalidInput(f"the upload is not a decodable image: {e}", content_type=ctype) from e
    except Image.DecompressionBombError as e:
        raise InvalidInput(f"the image is too large to decode: {e}") from e
    if fmt != expected:
        raise InvalidInput(f"the upload is {fmt}, not the declared {ctype}", content_type=ctype, format=fmt)
    if min(width, height) < MIN_IMAGE_SIDE:
        raise InvalidInput(f"the image must be at least {MIN_IMAGE_SIDE} px on each side", width=width, height=height)
    return CheckedImage(content_type=ctype, format=fmt, width=width, height=height, suffix=suffix)


def store_input_image(*, objects: ObjectStore, user_id: uuid.UUID, data: bytes, image: CheckedImage) -> StoredObject:
    """Store a checked input image under a fresh key in the user's input prefix."""
    return objects.put(new_key(f"inputs/{user_id}", image.suffix), data, content_type=image.content_type)
