"""Request body size limits, enforced before anything reads the body (413 with the error body).

FastAPI parses a multipart form before any dependency runs, so a route cannot refuse an
oversized upload in time; this pure-ASGI layer does, from Content-Length when there is one and
by counting the bytes of a chunked body otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

DEFAULT_LIMIT = 1024 * 1024
FORM_SLACK = 64 * 1024  # multipart boundaries and the form's text fields


def _too_large(limit: int) -> tuple[Message, Message]:
    body = json.dumps(
        error_body("upload_too_large", f"the request body is larger than {limit} bytes", {"limit": limit})
    ).encode()
    start: Message = {
        "type": "http.response.start",
        "status": 413,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    return start, {"type": "http.response.body", "body": body}


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                for message in _too_large(limit):
                    await send(message)
                return
        seen = 0
        answered = False

        async def counting_receive() -> Message:
            nonlocal seen, answered
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not answered:
                    answered = True
                    for out in _too_large(limit):
                        await send(out)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)
