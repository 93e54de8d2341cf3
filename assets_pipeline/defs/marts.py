"""Core tables and marts (admin stats, AI costs, revenue) with their checks declared next to them.

Core tables (group ``core``) carry history forward partition by partition (credit grants with
their FIFO positions, valued consumptions, customer MRR by month) so the marts above them read one
partition, not the raw history. Each is a thin adapter: it runs the table's SQL
(``warehouse/analytics/sql/<name>.sql``) for its partition window, then evaluates its checks in
the same step: GX Core expectations (unique key, not null, accepted values, rows = days of the
spine) and the SQL reconciliations that belong to it. All checks that guard numbers are
blocking: a failure stops what comes after.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import dagster as dg
from dagster import AssetExecutionContext

from assets_pipeline.defs.raw import table_metadata
from assets_pipeline.partitions import daily, monthly, now, window_of
from assets_pipeline.resources import AnalyticsStoreResource
from warehouse.analytics import checks
from warehouse.analytics.extract import Window
from warehouse.analytics.marts import MART_DEPS, build_mart
from warehouse.analytics.store import AnalyticsStore, ident
from warehouse.analytics.tables import BUILT, TableSpec


@dataclass(frozen=True)
class Reconciliation:
    name: str
    description: str
    run: Callable[[AnalyticsStore, AnalyticsStoreResource, date | None, date | None], checks.CheckOutcome]
    blocking: bool = True


RECONCILIATIONS: dict[str, list[Reconciliation]] = {
    "revenue_daily": [
        Reconciliation(
            "revenue_net_reconciles",
            "net revenue = Σ net of the balance transactions it covers",
            lambda s, _r, a, b: checks.revenue_net(s, a, b),
        ),
        Reconciliation(
            "stripe_freshness",
            "Stripe data no older than the sync interval allows",
            lambda s, r, _a, _b: checks.stripe_freshness(s, now=now(), max_age=r.stripe_max_age),
            blocking=False,
        ),
    ],
    "mrr_monthly": [
        Reconciliation(
            "mrr_movement_identity",
            "end = start + new + reactivation + expansion − contraction − churn",
            lambda s, _r, a, b: checks.mrr_identity(s, a, b),
        )
    ],
    "payout_reconciliation": [
        Reconciliation(
            "payouts_reconcile",
            "every payout = Σ of its balance transactions",
            lambda s, _r, _a, _b: checks.payouts_reconcile(s),
        )
    ],
    "admin_overview": [
        Reconciliation(
            "credit_positions_complete",
            "every ledger grant and consumption is in the core tables; each user's grants tile FIFO order",
            lambda s, _r, _a, _b: checks.credit_positions_complete(s),
        ),
        Reconciliation(
            "ledger_balances",
            "Σ ledger entries = cached balance per user; no negative balance",
            lambda s, _r, _a, _b: checks.ledger_balances(s),
        ),
        Reconciliation(
            "paid_grants_match_payments",
            "Σ paid grants = Σ succeeded Stripe credit-pack payments, by Stripe object id",
            lambda s, _r, _a, _b: checks.paid_grants_match_payments(s),
        ),
    ],
}

_EARLIER = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)

EXTRA_DEPS: dict[str, list[dg.AssetDep]] = {
    "active_users": [
        dg.AssetDep("raw_credit_ledger", partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-29))
    ],
    # a grant's FIFO position continues the user's grants of the days before
    "core_credit_grants": [dg.AssetDep("core_credit_grants", partition_mapping=_EARLIER)],
    # movements compare each month with the month before
    "mrr_monthly": [dg.AssetDep("core_customer_mrr", partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1))],
}


def _window_days(table: TableSpec, window: Window | None) -> tuple[date | None, date | None]:
    if window is None or table.partition == "none":
        return None, None
    return window[0].date(), window[1].date()


def expectations_result(store: AnalyticsStore, table: TableSpec, window: Window | None) -> dg.AssetCheckResult:
    """Run the GX expectations of ``table`` over the rows of ``window``."""
    from assets_pipeline.expectations import validate_table

    start, end = _window_days(table, window)
    if start is not None and end is not None and table.partition_column:
        col = ident(table.partition_column)
        df = store.query_arrow(
            f"SELECT * FROM {ident(table.name)} WHERE {col} >= :a AND {col} < :b", {"a": start, "b": end}
        ).to_pandas()
    else:
        df = store.query_arrow(f"SELECT * FROM {ident(table.name)}").to_pandas()
    expected = (end - start).days if table.dense_daily and start and end else None
    passed, meta = validate_table(table, df, expected_rows=expected)
    return dg.AssetCheckResult(
        check_name="expectations",
        passed=passed,
        description=f"{meta['expectations'] - len(meta['failed'])} of {meta['expectations']} expectations met "
        f"on {meta['rows']} rows",
        metadata={
            "expectations": meta["expectations"],
            "rows": meta["rows"],
            "failed": dg.MetadataValue.json(meta["failed"]),
        },
    )


def reconciliation_result(outcome: checks.CheckOutcome, rec: Reconciliation) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=rec.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if rec.blocking else dg.AssetCheckSeverity.WARN,
        description=outcome.description,
        metadata={"facts": dg.MetadataValue.json(outcome.metadata)},
    )


def _mart_asset(table: TableSpec) -> dg.AssetsDefinition:
    partitions = {"daily": daily, "monthly": monthly}.get(table.partition)
    recs = RECONCILIATIONS.get(table.name, [])
    extra = EXTRA_DEPS.get(table.name, [])
    extra_keys = {d.asset_key.to_user_string() for d in extra}
    deps: list[str | dg.AssetDep] = [d for d in MART_DEPS[table.name] if d not in extra_keys]
    deps += extra
    specs = [
        dg.AssetCheckSpec(
            "expectations",
            asset=table.name,
            blocking=True,
            description="GX: unique key, not null, accepted values, rows = days of the spine",
        )
    ] + [dg.AssetCheckSpec(r.name, asset=table.name, blocking=r.blocking, description=r.description) for r in recs]

    @dg.asset(
        name=table.name,
        group_name=table.group,
        kinds={"sql", "duckdb"},
        description=table.description,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        deps=deps,
        check_specs=specs,
        metadata=table_metadata(table),
    )
    def _mart(context: AssetExecutionContext, analytics: AnalyticsStoreResource) -> dg.MaterializeResult:  # type: ignore[type-arg]
        window = window_of(context)
        with analytics.open() as store:
            n = build_mart(store, table.name, window, now=now())
            results = [expectations_result(store, table, window)]
            start, end = _window_days(table, window)
            results += [reconciliation_result(r.run(store, analytics, start, end), r) for r in recs]
        return dg.MaterializeResult(metadata={"dagster/row_count": n}, check_results=results)

    return _mart


mart_assets: list[dg.AssetsDefinition] = [_mart_asset(t) for t in BUILT]
DAILY_MARTS: list[str] = [t.name for t in BUILT if t.partition == "daily"]
MONTHLY_MARTS: list[str] = [t.name for t in BUILT if t.partition == "monthly"]
STATE_MARTS: list[str] = [t.name for t in BUILT if t.partition == "none"]
