"""OpenAPI helpers: documented error responses with examples."""

from __future__ import annotations

from typing import Any

from api.schemas import ErrorBody

_EXAMPLES: dict[int, tuple[str, str, str]] = {
    400: ("bad request", "bad_request", "invalid signature"),
    401: ("no key, or a bad key", "unauthorized", "an API key is required: send 'Authorization: Bearer <key>'"),
    402: ("not enough credits", "insufficient_credits", "user 3f1c… has 0 credits; 1 needed"),
    403: ("the key's role may not do this", "forbidden", "this needs an admin key; this key's role is user"),
    404: ("not found (or not yours)", "not_found", "no asset 3f1c…"),
    409: ("conflicts with the current state", "conflict", "asset 3f1c… is still generating"),
    413: ("upload too large", "upload_too_large", "the image is larger than 10485760 bytes"),
    422: ("invalid input", "invalid_input", "body.quantity: Input should be greater than or equal to 1"),
    429: ("rate or plan limit; see Retry-After", "rate_limited", "rate limit of 600 requests per minute exceeded"),
    503: ("not ready", "unavailable", "no analytics snapshot has been published yet"),
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the given error statuses, each with the error body and an example."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, code, message = _EXAMPLES[status]
        out[status] = {
            "model": ErrorBody,
            "description": description,
            "content": {"application/json": {"example": {"error": {"code": code, "message": message, "details": {}}}}},
        }
    return out


AUTH = (401, 403, 429)
