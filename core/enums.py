"""Domain vocabulary: every status, kind and role the platform stores."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SERVICE = "service"


class Plan(StrEnum):
    FREE = "free"
    STARTER = "starter"
    PRO = "pro"
    STUDIO = "studio"


class GenerationMode(StrEnum):
    TEXT = "text"
    IMAGE = "image"


class AssetStatus(StrEnum):
    PENDING_CONCEPTS = "PENDING_CONCEPTS"
    CONCEPTS_GENERATED = "CONCEPTS_GENERATED"
    GENERATING_MODEL = "GENERATING_MODEL"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class LedgerKind(StrEnum):
    GRANT_PURCHASE = "grant_purchase"
    GRANT_PROMO = "grant_promo"
    GRANT_SUBSCRIPTION = "grant_subscription"
    SPEND = "spend"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"

    @property
    def is_grant(self) -> bool:
        return self in GRANT_KINDS


GRANT_KINDS = frozenset({LedgerKind.GRANT_PURCHASE, LedgerKind.GRANT_PROMO, LedgerKind.GRANT_SUBSCRIPTION})


class Stage(StrEnum):
    """What a provider call was for."""

    CONCEPTS = "concepts"
    MODEL = "model"
    RESCALE = "rescale"
    THUMBNAIL = "thumbnail"


class ProviderCallStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


class PriceUnit(StrEnum):
    """The unit a provider bills in (see METRICS.md, AI cost)."""

    CREDIT = "credit"
    GPU_SECOND = "gpu_second"
    CPU_SECOND = "cpu_second"
    IMAGE = "image"
    REQUEST = "request"


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    FULFILLED = "FULFILLED"
    FAILED = "FAILED"


class OrderItemKind(StrEnum):
    DIGITAL_ASSET = "digital_asset"
    PRINT = "print"
    CREDIT_PACK = "credit_pack"


class PrintConfigStatus(StrEnum):
    QUOTED = "QUOTED"
    ORDERED = "ORDERED"
    RESCALED = "RESCALED"
    SENT = "SENT"


class PrintTechnology(StrEnum):
    FDM = "fdm"
    SLA = "sla"
    SLS = "sls"


class AssetFileKind(StrEnum):
    INPUT_IMAGE = "input_image"
    CONCEPT = "concept"
    GLB = "glb"
    STL = "stl"
    OBJ = "obj"
    MTL = "mtl"
    THUMBNAIL = "thumbnail"
