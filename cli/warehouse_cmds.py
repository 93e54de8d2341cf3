"""``makeit3d warehouse``: build the analytics, query the published snapshot, export, document."""

import csv
import logging
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.errors import DomainError
from core.settings import get_settings

app = typer.Typer(
    help="Dagster analytics: build, query the published snapshot, export, document.", no_args_is_help=True
)
console = Console()


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    PARQUET = "parquet"


def _quiet_dagster() -> None:
    for name in ("dagster", "great_expectations"):
        logging.getLogger(name).setLevel(logging.WARNING)


@app.command()
def build(
    start: Annotated[str | None, typer.Option(help="first day (YYYY-MM-DD); default: the first sign-up")] = None,
    end: Annotated[str | None, typer.Option(help="last day (YYYY-MM-DD); default: today (UTC)")] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="re-extract the latest-state tables whole, ignoring their watermarks")
    ] = False,
) -> None:
    """Materialise every asset in-process on the configured stores, print the check results, publish."""
    _quiet_dagster()
    from assets_pipeline.build import build_everything

    report = build_everything(
        get_settings(),
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else None,
        log_level="WARNING",
        full_refresh=full_refresh,
    )
    for step in report.steps:
        console.print(step)
    table = Table(title="Checks")
    for col in ("asset", "check", "result", "detail"):
        table.add_column(col)
    for c in report.checks:
        result = (
            "[green]pass[/green]"
            if c.passed
            else ("[yellow]warn[/yellow]" if c.severity == "WARN" else "[red]FAIL[/red]")
        )
        table.add_row(c.asset, c.check, result, c.description)
    console.print(table)
    if report.snapshot_version:
        console.print(f"published snapshot [bold]{report.snapshot_version}[/bold]")
    if report.export_latest:
        size = f"{report.export_bytes / 1024:,.0f} KiB"
        # soft_wrap: the pointer's path stays on one line, whole, so it can be copied
        console.print(
            f"exported {report.export_tables} tables as Parquet ({size}): {report.export_latest}", soft_wrap=True
        )
    if not report.success:
        raise typer.Exit(1)


def _rows_to_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(show_lines=False)
    for col in rows[0].keys() if rows else ["(no rows)"]:
        table.add_column(str(col))
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    return table


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="one read-only SQL statement")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file instead")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv or parquet")] = OutputFormat.TABLE,
) -> None:
    """Run read-only SQL against the published snapshot; print a table, or write CSV/Parquet."""
    from warehouse.snapshot import SnapshotReader

    try:
        reader = SnapshotReader.open(get_settings())
        rows = reader.query(sql)
    except DomainError as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(2) from e
    if fmt == OutputFormat.PARQUET:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if output is None:
            console.print("[red]--format parquet needs --output[/red]")
            raise typer.Exit(2)
        pq.write_table(pa.Table.from_pylist(rows), output)
        console.print(f"wrote {len(rows)} rows to {output}")
    elif fmt == OutputFormat.CSV:
        fh = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
        try:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()) if rows else [])
            writer.writeheader()
            writer.writerows(rows)
        finally:
            if output:
                fh.close()
    else:
        console.print(_rows_to_table(rows))
        console.print(f"{len(rows)} rows · snapshot {reader.info.version}")
    reader.close()


@app.command()
def export(
    destination: Annotated[
        str | None, typer.Option(help="directory, file:// or s3:// URL; default: analytics_export_url")
    ] = None,
) -> None:
    """Export every published mart as Parquet to the object store (what the analytics_parquet_export asset does)."""
    from warehouse.analytics.export import export_snapshot
    from warehouse.snapshot import SnapshotReader
    from warehouse.storage import storage_options

    settings = get_settings()
    dest = destination or settings.analytics_export_url
    try:
        reader = SnapshotReader.open(settings)
        try:
            result = export_snapshot(reader, destination=dest, storage_options=storage_options(dest, settings))
        finally:
            reader.close()
    except DomainError as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(2) from e
    for t in result.tables:
        console.print(f"{t.path}  ({t.rows} rows)", soft_wrap=True)
    if result.latest_updated:
        console.print(f"{result.latest} → {result.version}", soft_wrap=True)
    else:
        console.print(f"[yellow]{result.latest} already names a newer version; left as it was[/yellow]")


@app.command()
def docs(
    output: Annotated[Path, typer.Option(help="where to write the data dictionary")] = Path("docs/data_dictionary.md"),
) -> None:
    """Generate the analysts' data dictionary from the asset metadata."""
    from assets_pipeline.definitions import defs
    from assets_pipeline.docs import data_dictionary

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(data_dictionary(defs), encoding="utf-8")
    console.print(f"wrote {output}")
