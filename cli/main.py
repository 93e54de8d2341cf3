"""The ``makeit3d`` command: the composition root for set-up, demo, keys and maintenance."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.seed_cmd import seed
from cli.warehouse_cmds import app as warehouse_app
from core.enums import Role
from core.errors import DomainError
from core.settings import Settings, get_settings

app = typer.Typer(help="MakeIt3D platform: generation flows, analytics and API.", no_args_is_help=True)
db_app = typer.Typer(help="Operational database schema (Alembic migrations).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
prices_app = typer.Typer(help="The provider price book.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
flows_app = typer.Typer(help="Prefect flows and deployments.", no_args_is_help=True)
app.add_typer(prices_app, name="prices")
app.add_typer(flows_app, name="flows")
app.add_typer(warehouse_app, name="warehouse", help="The analytics warehouse: build, query, export, docs.")
app.command("seed")(seed)

console = Console()


def _settings() -> Settings:
    return get_settings()


def _fail(e: DomainError) -> typer.Exit:
    console.print(f"[red]error:[/red] {e.message}")
    return typer.Exit(code=2)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
    url: Annotated[str | None, typer.Option(help="database URL (default: settings)")] = None,
) -> None:
    """Migrate the operational database up (SQLite or PostgreSQL)."""
    from warehouse import migrate

    target = url or _settings().database_url
    migrate.upgrade(target, revision)
    console.print(f"database at revision [bold]{migrate.current_revision(target)}[/bold]")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="target revision ('base' drops everything)")] = "-1",
    url: Annotated[str | None, typer.Option(help="database URL (default: settings)")] = None,
) -> None:
    """Migrate the operational database down."""
    from warehouse import migrate

    target = url or _settings().database_url
    migrate.downgrade(target, revision)
    console.print(f"database at revision [bold]{migrate.current_revision(target) or 'base'}[/bold]")


@db_app.command("current")
def db_current(url: Annotated[str | None, typer.Option(help="database URL (default: settings)")] = None) -> None:
    """Show the current and the head revision."""
    from warehouse import migrate

    target = url or _settings().database_url
    console.print(f"current: {migrate.current_revision(target) or 'base'}  head: {migrate.head_revision(target)}")


@prices_app.command("load")
def prices_load(file: Annotated[Path | None, typer.Option(help="price book YAML (default: bundled)")] = None) -> None:
    """Load new price versions (append-only; overlaps and repricing are refused)."""
    from warehouse.context import Stores
    from warehouse.db import transaction
    from warehouse.prices import load_price_book

    stores = Stores(_settings())
    try:
        with transaction(stores.sessions) as session:
            res = load_price_book(session=session, path=file or _settings().price_book_path)
    except DomainError as e:
        raise _fail(e) from e
    console.print(f"price book: {res.inserted} inserted, {res.closed} closed, {res.unchanged} unchanged")


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin, service or user")],
    name: Annotated[str, typer.Option(help="what the key is for")] = "cli",
    user_id: Annotated[str | None, typer.Option(help="the user a 'user' key acts as")] = None,
    rate_limit: Annotated[int, typer.Option(help="requests per minute this key may make", min=1)] = 600,
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from warehouse.api_keys import create_api_key
    from warehouse.context import Stores
    from warehouse.db import transaction

    stores = Stores(_settings())
    try:
        uid = uuid.UUID(user_id) if user_id else None
    except ValueError as e:
        console.print(f"[red]error:[/red] {user_id!r} is not a user id (UUID)")
        raise typer.Exit(code=2) from e
    try:
        with transaction(stores.sessions) as session:
            new = create_api_key(session=session, name=name, role=role, user_id=uid, rate_limit_per_minute=rate_limit)
    except DomainError as e:
        raise _fail(e) from e
    console.print(f"created {role} key [bold]{new.record.prefix}…[/bold] ({new.record.id}); it is shown only once:")
    typer.echo(new.plaintext)


@flows_app.command("serve")
def flows_serve(
    only: Annotated[list[str] | None, typer.Option("--only", help="serve just these deployments")] = None,
) -> None:
    """Serve the deployments of prefect.yaml against the configured Prefect API; schedules fire."""
    from prefect import serve

    from flows.deployments import runner_deployments

    deployments = runner_deployments(only=only)
    console.print(f"serving {len(deployments)} deployments: {', '.join(d.name for d in deployments)}")
    serve(*deployments)


@flows_app.command("run")
def flows_run(
    name: Annotated[str, typer.Argument(help="flow name, e.g. dispatch-pending")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="key=value (JSON values allowed)")] = None,
) -> None:
    """Run one flow now, in this process, and print its result."""
    import json

    from flows.launch import load_flow

    params: dict[str, object] = {}
    for item in param or []:
        key, sep, raw = item.partition("=")
        if not sep:
            console.print(f"[red]error:[/red] --param takes key=value, got {item!r}")
            raise typer.Exit(code=2)
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    try:
        result = load_flow(name)(**params)
    except DomainError as e:
        raise _fail(e) from e
    console.print_json(json.dumps(result, default=str))


@app.command("init")
def init() -> None:
    """Migrate the stores and seed the price book, catalogue and a demo admin key."""
    _run_init(_settings())


def _run_init(settings: Settings) -> None:
    from warehouse.bootstrap import bootstrap
    from warehouse.context import Stores

    stores = Stores(settings)
    console.print(f"[bold]1/3[/bold] migrating the operational database ({settings.database_url})")
    report = bootstrap(stores, admin_key_file=settings.var_dir / "demo-admin.key")
    console.print(f"      schema at revision {report.revision}")
    console.print(
        f"[bold]2/3[/bold] price book: {report.prices_inserted} versions added, "
        f"{report.prices_unchanged} already there; "
        f"catalogue: {report.styles} styles, {report.credit_packs} credit packs"
    )
    store = stores.objects
    console.print(f"[bold]3/3[/bold] object storage ready at {store.location}")
    if report.admin_key:
        state = "created" if report.admin_key_created else "existing"
        console.print(f"      demo admin API key ({state}): [bold]{report.admin_key}[/bold]")
    stores.dispose()


@app.command("api")
def api(
    host: Annotated[str | None, typer.Option(help="bind address (default: settings.api_host)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: settings.api_port)")] = None,
) -> None:
    """Serve the API (stats, generations, webhooks, dashboard) with uvicorn."""
    from api.server import serve

    settings = _settings()
    console.print(f"API on http://{host or settings.api_host}:{port or settings.api_port}  (docs: /docs)")
    serve(settings, host=host, port=port)


@app.command("dev")
def dev(
    prefect_port: Annotated[int, typer.Option(help="Prefect server and UI")] = 4200,
    dagster_port: Annotated[int, typer.Option(help="Dagster webserver")] = 3000,
    api_port: Annotated[int | None, typer.Option(help="the API (default: settings.api_port)")] = None,
) -> None:
    """Prefect server + served deployments, dagster dev and the API, until Ctrl-C."""
    from cli.dev import run_dev

    settings = _settings()
    _run_init(settings)
    code = run_dev(
        settings,
        prefect_port=prefect_port,
        dagster_port=dagster_port,
        api_port=api_port or settings.api_port,
        console=console,
    )
    raise typer.Exit(code=code)


@app.command("demo")
def demo(
    users: Annotated[int, typer.Option(help="synthetic users to seed")] = 2000,
    months: Annotated[int, typer.Option(help="months of synthetic history")] = 12,
    seed: Annotated[int, typer.Option(help="random seed of the synthetic history")] = 7,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="keep the API up at the end")] = True,
) -> None:
    """The main job on embedded defaults (SQLite, DuckDB, local files): set up, seed, generate, order,
    build the marts, summarise, and serve the API and dashboard until Ctrl-C."""
    settings = _settings()
    use_local_prefect_home(settings)
    from cli.demo import run_demo

    console.rule("MakeIt3D demo")
    try:
        run_demo(settings, users=users, months=months, seed=seed, serve=serve, console=console)
    except DomainError as e:
        raise _fail(e) from e


def use_local_prefect_home(settings: Settings) -> None:
    """Keep Prefect's own files under ``var/`` unless the operator chose otherwise."""
    import os

    if settings.prefect_home is not None:
        os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home.resolve()))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The demo prints its own progress; every run is still recorded in Prefect's API.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


if __name__ == "__main__":
    app()
