"""Opaque keyset cursors: ``(created_at, id)`` for newest-first listings, ``id`` for users."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from core.errors import InvalidInput


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ts, rid = raw.split("|", 1)
        created_at = datetime.fromisoformat(ts)
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        return created_at, uuid.UUID(rid)
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise InvalidInput("invalid cursor; pass the next_cursor of a previous page", cursor=cursor[:100]) from e


def encode_id_cursor(row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(row_id.bytes).decode().rstrip("=")


def decode_id_cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as e:
        raise InvalidInput("invalid cursor; pass the next_cursor of a previous page", cursor=cursor[:100]) from e
