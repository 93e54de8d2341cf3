"""Local generator benchmark: seconds per asset and assets per minute at batch sizes 1, 8 and 32, per device.

Inputs are procedural concept images (the local concept model), so the run needs nothing but
this repository. The baseline of each case is batch size 1 on the same device in the same
run, so ``ratio`` is the per-asset cost relative to unbatched work. Each line names the grid.

Usage: python bench/generate.py [--batches 1,8,32] [--grid 96] [--devices cpu,cuda]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from gpu_tasks.generators import ConceptRequest, ModelRequest
from gpu_tasks.generators.local import LocalGenerator, synchronize


def images(count: int) -> list[bytes]:
    gen = LocalGenerator(device="cpu")
    return gen.generate_concepts(ConceptRequest(prompt="benchmark object", seed=11, count=count, size=512)).images


def seconds_per_asset(gen: LocalGenerator, pool: list[bytes], batch: int, grid: int, rounds: int) -> float:
    reqs = [ModelRequest(image=pool[i % len(pool)], seed=i, grid=grid) for i in range(batch)]
    gen.generate_models(reqs[:1])  # warm-up: kernels, allocator, lazy imports
    best = float("inf")
    for _ in range(rounds):
        synchronize(gen.device)
        t0 = time.perf_counter()
        gen.generate_models(reqs)
        synchronize(gen.device)
        best = min(best, (time.perf_counter() - t0) / batch)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,8,32")
    parser.add_argument("--grid", type=int, default=96)
    parser.add_argument("--devices", default="cpu,cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    pool = images(8)
    for device in args.devices.split(","):
        gen = LocalGenerator(device=device, grid=args.grid, max_batch=64)
        baseline = None
        for batch in (int(b) for b in args.batches.split(",")):
            value = seconds_per_asset(gen, pool, batch, args.grid, args.rounds if batch < 32 else 1)
            baseline = baseline or value
            case = f"{device}_batch{batch}_grid{args.grid}"
            for bench, v, base, unit in (
                ("generate_seconds_per_asset", value, baseline, "s/asset"),
                ("generate_assets_per_minute", 60.0 / value, 60.0 / baseline, "assets/min"),
            ):
                line = {
                    "bench": bench,
                    "case": case,
                    "value": round(v, 4),
                    "unit": unit,
                    "baseline": round(base, 4),
                    "ratio": round(v / base, 3),
                    "grid": args.grid,
                    "device": str(gen.device),
                }
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
