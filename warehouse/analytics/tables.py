"""The registry of analytics tables: columns, types, grain, partition and the METRICS.md definitions.

One description per table drives the DDL on both back ends, the Arrow schemas of the extracts,
the Dagster asset metadata and the analysts' data dictionary, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

Partition = Literal["none", "daily", "monthly"]

_ARROW: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "DATE": pa.date32(),
}

_SQL: dict[str, str] = {"DOUBLE": "DOUBLE PRECISION"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str

    @property
    def sql_type(self) -> str:
        return _SQL.get(self.type, self.type)

    @property
    def arrow_type(self) -> pa.DataType:
        if self.type.startswith("DECIMAL"):
            precision, scale = (int(x) for x in self.type[len("DECIMAL(") : -1].split(","))
            return pa.decimal128(precision, scale)
        return _ARROW[self.type]


@dataclass(frozen=True)
class TableSpec:
    """An analytics table. ``partition_column`` holds the day (or month) a partition owns."""

    name: str
    description: str
    grain: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition: Partition = "none"
    partition_column: str | None = None
    metrics: tuple[str, ...] = ()
    group: str = "raw"
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    not_null: tuple[str, ...] = ()
    dense_daily: bool = False  # one row per day of the spine (checked on every build)
    lookups: tuple[tuple[str, ...], ...] = ()  # columns other tables' builds look rows up by

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns])

    def index_ddl(self) -> list[str]:
        """Indexes PostgreSQL needs so a partition's delete and read, and the lookups of a new
        day's rows by key, touch only those rows and not the history.

        DuckDB needs none: its zone maps prune row groups by the partition column (facts are
        written in time order), and its lookups are hash joins over a few columns.
        """
        cols = [(self.partition_column,)] if self.partition_column and self.partition != "none" else []
        return [
            f"CREATE INDEX IF NOT EXISTS ix_{self.name}_{'_'.join(c)} ON {self.name} ({', '.join(c)})"
            for c in cols + list(self.lookups)
        ]

    def ddl(self) -> str:
        cols = ",\n  ".join(f"{c.name} {c.sql_type}" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {cols}\n)"


def C(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description)


TS = "TIMESTAMPTZ"

# --------------------------------------------------------------------------------------- raw
RAW: tuple[TableSpec, ...] = (
    TableSpec(
        "raw_users",
        "Users as they are now (latest state; no e-mail addresses).",
        "one row per user",
        (
            C("user_id", "VARCHAR", "user UUID"),
            C("role", "VARCHAR", "user/admin/service"),
            C("plan", "VARCHAR", "free/starter/pro/studio"),
            C("credit_balance", "BIGINT", "cached credit balance"),
            C("stripe_customer_id", "VARCHAR", "Stripe customer id (cus_…)"),
            C("created_at", TS, "sign-up time (UTC)"),
        ),
        key=("user_id",),
        not_null=("user_id", "role", "plan", "credit_balance", "created_at"),
        accepted_values={"role": ("user", "admin", "service"), "plan": ("free", "starter", "pro", "studio")},
    ),
    TableSpec(
        "raw_credit_ledger",
        "Credit ledger entries (append-only), by the day they were written.",
        "one row per ledger entry",
        (
            C("entry_id", "VARCHAR", "ledger entry UUID"),
            C("user_id", "VARCHAR", "user UUID"),
            C("kind", "VARCHAR", "grant_purchase/grant_promo/grant_subscription/spend/refund/adjustment"),
            C("amount", "BIGINT", "credits; grants positive, spends negative"),
            C("balance_after", "BIGINT", "the user's balance after this entry (Σ of their entries so far)"),
            C("idempotency_key", "VARCHAR", "the entry's unique idempotency key"),
            C("reference_type", "VARCHAR", "what the entry refers to (asset, order, stripe object)"),
            C("reference_id", "VARCHAR", "id of the referenced thing (Stripe object id for paid grants)"),
            C("created_at", TS, "when the entry was written (UTC)"),
        ),
        key=("entry_id",),
        partition="daily",
        partition_column="created_at",
        not_null=("entry_id", "user_id", "kind", "amount", "created_at"),
        accepted_values={
            "kind": ("grant_purchase", "grant_promo", "grant_subscription", "spend", "refund", "adjustment")
        },
    ),
    TableSpec(
        "raw_assets",
        "Generation jobs, by the day they were created (status as of the extract).",
        "one row per asset",
        (
            C("asset_id", "VARCHAR", "asset UUID"),
            C("user_id", "VARCHAR", "owner UUID"),
            C("mode", "VARCHAR", "text/image"),
            C("skip_concept", "BOOLEAN", "went straight to a model"),
            C("status", "VARCHAR", "PENDING_CONCEPTS … COMPLETED/FAILED"),
            C("concept_attempts", "BIGINT", "concept sets generated"),
            C("model_attempts", "BIGINT", "model attempts (regenerations = attempts − 1)"),
            C("created_at", TS, "when the generation started (UTC)"),
            C("completed_at", TS, "when it completed (UTC)"),
            C("deleted_at", TS, "soft-deletion time (UTC)"),
        ),
        key=("asset_id",),
        lookups=(("asset_id",), ("completed_at",)),
        partition="daily",
        partition_column="created_at",
        not_null=("asset_id", "user_id", "mode", "status", "created_at"),
        accepted_values={
            "mode": ("text", "image"),
            "status": ("PENDING_CONCEPTS", "CONCEPTS_GENERATED", "GENERATING_MODEL", "COMPLETED", "FAILED"),
        },
    ),
    TableSpec(
        "raw_asset_files",
        "Stored objects that belong to assets (latest state).",
        "one row per stored file",
        (
            C("file_id", "VARCHAR", "file UUID"),
            C("asset_id", "VARCHAR", "asset UUID"),
            C("user_id", "VARCHAR", "owner of the asset"),
            C("kind", "VARCHAR", "glb/stl/obj/concept/…"),
            C("size_bytes", "BIGINT", "object size in bytes"),
            C("created_at", TS, "when it was stored (UTC)"),
        ),
        key=("file_id",),
        not_null=("file_id", "asset_id", "size_bytes"),
    ),
    TableSpec(
        "raw_provider_calls",
        "AI/GPU provider calls with their frozen cost, by the day they started.",
        "one row per provider call",
        (
            C("call_id", "VARCHAR", "provider call UUID"),
            C("asset_id", "VARCHAR", "asset UUID (null for calls without an asset)"),
            C("user_id", "VARCHAR", "user UUID"),
            C("stage", "VARCHAR", "concepts/model/rescale/thumbnail"),
            C("provider", "VARCHAR", "tripo/meshy/runpod/own-gpu/local"),
            C("model", "VARCHAR", "provider model"),
            C("status", "VARCHAR", "succeeded/failed/cancelled/timed_out"),
            C("queue_seconds", "DOUBLE", "time queued at the provider"),
            C("run_seconds", "DOUBLE", "time running at the provider"),
            C("units", "DOUBLE", "billed units"),
            C("unit", "VARCHAR", "credit/gpu_second/cpu_second/image/request"),
            C("price_id", "BIGINT", "provider_prices row valid at call time"),
            C("cost_nano_usd", "BIGINT", "cost frozen at call time, nano-USD"),
            C("cost_source", "VARCHAR", "inferred/reported"),
            C("asset_mode", "VARCHAR", "text/image: the mode of the call's asset, copied at extraction"),
            C("asset_skip_concept", "BOOLEAN", "the call's asset skipped concepts, copied at extraction"),
            C("asset_created_at", TS, "when the call's asset was created (UTC), copied at extraction"),
            C("created_at", TS, "call start (UTC)"),
        ),
        key=("call_id",),
        partition="daily",
        partition_column="created_at",
        not_null=("call_id", "stage", "provider", "model", "status", "cost_nano_usd", "created_at"),
        accepted_values={
            "stage": ("concepts", "model", "rescale", "thumbnail"),
            "status": ("succeeded", "failed", "cancelled", "timed_out"),
        },
    ),
    TableSpec(
        "raw_orders",
        "Stripe checkouts turned into orders, by the day they were created.",
        "one row per order",
        (
            C("order_id", "VARCHAR", "order UUID"),
            C("user_id", "VARCHAR", "buyer UUID"),
            C("status", "VARCHAR", "PENDING/PAID/FULFILLED/FAILED"),
            C("amount_total_cents", "BIGINT", "checkout total, cents"),
            C("currency", "VARCHAR", "ISO currency, lower case"),
            C("checkout_session_id", "VARCHAR", "Stripe checkout session id (cs_…)"),
            C("payment_intent_id", "VARCHAR", "Stripe payment intent id (pi_…)"),
            C("created_at", TS, "order creation (UTC)"),
            C("paid_at", TS, "payment time (UTC)"),
            C("fulfilled_at", TS, "fulfilment time (UTC)"),
        ),
        key=("order_id",),
        lookups=(("checkout_session_id",), ("payment_intent_id",), ("order_id",), ("paid_at",)),
        partition="daily",
        partition_column="created_at",
        not_null=("order_id", "user_id", "status", "amount_total_cents", "created_at"),
        accepted_values={"status": ("PENDING", "PAID", "FULFILLED", "FAILED")},
    ),
    TableSpec(
        "raw_order_items",
        "Order lines, by the day their order was created.",
        "one row per order item",
        (
            C("item_id", "VARCHAR", "order item UUID"),
            C("order_id", "VARCHAR", "order UUID"),
            C("kind", "VARCHAR", "digital_asset/print/credit_pack"),
            C("asset_id", "VARCHAR", "asset bought or printed"),
            C("print_config_id", "VARCHAR", "print configuration"),
            C("credit_pack_id", "VARCHAR", "credit pack"),
            C("quantity", "BIGINT", "units"),
            C("unit_amount_cents", "BIGINT", "unit price, cents"),
            C("amount_cents", "BIGINT", "line total, cents"),
            C("created_at", TS, "creation time of the order (UTC)"),
        ),
        key=("item_id",),
        lookups=(("order_id",),),
        partition="daily",
        partition_column="created_at",
        not_null=("item_id", "order_id", "kind", "quantity", "amount_cents", "created_at"),
        accepted_values={"kind": ("digital_asset", "print", "credit_pack")},
    ),
    TableSpec(
        "raw_print_configs",
        "Print quotes and orders (latest state).",
        "one row per print configuration",
        (
            C("print_config_id", "VARCHAR", "print configuration UUID"),
            C("user_id", "VARCHAR", "user UUID"),
            C("asset_id", "VARCHAR", "asset UUID"),
            C("technology", "VARCHAR", "fdm/sla/sls"),
            C("material", "VARCHAR", "material"),
            C("quantity", "BIGINT", "copies"),
            C("quoted_price_cents", "BIGINT", "quoted price, cents"),
            C("status", "VARCHAR", "QUOTED/ORDERED/RESCALED/SENT"),
            C("created_at", TS, "quote time (UTC)"),
        ),
        key=("print_config_id",),
        not_null=("print_config_id", "quantity", "status"),
    ),
    TableSpec(
        "raw_credit_packs",
        "Credit packs on sale.",
        "one row per credit pack",
        (
            C("credit_pack_id", "VARCHAR", "pack id"),
            C("credits", "BIGINT", "credits granted"),
            C("price_cents", "BIGINT", "price, cents"),
            C("currency", "VARCHAR", "currency"),
        ),
        key=("credit_pack_id",),
        not_null=("credit_pack_id", "credits", "price_cents"),
    ),
    TableSpec(
        "raw_stripe_balance_transactions",
        "Stripe balance transactions (latest state per id), by the day they were created.",
        "one row per balance transaction (txn_…)",
        (
            C("id", "VARCHAR", "balance transaction id (txn_…)"),
            C("type", "VARCHAR", "Stripe type: charge, payment, refund, payment_refund, adjustment, payout, …"),
            C("reporting_category", "VARCHAR", "Stripe reporting category: charge, refund, dispute, …"),
            C("amount", "BIGINT", "gross amount, cents (negative for debits)"),
            C("fee", "BIGINT", "Stripe fee, cents"),
            C("net", "BIGINT", "amount − fee, cents"),
            C("currency", "VARCHAR", "settlement currency"),
            C("status", "VARCHAR", "available/pending"),
            C("source_id", "VARCHAR", "the object that caused it (ch_, re_, dp_, po_ …)"),
            C("created_at", TS, "Stripe created (UTC)"),
            C("available_on", TS, "when the funds become available (UTC)"),
        ),
        key=("id",),
        partition="daily",
        partition_column="created_at",
        not_null=("id", "type", "amount", "fee", "net", "created_at", "available_on"),
    ),
    TableSpec(
        "raw_stripe_charges",
        "Stripe charges (latest state per id), by the day they were created.",
        "one row per charge (ch_…)",
        (
            C("id", "VARCHAR", "charge id"),
            C("customer_id", "VARCHAR", "Stripe customer id"),
            C("amount", "BIGINT", "amount, cents"),
            C("amount_refunded", "BIGINT", "refunded so far, cents"),
            C("currency", "VARCHAR", "currency"),
            C("status", "VARCHAR", "succeeded/pending/failed"),
            C("paid", "BOOLEAN", "paid"),
            C("refunded", "BOOLEAN", "fully refunded"),
            C("disputed", "BOOLEAN", "disputed"),
            C("payment_intent_id", "VARCHAR", "payment intent (pi_…)"),
            C("invoice_id", "VARCHAR", "invoice (in_…) for subscription charges; null for one-time checkouts"),
            C("balance_transaction_id", "VARCHAR", "its balance transaction (txn_…)"),
            C("checkout_session_id", "VARCHAR", "metadata.checkout_session_id for one-time checkouts"),
            C("created_at", TS, "Stripe created (UTC)"),
        ),
        key=("id",),
        lookups=(("id",),),
        partition="daily",
        partition_column="created_at",
        not_null=("id", "amount", "status", "created_at"),
    ),
    TableSpec(
        "raw_stripe_refunds",
        "Stripe refunds (latest state per id), by the day they were created.",
        "one row per refund (re_…)",
        (
            C("id", "VARCHAR", "refund id"),
            C("charge_id", "VARCHAR", "refunded charge"),
            C("amount", "BIGINT", "amount, cents"),
            C("currency", "VARCHAR", "currency"),
            C("status", "VARCHAR", "succeeded/pending/failed/canceled"),
            C("reason", "VARCHAR", "Stripe reason"),
            C("balance_transaction_id", "VARCHAR", "its balance transaction"),
            C("created_at", TS, "Stripe created (UTC)"),
        ),
        key=("id",),
        partition="daily",
        partition_column="created_at",
        not_null=("id", "amount", "created_at"),
    ),
    TableSpec(
        "raw_stripe_disputes",
        "Stripe disputes (latest state per id), by the day they were created.",
        "one row per dispute (dp_…)",
        (
            C("id", "VARCHAR", "dispute id"),
            C("charge_id", "VARCHAR", "disputed charge"),
            C("amount", "BIGINT", "disputed amount, cents"),
            C("currency", "VARCHAR", "currency"),
            C("status", "VARCHAR", "Stripe dispute status (won, lost, needs_response, …)"),
            C("reason", "VARCHAR", "Stripe reason"),
            C("created_at", TS, "Stripe created (UTC)"),
        ),
        key=("id",),
        partition="daily",
        partition_column="created_at",
        not_null=("id", "amount", "status", "created_at"),
    ),
    TableSpec(
        "raw_stripe_payouts",
        "Stripe payouts (latest state per id).",
        "one row per payout (po_…)",
        (
            C("id", "VARCHAR", "payout id"),
            C("amount", "BIGINT", "amount paid out, cents"),
            C("currency", "VARCHAR", "currency"),
            C("status", "VARCHAR", "paid/pending/in_transit/canceled/failed"),
            C("automatic", "BOOLEAN", "an automatic payout"),
            C("balance_transaction_id", "VARCHAR", "the payout's own balance transaction"),
            C("arrival_date", TS, "expected arrival (UTC)"),
            C("created_at", TS, "Stripe created (UTC)"),
        ),
        key=("id",),
        not_null=("id", "amount", "status", "created_at"),
    ),
    TableSpec(
        "raw_stripe_invoice_lines",
        "Subscription invoice lines flattened from Stripe invoices (latest state per invoice).",
        "one row per invoice line (il_…)",
        (
            C("line_id", "VARCHAR", "invoice line id"),
            C("invoice_id", "VARCHAR", "invoice id"),
            C("customer_id", "VARCHAR", "Stripe customer id"),
            C("subscription_id", "VARCHAR", "subscription id"),
            C("invoice_status", "VARCHAR", "draft/open/paid/uncollectible/void"),
            C("billing_reason", "VARCHAR", "subscription_create/subscription_cycle/…"),
            C("line_type", "VARCHAR", "subscription/invoiceitem"),
            C("proration", "BOOLEAN", "a proration line"),
            C("period_start", TS, "service period start (UTC)"),
            C("period_end", TS, "service period end (UTC)"),
            C("unit_amount", "BIGINT", "price unit amount, cents"),
            C("quantity", "BIGINT", "quantity"),
            C("interval", "VARCHAR", "day/week/month/year"),
            C("interval_count", "BIGINT", "billing interval count"),
            C("discount_amount", "BIGINT", "Σ discount_amounts of the line, cents"),
            C("amount", "BIGINT", "line amount, cents"),
            C("currency", "VARCHAR", "currency"),
            C("created_at", TS, "invoice created (UTC)"),
        ),
        key=("line_id",),
        lookups=(("invoice_id",),),
        not_null=("line_id", "invoice_id", "customer_id", "period_start", "period_end"),
    ),
    TableSpec(
        "raw_stripe_subscriptions",
        "Stripe subscriptions (latest state per id).",
        "one row per subscription (sub_…)",
        (
            C("id", "VARCHAR", "subscription id"),
            C("customer_id", "VARCHAR", "Stripe customer id"),
            C("status", "VARCHAR", "active/past_due/canceled/trialing/…"),
            C("price_id", "VARCHAR", "current price id"),
            C("unit_amount", "BIGINT", "current unit amount, cents"),
            C("quantity", "BIGINT", "quantity"),
            C("interval", "VARCHAR", "billing interval"),
            C("interval_count", "BIGINT", "billing interval count"),
            C("cancel_at_period_end", "BOOLEAN", "cancels at the end of the paid period"),
            C("canceled_at", TS, "when cancellation was requested (UTC)"),
            C("ended_at", TS, "when it ended (UTC)"),
            C("created_at", TS, "Stripe created (UTC)"),
        ),
        key=("id",),
        not_null=("id", "customer_id", "status", "created_at"),
        accepted_values={
            "status": (
                "active",
                "past_due",
                "canceled",
                "trialing",
                "incomplete",
                "incomplete_expired",
                "unpaid",
                "paused",
            )
        },
    ),
)

# --------------------------------------------------------------------------------------- marts
_DAY = C("day", "DATE", "calendar day (UTC)")
_MONTH = C("month", "DATE", "first day of the calendar month (UTC)")

# ---------------------------------------------------------------------------------------- core
# Conformed, history-carrying tables kept day by day (or month by month), so that a mart needing
# a user's whole credit history or a customer's whole MRR history reads one small partition and
# the positions carried in it, never the raw history. Built like marts; not published.
CORE: tuple[TableSpec, ...] = (
    TableSpec(
        "core_credit_grants",
        "Every credit grant with its first-in-first-out position and the money behind it, by grant day.",
        "one row per grant (ledger entry adding credits)",
        (
            _DAY,
            C("entry_id", "VARCHAR", "ledger entry UUID"),
            C("user_id", "VARCHAR", "user UUID"),
            C("kind", "VARCHAR", "grant_purchase/grant_promo/grant_subscription/adjustment"),
            C("reference_id", "VARCHAR", "checkout, payment intent, order or invoice the grant names"),
            C("created_at", TS, "when the grant was written (UTC)"),
            C("credits", "BIGINT", "credits granted"),
            C("credits_before", "BIGINT", "credits granted to the user before this grant (its FIFO start)"),
            C("value_cents", "BIGINT", "money behind the grant: pack sales or paid subscription lines; 0 if free"),
            C("value_per_credit_cents", "DOUBLE", "value ÷ credits (0 for promotional credits)"),
        ),
        key=("entry_id",),
        lookups=(("user_id", "credits_before"),),
        partition="daily",
        partition_column="day",
        group="core",
        metrics=("Credit value", "Consumed value (FIFO)"),
        not_null=("day", "entry_id", "user_id", "kind", "credits", "credits_before", "value_cents"),
        accepted_values={"kind": ("grant_purchase", "grant_promo", "grant_subscription", "adjustment")},
    ),
    TableSpec(
        "core_credit_consumption",
        "Every credit consumption (spends, their refunds, negative adjustments) valued first in first out.",
        "one row per consuming ledger entry",
        (
            _DAY,
            C("entry_id", "VARCHAR", "ledger entry UUID"),
            C("user_id", "VARCHAR", "user UUID"),
            C("kind", "VARCHAR", "spend/refund/adjustment"),
            C("created_at", TS, "when the entry was written (UTC)"),
            C("credits", "BIGINT", "credits consumed (a refund of a spend is negative)"),
            C("consumed_before", "BIGINT", "the user's credits consumed before this entry (FIFO position)"),
            C("value_cents", "DOUBLE", "value of the grant credits consumed, cents (negative for refunds)"),
        ),
        key=("entry_id",),
        partition="daily",
        partition_column="day",
        group="core",
        metrics=("Consumed value (FIFO)",),
        not_null=("day", "entry_id", "user_id", "kind", "credits", "consumed_before", "value_cents"),
        accepted_values={"kind": ("spend", "refund", "adjustment")},
    ),
    TableSpec(
        "core_customer_mrr",
        "Each customer's MRR at the end of each month (or now, for the current month).",
        "one row per customer and month with MRR > 0",
        (
            _MONTH,
            C("customer_id", "VARCHAR", "Stripe customer id (cus_…)"),
            C("subscriptions", "BIGINT", "subscriptions contributing"),
            C("mrr_cents", "BIGINT", "MRR at month end, cents (normalised to a month, after discounts)"),
        ),
        key=("month", "customer_id"),
        lookups=(("customer_id", "month"),),
        partition="monthly",
        partition_column="month",
        group="core",
        metrics=("MRR at month end",),
        not_null=("month", "customer_id", "mrr_cents"),
    ),
)


MARTS: tuple[TableSpec, ...] = (
    TableSpec(
        "admin_overview",
        "Headline numbers for the admin dashboard, as of the build.",
        "one row",
        (
            C("as_of", TS, "build time (UTC)"),
            C("total_users", "BIGINT", "all users"),
            C("users_free", "BIGINT", "users on the free plan"),
            C("users_starter", "BIGINT", "users on the starter plan"),
            C("users_pro", "BIGINT", "users on the pro plan"),
            C("users_studio", "BIGINT", "users on the studio plan"),
            C("admins", "BIGINT", "users with the admin role"),
            C("generations", "BIGINT", "generations started"),
            C("generations_completed", "BIGINT", "generations completed"),
            C("generations_failed", "BIGINT", "generations failed"),
            C("ai_cost_nano_usd", "BIGINT", "Σ AI cost of all provider calls, nano-USD"),
            C("gross_sales_cents", "BIGINT", "Σ gross sales (METRICS Revenue), cents"),
            C("net_revenue_cents", "BIGINT", "Σ net revenue (METRICS Revenue), cents"),
            C("credits_outstanding", "BIGINT", "Σ cached credit balances"),
            C("storage_bytes", "BIGINT", "bytes stored in total"),
        ),
        key=("as_of",),
        group="admin_stats",
        metrics=("Users: total, by plan and role", "Revenue: gross sales, net revenue", "Storage: total bytes"),
        not_null=("as_of", "total_users"),
    ),
    TableSpec(
        "user_growth_daily",
        "New and cumulative users per day.",
        "one row per day",
        (
            _DAY,
            C("new_users", "BIGINT", "sign-ups that day"),
            C("total_users", "BIGINT", "users at the end of the day"),
        ),
        key=("day",),
        partition="daily",
        partition_column="day",
        group="admin_stats",
        metrics=("Users: new per day (growth), total",),
        not_null=("day", "new_users", "total_users"),
        dense_daily=True,
    ),
    TableSpec(
        "user_growth_monthly",
        "New and cumulative users per month, with paid conversion of the month's cohort.",
        "one row per month",
        (
            _MONTH,
            C("new_users", "BIGINT", "sign-ups that month"),
            C("total_users", "BIGINT", "users at the end of the month"),
            C("converted_30d", "BIGINT", "cohort users with a first paid purchase within 30 days of sign-up"),
            C("conversion_30d", "DOUBLE", "converted_30d ÷ new_users"),
        ),
        key=("month",),
        group="admin_stats",
        metrics=("Users: new per month (growth)", "Conversion (N = 30 days)"),
        not_null=("month", "new_users", "total_users"),
    ),
    TableSpec(
        "active_users",
        "Daily, weekly and monthly active users (credit-spending generations).",
        "one row per day",
        (
            _DAY,
            C("dau", "BIGINT", "distinct users with ≥ 1 spend that day"),
            C("wau", "BIGINT", "… in the 7 days ending that day"),
            C("mau", "BIGINT", "… in the 30 days ending that day"),
        ),
        key=("day",),
        partition="daily",
        partition_column="day",
        group="admin_stats",
        metrics=("DAU / WAU / MAU",),
        not_null=("day", "dau", "wau", "mau"),
        dense_daily=True,
    ),
    TableSpec(
        "generation_activity_daily",
        "Provider calls per day by stage, mode and provider: outcomes, success rate and duration.",
        "one row per day × stage × mode × provider",
        (
            _DAY,
            C("stage", "VARCHAR", "concepts/model/rescale/thumbnail"),
            C("mode", "VARCHAR", "text/image (unknown without an asset)"),
            C("provider", "VARCHAR", "provider"),
            C("calls", "BIGINT", "calls started"),
            C("succeeded", "BIGINT", "calls that succeeded"),
            C("failed", "BIGINT", "calls that did not succeed"),
            C("success_rate", "DOUBLE", "succeeded ÷ calls"),
            C("generations", "BIGINT", "distinct assets touched"),
            C("skip_concept_calls", "BIGINT", "calls of skip-concept generations"),
            C("p50_duration_s", "DOUBLE", "median queue + run seconds"),
            C("p95_duration_s", "DOUBLE", "95th percentile queue + run seconds"),
        ),
        key=("day", "stage", "mode", "provider"),
        partition="daily",
        partition_column="day",
        group="admin_stats",
        metrics=("Generation activity: started, succeeded, failed, success rate, p50/p95 duration",),
        not_null=("day", "stage", "mode", "provider", "calls"),
        accepted_values={"stage": ("concepts", "model", "rescale", "thumbnail"), "mode": ("text", "image", "unknown")},
    ),
    TableSpec(
        "recent_activity",
        "The latest 200 events (sign-ups, generations, orders, refunds), newest first.",
        "one row per event",
        (
            C("occurred_at", TS, "event time (UTC)"),
            C(
                "event_type",
                "VARCHAR",
                "signup/generation_started/generation_completed/generation_failed/order_paid/refund",
            ),
            C("subject_id", "VARCHAR", "user, asset, order or refund id"),
            C("user_id", "VARCHAR", "user concerned (null for Stripe refunds)"),
            C("detail", "VARCHAR", "short detail"),
        ),
        key=("event_type", "subject_id"),
        group="admin_stats",
        metrics=("Recent activity",),
        not_null=("occurred_at", "event_type", "subject_id"),
        accepted_values={
            "event_type": (
                "signup",
                "generation_started",
                "generation_completed",
                "generation_failed",
                "order_paid",
                "refund",
            )
        },
    ),
    TableSpec(
        "orders_daily",
        "Orders per day: counts, items by kind, print units, fulfilment lead time, failures.",
        "one row per day",
        (
            _DAY,
            C("orders", "BIGINT", "orders created"),
            C("paid_orders", "BIGINT", "orders paid (PAID or FULFILLED)"),
            C("fulfilled_orders", "BIGINT", "orders fulfilled"),
            C("failed_orders", "BIGINT", "failed fulfilments"),
            C("digital_items", "BIGINT", "digital-asset items"),
            C("print_items", "BIGINT", "print items"),
            C("credit_pack_items", "BIGINT", "credit-pack items"),
            C("print_units", "BIGINT", "Σ quantity of print items"),
            C("order_amount_cents", "BIGINT", "Σ total of paid orders, cents"),
            C("avg_fulfilment_hours", "DOUBLE", "mean hours from payment to fulfilment"),
        ),
        key=("day",),
        partition="daily",
        partition_column="day",
        group="admin_stats",
        metrics=("Orders: count, items by kind, print units, fulfilment lead time, failed fulfilments",),
        not_null=("day", "orders"),
        dense_daily=True,
    ),
    TableSpec(
        "storage_usage",
        "Bytes stored per user.",
        "one row per user with stored files",
        (
            C("user_id", "VARCHAR", "user UUID"),
            C("files", "BIGINT", "stored files"),
            C("bytes_stored", "BIGINT", "Σ size_bytes"),
            C("model_bytes", "BIGINT", "bytes of model files (glb/stl/obj/mtl)"),
        ),
        key=("user_id",),
        group="admin_stats",
        metrics=("Storage: bytes stored per user and in total",),
        not_null=("user_id", "bytes_stored"),
    ),
    TableSpec(
        "ai_cost_daily",
        "AI cost per day by provider, model and stage, with queue and run time kept apart.",
        "one row per day × provider × model × stage",
        (
            _DAY,
            C("provider", "VARCHAR", "provider"),
            C("model", "VARCHAR", "model"),
            C("stage", "VARCHAR", "stage"),
            C("calls", "BIGINT", "calls"),
            C("failed_calls", "BIGINT", "calls that did not succeed"),
            C("units", "DOUBLE", "Σ billed units"),
            C("cost_nano_usd", "BIGINT", "Σ frozen cost, nano-USD"),
            C("cost_usd", "DECIMAL(18,9)", "Σ frozen cost, USD (exact)"),
            C("failed_cost_nano_usd", "BIGINT", "cost of calls that did not succeed, nano-USD"),
            C("queue_seconds", "DOUBLE", "Σ queue time"),
            C("run_seconds", "DOUBLE", "Σ run time"),
        ),
        key=("day", "provider", "model", "stage"),
        partition="daily",
        partition_column="day",
        group="ai_costs",
        metrics=("Cost by provider / model / stage / day (cost frozen at call time)",),
        not_null=("day", "provider", "model", "stage", "cost_nano_usd"),
    ),
    TableSpec(
        "cost_per_generation",
        "AI cost of each generation (retries and failures included), by the day it started.",
        "one row per asset",
        (
            _DAY,
            C("asset_id", "VARCHAR", "asset UUID"),
            C("user_id", "VARCHAR", "owner"),
            C("mode", "VARCHAR", "text/image"),
            C("status", "VARCHAR", "asset status"),
            C("succeeded", "BOOLEAN", "the generation completed"),
            C("calls", "BIGINT", "provider calls"),
            C("failed_calls", "BIGINT", "provider calls that did not succeed"),
            C("model_attempts", "BIGINT", "model attempts"),
            C("cost_nano_usd", "BIGINT", "Σ cost of all its calls, nano-USD"),
            C("cost_usd", "DECIMAL(18,9)", "the same in USD (exact)"),
        ),
        key=("asset_id",),
        partition="daily",
        partition_column="day",
        group="ai_costs",
        metrics=("AI cost per generation",),
        not_null=("day", "asset_id", "cost_nano_usd"),
    ),
    TableSpec(
        "unit_economics",
        "Credit value, consumed value (FIFO), AI cost and margin per day.",
        "one row per day",
        (
            _DAY,
            C("paid_credits_granted", "BIGINT", "credits granted by purchases that day"),
            C("pack_sales_cents", "BIGINT", "credit-pack sales behind those grants, cents"),
            C("credit_value_cents", "DOUBLE", "pack sales ÷ paid credits granted (cents per credit)"),
            C("credits_consumed", "BIGINT", "credits spent net of refunds"),
            C("consumed_value_cents", "BIGINT", "value of the grants consumed (FIFO), cents"),
            C("ai_cost_nano_usd", "BIGINT", "AI cost of that day's calls, nano-USD"),
            C("successful_generations", "BIGINT", "generations completed that day"),
            C("cost_per_successful_generation_nano_usd", "BIGINT", "AI cost ÷ successful generations"),
            C("gross_margin_nano_usd", "BIGINT", "consumed value − AI cost, nano-USD"),
            C("margin_pct", "DOUBLE", "1 − AI cost ÷ consumed value"),
        ),
        key=("day",),
        partition="daily",
        partition_column="day",
        group="ai_costs",
        metrics=(
            "Credit value",
            "Consumed value (FIFO)",
            "Gross margin per generation, margin %",
            "Cost per successful generation",
        ),
        not_null=("day",),
        dense_daily=True,
    ),
    TableSpec(
        "revenue_daily",
        "Stripe revenue per day from balance transactions.",
        "one row per day (settlement currency)",
        (
            _DAY,
            C("gross_sales_cents", "BIGINT", "Σ amount of charge/payment"),
            C("refunds_cents", "BIGINT", "|Σ amount| of refund/payment_refund"),
            C("disputes_cents", "BIGINT", "|dispute debits| + dispute fees − reinstatements"),
            C("fees_cents", "BIGINT", "Σ fee over non-payout rows"),
            C("net_revenue_cents", "BIGINT", "Σ net over rows that are not payouts or transfers"),
            C("net_sales_cents", "BIGINT", "gross sales − refunds"),
            C("non_recurring_cents", "BIGINT", "gross sales of one-time checkouts (no invoice)"),
            C("recurring_cents", "BIGINT", "gross sales of subscription invoices"),
            C("balance_transactions", "BIGINT", "balance transactions covered (excluding payouts/transfers)"),
        ),
        key=("day",),
        partition="daily",
        partition_column="day",
        group="revenue",
        metrics=("Gross sales", "Refunds", "Disputes", "Stripe fees", "Net revenue", "Net sales", "Non-recurring"),
        not_null=("day", "gross_sales_cents", "net_revenue_cents"),
        dense_daily=True,
    ),
    TableSpec(
        "mrr_monthly",
        "MRR at month end with its movements, ARR, ARPU, churn and NRR.",
        "one row per month",
        (
            _MONTH,
            C("mrr_start_cents", "BIGINT", "MRR at the end of the previous month"),
            C("new_cents", "BIGINT", "new MRR (previous 0, never had MRR)"),
            C("reactivation_cents", "BIGINT", "reactivation MRR (previous 0, had MRR before)"),
            C("expansion_cents", "BIGINT", "expansion (current > previous > 0)"),
            C("contraction_cents", "BIGINT", "contraction (0 < current < previous)"),
            C("churn_cents", "BIGINT", "churned MRR (previous > 0, current 0)"),
            C("mrr_end_cents", "BIGINT", "MRR at month end"),
            C("arr_cents", "BIGINT", "12 × MRR"),
            C("paying_subscribers", "BIGINT", "customers with MRR > 0 at month end"),
            C("arpu_cents", "DOUBLE", "MRR ÷ paying subscribers"),
            C("customers_start", "BIGINT", "customers with MRR > 0 at the start"),
            C("churned_customers", "BIGINT", "customers who churned"),
            C("new_customers", "BIGINT", "new customers"),
            C("reactivated_customers", "BIGINT", "reactivated customers"),
            C("logo_churn", "DOUBLE", "churned customers ÷ customers at start"),
            C("gross_mrr_churn", "DOUBLE", "(churn + contraction) ÷ MRR at start"),
            C("nrr", "DOUBLE", "(start + expansion − contraction − churn) ÷ start"),
        ),
        key=("month",),
        partition="monthly",
        partition_column="month",
        group="revenue",
        metrics=("MRR at month end", "Movements", "ARR", "ARPU", "Logo churn", "Gross MRR churn", "NRR"),
        not_null=("month", "mrr_start_cents", "mrr_end_cents"),
    ),
    TableSpec(
        "payout_reconciliation",
        "Each payout against the balance transactions it pays out.",
        "one row per payout",
        (
            C("payout_id", "VARCHAR", "payout id (po_…)"),
            C("payout_day", "DATE", "day of the funds it pays out (available_on, UTC)"),
            C("arrival_date", TS, "expected arrival"),
            C("status", "VARCHAR", "payout status"),
            C("payout_amount_cents", "BIGINT", "amount paid out"),
            C("transactions", "BIGINT", "balance transactions available that day"),
            C("transactions_net_cents", "BIGINT", "Σ net of those balance transactions"),
            C("difference_cents", "BIGINT", "payout amount − Σ net (0 when it reconciles)"),
        ),
        key=("payout_id",),
        group="revenue",
        metrics=("Payouts are dated by available_on; Σ of a payout's balance transactions = payout amount",),
        not_null=("payout_id", "payout_amount_cents", "difference_cents"),
    ),
)

# The extracts' own bookkeeping: not a raw table or a mart, never published.
EXTRACT_WATERMARKS = TableSpec(
    "_extract_watermarks",
    "How far each latest-state raw table has been extracted, written with the rows it covers.",
    "one row per latest-state raw table",
    (
        C("table_name", "VARCHAR", "raw table"),
        C("watermark", TS, "source rows stamped before this (less the overlap) are in the table (UTC)"),
        C("extracted_at", TS, "when the run that set it committed (UTC)"),
        C("mode", "VARCHAR", "full/incremental: how that run extracted"),
        C("rows_read", "BIGINT", "source rows (Stripe objects) that run read"),
        C("rows_upserted", "BIGINT", "raw rows that run wrote"),
        C("rows_deleted", "BIGINT", "raw rows that run removed because their source rows are gone"),
    ),
    key=("table_name",),
    group="meta",
    not_null=("table_name", "watermark", "extracted_at", "mode"),
    accepted_values={"mode": ("full", "incremental")},
)

ALL: tuple[TableSpec, ...] = RAW + CORE + MARTS
#: Tables built by SQL from other analytics tables (core, then marts).
BUILT: tuple[TableSpec, ...] = CORE + MARTS
BY_NAME: dict[str, TableSpec] = {t.name: t for t in ALL}
PUBLISHED: tuple[str, ...] = tuple(t.name for t in MARTS)


def spec(name: str) -> TableSpec:
    return BY_NAME[name]
