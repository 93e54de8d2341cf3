"""initial operational schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 04:06:10.256944
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "credit_packs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("stripe_price_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("credits > 0", name=op.f("ck_credit_packs_credits_positive")),
        sa.CheckConstraint("price_cents > 0", name=op.f("ck_credit_packs_price_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_packs")),
        sa.UniqueConstraint("stripe_price_id", name=op.f("uq_credit_packs_stripe_price_id")),
    )
    op.create_table(
        "outbound_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("to_addr", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_emails")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbound_emails_idempotency_key")),
    )
    op.create_table(
        "provider_prices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column(
            "unit",
            sa.Enum(
                "credit",
                "gpu_second",
                "cpu_second",
                "image",
                "request",
                name="price_unit",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("nano_usd_per_unit", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.CheckConstraint("nano_usd_per_unit >= 0", name=op.f("ck_provider_prices_price_not_negative")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_provider_prices_valid_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_prices")),
        sa.UniqueConstraint("provider", "model", "unit", "valid_from", name="uq_provider_prices_version"),
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("api_created", sa.BigInteger(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stripe_events_type"), ["type"], unique=False)
        batch_op.create_index("ix_stripe_events_unprocessed", ["processed_at", "received_at"], unique=False)

    op.create_table(
        "stripe_objects",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_objects")),
    )
    with op.batch_alter_table("stripe_objects", schema=None) as batch_op:
        batch_op.create_index("ix_stripe_objects_type_created", ["object_type", "created"], unique=False)
        batch_op.create_index(batch_op.f("ix_stripe_objects_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "styles",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("prompt_hint", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_styles")),
    )
    op.create_table(
        "sync_state",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column(
            "role",
            sa.Enum("user", "admin", "service", name="role", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column(
            "plan",
            sa.Enum(
                "free", "starter", "pro", "studio", name="plan", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("credit_balance", sa.BigInteger(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("credit_balance >= 0", name=op.f("ck_users_balance_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("stripe_customer_id", name=op.f("uq_users_stripe_customer_id")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_created_at"), ["created_at"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum("user", "admin", "service", name="role", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_prefix"), ["prefix"], unique=False)

    op.create_table(
        "assets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("request_key", sa.String(length=200), nullable=True),
        sa.Column(
            "mode",
            sa.Enum("text", "image", name="generation_mode", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("input_image_key", sa.String(length=300), nullable=True),
        sa.Column("style", sa.String(length=40), nullable=True),
        sa.Column("skip_concept", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING_CONCEPTS",
                "CONCEPTS_GENERATED",
                "GENERATING_MODEL",
                "COMPLETED",
                "FAILED",
                name="asset_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("concept_keys", sa.JSON(), nullable=False),
        sa.Column("chosen_concept", sa.Integer(), nullable=True),
        sa.Column("concept_attempts", sa.Integer(), nullable=False),
        sa.Column("model_attempts", sa.Integer(), nullable=False),
        sa.Column("last_model_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model_key", sa.String(length=300), nullable=True),
        sa.Column("thumbnail_key", sa.String(length=300), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("vertices", sa.BigInteger(), nullable=True),
        sa.Column("faces", sa.BigInteger(), nullable=True),
        sa.Column("bbox_x_mm", sa.Float(), nullable=True),
        sa.Column("bbox_y_mm", sa.Float(), nullable=True),
        sa.Column("bbox_z_mm", sa.Float(), nullable=True),
        sa.Column("volume_mm3", sa.Float(), nullable=True),
        sa.Column("watertight", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["style"], ["styles.id"], name=op.f("fk_assets_style_styles")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_assets_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("user_id", "request_key", name="uq_assets_user_request_key"),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index("ix_assets_public_created", ["public", "created_at"], unique=False)
        batch_op.create_index("ix_assets_status_updated", ["status", "updated_at"], unique=False)
        batch_op.create_index("ix_assets_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "credit_ledger",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "grant_purchase",
                "grant_promo",
                "grant_subscription",
                "spend",
                "refund",
                "adjustment",
                name="ledger_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("reference_type", sa.String(length=40), nullable=True),
        sa.Column("reference_id", sa.String(length=100), nullable=True),
        sa.Column("refunds_entry_id", sa.Uuid(), nullable=True),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_credit_ledger_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["refunds_entry_id"], ["credit_ledger.id"], name=op.f("fk_credit_ledger_refunds_entry_id_credit_ledger")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_credit_ledger_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_ledger")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_credit_ledger_idempotency_key")),
    )
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_ledger_reference_id"), ["reference_id"], unique=False)
        batch_op.create_index("ix_credit_ledger_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("stripe_checkout_session_id", sa.String(length=100), nullable=False),
        sa.Column("stripe_payment_intent_id", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "PAID",
                "FULFILLED",
                "FAILED",
                name="order_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_total_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("shipping", sa.JSON(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("stripe_checkout_session_id", name=op.f("uq_orders_stripe_checkout_session_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_user_id"), ["user_id"], unique=False)

    op.create_table(
        "asset_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "input_image",
                "concept",
                "glb",
                "stl",
                "obj",
                "mtl",
                "thumbnail",
                name="asset_file_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_files_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_files")),
        sa.UniqueConstraint("key", name=op.f("uq_asset_files_key")),
    )
    with op.batch_alter_table("asset_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_files_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=True),
        sa.Column("target_id", sa.String(length=100), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_key_id"], ["api_keys.id"], name=op.f("fk_audit_log_actor_key_id_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_created_at"), ["created_at"], unique=False)

    op.create_table(
        "download_entitlements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_download_entitlements_asset_id_assets")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_download_entitlements_order_id_orders")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_download_entitlements_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_download_entitlements")),
        sa.UniqueConstraint("user_id", "asset_id", name="uq_download_entitlements_user_asset"),
    )
    op.create_table(
        "print_configs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("technology", sa.String(length=16), nullable=False),
        sa.Column("material", sa.String(length=40), nullable=False),
        sa.Column("colour", sa.String(length=40), nullable=False),
        sa.Column("finish", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("target_x_mm", sa.Float(), nullable=False),
        sa.Column("target_y_mm", sa.Float(), nullable=False),
        sa.Column("target_z_mm", sa.Float(), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("quoted_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "QUOTED",
                "ORDERED",
                "RESCALED",
                "SENT",
                name="print_config_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_print_configs_quantity_positive")),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_print_configs_asset_id_assets")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_print_configs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_configs")),
    )
    with op.batch_alter_table("print_configs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_configs_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_print_configs_user_id"), ["user_id"], unique=False)

    op.create_table(
        "provider_calls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "stage",
            sa.Enum(
                "concepts",
                "model",
                "rescale",
                "thumbnail",
                name="stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "succeeded",
                "failed",
                "cancelled",
                "timed_out",
                name="provider_call_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("queue_seconds", sa.Float(), nullable=False),
        sa.Column("run_seconds", sa.Float(), nullable=False),
        sa.Column("units", sa.Float(), nullable=False),
        sa.Column(
            "unit",
            sa.Enum(
                "credit",
                "gpu_second",
                "cpu_second",
                "image",
                "request",
                name="price_unit",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("price_id", sa.Integer(), nullable=True),
        sa.Column("cost_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("cost_source", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_provider_calls_asset_id_assets"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["price_id"], ["provider_prices.id"], name=op.f("fk_provider_calls_price_id_provider_prices")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_provider_calls_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_calls")),
    )
    with op.batch_alter_table("provider_calls", schema=None) as batch_op:
        batch_op.create_index("ix_provider_calls_asset", ["asset_id"], unique=False)
        batch_op.create_index("ix_provider_calls_created", ["created_at"], unique=False)

    op.create_table(
        "order_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "digital_asset",
                "print",
                "credit_pack",
                name="order_item_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("asset_id", sa.Uuid(), nullable=True),
        sa.Column("print_config_id", sa.Uuid(), nullable=True),
        sa.Column("credit_pack_id", sa.String(length=40), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity_positive")),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_order_items_asset_id_assets")),
        sa.ForeignKeyConstraint(
            ["credit_pack_id"], ["credit_packs.id"], name=op.f("fk_order_items_credit_pack_id_credit_packs")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["print_config_id"], ["print_configs.id"], name=op.f("fk_order_items_print_config_id_print_configs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
        sa.UniqueConstraint("order_id", "position", name="uq_order_items_position"),
    )


def downgrade() -> None:

    op.drop_table("order_items")
    with op.batch_alter_table("provider_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_provider_calls_created")
        batch_op.drop_index("ix_provider_calls_asset")

    op.drop_table("provider_calls")
    with op.batch_alter_table("print_configs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_print_configs_user_id"))
        batch_op.drop_index(batch_op.f("ix_print_configs_asset_id"))

    op.drop_table("print_configs")
    op.drop_table("download_entitlements")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_created_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("asset_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_files_asset_id"))

    op.drop_table("asset_files")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_user_id"))
        batch_op.drop_index(batch_op.f("ix_orders_created_at"))

    op.drop_table("orders")
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_ledger_user_created")
        batch_op.drop_index(batch_op.f("ix_credit_ledger_reference_id"))

    op.drop_table("credit_ledger")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_user_created")
        batch_op.drop_index("ix_assets_status_updated")
        batch_op.drop_index("ix_assets_public_created")

    op.drop_table("assets")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_prefix"))

    op.drop_table("api_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_created_at"))

    op.drop_table("users")
    op.drop_table("sync_state")
    op.drop_table("styles")
    with op.batch_alter_table("stripe_objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_objects_updated_at"))
        batch_op.drop_index("ix_stripe_objects_type_created")

    op.drop_table("stripe_objects")
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.drop_index("ix_stripe_events_unprocessed")
        batch_op.drop_index(batch_op.f("ix_stripe_events_type"))

    op.drop_table("stripe_events")
    op.drop_table("provider_prices")
    op.drop_table("outbound_emails")
    op.drop_table("credit_packs")
