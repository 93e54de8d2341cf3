"""sync-stripe: backfill the Stripe objects revenue needs with list calls and auto-pagination.

Immutable objects (balance transactions, refunds, payouts) are read from a ``created`` watermark;
objects that change after creation (charges, disputes, invoices, subscriptions, customers) are
re-read over a lookback window so their latest state lands. Upserts by Stripe id make overlap harmless.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from core.errors import InvalidInput
from flows.runtime import FlowRuntime, runtime
from warehouse import stripe_store
from warehouse.db import transaction

log = logging.getLogger(__name__)

#: Stripe resource (its client attribute) → (``object`` value, mutable after creation?)
RESOURCES: dict[str, tuple[str, bool]] = {
    "balance_transactions": ("balance_transaction", False),
    "charges": ("charge", True),
    "refunds": ("refund", False),
    "disputes": ("dispute", True),
    "payouts": ("payout", True),
    "invoices": ("invoice", True),
    "subscriptions": ("subscription", True),
    "customers": ("customer", True),
}
BATCH = 500


def _client(rt: FlowRuntime) -> Any:
    import stripe

    s = rt.settings
    kwargs: dict[str, Any] = {"max_network_retries": 3}
    if s.stripe_api_base:
        kwargs["base_addresses"] = {"api": s.stripe_api_base}
    return stripe.StripeClient(s.stripe_secret_key.get_secret_value(), **kwargs)


def _transient_stripe_error(_task: Any, _run: Any, state: Any) -> bool:
    """Retry connection errors, rate limits and Stripe's 5xx; never authentication or bad requests."""
    import stripe

    try:
        state.result()
    except (stripe.APIConnectionError, stripe.RateLimitError):
        return True
    except stripe.StripeError as e:
        return (e.http_status or 0) >= 500
    except Exception:  # noqa: BLE001 - anything else (our bugs, bad data) is not worth a retry
        return False
    return False


@task(
    name="sync-stripe-resource",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_jitter_factor=0.5,
    retry_condition_fn=_transient_stripe_error,
)
def sync_resource(resource: str) -> dict[str, Any]:
    """Page through one Stripe list endpoint since its watermark and upsert every object."""
    rt = runtime()
    object_type, mutable = RESOURCES[resource]
    name = f"stripe:{object_type}"
    with rt.stores.sessions() as s:
        watermark = stripe_store.get_watermark(session=s, name=name)
    since = max(0, watermark - rt.settings.stripe_sync_lookback_s) if mutable else watermark
    params: dict[str, Any] = {"limit": 100}
    if since:
        params["created"] = {"gte": since}
    if resource == "subscriptions":
        params["status"] = "all"  # the default leaves out canceled subscriptions, which MRR needs
    listing = getattr(_client(rt).v1, resource).list(params=params)
    batch: list[dict[str, Any]] = []
    newest, count = watermark, 0

    def flush() -> None:
        with transaction(rt.stores.sessions) as s:
            for obj in batch:
                stripe_store.upsert_object(session=s, obj=obj)
            stripe_store.advance_watermark(session=s, name=name, value=newest)
        batch.clear()

    for obj in listing.auto_paging_iter():
        data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
        batch.append(data)
        newest = max(newest, int(data.get("created", 0)))
        count += 1
        if len(batch) >= BATCH:
            flush()
    flush()
    return {"resource": resource, "synced": count, "since": since, "watermark": newest}


@flow(name="sync-stripe", log_prints=False)
def sync_stripe(resources: list[str] | None = None) -> dict[str, Any]:
    """Backfill every revenue resource (or the ones named) from Stripe."""
    names = resources or list(RESOURCES)
    unknown = sorted(set(names) - set(RESOURCES))
    if unknown:
        raise InvalidInput(f"unknown Stripe resources {unknown}; known: {sorted(RESOURCES)}")
    results = [sync_resource(name) for name in names]
    return {r["resource"]: r["synced"] for r in results}
