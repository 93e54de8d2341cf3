"""Domain errors. Adapters translate them: HTTP status, Prefect retry condition, Dagster check."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the platform raises on purpose.

    ``code`` is a stable machine-readable identifier (used in API error bodies);
    ``details`` carries the structured facts behind the message.
    """

    code: str = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details


class InvalidInput(DomainError):
    """A value at the boundary is malformed or out of range."""

    code = "invalid_input"


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "not_found"


class Conflict(DomainError):
    """The request contradicts the current state."""

    code = "conflict"


class InsufficientCredits(DomainError):
    """A spend would take a balance below zero; nothing was written."""

    code = "insufficient_credits"


class IdempotencyConflict(Conflict):
    """An idempotency key was reused for a different operation."""

    code = "idempotency_conflict"


class IllegalTransition(Conflict):
    """A state machine refused a transition."""

    code = "illegal_transition"


class PlanLimitExceeded(DomainError):
    """A plan limit (monthly pool, hourly burst, concurrency, cooldown) refuses the action."""

    code = "plan_limit_exceeded"

    def __init__(self, message: str, *, retry_after_s: float | None = None, **details: Any) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s


class PriceOverlap(InvalidInput):
    """Two versions of one provider price are valid at the same time."""

    code = "price_overlap"


class PriceNotFound(NotFound):
    """No price row is valid for a provider call at its time."""

    code = "price_not_found"


class UploadTooLarge(InvalidInput):
    """An upload exceeds the configured size limit."""

    code = "upload_too_large"


class StorageError(DomainError):
    """The object store failed or refused an operation."""

    code = "storage_error"


class ObjectNotFound(NotFound):
    """No stored object under that key."""

    code = "object_not_found"


class BuildVolumeExceeded(InvalidInput):
    """A print target does not fit the printer's build volume."""

    code = "build_volume_exceeded"


class MeshError(InvalidInput):
    """A mesh could not be read or processed."""

    code = "invalid_mesh"


class MeshTooLarge(MeshError):
    """A mesh exceeds a byte, vertex or face limit."""

    code = "mesh_too_large"


class UnsupportedFormat(MeshError):
    """The bytes are not a mesh format we read."""

    code = "unsupported_format"


class GenerationFailed(DomainError):
    """A generator could not produce its output."""

    code = "generation_failed"


class ProviderError(DomainError):
    """A remote AI/GPU provider failed. ``transient`` says whether a retry may help."""

    code = "provider_error"

    def __init__(
        self, message: str, *, provider: str, transient: bool, status: int | None = None, **details: Any
    ) -> None:
        super().__init__(message, provider=provider, transient=transient, status=status, **details)
        self.provider = provider
        self.transient = transient
        self.status = status


class ProviderRateLimited(ProviderError):
    """The provider answered 429; ``retry_after_s`` is its Retry-After."""

    code = "provider_rate_limited"

    def __init__(self, message: str, *, provider: str, retry_after_s: float | None = None) -> None:
        super().__init__(message, provider=provider, transient=True, status=429, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class ProviderTimeout(ProviderError):
    """The provider did not finish within the allowed time."""

    code = "provider_timeout"


class AuthError(DomainError):
    """Missing or invalid credentials."""

    code = "unauthorized"


class Forbidden(DomainError):
    """Valid credentials without the right to do this."""

    code = "forbidden"
