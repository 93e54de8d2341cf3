"""SQLAlchemy 2 models of the operational model (ARCHITECTURE.md, "Operational model")."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.enums import (
    AssetFileKind,
    AssetStatus,
    GenerationMode,
    LedgerKind,
    OrderItemKind,
    OrderStatus,
    Plan,
    PriceUnit,
    PrintConfigStatus,
    ProviderCallStatus,
    Role,
    Stage,
)
from warehouse.types import UTCDateTime, str_enum, utcnow

NANO = Decimal("0.000000001")

# Deterministic constraint names, so Alembic migrations are identical on SQLite and Postgres.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}  # noqa: RUF012


def _uuid() -> uuid.UUID:
    return uuid.uuid4()


class User(Base):
    """A customer or an operator. ``credit_balance`` caches Σ ledger entries (never negative).

    ``updated_at`` moves on every change (ORM flushes and Core ``update()`` both apply
    ``onupdate``; raw SQL must set it itself): the analytics extract reads users by it.
    """

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("credit_balance >= 0", name="balance_not_negative"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.USER)
    plan: Mapped[Plan] = mapped_column(str_enum(Plan, "plan"), default=Plan.FREE)
    credit_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    last_active_at: Mapped[datetime | None]


class LedgerEntry(Base):
    """One append-only credit movement. Grants are positive, spends negative."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_credit_ledger_user_created", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[LedgerKind] = mapped_column(str_enum(LedgerKind, "ledger_kind"))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    reference_type: Mapped[str | None] = mapped_column(String(40))
    reference_id: Mapped[str | None] = mapped_column(String(100), index=True)
    refunds_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_ledger.id"))
    memo: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Style(Base):
    """A visual style a generation can ask for."""

    __tablename__ = "styles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), default="")
    prompt_hint: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CreditPack(Base):
    """A purchasable bundle of credits."""

    __tablename__ = "credit_packs"
    __table_args__ = (
        CheckConstraint("credits > 0", name="credits_positive"),
        CheckConstraint("price_cents > 0", name="price_positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    credits: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    stripe_price_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Asset(Base):
    """A generation job and the 3D model it produced."""

    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("user_id", "request_key", name="uq_assets_user_request_key"),
        Index("ix_assets_user_created", "user_id", "created_at"),
        Index("ix_assets_public_created", "public", "created_at"),
        Index("ix_assets_status_updated", "status", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    request_key: Mapped[str | None] = mapped_column(String(200))
    mode: Mapped[GenerationMode] = mapped_column(str_enum(GenerationMode, "generation_mode"))
    prompt: Mapped[str | None] = mapped_column(Text)
    input_image_key: Mapped[str | None] = mapped_column(String(300))
    style: Mapped[str | None] = mapped_column(ForeignKey("styles.id"))
    skip_concept: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[AssetStatus] = mapped_column(str_enum(AssetStatus, "asset_status"))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    concept_keys: Mapped[list[Any]] = mapped_column(default=list)
    chosen_concept: Mapped[int | None] = mapped_column(Integer)
    concept_attempts: Mapped[int] = mapped_column(Integer, default=0)
    model_attempts: Mapped[int] = mapped_column(Integer, default=0)
    dispatch_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_model_attempt_at: Mapped[datetime | None]
    model_key: Mapped[str | None] = mapped_column(String(300))
    thumbnail_key: Mapped[str | None] = mapped_column(String(300))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    vertices: Mapped[int | None] = mapped_column(BigInteger)
    faces: Mapped[int | None] = mapped_column(BigInteger)
    bbox_x_mm: Mapped[float | None] = mapped_column(Float)
    bbox_y_mm: Mapped[float | None] = mapped_column(Float)
    bbox_z_mm: Mapped[float | None] = mapped_column(Float)
    volume_mm3: Mapped[float | None] = mapped_column(Float)
    watertight: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    files: Mapped[list[AssetFile]] = relationship(back_populates="asset", cascade="all, delete-orphan")


class AssetFile(Base):
    """An object in storage that belongs to an asset. Objects no row names are orphans."""

    __tablename__ = "asset_files"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AssetFileKind] = mapped_column(str_enum(AssetFileKind, "asset_file_kind"))
    key: Mapped[str] = mapped_column(String(300), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Rows are inserted and deleted, never updated: created_at is their change stamp.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    asset: Mapped[Asset] = relationship(back_populates="files")


class ProviderPrice(Base):
    """One version of a provider's unit price, valid on [valid_from, valid_to)."""

    __tablename__ = "provider_prices"
    __table_args__ = (
        UniqueConstraint("provider", "model", "unit", "valid_from", name="uq_provider_prices_version"),
        CheckConstraint("nano_usd_per_unit >= 0", name="price_not_negative"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(80))
    unit: Mapped[PriceUnit] = mapped_column(str_enum(PriceUnit, "price_unit"))
    nano_usd_per_unit: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(300))

    @property
    def usd_per_unit(self) -> Decimal:
        return Decimal(self.nano_usd_per_unit) * NANO


class ProviderCall(Base):
    """One AI/GPU call, priced at call time; the source of AI cost tracking."""

    __tablename__ = "provider_calls"
    __table_args__ = (
        Index("ix_provider_calls_created", "created_at"),
        Index("ix_provider_calls_asset", "asset_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, "stage"))
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(80))
    status: Mapped[ProviderCallStatus] = mapped_column(str_enum(ProviderCallStatus, "provider_call_status"))
    external_id: Mapped[str | None] = mapped_column(String(100))
    queue_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    run_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    units: Mapped[float] = mapped_column(Float)
    unit: Mapped[PriceUnit] = mapped_column(str_enum(PriceUnit, "price_unit"))
    price_id: Mapped[int | None] = mapped_column(ForeignKey("provider_prices.id"))
    cost_nano_usd: Mapped[int] = mapped_column(BigInteger)
    cost_source: Mapped[str] = mapped_column(String(16), default="inferred")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def cost_usd(self) -> Decimal:
        return Decimal(self.cost_nano_usd) * NANO


class PrintConfig(Base):
    """A quoted (and maybe ordered) print of an asset."""

    __tablename__ = "print_configs"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"), index=True)
    technology: Mapped[str] = mapped_column(String(16))
    material: Mapped[str] = mapped_column(String(40))
    colour: Mapped[str] = mapped_column(String(40))
    finish: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    target_x_mm: Mapped[float] = mapped_column(Float)
    target_y_mm: Mapped[float] = mapped_column(Float)
    target_z_mm: Mapped[float] = mapped_column(Float)
    remarks: Mapped[str | None] = mapped_column(Text)
    quoted_price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    quote: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[PrintConfigStatus] = mapped_column(
        str_enum(PrintConfigStatus, "print_config_status"), default=PrintConfigStatus.QUOTED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)


class Order(Base):
    """A paid Stripe checkout. One per checkout session."""

    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    stripe_checkout_session_id: Mapped[str] = mapped_column(String(100), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, "order_status"), default=OrderStatus.PENDING)
    amount_total_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    email: Mapped[str | None] = mapped_column(String(320))
    shipping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    paid_at: Mapped[datetime | None]
    fulfilled_at: Mapped[datetime | None]

    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.position")


class OrderItem(Base):
    """One line of an order: a digital asset, a print or a credit pack."""

    __tablename__ = "order_items"
    __table_args__ = (
        UniqueConstraint("order_id", "position", name="uq_order_items_position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[OrderItemKind] = mapped_column(str_enum(OrderItemKind, "order_item_kind"))
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assets.id"))
    print_config_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("print_configs.id"))
    credit_pack_id: Mapped[str | None] = mapped_column(ForeignKey("credit_packs.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_amount_cents: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="items")


class DownloadEntitlement(Base):
    """A user's right to download an asset's model files (from a digital-asset purchase)."""

    __tablename__ = "download_entitlements"
    __table_args__ = (UniqueConstraint("user_id", "asset_id", name="uq_download_entitlements_user_asset"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeEvent(Base):
    """A received Stripe webhook event, stored raw before anything acts on it."""

    __tablename__ = "stripe_events"
    __table_args__ = (Index("ix_stripe_events_unprocessed", "processed_at", "received_at"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    api_created: Mapped[int] = mapped_column(BigInteger)
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class StripeObject(Base):
    """The latest state of a Stripe object needed for revenue (balance transaction, charge, …)."""

    __tablename__ = "stripe_objects"
    __table_args__ = (Index("ix_stripe_objects_type_created", "object_type", "created"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(40))
    created: Mapped[int] = mapped_column(BigInteger)
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ApiKey(Base):
    """A bearer API key, stored as a SHA-256 hash; the plaintext is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=600)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuditLog(Base):
    """An admin action, who did it and to what."""

    __tablename__ = "audit_log"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SyncState(Base):
    """A named watermark (e.g. the last Stripe ``created`` synced per object type)."""

    __tablename__ = "sync_state"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboundEmail(Base):
    """An e-mail to send exactly once (the idempotency key names why it is sent)."""

    __tablename__ = "outbound_emails"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=_uuid)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
