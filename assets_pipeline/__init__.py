"""Dagster analytics: extracts, marts, checks, publication, schedules and sensors."""

import warnings

from dagster import BetaWarning

# Single-run backfills (BackfillPolicy) are beta in Dagster 1.13; we depend on them knowingly.
warnings.filterwarnings("ignore", category=BetaWarning, message=r".*backfill_policy.*")
