"""GX Core expectations for the marts, run inside Dagster asset checks.

``great_expectations`` is imported inside the function that needs it: it is slow to import, and
``dagster-ge`` does not support GX 1.x, so we drive GX Core directly with an ephemeral context.
"""

from __future__ import annotations

import logging
import os
import uuid
from functools import cache
from typing import Any

from warehouse.analytics.tables import TableSpec

log = logging.getLogger(__name__)


@cache
def _context() -> Any:
    """One ephemeral GX context per process (each one creates a temporary data-docs directory)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate_table(table: TableSpec, df: Any, *, expected_rows: int | None = None) -> tuple[bool, dict[str, Any]]:
    """Unique key, not-null columns, accepted values and (for dense daily marts) the row count."""
    context = _context()
    import great_expectations as gx

    gxe: Any = gx.expectations
    source_name = f"{table.name}_{uuid.uuid4().hex[:8]}"
    source = context.data_sources.add_pandas(source_name)
    asset = source.add_dataframe_asset(table.name)
    batch = asset.add_batch_definition_whole_dataframe("batch").get_batch(batch_parameters={"dataframe": df})
    suite = gx.ExpectationSuite(name=f"{table.name}_suite")
    if len(table.key) == 1:
        suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column=table.key[0]))
    else:
        suite.add_expectation(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(table.key)))
    for col in table.not_null:
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=col))
    for col, values in table.accepted_values.items():
        suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=col, value_set=list(values)))
    if expected_rows is not None:
        suite.add_expectation(gxe.ExpectTableRowCountToEqual(value=expected_rows))
    try:
        result = batch.validate(suite)
    finally:
        context.data_sources.delete(source_name)
    failed = [
        {
            "expectation": getattr(r.expectation_config, "type", "?"),
            "kwargs": {k: str(v) for k, v in getattr(r.expectation_config, "kwargs", {}).items() if k != "batch_id"},
            "unexpected_count": (r.result or {}).get("unexpected_count"),
            "observed_value": str((r.result or {}).get("observed_value")),
        }
        for r in result.results
        if not r.success
    ]
    return bool(result.success), {"expectations": len(result.results), "failed": failed, "rows": len(df)}
