"""Partitions: daily facts (a new day costs what the new day's data costs) and monthly MRR."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from warehouse.analytics.extract import Window

START_DATE = "2025-01-01"

daily = dg.DailyPartitionsDefinition(start_date=START_DATE, end_offset=1, timezone="UTC")
monthly = dg.MonthlyPartitionsDefinition(start_date=START_DATE, end_offset=1, timezone="UTC")


def window_of(context: dg.AssetExecutionContext) -> Window | None:
    """The UTC time window of the run's partition (or partition range); None when unpartitioned."""
    if not context.has_partition_key and not context.has_partition_key_range:
        return None
    tw = context.partition_time_window
    return (tw.start.astimezone(UTC), tw.end.astimezone(UTC))


def now() -> datetime:
    return datetime.now(UTC)
