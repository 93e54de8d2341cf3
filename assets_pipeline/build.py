"""Build everything in-process (``makeit3d warehouse build``): extracts, marts, checks, publication, export.

Dagster runs one partitions definition per run, so a full build is four in-process runs in
dependency order: latest-state extracts (incremental by watermark unless ``full_refresh``), every
daily partition in one single-run backfill, every month of MRR likewise, then the unpartitioned
marts, the publication of the snapshot and its Parquet export.
"""

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
from sqlalchemy import func, select

from assets_pipeline.definitions import all_assets
from assets_pipeline.defs.marts import DAILY_MARTS, MONTHLY_MARTS, STATE_MARTS
from assets_pipeline.defs.publication import PUBLICATION
from assets_pipeline.defs.raw import DAILY_RAW, STATE_RAW
from assets_pipeline.partitions import START_DATE
from assets_pipeline.resources import make_resources
from core.settings import Settings
from warehouse.db import make_engine
from warehouse.models import User

log = logging.getLogger(__name__)

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class CheckLine:
    asset: str
    check: str
    passed: bool
    severity: str
    description: str


@dataclass
class BuildReport:
    """What a build did: the steps that ran, every check result, whether all succeeded, what it published."""

    steps: list[str] = field(default_factory=list)
    checks: list[CheckLine] = field(default_factory=list)
    success: bool = True
    snapshot_version: str | None = None
    export_latest: str | None = None  # the pointer of the Parquet export (latest.json)
    export_tables: int = 0
    export_bytes: int = 0


def _value(metadata: Any, key: str) -> Any:
    entry = metadata.get(key)
    return getattr(entry, "value", entry)


def _first_day(settings: Settings) -> date:
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            first = conn.execute(select(func.min(User.created_at))).scalar()
    finally:
        engine.dispose()
    floor = date.fromisoformat(START_DATE)
    if first is None:
        return datetime.now(UTC).date()
    return max(floor, first.date())


def _materialize(
    selection: Sequence[str],
    resources: dict[str, Any],
    instance: dg.DagsterInstance,
    tags: dict[str, str] | None,
    log_level: str,
    ops: dict[str, Any] | None = None,
) -> dg.ExecuteInProcessResult:
    run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if ops:
        run_config["ops"] = ops
    return dg.materialize(
        all_assets,
        selection=list(selection),
        resources=resources,
        instance=instance,
        tags=tags,
        raise_on_error=False,
        run_config=run_config,
    )


def _run(
    report: BuildReport,
    name: str,
    selection: Sequence[str],
    resources: dict[str, Any],
    instance: dg.DagsterInstance,
    tags: dict[str, str] | None = None,
    log_level: str = "INFO",
    ops: dict[str, Any] | None = None,
) -> None:
    with warnings.catch_warnings():
        # materialize() re-applies the asset decorators, which re-issue the BackfillPolicy beta warning
        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        result = _materialize(selection, resources, instance, tags, log_level, ops)
    report.steps.append(f"{name}: {'ok' if result.success else 'FAILED'}")

    report.success = report.success and result.success
    for ev in result.get_asset_check_evaluations():
        desc = ev.description or ""
        report.checks.append(
            CheckLine(ev.asset_key.to_user_string(), ev.check_name, ev.passed, ev.severity.value, desc)
        )
    for mat in result.get_asset_materialization_events():
        m = mat.materialization
        asset = m.asset_key.to_user_string()
        if asset == "analytics_snapshot":
            report.snapshot_version = str(_value(m.metadata, "version"))
        elif asset == "analytics_parquet_export":
            report.export_latest = str(_value(m.metadata, "latest"))
            report.export_tables = len(_value(m.metadata, "tables") or [])
            report.export_bytes = int(_value(m.metadata, "bytes_written") or 0)
    if not result.success:
        for failure in result.all_events:
            if failure.is_step_failure:
                data: Any = failure.event_specific_data
                report.steps.append(f"  {failure.step_key}: {data.error.message.strip()[:500]}")


def build_everything(
    settings: Settings,
    *,
    start: date | None = None,
    end: date | None = None,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
    full_refresh: bool = False,
) -> BuildReport:
    """Materialise every asset for the days ``[start, end]``; publish and export a snapshot if checks pass.

    ``full_refresh`` re-extracts the latest-state tables whole instead of from their watermarks.
    """
    resources = make_resources(settings)
    first = start or _first_day(settings)
    last = end or datetime.now(UTC).date()
    instance = instance or dg.DagsterInstance.ephemeral()
    report = BuildReport()
    state_ops = {name: {"config": {"full_refresh": True}} for name in STATE_RAW} if full_refresh else None
    state_label = "latest-state extracts" + (" (full refresh)" if full_refresh else "")
    _run(report, state_label, STATE_RAW, resources, instance, log_level=log_level, ops=state_ops)
    days = {RANGE_START: first.isoformat(), RANGE_END: last.isoformat()}
    _run(report, f"daily facts {first}..{last}", [*DAILY_RAW, *DAILY_MARTS], resources, instance, days, log_level)
    months = {RANGE_START: first.replace(day=1).isoformat(), RANGE_END: last.replace(day=1).isoformat()}
    label = f"monthly MRR {months[RANGE_START]}..{months[RANGE_END]}"
    _run(report, label, MONTHLY_MARTS, resources, instance, months, log_level)
    if report.success:
        publish = [*STATE_MARTS, *PUBLICATION]
        _run(report, "state marts, publication and Parquet export", publish, resources, instance, log_level=log_level)
    else:
        report.steps.append("publication skipped: an earlier step failed")
    return report
