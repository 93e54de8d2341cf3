"""``makeit3d seed``: fill the operational database with deterministic synthetic data."""

import time
from typing import Annotated

import typer
from rich.console import Console

from core.errors import Conflict
from core.settings import get_settings

console = Console()


def seed(
    users: Annotated[int, typer.Option("--users", min=1, help="how many users")] = 2000,
    months: Annotated[int, typer.Option("--months", min=1, max=22, help="months of history before today")] = 12,
    seed: Annotated[int, typer.Option("--seed", help="random seed (same seed, same day: same data)")] = 7,
) -> None:
    """Seed users, generations, provider calls, orders and Stripe objects (migrates the DB first)."""
    from warehouse.db import make_engine
    from warehouse.migrate import upgrade
    from warehouse.synthetic import seed_operational

    settings = get_settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    started = time.perf_counter()
    try:
        counts = seed_operational(engine, users=users, months=months, seed=seed)
    except Conflict as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(1) from e
    finally:
        engine.dispose()
    for table, n in counts.rows.items():
        console.print(f"{table:>16}: {n:,}")
    console.print(f"seeded in {time.perf_counter() - started:.1f} s")
