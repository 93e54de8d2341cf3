"""Run the API with uvicorn (``makeit3d api`` calls ``serve``)."""

from __future__ import annotations

import logging

import uvicorn

from api.main import create_app
from core.settings import Settings

log = logging.getLogger(__name__)


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Serve the API for ``settings`` on ``host:port`` (defaults from the settings) until interrupted."""
    host = host or settings.api_host
    port = port or settings.api_port
    log.info("serving the API on http://%s:%d", host, port)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
