"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import SnapshotsDep, StoresDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="The database is reachable and an analytics snapshot is published",
    responses={503: {"model": Health, "description": "not ready; `checks` says what is missing"}},
)
def readyz(stores: StoresDep, snapshots: SnapshotsDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with stores.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as e:  # noqa: BLE001 -- any driver error means "not ready"
        checks["database"] = f"unreachable: {type(e).__name__}"
    try:
        checks["snapshot"] = f"ok: {snapshots.current().info.version}"
    except Exception as e:  # noqa: BLE001 -- NotFound (none published) or an unreadable file
        checks["snapshot"] = f"missing: {e}"
    ok = all(v.startswith("ok") for v in checks.values())
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
