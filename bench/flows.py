"""Orchestration overhead and throughput of generate-model, thread runner vs a Dask local cluster.

Cases (one JSON line each):
- ``overhead_vs_plain``: a generation as a Prefect flow vs the same steps as plain function calls
  (the baseline), sequentially, one asset at a time; ratio = flow time / plain time.
- ``overhead_fraction``: (flow wall time - generator compute time) / generator compute time,
  where compute is the generator's own measured run time; this counts mesh finishing and storage
  as overhead too, so it is an upper bound of what orchestration costs.
- ``throughput_threads`` / ``throughput_dask``: generations per minute with N concurrent flows.

    python bench/flows.py [--assets 6] [--grid 96] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import emit, log
from core.enums import AssetStatus, GenerationMode, Plan
from core.settings import Settings
from warehouse import generation, ledger, migrate
from warehouse.catalog import seed_catalog
from warehouse.db import transaction
from warehouse.prices import load_price_book
from warehouse.users import create_user


def _prepare(settings: Settings, count: int) -> list[str]:
    from flows.runtime import reset_runtime

    migrate.upgrade(settings.database_url)
    rt = reset_runtime(settings)
    with transaction(rt.stores.sessions) as s:
        load_price_book(session=s)
        seed_catalog(session=s)
        ids = []
        for i in range(count):
            user = create_user(session=s, email=f"bench-{uuid.uuid4().hex[:8]}@example.com", plan=Plan.STUDIO)
            ledger.grant(session=s, user_id=user.id, amount=5, idempotency_key=f"g:{user.id}")
            asset, _ = generation.request_generation(
                session=s,
                rules=rt.rules,
                user_id=user.id,
                mode=GenerationMode.TEXT,
                prompt=f"bench object {i}",
                skip_concept=True,
            )
            ids.append(str(asset.id))
    return ids


def _plain_generation(settings: Settings, asset_id: str) -> float:
    """The same work as generate-model without Prefect: source image, generator, finish, store, commit."""
    from flows.generate_model import _complete
    from flows.runtime import runtime
    from flows.steps import asset_snapshot, record_usage, seed_for, store_files
    from gpu_tasks.generators import ConceptRequest, ModelRequest, make_generator
    from gpu_tasks.pipeline import finish_generated_model

    rt = runtime()
    aid = uuid.UUID(asset_id)
    asset = asset_snapshot(rt, aid)
    gen = make_generator(settings.generator, **rt.generator_options())
    concept = gen.generate_concepts(ConceptRequest(prompt=asset.prompt, seed=seed_for(aid, 1), count=1))
    record_usage(rt, concept.usage, asset_id=aid, user_id=asset.user_id)
    result = gen.generate_model(
        ModelRequest(image=concept.images[0], seed=seed_for(aid, 1), grid=settings.generator_grid)
    )
    record_usage(rt, result.usage, asset_id=aid, user_id=asset.user_id)
    finished = finish_generated_model(result.mesh, size_mm=settings.model_size_mm, face_budget=settings.face_budget)
    stored = store_files(rt, finished.files, prefix=f"assets/{asset_id}/model-1")
    _complete(rt, asset, stored, finished)
    return float(concept.usage.run_seconds + result.usage.run_seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=6)
    parser.add_argument("--grid", type=int, default=96)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness(server_startup_timeout=120):

        def settings_for(tag: str, **kw: object) -> Settings:
            var = Path(tmp) / tag
            return Settings(var_dir=var, generator_grid=args.grid, task_retries=0, **kw)  # type: ignore[arg-type]

        from flows.generate_model import generate_model
        from flows.runners import make_task_runner
        from flows.runtime import inprocess_prefect_settings, runtime

        # Warm-up: imports, torch kernels, the Prefect client.
        warm = settings_for("warm")
        wid = _prepare(warm, 1)[0]
        generate_model(wid)

        plain = settings_for("plain")
        plain_ids = _prepare(plain, args.assets)
        t0 = time.perf_counter()
        compute = [_plain_generation(plain, a) for a in plain_ids]
        plain_s = (time.perf_counter() - t0) / args.assets

        flow_settings = settings_for("flow")
        flow_ids = _prepare(flow_settings, args.assets)
        from flows.launch import InProcessLauncher

        launcher = InProcessLauncher(max_workers=1)  # the embedded path the API takes
        flow_times, gen_times = [], []
        for a in flow_ids:
            t = time.perf_counter()
            launcher.launch("generate-model", {"asset_id": a}).result()
            flow_times.append(time.perf_counter() - t)
        with runtime().stores.sessions() as s:
            from sqlalchemy import func, select

            from warehouse.models import ProviderCall

            for a in flow_ids:
                gen_times.append(
                    float(
                        s.scalar(
                            select(func.sum(ProviderCall.run_seconds)).where(ProviderCall.asset_id == uuid.UUID(a))
                        )
                        or 0
                    )
                )
        flow_s = statistics.mean(flow_times)
        emit("flows", "overhead_vs_plain", flow_s, "s/generation", baseline=plain_s, grid=args.grid, assets=args.assets)
        overhead = statistics.mean((f - g) / g for f, g in zip(flow_times, gen_times, strict=True))
        emit(
            "flows",
            "overhead_fraction",
            overhead,
            "fraction of generator compute",
            generator_s=round(statistics.mean(gen_times), 4),
            flow_s=round(flow_s, 4),
            plain_compute_s=round(statistics.mean(compute), 4),
        )

        for runner in ("threads", "dask"):
            settings = settings_for(f"tp-{runner}")
            ids = _prepare(settings, args.assets)
            cluster = None
            flow = generate_model
            if runner == "dask":
                from distributed import LocalCluster

                cluster = LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, resources={"GPU": 1}, dashboard_address=None
                )
                dask_settings = settings.model_copy(
                    update={"task_runner": "dask", "dask_address": cluster.scheduler_address}
                )
                flow = generate_model.with_options(task_runner=make_task_runner(dask_settings))
            log(f"flows: throughput with {runner}, {args.assets} generations, {args.concurrency} at a time")
            t = time.perf_counter()

            def run_one(asset_id: str, flow: Any = flow, settings: Settings = settings) -> Any:
                with inprocess_prefect_settings(settings):
                    return flow(asset_id)

            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(run_one, ids))
            elapsed = time.perf_counter() - t
            assert all(r["status"] == str(AssetStatus.COMPLETED) for r in results)
            emit(
                "flows",
                f"throughput_{runner}",
                len(ids) / elapsed * 60,
                "generations/min",
                concurrency=args.concurrency,
                grid=args.grid,
            )
            if cluster is not None:
                cluster.close()


if __name__ == "__main__":
    main()
