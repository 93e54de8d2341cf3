"""Jobs, the hourly schedules and the Stripe-events sensor.

Dagster runs one partitions definition per run, so "everything hourly" is four staggered
schedules: latest-state extracts (:00), today's and yesterday's daily facts and marts (:05),
this month's MRR (:10), then the unpartitioned marts, publication and the Parquet export of the
new snapshot (:15). The sensor runs the revenue assets for the days that new Stripe events
concern, once per batch (cursor + run_key).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster import ScheduleEvaluationContext, SensorEvaluationContext
from sqlalchemy import func, select

from assets_pipeline.defs.marts import DAILY_MARTS, MONTHLY_MARTS, STATE_MARTS
from assets_pipeline.defs.publication import PUBLICATION
from assets_pipeline.defs.raw import DAILY_RAW, STATE_RAW
from assets_pipeline.partitions import START_DATE
from assets_pipeline.resources import OperationalDatabase
from warehouse.models import StripeEvent

REVENUE_DAILY = ["raw_stripe_balance_transactions", "raw_stripe_charges", "raw_stripe_refunds", "raw_stripe_disputes"]
REVENUE_STATE = ["raw_stripe_payouts", "raw_stripe_invoice_lines", "raw_stripe_subscriptions", "payout_reconciliation"]

raw_state_job = dg.define_asset_job("raw_state", selection=dg.AssetSelection.assets(*STATE_RAW))
daily_job = dg.define_asset_job("daily_facts", selection=dg.AssetSelection.assets(*DAILY_RAW, *DAILY_MARTS))
monthly_job = dg.define_asset_job("monthly_mrr", selection=dg.AssetSelection.assets(*MONTHLY_MARTS))
publish_job = dg.define_asset_job("publish", selection=dg.AssetSelection.assets(*STATE_MARTS, *PUBLICATION))
revenue_daily_job = dg.define_asset_job(
    "revenue_daily_refresh",
    selection=dg.AssetSelection.assets(*REVENUE_DAILY, "revenue_daily"),
)
revenue_state_job = dg.define_asset_job("revenue_state_refresh", selection=dg.AssetSelection.assets(*REVENUE_STATE))

jobs = [raw_state_job, daily_job, monthly_job, publish_job, revenue_daily_job, revenue_state_job]


def _scheduled(context: ScheduleEvaluationContext) -> datetime:
    t = context.scheduled_execution_time
    return (t or datetime.now(UTC)).astimezone(UTC)


raw_state_hourly = dg.ScheduleDefinition(
    name="raw_state_hourly", job=raw_state_job, cron_schedule="0 * * * *", execution_timezone="UTC"
)
publish_hourly = dg.ScheduleDefinition(
    name="publish_hourly", job=publish_job, cron_schedule="15 * * * *", execution_timezone="UTC"
)


@dg.schedule(name="daily_facts_hourly", job=daily_job, cron_schedule="5 * * * *", execution_timezone="UTC")
def daily_facts_hourly(context: ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """Today's partition, and yesterday's for late-arriving rows."""
    t = _scheduled(context)
    days = [(t - timedelta(days=1)).date(), t.date()]
    return [dg.RunRequest(run_key=f"{d}@{t:%Y%m%dT%H}", partition_key=d.isoformat()) for d in days]


@dg.schedule(name="monthly_mrr_hourly", job=monthly_job, cron_schedule="10 * * * *", execution_timezone="UTC")
def monthly_mrr_hourly(context: ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """This month's MRR (measured as of now until the month ends), and last month's, closed at its end.

    Last month is rebuilt too so that the hour between its last run and its end is counted and
    late invoice changes reach it; it costs one month's invoice lines.
    """
    t = _scheduled(context)
    this = t.date().replace(day=1)
    last = (this - timedelta(days=1)).replace(day=1)
    first = datetime.fromisoformat(START_DATE).date()
    months = [m for m in (last, this) if m >= first]
    return [dg.RunRequest(run_key=f"{m.isoformat()}@{t:%Y%m%dT%H}", partition_key=m.isoformat()) for m in months]


@dg.sensor(
    name="stripe_events_sensor",
    jobs=[revenue_daily_job, revenue_state_job],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def stripe_events_sensor(
    context: SensorEvaluationContext, operational_db: OperationalDatabase
) -> dg.SensorResult | dg.SkipReason:
    """Refresh the revenue assets for the days that newly received Stripe events concern."""
    since = datetime.fromisoformat(context.cursor) if context.cursor else datetime(1970, 1, 1, tzinfo=UTC)
    with operational_db.connected() as engine, engine.connect() as conn:
        latest = conn.execute(select(func.max(StripeEvent.received_at)).where(StripeEvent.received_at > since)).scalar()
        if latest is None:
            return dg.SkipReason(f"no Stripe events received after {since.isoformat()}")
        created = conn.execute(
            select(StripeEvent.api_created).where(StripeEvent.received_at > since, StripeEvent.received_at <= latest)
        ).scalars()
        days = sorted({datetime.fromtimestamp(c, UTC).date() for c in created})
    latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
    first = datetime.fromisoformat(START_DATE).date()
    today = datetime.now(UTC).date()
    batch = latest.isoformat()
    requests = [
        dg.RunRequest(run_key=f"stripe:{batch}:{d}", job_name=revenue_daily_job.name, partition_key=d.isoformat())
        for d in days
        if first <= d <= today
    ]
    requests.append(dg.RunRequest(run_key=f"stripe-state:{batch}", job_name=revenue_state_job.name))
    return dg.SensorResult(run_requests=requests, cursor=batch)


schedules = [raw_state_hourly, daily_facts_hourly, monthly_mrr_hourly, publish_hourly]
sensors = [stripe_events_sensor]
