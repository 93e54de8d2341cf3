"""The usage record every AI/GPU call returns, from which its cost is priced."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from core.enums import PriceUnit, ProviderCallStatus, Stage


class UsageRecord(BaseModel):
    """What one generator call consumed.

    ``units`` are in ``unit`` (credits for Tripo/Meshy, GPU-seconds for RunPod and own GPUs,
    CPU-seconds for the local baseline). ``reported_cost_usd`` is the provider's own figure when it
    gives one; it wins over a cost inferred from the price book.
    """

    provider: str
    model: str
    stage: Stage
    unit: PriceUnit
    units: float = Field(ge=0)
    gpu_seconds: float = Field(0.0, ge=0)
    queue_seconds: float = Field(0.0, ge=0)
    run_seconds: float = Field(0.0, ge=0)
    started_at: datetime
    status: ProviderCallStatus = ProviderCallStatus.SUCCEEDED
    external_id: str | None = None
    reported_cost_usd: Decimal | None = None
    device: str | None = None
    error: str | None = None
