"""Deterministic synthetic operational data: users, generations, provider calls, orders, Stripe.

The demo, the stats API and the benchmarks all run on it. One ``random.Random(seed)`` drives
everything, and time is anchored on ``end`` (default: today 00:00 UTC), so a seed and an end
always give the same rows. Stripe objects are shaped as Stripe's API returns them (API version
2024-06-20: ids with their prefixes, ``object``, integer cents, ``created`` epochs, balance
transactions with ``type``/``reporting_category``/``fee``/``net``/``available_on``), and they are
mutually consistent: every charge, refund and dispute has its balance transactions, funds become
available two days later at 00:00 UTC, and each day's available funds are paid out by one
automatic payout. The credit ledger stays consistent (cached balance = Σ entries, never
negative) and provider calls are priced with the price-book version valid at call time.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select

from core.enums import (
    AssetStatus,
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
from core.errors import Conflict
from core.plans import DEFAULT_PLAN_LIMITS
from core.pricing import DEFAULT_MATERIALS
from warehouse.catalog import list_credit_packs, seed_catalog
from warehouse.db import make_session_factory, transaction
from warehouse.models import (
    Asset,
    AssetFile,
    CreditPack,
    LedgerEntry,
    Order,
    OrderItem,
    PrintConfig,
    ProviderCall,
    ProviderPrice,
    StripeEvent,
    StripeObject,
    User,
)
from warehouse.prices import cost_nano, load_price_book

log = logging.getLogger(__name__)

#: Fallback packs; seed_operational sells the catalogue's own.
PACKS = (
    ("pack_50", "50 credits", 50, 500),
    ("pack_200", "200 credits", 200, 1500),
    ("pack_1000", "1000 credits", 1000, 5000),
)
PLAN_WEIGHTS = ((Plan.FREE, 60), (Plan.STARTER, 20), (Plan.PRO, 15), (Plan.STUDIO, 5))
PAID_PLANS = (Plan.STARTER, Plan.PRO, Plan.STUDIO)
DISPUTE_FEE = 1500


@dataclass
class Counts:
    """How many rows the generator wrote, by table."""

    rows: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, k: str) -> int:
        return self.rows.get(k, 0)


def _epoch(t: datetime) -> int:
    return int(t.timestamp())


def _midnight(t: datetime) -> datetime:
    return datetime.combine(t.date(), time(), UTC)


def _add_month(t: datetime, n: int = 1) -> datetime:
    y, m = divmod(t.month - 1 + n, 12)
    year, month = t.year + y, m + 1
    last = (date(year + (month // 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return t.replace(year=year, month=month, day=min(t.day, last))


class _Gen:
    def __init__(self, *, seed: int, end: datetime, prices: list[ProviderPrice]) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.end = end
        self.prices = prices
        self.packs: list[tuple[str, str, int, int]] = [(i, n, c, p) for i, n, c, p in PACKS]
        self.t: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.stripe: list[dict[str, Any]] = []
        self.bts: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ ids
    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def sid(self, prefix: str) -> str:
        return f"{prefix}_{self.rng.getrandbits(96):024x}"

    # ------------------------------------------------------------------ pricing
    def price(self, provider: str, model: str, unit: PriceUnit, at: datetime) -> ProviderPrice:
        for p in self.prices:
            if (
                p.provider == provider
                and p.model == model
                and p.unit == unit
                and p.valid_from <= at
                and (p.valid_to is None or at < p.valid_to)
            ):
                return p
        raise LookupError(f"no price for {provider}/{model}/{unit} at {at}")

    # ------------------------------------------------------------------ Stripe
    def stripe_obj(self, obj: dict[str, Any]) -> None:
        self.stripe.append(obj)

    def balance_txn(
        self, *, amount: int, fee: int, type_: str, category: str, source: str, created: datetime, description: str
    ) -> str:
        tid = self.sid("txn")
        available = _midnight(created) + timedelta(days=2)
        bt = {
            "id": tid,
            "object": "balance_transaction",
            "amount": amount,
            "available_on": _epoch(available),
            "created": _epoch(created),
            "currency": "usd",
            "description": description,
            "exchange_rate": None,
            "fee": fee,
            "fee_details": (
                [
                    {
                        "amount": fee,
                        "application": None,
                        "currency": "usd",
                        "description": "Stripe processing fees",
                        "type": "stripe_fee",
                    }
                ]
                if fee
                else []
            ),
            "net": amount - fee,
            "reporting_category": category,
            "source": source,
            "status": "available" if available <= self.end else "pending",
            "type": type_,
        }
        self.bts.append(bt)
        return tid

    def charge(
        self,
        *,
        customer: str,
        amount: int,
        created: datetime,
        description: str,
        invoice: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        cid, pi = self.sid("ch"), self.sid("pi")
        fee = round(amount * 0.029) + 30
        tid = self.balance_txn(
            amount=amount,
            fee=fee,
            type_="charge",
            category="charge",
            source=cid,
            created=created,
            description=description,
        )
        ch = {
            "id": cid,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "balance_transaction": tid,
            "captured": True,
            "created": _epoch(created),
            "currency": "usd",
            "customer": customer,
            "description": description,
            "disputed": False,
            "invoice": invoice,
            "livemode": False,
            "metadata": metadata or {},
            "paid": True,
            "payment_intent": pi,
            "refunded": False,
            "status": "succeeded",
        }
        self.stripe_obj(ch)
        self.t["stripe_events"].append(
            {
                "id": self.sid("evt"),
                "type": "charge.succeeded",
                "api_created": _epoch(created),
                "livemode": False,
                "payload": {
                    "id": "",
                    "object": "event",
                    "type": "charge.succeeded",
                    "created": _epoch(created),
                    "data": {"object": {"id": cid, "object": "charge"}},
                },
                "received_at": created,
                "processed_at": created,
                "attempts": 1,
            }
        )
        ev = self.t["stripe_events"][-1]
        ev["payload"]["id"] = ev["id"]
        return ch

    def refund(self, ch: dict[str, Any], at: datetime, reason: str = "requested_by_customer") -> None:
        rid = self.sid("re")
        tid = self.balance_txn(
            amount=-ch["amount"], fee=0, type_="refund", category="refund", source=rid, created=at, description="REFUND"
        )
        self.stripe_obj(
            {
                "id": rid,
                "object": "refund",
                "amount": ch["amount"],
                "balance_transaction": tid,
                "charge": ch["id"],
                "created": _epoch(at),
                "currency": "usd",
                "metadata": {},
                "payment_intent": ch["payment_intent"],
                "reason": reason,
                "status": "succeeded",
            }
        )
        ch["amount_refunded"] = ch["amount"]
        ch["refunded"] = True

    def dispute(self, ch: dict[str, Any], at: datetime) -> None:
        did = self.sid("dp")
        won = self.rng.random() < 0.4
        debit_id = self.balance_txn(
            amount=-ch["amount"],
            fee=DISPUTE_FEE,
            type_="adjustment",
            category="dispute",
            source=did,
            created=at,
            description=f"Chargeback withdrawal for {ch['id']}",
        )
        txns = [debit_id]
        if won and at + timedelta(days=20) < self.end:
            txns.append(
                self.balance_txn(
                    amount=ch["amount"],
                    fee=-DISPUTE_FEE,
                    type_="adjustment",
                    category="dispute_reversal",
                    source=did,
                    created=at + timedelta(days=20),
                    description=f"Chargeback reversal for {ch['id']}",
                )
            )
        status = "won" if len(txns) == 2 else ("lost" if not won else "under_review")
        self.stripe_obj(
            {
                "id": did,
                "object": "dispute",
                "amount": ch["amount"],
                "balance_transactions": [{"id": x, "object": "balance_transaction"} for x in txns],
                "charge": ch["id"],
                "created": _epoch(at),
                "currency": "usd",
                "evidence": {},
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "payment_intent": ch["payment_intent"],
                "reason": "fraudulent",
                "status": status,
            }
        )
        ch["disputed"] = True

    def payouts(self) -> None:
        by_day: dict[date, int] = defaultdict(int)
        for bt in self.bts:
            by_day[datetime.fromtimestamp(bt["available_on"], UTC).date()] += bt["net"]
        for day in sorted(by_day):
            created = datetime.combine(day, time(6), UTC)
            if by_day[day] <= 0 or created >= self.end:
                continue
            pid = self.sid("po")
            amount = by_day[day]
            tid = self.sid("txn")
            arrival = created + timedelta(days=2)
            self.stripe_obj(
                {
                    "id": tid,
                    "object": "balance_transaction",
                    "amount": -amount,
                    "available_on": _epoch(created),
                    "created": _epoch(created),
                    "currency": "usd",
                    "description": "STRIPE PAYOUT",
                    "exchange_rate": None,
                    "fee": 0,
                    "fee_details": [],
                    "net": -amount,
                    "reporting_category": "payout",
                    "source": pid,
                    "status": "available",
                    "type": "payout",
                }
            )
            self.stripe_obj(
                {
                    "id": pid,
                    "object": "payout",
                    "amount": amount,
                    "arrival_date": _epoch(_midnight(arrival)),
                    "automatic": True,
                    "balance_transaction": tid,
                    "created": _epoch(created),
                    "currency": "usd",
                    "description": "STRIPE PAYOUT",
                    "destination": "ba_synthetic",
                    "livemode": False,
                    "metadata": {},
                    "method": "standard",
                    "source_type": "card",
                    "statement_descriptor": None,
                    "status": "paid" if arrival <= self.end else "in_transit",
                    "type": "bank_account",
                }
            )
        self.stripe.extend(self.bts)


def _price_obj(plan: Plan, interval: str) -> dict[str, Any]:
    monthly = DEFAULT_PLAN_LIMITS[plan].price_cents
    amount = monthly * 10 if interval == "year" else monthly
    return {
        "id": f"price_{plan.value}_{interval}ly",
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "currency": "usd",
        "product": f"prod_{plan.value}",
        "recurring": {"aggregate_usage": None, "interval": interval, "interval_count": 1, "usage_type": "licensed"},
        "type": "recurring",
        "unit_amount": amount,
    }


@dataclass
class _User:
    id: uuid.UUID
    created_at: datetime
    customer: str
    plan: Plan = Plan.FREE
    balance: int = 0
    buyer: bool = False
    events: list[tuple[datetime, int, str, dict[str, Any]]] = field(default_factory=list)


def _weighted_plan(rng: random.Random) -> Plan:
    r = rng.uniform(0, sum(w for _, w in PLAN_WEIGHTS))
    for plan, w in PLAN_WEIGHTS:
        r -= w
        if r <= 0:
            return plan
    return Plan.FREE


class _Sim(_Gen):
    def ledger(
        self,
        u: _User,
        *,
        kind: LedgerKind,
        amount: int,
        key: str,
        at: datetime,
        ref_type: str | None,
        ref_id: str | None,
        refunds: uuid.UUID | None = None,
    ) -> uuid.UUID:
        u.balance += amount
        assert u.balance >= 0
        eid = self.uid()
        self.t["credit_ledger"].append(
            {
                "id": eid,
                "user_id": u.id,
                "kind": kind,
                "amount": amount,
                "balance_after": u.balance,
                "idempotency_key": key,
                "reference_type": ref_type,
                "reference_id": ref_id,
                "refunds_entry_id": refunds,
                "memo": None,
                "created_at": at,
            }
        )
        return eid

    def subscriptions(self, u: _User, plan: Plan) -> None:
        """Monthly (or yearly) invoices with plan changes, cancellations and reactivations."""
        rng = self.rng
        start = u.created_at + timedelta(days=rng.uniform(0, 10))
        while start < self.end:
            sub_id, si = self.sid("sub"), self.sid("si")
            interval = "year" if plan == Plan.STUDIO and rng.random() < 0.3 else "month"
            period_start, created, ended, canceled_at = start, start, None, None
            status = "active"
            while period_start < self.end:
                period_end = _add_month(period_start, 12 if interval == "year" else 1)
                price = _price_obj(plan, interval)
                inv_id = self.sid("in")
                paid = rng.random() > 0.03
                line = {
                    "id": self.sid("il"),
                    "object": "line_item",
                    "amount": price["unit_amount"],
                    "currency": "usd",
                    "description": f"1 × {plan.value.title()} (at ${price['unit_amount'] / 100:.2f} / {interval})",
                    "discount_amounts": [],
                    "discountable": True,
                    "discounts": [],
                    "invoice": inv_id,
                    "livemode": False,
                    "metadata": {},
                    "period": {"end": _epoch(period_end), "start": _epoch(period_start)},
                    "price": price,
                    "proration": False,
                    "quantity": 1,
                    "subscription": sub_id,
                    "subscription_item": si,
                    "type": "subscription",
                }
                charge_id = None
                if paid:
                    ch = self.charge(
                        customer=u.customer,
                        amount=price["unit_amount"],
                        created=period_start,
                        description="Subscription update" if period_start != created else "Subscription creation",
                        invoice=inv_id,
                    )
                    charge_id = ch["id"]
                    credits = DEFAULT_PLAN_LIMITS[plan].monthly_credits * (12 if interval == "year" else 1)
                    u.events.append((period_start, 0, "grant_subscription", {"credits": credits, "invoice": inv_id}))
                    if rng.random() < 0.004:
                        self.dispute(ch, period_start + timedelta(days=rng.uniform(5, 30)))
                self.stripe_obj(
                    {
                        "id": inv_id,
                        "object": "invoice",
                        "amount_due": price["unit_amount"],
                        "amount_paid": price["unit_amount"] if paid else 0,
                        "amount_remaining": 0 if paid else price["unit_amount"],
                        "billing_reason": "subscription_create" if period_start == created else "subscription_cycle",
                        "charge": charge_id,
                        "created": _epoch(period_start),
                        "currency": "usd",
                        "customer": u.customer,
                        "lines": {
                            "object": "list",
                            "data": [line],
                            "has_more": False,
                            "total_count": 1,
                            "url": f"/v1/invoices/{inv_id}/lines",
                        },
                        "livemode": False,
                        "paid": paid,
                        "period_start": _epoch(period_start),
                        "period_end": _epoch(period_end),
                        "status": "paid" if paid else "open",
                        "subscription": sub_id,
                        "subtotal": price["unit_amount"],
                        "total": price["unit_amount"],
                    }
                )
                if period_end >= self.end:
                    status = "active" if paid else "past_due"
                    break
                r = rng.random()
                if r < 0.05:  # cancel at period end
                    canceled_at = period_start + timedelta(days=rng.uniform(1, 20))
                    ended, status = period_end, "canceled"
                    break
                if r < 0.09 and plan != Plan.STUDIO:
                    plan = PAID_PLANS[PAID_PLANS.index(plan) + 1]  # upgrade from the next period
                elif r < 0.12 and plan != Plan.STARTER:
                    plan = PAID_PLANS[PAID_PLANS.index(plan) - 1]  # downgrade from the next period
                period_start = period_end
            self.stripe_obj(
                {
                    "id": sub_id,
                    "object": "subscription",
                    "billing_cycle_anchor": _epoch(created),
                    "cancel_at": _epoch(ended) if ended else None,
                    "cancel_at_period_end": ended is not None,
                    "canceled_at": _epoch(canceled_at) if canceled_at else None,
                    "created": _epoch(created),
                    "currency": "usd",
                    "current_period_end": _epoch(_add_month(period_start, 12 if interval == "year" else 1)),
                    "current_period_start": _epoch(period_start),
                    "customer": u.customer,
                    "ended_at": _epoch(ended) if ended else None,
                    "items": {
                        "object": "list",
                        "data": [
                            {
                                "id": si,
                                "object": "subscription_item",
                                "price": _price_obj(plan, interval),
                                "quantity": 1,
                            }
                        ],
                    },
                    "livemode": False,
                    "metadata": {},
                    "status": status,
                }
            )
            if ended is None:
                u.plan = plan
                return
            if rng.random() < 0.35:  # reactivation after a gap
                start = ended + timedelta(days=rng.uniform(20, 90))
            else:
                return

    def order(self, u: _User, at: datetime, items: list[dict[str, Any]], *, fail: bool = False) -> dict[str, Any]:
        oid, cs = self.uid(), self.sid("cs")
        total = sum(i["amount_cents"] for i in items)
        ch = self.charge(
            customer=u.customer,
            amount=total,
            created=at,
            description="Checkout",
            metadata={"checkout_session_id": cs, "order_id": str(oid)},
        )
        has_print = any(i["kind"] == OrderItemKind.PRINT for i in items)
        fulfilled = (
            None if fail else at + (timedelta(days=self.rng.uniform(1, 5)) if has_print else timedelta(seconds=30))
        )
        if fulfilled is not None and fulfilled >= self.end:
            fulfilled = None
        status = OrderStatus.FAILED if fail else (OrderStatus.FULFILLED if fulfilled else OrderStatus.PAID)
        self.t["orders"].append(
            {
                "id": oid,
                "user_id": u.id,
                "stripe_checkout_session_id": cs,
                "stripe_payment_intent_id": ch["payment_intent"],
                "status": status,
                "amount_total_cents": total,
                "currency": "usd",
                "email": None,
                "shipping": None,
                "failure_reason": "print partner rejected the model" if fail else None,
                "tracking_number": None,
                "created_at": at,
                "paid_at": at,
                "fulfilled_at": fulfilled,
            }
        )
        for pos, item in enumerate(items):
            self.t["order_items"].append({"id": self.uid(), "order_id": oid, "position": pos, **item})
        r = self.rng.random()
        if fail:
            self.refund(ch, at + timedelta(days=1), reason="requested_by_customer")
        elif (
            r < 0.06  # one-off orders (prints, downloads) are refunded now and then
            and at + timedelta(days=3) < self.end
            and not any(i["kind"] == OrderItemKind.CREDIT_PACK for i in items)
        ):
            self.refund(ch, at + timedelta(days=self.rng.uniform(1, 3)))
        elif r < 0.026 and at + timedelta(days=10) < self.end:
            self.dispute(ch, at + timedelta(days=self.rng.uniform(7, 10)))
        return {"order_id": oid, "checkout_session_id": cs}

    def buy_pack(self, u: _User, at: datetime) -> None:
        pack_id, _, credits, cents = self.rng.choice(self.packs)
        o = self.order(
            u,
            at,
            [
                {
                    "kind": OrderItemKind.CREDIT_PACK,
                    "asset_id": None,
                    "print_config_id": None,
                    "credit_pack_id": pack_id,
                    "quantity": 1,
                    "unit_amount_cents": cents,
                    "amount_cents": cents,
                }
            ],
        )
        self.ledger(
            u,
            kind=LedgerKind.GRANT_PURCHASE,
            amount=credits,
            key=f"grant:{o['checkout_session_id']}:0",
            at=at + timedelta(seconds=5),
            ref_type="stripe_checkout_session",
            ref_id=o["checkout_session_id"],
        )

    def call(self, u: _User, asset_id: uuid.UUID | None, stage: Stage, at: datetime) -> tuple[datetime, bool]:
        rng = self.rng
        if stage == Stage.CONCEPTS:
            provider, model, unit = rng.choice(
                (("local", "procedural-concepts", PriceUnit.CPU_SECOND), ("own-gpu", "learned", PriceUnit.GPU_SECOND))
            )
            run = rng.uniform(3, 20)
        elif stage == Stage.MODEL:
            # Mostly our own GPUs; RunPod for overflow; the hosted APIs as quality or fallback routes.
            provider, model, unit = rng.choices(
                (
                    ("own-gpu", "silhouette-inflation", PriceUnit.GPU_SECOND),
                    ("runpod", "h100-80gb", PriceUnit.GPU_SECOND),
                    ("tripo", "tripo-v2.5", PriceUnit.CREDIT),
                    ("meshy", "meshy-5", PriceUnit.CREDIT),
                ),
                weights=(55, 25, 12, 8),
            )[0]
            run = rng.uniform(30, 150)
        elif stage == Stage.RESCALE:
            provider, model, unit, run = "own-gpu", "silhouette-inflation", PriceUnit.GPU_SECOND, rng.uniform(2, 10)
        else:
            provider, model, unit, run = "local", "silhouette-inflation", PriceUnit.CPU_SECOND, rng.uniform(0.5, 3)
        queue = rng.expovariate(1 / (20.0 if unit == PriceUnit.CREDIT else 4.0))
        units = float(rng.choice((20, 25, 30, 40))) if unit == PriceUnit.CREDIT else round(run, 3)
        r = rng.random()
        status = (
            ProviderCallStatus.SUCCEEDED
            if r > 0.08
            else ProviderCallStatus.FAILED
            if r > 0.02
            else ProviderCallStatus.TIMED_OUT
            if r > 0.005
            else ProviderCallStatus.CANCELLED
        )
        price = self.price(provider, model, unit, at)
        self.t["provider_calls"].append(
            {
                "id": self.uid(),
                "asset_id": asset_id,
                "user_id": u.id,
                "stage": stage,
                "provider": provider,
                "model": model,
                "status": status,
                "external_id": None,
                "queue_seconds": round(queue, 3),
                "run_seconds": round(run, 3),
                "units": units,
                "unit": unit,
                "price_id": price.id,
                "cost_nano_usd": cost_nano(price, units),
                "cost_source": "inferred",
                "error": None if status == ProviderCallStatus.SUCCEEDED else f"{status.value}",
                "created_at": at,
            }
        )
        return at + timedelta(seconds=queue + run), status == ProviderCallStatus.SUCCEEDED

    def stage(self, u: _User, asset_id: uuid.UUID, stage: Stage, at: datetime) -> tuple[datetime, bool]:
        """One stage with up to two retries of a failed call."""
        ok = False
        for _ in range(3):
            at, ok = self.call(u, asset_id, stage, at)
            if ok:
                break
        return at, ok

    def generation(self, u: _User, at: datetime) -> datetime | None:
        rng = self.rng
        skip = rng.random() < 0.15
        cost = 1
        if u.balance < cost:
            if not u.buyer:
                return None
            self.buy_pack(u, at - timedelta(minutes=2))
        aid = self.uid()
        mode = "image" if rng.random() < 0.3 else "text"
        files: list[tuple[str, str, int]] = []
        key = f"spend:{aid}:{'skip_concept' if skip else 'concepts'}:1"
        spend_id = self.ledger(
            u, kind=LedgerKind.SPEND, amount=-cost, key=key, at=at, ref_type="asset", ref_id=str(aid)
        )
        t, ok = at, True
        concept_attempts = model_attempts = 0
        if not skip:
            concept_attempts = 1
            t, ok = self.stage(u, aid, Stage.CONCEPTS, t)
            if ok:
                files += [("concept", "image/png", rng.randint(150_000, 600_000)) for _ in range(2)]
        if ok:
            model_attempts = 1
            t, ok = self.stage(u, aid, Stage.MODEL, t + timedelta(seconds=rng.uniform(5, 600)))
            if ok and rng.random() < 0.2 and u.balance >= 1:  # a paid regeneration
                model_attempts = 2
                self.ledger(
                    u,
                    kind=LedgerKind.SPEND,
                    amount=-1,
                    key=f"spend:{aid}:model:2",
                    at=t,
                    ref_type="asset",
                    ref_id=str(aid),
                )
                t, _ = self.stage(u, aid, Stage.MODEL, t + timedelta(seconds=30))
        if ok:
            t, _ = self.call(u, aid, Stage.THUMBNAIL, t)
            files += [
                ("glb", "model/gltf-binary", rng.randint(800_000, 6_000_000)),
                ("stl", "model/stl", rng.randint(1_000_000, 8_000_000)),
                ("thumbnail", "image/png", rng.randint(20_000, 80_000)),
            ]
        else:
            self.ledger(
                u,
                kind=LedgerKind.REFUND,
                amount=cost,
                key=f"refund:{key}",
                at=t,
                ref_type="asset",
                ref_id=str(aid),
                refunds=spend_id,
            )
        if t >= self.end:
            t = self.end - timedelta(seconds=1)
        self.t["assets"].append(
            {
                "id": aid,
                "user_id": u.id,
                "request_key": None,
                "mode": mode,
                "prompt": "a small robot" if mode == "text" else None,
                "input_image_key": f"inputs/{aid}.png" if mode == "image" else None,
                "style": None,
                "skip_concept": skip,
                "status": AssetStatus.COMPLETED if ok else AssetStatus.FAILED,
                "progress": 100 if ok else 0,
                "concept_keys": [],
                "chosen_concept": None if skip or not ok else 0,
                "concept_attempts": concept_attempts,
                "model_attempts": model_attempts,
                "last_model_attempt_at": t if model_attempts else None,
                "model_key": f"models/{aid}.glb" if ok else None,
                "thumbnail_key": None,
                "public": rng.random() < 0.3,
                "vertices": None,
                "faces": None,
                "bbox_x_mm": None,
                "bbox_y_mm": None,
                "bbox_z_mm": None,
                "volume_mm3": None,
                "watertight": None,
                "error": None if ok else "provider failed",
                "created_at": at,
                "updated_at": t,
                "completed_at": t if ok else None,
                "deleted_at": None,
            }
        )
        for kind, ctype, size in files:
            self.t["asset_files"].append(
                {
                    "id": self.uid(),
                    "asset_id": aid,
                    "kind": kind,
                    "key": f"assets/{aid}/{self.rng.getrandbits(48):012x}.{kind}",
                    "content_type": ctype,
                    "size_bytes": size,
                    "sha256": f"{self.rng.getrandbits(256):064x}",
                    "created_at": t,
                }
            )
        if ok and rng.random() < 0.04 and t + timedelta(hours=2) < self.end:
            self.print_order(u, aid, t + timedelta(hours=rng.uniform(0.5, 2)))
        elif ok and rng.random() < 0.03 and t + timedelta(hours=1) < self.end:
            self.order(
                u,
                t + timedelta(minutes=rng.uniform(5, 60)),
                [
                    {
                        "kind": OrderItemKind.DIGITAL_ASSET,
                        "asset_id": aid,
                        "print_config_id": None,
                        "credit_pack_id": None,
                        "quantity": 1,
                        "unit_amount_cents": 299,
                        "amount_cents": 299,
                    }
                ],
            )
        return t

    def print_order(self, u: _User, aid: uuid.UUID, at: datetime) -> None:
        rng = self.rng
        pid, qty, unit = self.uid(), rng.randint(1, 3), rng.choice((2500, 4500, 9000))
        material = DEFAULT_MATERIALS[rng.choice(sorted(DEFAULT_MATERIALS))]
        self.t["print_configs"].append(
            {
                "id": pid,
                "user_id": u.id,
                "asset_id": aid,
                "technology": str(material.technology),
                "material": material.material,
                "colour": material.colours[0],
                "finish": material.finishes[0],
                "quantity": qty,
                "target_x_mm": 80.0,
                "target_y_mm": 60.0,
                "target_z_mm": 100.0,
                "remarks": None,
                "quoted_price_cents": unit * qty,
                "currency": "usd",
                "quote": {},
                "status": PrintConfigStatus.SENT,
                "created_at": at,
                "updated_at": at,
            }
        )
        self.call(u, aid, Stage.RESCALE, at + timedelta(minutes=1))
        self.order(
            u,
            at,
            [
                {
                    "kind": OrderItemKind.PRINT,
                    "asset_id": aid,
                    "print_config_id": pid,
                    "credit_pack_id": None,
                    "quantity": qty,
                    "unit_amount_cents": unit,
                    "amount_cents": unit * qty,
                }
            ],
            fail=rng.random() < 0.05,
        )


def _chunks(rows: list[dict[str, Any]], n: int = 20_000) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), n):
        yield rows[i : i + n]


def seed_operational(
    engine: Engine,
    *,
    users: int,
    months: int,
    seed: int,
    end: datetime | None = None,
    generations_per_month: float = 2.5,
) -> Counts:
    """Fill an empty operational database with ``users`` users over the ``months`` before ``end``.

    Deterministic for a given ``(users, months, seed, end)``. Raises ``Conflict`` if users exist.
    """
    end = end or _midnight(datetime.now(UTC))
    start = _add_month(end, -months)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        if session.scalar(select(func.count()).select_from(User)):
            raise Conflict("the operational database already has users; seed an empty one")
        load_price_book(session=session)
        prices = list(session.scalars(select(ProviderPrice)))
        if not session.scalar(select(func.count()).select_from(CreditPack)):
            seed_catalog(session=session)
        # Sell the catalogue's packs, so synthetic orders and grants name packs that exist.
        packs = [(p.id, p.name, p.credits, p.price_cents) for p in list_credit_packs(session=session)]
    sim = _Sim(seed=seed, end=end, prices=prices)
    sim.packs = packs
    rng = sim.rng
    span = (end - start).total_seconds()
    for i in range(users):
        u = _User(
            id=sim.uid(), created_at=start + timedelta(seconds=rng.uniform(0, span * 0.97)), customer=sim.sid("cus")
        )
        u.buyer = rng.random() < 0.35
        plan = _weighted_plan(rng)
        sim.ledger(
            u,
            kind=LedgerKind.GRANT_PROMO,
            amount=5,
            key=f"promo:welcome:{u.id}",
            at=u.created_at,
            ref_type="promotion",
            ref_id="welcome",
        )
        if plan != Plan.FREE:
            sim.subscriptions(u, plan)
        life_months = (end - u.created_at).total_seconds() / (30 * 86400)
        rate = generations_per_month * (4 if plan != Plan.FREE else 1) * rng.uniform(0.3, 1.7)
        n = max(1, int(rate * life_months))
        times = sorted(
            u.created_at + timedelta(seconds=rng.uniform(60, (end - u.created_at).total_seconds() - 60))
            for _ in range(n)
        )
        grants = sorted(u.events, key=lambda e: e[0])
        gi = 0
        for t in times:
            while gi < len(grants) and grants[gi][0] <= t:
                at, _, _, g = grants[gi]
                sim.ledger(
                    u,
                    kind=LedgerKind.GRANT_SUBSCRIPTION,
                    amount=g["credits"],
                    key=f"grant:{g['invoice']}",
                    at=at + timedelta(seconds=10),
                    ref_type="stripe_invoice",
                    ref_id=g["invoice"],
                )
                gi += 1
            sim.generation(u, t)
        for at, _, _, g in grants[gi:]:
            sim.ledger(
                u,
                kind=LedgerKind.GRANT_SUBSCRIPTION,
                amount=g["credits"],
                key=f"grant:{g['invoice']}",
                at=at + timedelta(seconds=10),
                ref_type="stripe_invoice",
                ref_id=g["invoice"],
            )
        sim.t["users"].append(
            {
                "id": u.id,
                "email": f"user{i:06d}.{seed}@synthetic.makeit3d.example",
                "display_name": f"User {i}",
                "role": Role.ADMIN if i < 2 else Role.USER,
                "plan": u.plan,
                "credit_balance": u.balance,
                "stripe_customer_id": u.customer,
                "created_at": u.created_at,
                "updated_at": end,  # like the Stripe rows: as of the end of the simulated history
                "last_active_at": None,
            }
        )
    sim.payouts()
    now = end
    stripe_rows = [
        {
            "id": o["id"],
            "object_type": o["object"],
            "created": o["created"],
            "livemode": False,
            "payload": o,
            "first_seen_at": now,
            "updated_at": now,
        }
        for o in sim.stripe
    ]
    order: list[tuple[Table, list[dict[str, Any]]]] = [
        (User.__table__, sim.t["users"]),  # type: ignore[list-item]
        (Asset.__table__, sim.t["assets"]),  # type: ignore[list-item]
        (AssetFile.__table__, sim.t["asset_files"]),  # type: ignore[list-item]
        (LedgerEntry.__table__, sim.t["credit_ledger"]),  # type: ignore[list-item]
        (ProviderCall.__table__, sim.t["provider_calls"]),  # type: ignore[list-item]
        (PrintConfig.__table__, sim.t["print_configs"]),  # type: ignore[list-item]
        (Order.__table__, sim.t["orders"]),  # type: ignore[list-item]
        (OrderItem.__table__, sim.t["order_items"]),  # type: ignore[list-item]
        (StripeObject.__table__, stripe_rows),  # type: ignore[list-item]
        (StripeEvent.__table__, sim.t["stripe_events"]),  # type: ignore[list-item]
    ]
    counts = Counts()
    with engine.begin() as conn:
        for table, rows in order:
            for chunk in _chunks(rows):
                conn.execute(insert(table), chunk)
            counts.rows[table.name] = len(rows)
    log.info("seeded %s", counts.rows)
    return counts
