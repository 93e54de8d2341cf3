"""A local server speaking Stripe's list API (``GET /v1/<resource>``), for the real stripe SDK client.

It implements what the SDK's list calls and auto-pagination use: bearer auth, ``limit``,
``starting_after`` cursors, ``created[gte]`` / ``created[lt]`` filters, ``status`` for
subscriptions, newest-first order and ``has_more``; errors are Stripe-shaped JSON.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class StripeListServer:
    def __init__(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        self.objects = objects
        self.requests: list[str] = []

    def page(self, resource: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if resource not in self.objects:
            return 404, {
                "error": {"type": "invalid_request_error", "message": f"Unrecognized request URL (/v1/{resource})"}
            }
        rows = sorted(self.objects[resource], key=lambda o: (-int(o["created"]), o["id"]))
        if "created[gte]" in query:
            rows = [o for o in rows if o["created"] >= int(query["created[gte]"][0])]
        if "created[lt]" in query:
            rows = [o for o in rows if o["created"] < int(query["created[lt]"][0])]
        status = query.get("status", [None])[0]
        if resource == "subscriptions" and status != "all":
            rows = [o for o in rows if o.get("status") != "canceled"]
        after = query.get("starting_after", [None])[0]
        if after:
            ids = [o["id"] for o in rows]
            if after not in ids:
                return 400, {"error": {"type": "invalid_request_error", "message": f"No such object: '{after}'"}}
            rows = rows[ids.index(after) + 1 :]
        limit = min(int(query.get("limit", ["10"])[0]), 100)
        return 200, {"object": "list", "url": f"/v1/{resource}", "has_more": len(rows) > limit, "data": rows[:limit]}


@contextmanager
def stripe_api(objects: dict[str, list[dict[str, Any]]]) -> Iterator[tuple[str, StripeListServer]]:
    """Serve ``objects`` (resource name → Stripe objects) on loopback; yields (base URL, server)."""
    state = StripeListServer(objects)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            state.requests.append(self.path)
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer sk_"):
                code, body = 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
            elif not parsed.path.startswith("/v1/"):
                code, body = 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}
            else:
                code, body = state.page(parsed.path[len("/v1/") :], parse_qs(parsed.query))
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", "req_local")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
