"""Stripe webhooks: verify the signature on the raw body, store the event once, then act."""

from __future__ import annotations

import json
import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated, Any

import stripe
from fastapi import APIRouter, BackgroundTasks, Header, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import LauncherDep, SettingsDep, StoresDep
from api.docs import errors
from api.errors import BadSignature
from api.schemas import WebhookReceipt
from core.errors import InvalidInput, UploadTooLarge
from flows.launch import Launcher
from warehouse.context import Stores
from warehouse.db import transaction
from warehouse.stripe_webhooks import EventAction, ingest_event

log = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])

MAX_WEBHOOK_BYTES = 1024 * 1024


_SQLITE_WRITER = threading.Lock()


def _writer_lock(stores: Stores) -> AbstractContextManager[Any]:
    return _SQLITE_WRITER if stores.engine.dialect.name == "sqlite" else nullcontext()


def _launch_fulfilment(launcher: Launcher, event_id: str) -> None:
    try:
        launcher.launch("fulfil-checkout", {"event_id": event_id}, idempotency_key=event_id)
    except Exception:  # the event is stored unprocessed; dispatch-pending relaunches it
        log.exception("could not launch fulfil-checkout for %s; dispatch-pending will retry", event_id)


@router.post(
    "/webhooks/stripe",
    response_model=WebhookReceipt,
    summary="Stripe webhook endpoint",
    description=(
        "Verifies `Stripe-Signature` on the raw body (with the configured tolerance), stores the "
        "event idempotently and answers at once; `checkout.session.completed` then launches "
        "`fulfil-checkout`, and events carrying revenue objects update those objects. "
        "A duplicate delivery changes nothing and launches nothing."
    ),
    responses={**errors(413, 422), 400: errors(400)[400]},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "example": {
                        "id": "evt_1",
                        "object": "event",
                        "type": "checkout.session.completed",
                        "created": 1763780000,
                        "data": {"object": {"id": "cs_test_1", "object": "checkout.session"}},
                    },
                }
            },
        }
    },
)
async def stripe_webhook(
    request: Request,
    background: BackgroundTasks,
    settings: SettingsDep,
    stores: StoresDep,
    launcher: LauncherDep,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> Any:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        raise UploadTooLarge(f"a webhook body is at most {MAX_WEBHOOK_BYTES} bytes", limit=MAX_WEBHOOK_BYTES)
    payload = await request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise UploadTooLarge(f"a webhook body is at most {MAX_WEBHOOK_BYTES} bytes", limit=MAX_WEBHOOK_BYTES)
    if not stripe_signature:
        raise BadSignature("missing Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            stripe_signature,
            settings.stripe_webhook_secret.get_secret_value(),
            settings.stripe_webhook_tolerance_s,
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as e:
        raise BadSignature(f"invalid Stripe signature: {e}") from e
    try:
        event = json.loads(payload)
    except json.JSONDecodeError as e:
        raise BadSignature("the webhook body is not JSON") from e
    if not isinstance(event, dict):
        raise InvalidInput("a Stripe event is a JSON object")

    def _ingest() -> EventAction:
        # SQLite has one writer at a time; queueing on an in-process lock is much cheaper than
        # many threads sleeping in SQLite's busy handler. PostgreSQL takes them concurrently.
        with _writer_lock(stores), transaction(stores.sessions) as session:
            return ingest_event(session=session, event=event)

    action = await run_in_threadpool(_ingest)
    event_id = str(event["id"])
    if action == EventAction.FULFIL:
        background.add_task(_launch_fulfilment, launcher, event_id)
    return WebhookReceipt(event_id=event_id, duplicate=action == EventAction.DUPLICATE, action=action.value)
