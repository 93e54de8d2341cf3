"""Domain errors → HTTP, in one place, with one error body: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    AuthError,
    Conflict,
    DomainError,
    Forbidden,
    InsufficientCredits,
    InvalidInput,
    NotFound,
    PlanLimitExceeded,
    StorageError,
    UploadTooLarge,
)

log = logging.getLogger(__name__)


#: Most specific first: ``UploadTooLarge`` is an ``InvalidInput``, ``IdempotencyConflict`` a ``Conflict``.
class BadSignature(InvalidInput):
    """A webhook's signature does not match its body (or is too old): 400, as Stripe expects."""

    code = "invalid_signature"


class SnapshotUnavailable(DomainError):
    """No analytics snapshot is published (or it cannot be read): the stats are not ready."""

    code = "snapshot_unavailable"


STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (BadSignature, 400),
    (SnapshotUnavailable, 503),
    (UploadTooLarge, 413),
    (AuthError, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (InsufficientCredits, 402),
    (PlanLimitExceeded, 429),
    (Conflict, 409),
    (InvalidInput, 422),
    (StorageError, 503),
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "upload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


def status_for(error: DomainError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": jsonable_encoder(details or {})}}


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = status_for(exc)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, PlanLimitExceeded):
        retry = exc.retry_after_s if exc.retry_after_s is not None else 60.0
        headers["Retry-After"] = str(max(1, math.ceil(retry)))
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=status, headers=headers)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    message = f"{where}: {first['msg']}" if where else str(first["msg"])
    return JSONResponse(error_body("invalid_input", message, {"errors": errors}), status_code=422)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=dict(exc.headers or {}) or None)


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "an unexpected error occurred"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)


#: OpenAPI description of the error body, shared by every route's documented error responses.
ERROR_EXAMPLE = {"error": {"code": "not_found", "message": "no asset 0b0e…", "details": {"asset_id": "0b0e…"}}}
