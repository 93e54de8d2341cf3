"""fulfil-checkout: a stored ``checkout.session.completed`` event into an order, credits, downloads and prints.

Every step is idempotent, so re-running after a crash at any point converges: the order is
unique per checkout session, credit grants are keyed by the Stripe object, entitlements are
unique per user and asset, a print is rescaled once (its configuration's status says so), and
the partner e-mail is queued once per order and print through the outbox.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from prefect import flow

from core.enums import LedgerKind, OrderItemKind, OrderStatus, PrintConfigStatus
from core.errors import InvalidInput
from flows.rescale_model import rescale_model
from flows.runtime import FlowRuntime, runtime
from warehouse import assets, ledger, mail, orders, print_configs, stripe_store
from warehouse.catalog import get_credit_pack
from warehouse.db import transaction
from warehouse.fulfilment import Checkout, print_partner_email, read_checkout

log = logging.getLogger(__name__)

FULFILLING_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})


def _record_failure(rt: FlowRuntime, event_id: str, order_id: uuid.UUID | None, error: BaseException) -> None:
    message = f"{type(error).__name__}: {error}"
    with transaction(rt.stores.sessions) as s:
        stripe_store.record_failure(session=s, event_id=event_id, error=message)
        if order_id is not None:
            orders.set_order_status(session=s, order_id=order_id, status=OrderStatus.FAILED, failure_reason=message)


def _fulfil_item(rt: FlowRuntime, checkout: Checkout, order_id: uuid.UUID, position: int) -> dict[str, Any]:
    item = checkout.items[position]
    if item.kind == OrderItemKind.CREDIT_PACK:
        with transaction(rt.stores.sessions) as s:
            pack = get_credit_pack(session=s, pack_id=str(item.credit_pack_id))
            res = ledger.grant(
                session=s,
                user_id=checkout.user_id,
                amount=pack.credits * item.quantity,
                kind=LedgerKind.GRANT_PURCHASE,
                idempotency_key=f"stripe:{checkout.session_id}:{position}",
                reference_type="stripe_payment",
                reference_id=checkout.payment_reference,
                memo=f"{item.quantity} × {pack.name}",
            )
        return {"kind": "credit_pack", "credits": res.entry.amount, "new": res.created}
    if item.kind == OrderItemKind.DIGITAL_ASSET:
        assert item.asset_id is not None
        with transaction(rt.stores.sessions) as s:
            assets.get_asset(session=s, asset_id=item.asset_id)
            new = orders.grant_entitlement(
                session=s, user_id=checkout.user_id, asset_id=item.asset_id, order_id=order_id
            )
        return {"kind": "digital_asset", "asset_id": str(item.asset_id), "new": new}
    return _fulfil_print(rt, checkout, order_id, item.print_config_id)


def _fulfil_print(
    rt: FlowRuntime, checkout: Checkout, order_id: uuid.UUID, config_id: uuid.UUID | None
) -> dict[str, Any]:
    assert config_id is not None
    with transaction(rt.stores.sessions) as s:
        config = print_configs.get_print_config(session=s, config_id=config_id)
        if config.user_id != checkout.user_id:
            raise InvalidInput(f"print configuration {config_id} belongs to another user")
        if config.status == PrintConfigStatus.QUOTED:
            print_configs.set_status(session=s, config_id=config_id, status=PrintConfigStatus.ORDERED)
        asset_id = config.asset_id
    rescale_model(str(asset_id), str(config_id))
    key = f"print-partner:{order_id}:{config_id}"
    with transaction(rt.stores.sessions) as s:
        config = print_configs.get_print_config(session=s, config_id=config_id)
        asset = assets.get_asset(session=s, asset_id=asset_id)
        order = orders.get_order(session=s, order_id=order_id)
        subject, body = print_partner_email(
            order=order,
            config=config,
            asset=asset,
            model_url=rt.stores.objects.url(asset.model_key or ""),
            shipping=checkout.shipping,
        )
        mail.enqueue(session=s, idempotency_key=key, to=rt.settings.print_partner_email, subject=subject, body=body)
    mail.send_pending(sessions=rt.stores.sessions, transport=rt.mail, keys=[key])
    with transaction(rt.stores.sessions) as s:
        print_configs.set_status(session=s, config_id=config_id, status=PrintConfigStatus.SENT)
    return {"kind": "print", "print_config_id": str(config_id), "model_key": asset.model_key}


@flow(name="fulfil-checkout", log_prints=False)
def fulfil_checkout(event_id: str) -> dict[str, Any]:
    """Fulfil the checkout in a stored Stripe event; the order ends ``FULFILLED`` or ``FAILED`` with the reason."""
    rt = runtime()
    with transaction(rt.stores.sessions) as s:
        event = stripe_store.claim_event(session=s, event_id=event_id)
        if event is None:
            return {"event_id": event_id, "skipped": "already processed"}
        if event.type not in FULFILLING_EVENTS:
            raise InvalidInput(f"event {event_id} is a {event.type}, not a completed checkout")
        payload = event.payload
    order_id: uuid.UUID | None = None
    try:
        with rt.stores.sessions() as s:
            checkout = read_checkout(session=s, event=payload)
        if not checkout.paid:
            # Delayed payment methods complete later with checkout.session.async_payment_succeeded.
            with transaction(rt.stores.sessions) as s:
                stripe_store.mark_processed(session=s, event_id=event_id)
            return {"event_id": event_id, "skipped": "awaiting payment"}
        try:
            with transaction(rt.stores.sessions) as s:
                orders.check_cart(session=s, user_id=checkout.user_id, items=checkout.items)
        except InvalidInput as e:
            with transaction(rt.stores.sessions) as s:
                order_id = orders.record_unfulfillable(
                    session=s,
                    user_id=checkout.user_id,
                    checkout_session_id=checkout.session_id,
                    amount_total_cents=checkout.amount_total_cents,
                    currency=checkout.currency,
                    payment_intent_id=checkout.payment_intent_id,
                    reason=f"{type(e).__name__}: {e}",
                ).id
            raise
        with transaction(rt.stores.sessions) as s:
            order, _ = orders.create_order(
                session=s,
                user_id=checkout.user_id,
                checkout_session_id=checkout.session_id,
                items=checkout.items,
                amount_total_cents=checkout.amount_total_cents,
                currency=checkout.currency,
                payment_intent_id=checkout.payment_intent_id,
                email=checkout.email,
                shipping=checkout.shipping,
            )
            order_id = order.id
            if order.status == OrderStatus.FULFILLED:
                stripe_store.mark_processed(session=s, event_id=event_id)
                return {"event_id": event_id, "order_id": str(order.id), "skipped": "already fulfilled"}
        results = [_fulfil_item(rt, checkout, order_id, i) for i in range(len(checkout.items))]
        with transaction(rt.stores.sessions) as s:
            orders.set_order_status(session=s, order_id=order_id, status=OrderStatus.FULFILLED)
            stripe_store.mark_processed(session=s, event_id=event_id)
    except Exception as e:
        _record_failure(rt, event_id, order_id, e)
        raise
    return {"event_id": event_id, "order_id": str(order_id), "status": str(OrderStatus.FULFILLED), "items": results}
