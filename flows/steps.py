"""Steps shared by the flows: thin calls into warehouse (storage, usage, asset state)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from core.enums import AssetFileKind
from core.errors import DomainError, ObjectNotFound, ProviderError
from core.usage import UsageRecord
from flows.runtime import FlowRuntime
from gpu_tasks.pipeline import OutputFile
from warehouse import assets, generation
from warehouse.db import transaction
from warehouse.models import Asset
from warehouse.prices import record_provider_call
from warehouse.storage import StoredObject, new_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredFile:
    kind: AssetFileKind
    stored: StoredObject


def seed_for(asset_id: uuid.UUID, attempt: int) -> int:
    """A deterministic seed per asset and attempt (same input → same output)."""
    return (asset_id.int + 7919 * attempt) % (2**31 - 1)


def store_files(rt: FlowRuntime, files: Sequence[OutputFile], *, prefix: str) -> list[StoredFile]:
    """Put each file under a fresh key below ``prefix``; nothing refers to them until a commit does."""
    out = []
    for f in files:
        key = new_key(prefix, f.suffix)
        out.append(StoredFile(kind=f.kind, stored=rt.stores.objects.put(key, f.data, content_type=f.content_type)))
    return out


def delete_objects(rt: FlowRuntime, keys: Sequence[str]) -> None:
    """Delete objects that committed rows no longer name (orphans are also swept by purge-storage)."""
    for key in keys:
        try:
            rt.stores.objects.delete(key)
        except ObjectNotFound:
            continue


def record_usage(rt: FlowRuntime, usage: UsageRecord, *, asset_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Write the provider-call row, its cost frozen from the price valid at the call's start."""
    with transaction(rt.stores.sessions) as s:
        record_provider_call(session=s, usage=usage, asset_id=asset_id, user_id=user_id)


def record_failed_call(rt: FlowRuntime, error: BaseException, *, asset_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """A failed provider call may still be billed (RunPod bills GPU-seconds): record the usage it carries."""
    usage = error.details.get("usage") if isinstance(error, ProviderError) else None
    if isinstance(usage, UsageRecord):
        try:
            record_usage(rt, usage, asset_id=asset_id, user_id=user_id)
        except DomainError:
            log.exception("could not price the failed call of asset %s", asset_id)


def fail_asset(rt: FlowRuntime, asset_id: uuid.UUID, error: BaseException) -> None:
    """Mark the asset FAILED with the error and refund its step (idempotent)."""
    message = f"{type(error).__name__}: {error}"
    try:
        with transaction(rt.stores.sessions) as s:
            _, refund = generation.fail_generation(session=s, asset_id=asset_id, error=message)
        log.warning("asset %s failed (%s); refunded %s", asset_id, message, refund.amount if refund else 0)
    except Exception:
        log.exception("could not record the failure of asset %s", asset_id)


def load_bytes(rt: FlowRuntime, key: str) -> bytes:
    return rt.stores.objects.get(key)


def asset_snapshot(rt: FlowRuntime, asset_id: uuid.UUID) -> Asset:
    with rt.stores.sessions() as s:
        return assets.get_asset(session=s, asset_id=asset_id)
