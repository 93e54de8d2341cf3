"""What each generation step costs in credits (defaults from the product design)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.errors import InvalidInput


class CreditCosts(BaseModel):
    """Credit prices of generation steps. Configurable through settings."""

    concepts: int = Field(1, ge=0, description="generating a set of 2D concepts")
    skip_concept: int = Field(1, ge=0, description="a generation that skips concepts and goes to a model")
    first_model_attempt: int = Field(0, ge=0, description="the first model attempt of an asset (free)")
    model_regeneration: int = Field(1, ge=0, description="each further model attempt")
    concept_regeneration: int = Field(1, ge=0, description="each further set of concepts for an asset")

    def model_attempt_cost(self, attempt: int, *, skip_concept: bool = False) -> int:
        """Credits for model attempt number ``attempt`` (1-based) of one asset.

        With skip-concept the generation was already paid for (``skip_concept``), so the first
        attempt is free as in the normal path.
        """
        if attempt < 1:
            raise InvalidInput(f"model attempt numbers start at 1, got {attempt}", attempt=attempt)
        return self.first_model_attempt if attempt == 1 else self.model_regeneration

    def concepts_cost(self, attempt: int) -> int:
        """Credits for concept set number ``attempt`` (1-based) of one asset."""
        if attempt < 1:
            raise InvalidInput(f"concept attempt numbers start at 1, got {attempt}", attempt=attempt)
        return self.concepts if attempt == 1 else self.concept_regeneration


def spend_key(asset_id: object, stage: str, attempt: int) -> str:
    """The idempotency key of the spend for one attempt of one stage of one asset."""
    return f"spend:{asset_id}:{stage}:{attempt}"


def refund_key(spend_idempotency_key: str) -> str:
    """The idempotency key of the refund of a spend (one refund per spend)."""
    return f"refund:{spend_idempotency_key}"
