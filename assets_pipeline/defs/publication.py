"""Publication: the snapshot the stats API reads, swapped in atomically after the checks pass; its Parquet export."""

import dagster as dg
from dagster import AssetExecutionContext

from assets_pipeline.resources import AnalyticsStoreResource, ExportDestination
from core.errors import NotFound, StorageError
from warehouse.analytics.checks import publication_gate
from warehouse.analytics.export import export_snapshot
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


@dg.asset(group_name="publication", kinds={"parquet"}, deps=[analytics_snapshot])
def analytics_parquet_export(
    context: AssetExecutionContext,
    analytics: AnalyticsStoreResource,
    export_destination: ExportDestination,
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """The published snapshot's marts as Parquet in the object store, with a latest.json pointer written last."""
    try:
        reader = analytics.open_snapshot()
    except NotFound as e:
        raise dg.Failure(description=f"nothing to export: {e.message}") from e
    try:
        export = export_snapshot(
            reader, destination=export_destination.url, storage_options=export_destination.storage_options
        )
    except StorageError as e:
        raise dg.Failure(
            description=f"Parquet export of snapshot {reader.info.version} failed: {e.message}",
            metadata={"version": reader.info.version, "destination": export_destination.url},
        ) from e
    finally:
        reader.close()
    context.log.info("exported snapshot %s to %s (%d bytes)", export.version, export.destination, export.bytes_written)
    return dg.MaterializeResult(
        metadata={
            "version": export.version,
            "destination": dg.MetadataValue.path(export.destination),
            "latest": dg.MetadataValue.path(export.latest),
            "latest_updated": export.latest_updated,
            "tables": dg.MetadataValue.json([t.name for t in export.tables]),
            "rows": dg.MetadataValue.json({t.name: t.rows for t in export.tables}),
            "bytes_written": export.bytes_written,
        }
    )


publication_assets = [analytics_snapshot, analytics_parquet_export]
PUBLICATION = [a.key.to_user_string() for a in publication_assets]  # in order: the snapshot, then its export
