"""Raw extracts: operational tables and Stripe objects copied into the analytics store.

Facts are daily partitions (re-running a day replaces that day); a backfill runs as one run over
the whole range (``BackfillPolicy.single_run``). Latest-state tables are extracted incrementally
by watermark (``warehouse.analytics.extract.extract_latest``); run config
``{"ops": {"raw_users": {"config": {"full_refresh": true}}}}`` re-extracts one whole, for recovery.
"""

import dagster as dg
from dagster import AssetExecutionContext

from assets_pipeline.partitions import daily, window_of
from assets_pipeline.resources import AnalyticsStoreResource, OperationalDatabase
from warehouse.analytics.extract import INCREMENTAL, RAW_TABLES, extract, extract_latest, is_windowed
from warehouse.analytics.tables import TableSpec, spec


class LatestStateConfig(dg.Config):
    """Run config of a latest-state extract."""

    full_refresh: bool = False  # ignore the watermark: read every source row, replace the whole table


def column_schema(table: TableSpec) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(c.name, c.type, description=c.description) for c in table.columns])


def table_metadata(table: TableSpec) -> dict[str, object]:
    return {
        "dagster/column_schema": column_schema(table),
        "dagster/table_name": table.name,
        "grain": table.grain,
        "partition": table.partition,
        "key": ", ".join(table.key),
        "metrics": dg.MetadataValue.json(list(table.metrics)),
    }


def _kinds(name: str) -> set[str]:
    return {"python", "duckdb"} if not name.startswith("raw_stripe") else {"stripe", "duckdb"}


def _extraction(name: str) -> str:
    inc = INCREMENTAL.get(name)
    if inc is None:
        return "reloaded whole on every run (a small reference table)"
    return (
        f"incremental by {inc.change_column}; rows replaced by {inc.replace_column}; deleted sources reconciled by key"
    )


def _daily_raw_asset(name: str) -> dg.AssetsDefinition:
    table = spec(name)

    @dg.asset(
        name=name,
        group_name="raw",
        kinds=_kinds(name),
        description=table.description,
        partitions_def=daily,
        backfill_policy=dg.BackfillPolicy.single_run(),
        metadata=table_metadata(table),
    )
    def _extract(
        context: AssetExecutionContext, operational_db: OperationalDatabase, analytics: AnalyticsStoreResource
    ) -> dg.MaterializeResult:  # type: ignore[type-arg]
        with operational_db.connected() as engine, analytics.open() as store:
            n = extract(engine, store, name, window_of(context))
        return dg.MaterializeResult(metadata={"dagster/row_count": n})

    return _extract


def _latest_state_asset(name: str) -> dg.AssetsDefinition:
    table = spec(name)

    @dg.asset(
        name=name,
        group_name="raw",
        kinds=_kinds(name),
        description=table.description,
        metadata={**table_metadata(table), "extraction": _extraction(name)},
    )
    def _extract(
        config: LatestStateConfig, operational_db: OperationalDatabase, analytics: AnalyticsStoreResource
    ) -> dg.MaterializeResult:  # type: ignore[type-arg]
        with operational_db.connected() as engine, analytics.open() as store:
            r = extract_latest(engine, store, name, full_refresh=config.full_refresh)
        before = r.watermark_before.isoformat() if r.watermark_before else None
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": r.rows_in_table,
                "mode": r.mode,
                "rows_read": r.rows_read,
                "rows_upserted": r.rows_upserted,
                "rows_deleted": r.rows_deleted,
                "watermark_before": dg.MetadataValue.text(before or "none (first run)"),
                "watermark_after": dg.MetadataValue.text(r.watermark_after.isoformat()),
            }
        )

    return _extract


raw_assets: list[dg.AssetsDefinition] = [
    _daily_raw_asset(name) if is_windowed(name) else _latest_state_asset(name) for name in RAW_TABLES
]
DAILY_RAW: list[str] = [n for n in RAW_TABLES if is_windowed(n)]
STATE_RAW: list[str] = [n for n in RAW_TABLES if not is_windowed(n)]
