"""API latency and throughput: stats endpoints on the published snapshot vs. the same figures
computed live from the operational database, and Stripe webhook ingestion.

One run builds a synthetic business (operational SQLite + a published DuckDB snapshot), starts
the API with uvicorn in one process and drives it from a second process with a small asyncio
HTTP/1.1 keep-alive load generator. The live baseline is served by the same server process
(same auth, same framework), computing the overview, AI-cost and generation-activity figures
with SQL on the operational database per request.

    python bench/api.py [--users 300] [--months 6] [--seconds 5] [--rate 1000]

Targets (2 cores, server and load generator sharing them): stats p99 < 10 ms at >= 1,000 req/s,
>= 50x the live baseline's throughput; webhook ingestion >= 500 events/s with signature checks.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi import APIRouter
from sqlalchemy import case, func, select

from api.deps import AdminKey, SessionDep
from bench._common import emit, log
from warehouse.models import Asset, AssetFile, ProviderCall, StripeObject, User

SECRET = "whsec_bench_makeit3d"
STATS_PATHS = [
    "/v1/stats/overview",
    "/v1/stats/revenue?interval=daily",
    "/v1/stats/ai-costs?group_by=week&split=provider",
    "/v1/stats/generations/activity",
    "/v1/stats/users/active",
    "/v1/stats/mrr",
    "/v1/stats/unit-economics?group_by=week",
    "/v1/stats/orders",
]
LIVE_PATHS = ["/bench/live/overview", "/bench/live/ai-costs", "/bench/live/generations/activity"]
SNAPSHOT_FOR_LIVE = ["/v1/stats/overview", "/v1/stats/ai-costs", "/v1/stats/generations/activity"]
END = datetime(2026, 3, 15, tzinfo=UTC)


# -- set-up ----------------------------------------------------------------------------------------


def build(root: Path, users: int, months: int) -> dict[str, str]:
    """Seed the operational DB, build and publish the marts, create an admin key."""
    from core.enums import Role
    from warehouse.analytics.extract import RAW_TABLES, ensure_tables, extract
    from warehouse.analytics.marts import build_range, day_window
    from warehouse.analytics.store import DuckDBStore
    from warehouse.api_keys import create_api_key
    from warehouse.db import make_engine, make_session_factory, transaction
    from warehouse.migrate import upgrade
    from warehouse.snapshot import publish_snapshot
    from warehouse.synthetic import seed_operational

    op_url = f"sqlite:///{root / 'op.db'}"
    upgrade(op_url)
    engine = make_engine(op_url)
    seed_operational(engine, users=users, months=months, seed=5, end=END)
    store = DuckDBStore(root / "analytics.duckdb")
    ensure_tables(store, RAW_TABLES)
    first = (END - timedelta(days=31 * (months + 1))).date()
    days = day_window(first, END.date() + timedelta(days=1))
    for raw in RAW_TABLES:
        extract(engine, store, raw, days)
    build_range(store, first, END.date() + timedelta(days=1), now=END)
    publish_snapshot(store, var_dir=root, now=END)
    store.close()
    with transaction(make_session_factory(engine)) as s:
        key = create_api_key(session=s, name="bench", role=Role.ADMIN, rate_limit_per_minute=100_000_000).plaintext
    engine.dispose()
    return {"var": str(root), "db": op_url, "key": key}


# -- the server process ----------------------------------------------------------------------------


def make_live_router() -> APIRouter:
    """Baseline routes: the same figures, computed per request from the operational database."""
    router = APIRouter(prefix="/bench/live")

    @router.get("/overview")
    def overview(_admin: AdminKey, session: SessionDep) -> dict[str, Any]:
        users = dict(session.execute(select(User.plan, func.count()).group_by(User.plan)).all())
        gens = session.execute(
            select(
                func.count(),
                func.sum(case((Asset.status == "COMPLETED", 1), else_=0)),
                func.sum(case((Asset.status == "FAILED", 1), else_=0)),
            )
        ).one()
        gross = net = 0
        for payload in session.scalars(
            select(StripeObject.payload).where(StripeObject.object_type == "balance_transaction")
        ):
            if payload.get("type") in ("charge", "payment"):
                gross += int(payload.get("amount", 0))
            if payload.get("type") not in ("payout", "transfer"):
                net += int(payload.get("net", 0))
        return {
            "users": {str(k): v for k, v in users.items()},
            "generations": gens[0],
            "completed": gens[1],
            "failed": gens[2],
            "ai_cost_nano_usd": session.scalar(select(func.coalesce(func.sum(ProviderCall.cost_nano_usd), 0))),
            "credits_outstanding": session.scalar(select(func.coalesce(func.sum(User.credit_balance), 0))),
            "storage_bytes": session.scalar(select(func.coalesce(func.sum(AssetFile.size_bytes), 0))),
            "gross_sales_cents": gross,
            "net_revenue_cents": net,
        }

    def _since() -> datetime:
        return END - timedelta(days=90)

    @router.get("/ai-costs")
    def ai_costs(_admin: AdminKey, session: SessionDep) -> list[dict[str, Any]]:
        day = func.date(ProviderCall.created_at)
        rows = session.execute(
            select(
                day,
                ProviderCall.provider,
                ProviderCall.model,
                ProviderCall.stage,
                func.count(),
                func.sum(ProviderCall.cost_nano_usd),
            )
            .where(ProviderCall.created_at >= _since())
            .group_by(day, ProviderCall.provider, ProviderCall.model, ProviderCall.stage)
            .order_by(day)
        ).all()
        return [
            dict(zip(("day", "provider", "model", "stage", "calls", "cost_nano_usd"), r, strict=True)) for r in rows
        ]

    @router.get("/generations/activity")
    def activity(_admin: AdminKey, session: SessionDep) -> list[dict[str, Any]]:
        day = func.date(ProviderCall.created_at)
        rows = session.execute(
            select(
                day,
                func.count(),
                func.sum(case((ProviderCall.status == "succeeded", 1), else_=0)),
                func.sum(case((ProviderCall.status != "succeeded", 1), else_=0)),
            )
            .where(ProviderCall.created_at >= _since())
            .group_by(day)
            .order_by(day)
        ).all()
        return [dict(zip(("day", "calls", "succeeded", "failed"), r, strict=True)) for r in rows]

    return router


def serve(cfg: dict[str, str], port: int) -> None:
    import logging

    import uvicorn

    from api.main import create_app
    from api.snapshots import open_published
    from core.settings import Settings

    logging.basicConfig(level=logging.WARNING)
    settings = Settings(
        var_dir=Path(cfg["var"]),
        database_url=cfg["db"],
        storage_url=str(Path(cfg["var"]) / "objects"),
        stripe_webhook_secret=SECRET,  # type: ignore[arg-type]
        analytics_url=f"duckdb:///{Path(cfg['var']) / 'analytics.duckdb'}",
    )
    app = create_app(settings, snapshot_opener=lambda: open_published(settings))
    app.include_router(make_live_router())
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, loop="uvloop", http="httptools"
    )


# -- the load generator process --------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


def _request(method: str, path: str, key: str | None, body: bytes = b"", extra: str = "") -> bytes:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    length = f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n" if method == "POST" else ""
    return f"{method} {path} HTTP/1.1\r\nHost: bench\r\n{auth}{length}{extra}\r\n".encode() + body


async def closed_loop(port: int, requests: list[bytes], connections: int, seconds: float) -> dict[str, Any]:
    """``connections`` clients each sending the next request as soon as the last one answered."""
    lat: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**12))

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            i = next(counter)
            req = requests[i % len(requests)]
            t0 = time.perf_counter()
            writer.write(req)
            status = await _read_response(reader)
            lat.append(time.perf_counter() - t0)
            errors += status >= 400
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    return _summary(lat, elapsed, errors)


async def finite(port: int, requests: list[bytes], connections: int) -> dict[str, Any]:
    """Send every request once, over ``connections`` keep-alive clients."""
    lat: list[float] = []
    errors = 0
    queue = list(reversed(requests))

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while queue:
            req = queue.pop()
            t0 = time.perf_counter()
            writer.write(req)
            status = await _read_response(reader)
            lat.append(time.perf_counter() - t0)
            errors += status >= 400
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return _summary(lat, time.perf_counter() - start, errors)


async def open_loop(port: int, requests: list[bytes], rate: float, seconds: float, connections: int) -> dict[str, Any]:
    """Requests scheduled at a fixed rate; latency counts from the scheduled time (no coordinated omission)."""
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    lat: list[float] = []
    errors = 0
    total = int(rate * seconds)
    start = time.perf_counter()

    async def one(i: int, due: float) -> None:
        nonlocal errors
        conn = await pool.get()
        conn[1].write(requests[i % len(requests)])
        status = await _read_response(conn[0])
        lat.append(time.perf_counter() - due)
        errors += status >= 400
        pool.put_nowait(conn)

    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait()[1].close()
    return _summary(lat, elapsed, errors)


def _summary(lat: list[float], elapsed: float, errors: int) -> dict[str, Any]:
    lat.sort()
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0] if lat else 0.0] * 99
    return {"n": len(lat), "rps": len(lat) / elapsed, "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "errors": errors}


def sign(payload: bytes, t: int) -> str:
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def webhook_requests(n: int) -> list[bytes]:
    rng = random.Random(3)
    t = int(time.time())
    out = []
    for i in range(n):
        if i % 4 == 0:
            event = {
                "id": f"evt_bench_{i}",
                "type": "payment_intent.created",
                "created": t,
                "data": {"object": {"id": f"pi_{i}", "object": "payment_intent"}},
            }
        else:
            event = {
                "id": f"evt_bench_{i}",
                "type": "charge.updated",
                "created": t + i,
                "data": {
                    "object": {
                        "id": f"ch_bench_{rng.randrange(n // 3)}",
                        "object": "charge",
                        "created": t,
                        "amount": 500,
                    }
                },
            }
        body = json.dumps(event, separators=(",", ":")).encode()
        out.append(_request("POST", "/webhooks/stripe", None, body, f"Stripe-Signature: {sign(body, t)}\r\n"))
    return out


def load(port: int, key: str, seconds: float, rate: float) -> dict[str, Any]:
    import uvloop

    def stats_reqs(paths: list[str]) -> list[bytes]:
        return [_request("GET", p, key) for p in paths]

    async def run() -> dict[str, Any]:
        results: dict[str, Any] = {}
        warm = stats_reqs(STATS_PATHS + SNAPSHOT_FOR_LIVE)
        await finite(port, warm * 3, 4)
        results["stats_max"] = await closed_loop(port, stats_reqs(STATS_PATHS), 16, seconds)
        # Every request unique (an ignored parameter), so the fast path never answers: routing,
        # validation, auth and the per-version result cache of the route itself.
        routed = []
        for i in range(100_000):
            path = STATS_PATHS[i % len(STATS_PATHS)]
            routed.append(f"{path}{'&' if '?' in path else '?'}n={i}")
        results["stats_routed_max"] = await closed_loop(port, stats_reqs(routed), 16, seconds)
        # The machine is shared: three runs at the fixed rate, the median one reported (all kept).
        runs = [await open_loop(port, stats_reqs(STATS_PATHS), rate, seconds, 32) for _ in range(3)]
        runs.sort(key=lambda r: r["p99_ms"])
        results["stats_rate"] = {**runs[1], "p99_runs_ms": [round(r["p99_ms"], 3) for r in runs]}
        results["snapshot_same3_max"] = await closed_loop(port, stats_reqs(SNAPSHOT_FOR_LIVE), 16, seconds)
        results["live_max"] = await closed_loop(port, stats_reqs(LIVE_PATHS), 16, seconds)
        results["webhooks"] = await finite(port, webhook_requests(3000), 8)
        return results

    return uvloop.run(run())


# -- orchestration ---------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the API server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", nargs="?", default="run", choices=["run", "serve", "load"])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", default="")
    args = parser.parse_args()
    if args.role == "serve":
        serve(json.loads(args.config), args.port)
        return
    if args.role == "load":
        cfg = json.loads(args.config)
        print(json.dumps(load(args.port, cfg["key"], args.seconds, args.rate)), flush=True)
        return

    with tempfile.TemporaryDirectory(prefix="mk3d-bench-api-") as tmp:
        log(f"building a synthetic business ({args.users} users, {args.months} months) and its snapshot …")
        cfg = build(Path(tmp), args.users, args.months)
        port = _free_port()
        me = [sys.executable, str(Path(__file__).resolve())]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        server = subprocess.Popen([*me, "serve", "--port", str(port), "--config", json.dumps(cfg)], env=env)
        try:
            _wait_up(port)
            log("server up; loading it from a second process …")
            out = subprocess.run(
                [
                    *me,
                    "load",
                    "--port",
                    str(port),
                    "--config",
                    json.dumps(cfg),
                    "--seconds",
                    str(args.seconds),
                    "--rate",
                    str(args.rate),
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            res = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            server.terminate()
            server.wait(timeout=30)

    s_max, s_rate, same3, live, wh = (
        res[k] for k in ("stats_max", "stats_rate", "snapshot_same3_max", "live_max", "webhooks")
    )
    for r in (s_max, s_rate, same3, live, wh):
        if r["errors"]:
            log(f"warning: {r['errors']} error responses in {r}")
    emit(
        "api",
        "stats_snapshot_max_throughput",
        s_max["rps"],
        "req/s",
        live["rps"],
        p50_ms=round(s_max["p50_ms"], 3),
        p99_ms=round(s_max["p99_ms"], 3),
        connections=16,
    )
    emit(
        "api",
        f"stats_snapshot_p99_at_{int(args.rate)}rps",
        s_rate["p99_ms"],
        "ms",
        10.0,
        achieved_rps=round(s_rate["rps"], 1),
        p50_ms=round(s_rate["p50_ms"], 3),
        p99_runs_ms=s_rate["p99_runs_ms"],
        reported="median of 3 runs",
        baseline_is="target",
    )
    emit("api", f"stats_snapshot_p50_at_{int(args.rate)}rps", s_rate["p50_ms"], "ms")
    routed = res["stats_routed_max"]
    emit(
        "api",
        "stats_snapshot_routed_max_throughput",
        routed["rps"],
        "req/s",
        live["rps"],
        p50_ms=round(routed["p50_ms"], 3),
        p99_ms=round(routed["p99_ms"], 3),
        note="fast path bypassed: every request has a unique ignored parameter",
    )
    emit(
        "api",
        "overview_aicost_activity_snapshot_vs_live_throughput",
        same3["rps"],
        "req/s",
        live["rps"],
        live_p50_ms=round(live["p50_ms"], 3),
        live_p99_ms=round(live["p99_ms"], 3),
        p99_ms=round(same3["p99_ms"], 3),
    )
    emit(
        "api",
        "stats_live_baseline_throughput",
        live["rps"],
        "req/s",
        p50_ms=round(live["p50_ms"], 3),
        p99_ms=round(live["p99_ms"], 3),
    )
    emit(
        "api",
        "webhook_ingestion",
        wh["rps"],
        "events/s",
        500.0,
        baseline_is="target",
        p50_ms=round(wh["p50_ms"], 3),
        p99_ms=round(wh["p99_ms"], 3),
        events=wh["n"],
        signature_checked=True,
    )


if __name__ == "__main__":
    main()
