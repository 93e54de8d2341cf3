"""Request and response models, one ``XPublic`` (and ``XsPublic`` for pages) per entity."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.enums import AssetStatus, GenerationMode, OrderItemKind, OrderStatus, Plan, PrintTechnology, Role
from core.plans import PlanLimits
from core.pricing import QuoteLine


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["no asset 3f1c…"])
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)


# -- generations and assets ---------------------------------------------------------------------


class GenerationAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"asset_id": "7d3c2a9e-8b6f-4d55-9d7e-1f2a3b4c5d6e", "status": "PENDING_CONCEPTS", "created": True}
            ]
        }
    )
    asset_id: uuid.UUID
    status: AssetStatus
    created: bool = Field(description="false when the Idempotency-Key replayed an earlier request")


class MeshFacts(BaseModel):
    vertices: int | None = None
    faces: int | None = None
    bbox_mm: tuple[float, float, float] | None = None
    volume_mm3: float | None = None
    watertight: bool | None = None


class ModelFilePublic(BaseModel):
    format: str = Field(examples=["glb"])
    url: str
    size_bytes: int


class AssetPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7d3c2a9e-8b6f-4d55-9d7e-1f2a3b4c5d6e",
                    "status": "CONCEPTS_GENERATED",
                    "progress": 50,
                    "mode": "text",
                    "prompt": "a brass owl",
                    "style": None,
                    "skip_concept": False,
                    "public": False,
                    "concept_urls": ["https://cdn.example/c0.png", "https://cdn.example/c1.png"],
                    "chosen_concept": None,
                    "model_url": None,
                    "thumbnail_url": None,
                    "files": [],
                    "mesh": {},
                    "concept_attempts": 1,
                    "model_attempts": 0,
                    "error": None,
                    "created_at": "2026-11-22T04:00:00Z",
                    "updated_at": "2026-11-22T04:00:05Z",
                    "completed_at": None,
                }
            ]
        }
    )
    id: uuid.UUID
    status: AssetStatus
    progress: int
    mode: GenerationMode
    prompt: str | None
    style: str | None
    skip_concept: bool
    public: bool
    concept_urls: list[str]
    chosen_concept: int | None
    model_url: str | None
    thumbnail_url: str | None
    files: list[ModelFilePublic]
    mesh: MeshFacts
    concept_attempts: int
    model_attempts: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class AssetsPublic(BaseModel):
    data: list[AssetPublic]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page; null on the last")


class ChooseConcept(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"concept": 0}]})
    concept: int = Field(ge=0, le=16, description="index of the concept to build the model from")


class Regenerate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"stage": "model"}]})
    stage: Literal["model", "concepts"] = "model"


class AssetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"public": True}]})
    public: bool


class FeedItemPublic(BaseModel):
    id: uuid.UUID
    prompt: str | None
    style: str | None
    thumbnail_url: str | None
    model_url: str | None
    mesh: MeshFacts
    created_at: datetime


class FeedPublic(BaseModel):
    data: list[FeedItemPublic]
    next_cursor: str | None = None


# -- print -----------------------------------------------------------------------------------------


class PrintQuoteRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "asset_id": "7d3c2a9e-8b6f-4d55-9d7e-1f2a3b4c5d6e",
                    "technology": "fdm",
                    "material": "pla",
                    "colour": "white",
                    "finish": "raw",
                    "quantity": 1,
                    "target_size_mm": 120,
                }
            ]
        },
    )
    asset_id: uuid.UUID
    technology: PrintTechnology
    material: str = Field(min_length=1, max_length=40)
    colour: str = Field(min_length=1, max_length=40)
    finish: str = Field(min_length=1, max_length=40)
    quantity: int = Field(1, ge=1, le=1000)
    target_size_mm: float = Field(gt=0, le=10_000, description="length of the longest side of the print, in mm")


class PrintConfigCreate(PrintQuoteRequest):
    remarks: str | None = Field(None, max_length=2000)


class PrintQuotePublic(BaseModel):
    technology: PrintTechnology
    material: str
    colour: str
    finish: str
    quantity: int
    target_mm: tuple[float, float, float]
    part_volume_cm3: float
    bbox_volume_cm3: float
    part_weight_g: float
    unit_price_cents: int
    lines: list[QuoteLine]
    total_cents: int
    currency: str


class PrintConfigPublic(BaseModel):
    id: uuid.UUID
    asset_id: uuid.UUID
    technology: str
    material: str
    colour: str
    finish: str
    quantity: int
    target_mm: tuple[float, float, float]
    remarks: str | None
    quoted_price_cents: int
    currency: str
    status: str
    quote: dict[str, Any]
    created_at: datetime


# -- me --------------------------------------------------------------------------------------------


class MonthUsage(BaseModel):
    credits_spent: int = Field(description="credits spent this calendar month (UTC), net of refunds")
    spend_cap: int
    remaining_before_cap: int
    paid_steps_last_hour: int
    active_jobs: int


class UsagePublic(BaseModel):
    user_id: uuid.UUID
    credits: int
    plan: Plan
    limits: PlanLimits
    this_month: MonthUsage


class AssetSummaryPublic(BaseModel):
    id: uuid.UUID
    status: AssetStatus
    prompt: str | None
    created_at: datetime


class MeStatsPublic(BaseModel):
    assets_by_status: dict[str, int]
    assets_total: int
    storage_bytes: int
    recent_assets: list[AssetSummaryPublic]


# -- orders and catalogue -------------------------------------------------------------------------


class DownloadLink(BaseModel):
    format: str
    url: str


class OrderItemPublic(BaseModel):
    position: int
    kind: OrderItemKind
    quantity: int
    unit_amount_cents: int
    amount_cents: int
    asset_id: uuid.UUID | None
    credit_pack_id: str | None
    print_config_id: uuid.UUID | None
    print_target_mm: tuple[float, float, float] | None = None
    downloads: list[DownloadLink] = Field(default_factory=list)


class OrderPublic(BaseModel):
    id: uuid.UUID
    status: OrderStatus
    amount_total_cents: int
    currency: str
    tracking_number: str | None
    failure_reason: str | None
    created_at: datetime
    paid_at: datetime | None
    fulfilled_at: datetime | None
    items: list[OrderItemPublic]


class OrdersPublic(BaseModel):
    data: list[OrderPublic]
    next_cursor: str | None = None


class StylePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    description: str
    prompt_hint: str


class StylesPublic(BaseModel):
    data: list[StylePublic]


class CreditPackPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    credits: int
    price_cents: int
    currency: str


class CreditPacksPublic(BaseModel):
    data: list[CreditPackPublic]


# -- admin -----------------------------------------------------------------------------------------


class UserAdminPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    display_name: str | None
    role: Role
    plan: Plan
    credits: int
    created_at: datetime
    last_active_at: datetime | None


class UsersAdminPublic(BaseModel):
    data: list[UserAdminPublic]
    next_cursor: str | None = None


class CreditAdjustment(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount": 10, "reason": "goodwill after a failed print"}]}
    )
    amount: int = Field(description="signed credits to add (negative to remove)", ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=3, max_length=400)


class CreditAdjustmentPublic(BaseModel):
    user_id: uuid.UUID
    entry_id: uuid.UUID
    amount: int
    balance_after: int
    created: bool


class WebhookReceipt(BaseModel):
    received: bool = True
    event_id: str
    duplicate: bool
    action: Literal["fulfil", "revenue", "ignored", "duplicate"]


# -- stats -----------------------------------------------------------------------------------------


class SnapshotRef(BaseModel):
    version: str = Field(examples=["20261122T040000Z-1a2b3c4d"])
    built_at: datetime


class StatsPublic(BaseModel):
    """A stats answer: the snapshot it was read from, the parameters in force, and the rows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "snapshot": {"version": "20261122T040000Z-1a2b3c4d", "built_at": "2026-11-22T04:00:00Z"},
                    "params": {"start": "2026-11-01", "end": "2026-11-21"},
                    "data": [{"period": "2026-11-01", "gross_sales_cents": 129900, "net_revenue_cents": 118200}],
                }
            ]
        }
    )
    snapshot: SnapshotRef
    params: dict[str, Any] = Field(default_factory=dict)
    data: list[dict[str, Any]] | dict[str, Any]
    totals: dict[str, Any] | None = None
