"""Dagster analytics: extracts, marts, checks, publication, schedules and sensors."""

import warnings

# Single-run backfills (BackfillPolicy) are beta in Dagster 1.13; we depend on them knowingly.
warnings.filterwarnings("ignore", message=r".*`backfill_policy`.*", module=r"dagster\..*")
