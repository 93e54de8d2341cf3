"""Publication: the snapshot the stats API reads, swapped in atomically after the checks pass."""

import dagster as dg
from dagster import AssetExecutionContext

from assets_pipeline.resources import AnalyticsStoreResource
from warehouse.analytics.checks import publication_gate
from warehouse.analytics.tables import PUBLISHED
from warehouse.snapshot import publish_snapshot


@dg.asset(group_name="publication", kinds={"duckdb"}, deps=list(PUBLISHED))
def analytics_snapshot(context: AssetExecutionContext, analytics: AnalyticsStoreResource) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """The published analytics snapshot (all marts), versioned; never the file a run writes."""
    with analytics.open() as store:
        outcomes = publication_gate(store)
        failed = [o for o in outcomes if not o.passed]
        if failed:
            raise dg.Failure(
                description="blocking checks failed; the previous snapshot stays published: "
                + "; ".join(o.description for o in failed),
                metadata={"failed_checks": dg.MetadataValue.json([o.name for o in failed])},
            )
        info = publish_snapshot(store, var_dir=analytics.var_path)
    context.log.info("published snapshot %s", info.version)
    return dg.MaterializeResult(
        metadata={
            "version": info.version,
            "built_at": info.built_at.isoformat(),
            "tables": dg.MetadataValue.json(info.tables),
            "checks_passed": len(outcomes),
        }
    )
