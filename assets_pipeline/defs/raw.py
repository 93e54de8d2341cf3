"""Raw extracts: operational tables and Stripe objects copied into the analytics store.

Facts are daily partitions (re-running a day replaces that day); latest-state tables are
replaced whole. A backfill runs as one run over the whole range (``BackfillPolicy.single_run``).
"""

import dagster as dg
from dagster import AssetExecutionContext

from assets_pipeline.partitions import daily, window_of
from assets_pipeline.resources import AnalyticsStoreResource, OperationalDatabase
from warehouse.analytics.extract import RAW_TABLES, extract, is_windowed
from warehouse.analytics.tables import TableSpec, spec


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


def _raw_asset(name: str) -> dg.AssetsDefinition:
    table = spec(name)
    windowed = is_windowed(name)

    @dg.asset(
        name=name,
        group_name="raw",
        kinds={"python", "duckdb"} if not name.startswith("raw_stripe") else {"stripe", "duckdb"},
        description=table.description,
        partitions_def=daily if windowed else None,
        backfill_policy=dg.BackfillPolicy.single_run() if windowed else None,
        metadata=table_metadata(table),
    )
    def _extract(
        context: AssetExecutionContext, operational_db: OperationalDatabase, analytics: AnalyticsStoreResource
    ) -> dg.MaterializeResult:  # type: ignore[type-arg]
        engine = operational_db.engine()
        try:
            with analytics.open() as store:
                n = extract(engine, store, name, window_of(context) if windowed else None)
        finally:
            engine.dispose()
        return dg.MaterializeResult(metadata={"dagster/row_count": n})

    return _extract


raw_assets: list[dg.AssetsDefinition] = [_raw_asset(name) for name in RAW_TABLES]
DAILY_RAW: list[str] = [n for n in RAW_TABLES if is_windowed(n)]
STATE_RAW: list[str] = [n for n in RAW_TABLES if not is_windowed(n)]
