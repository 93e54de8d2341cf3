"""Factories for flow tests: finished assets without running a generator, checkout events."""

from __future__ import annotations

import json
import uuid
from typing import Any

import trimesh
from sqlalchemy.orm import Session, sessionmaker

from core.enums import AssetStatus, GenerationMode
from flows.runtime import FlowRuntime
from flows.steps import store_files
from gpu_tasks.pipeline import finish_generated_model
from warehouse import assets, print_configs
from warehouse.db import transaction


def make_completed_asset(rt: FlowRuntime, sessions: sessionmaker[Session], user_id: uuid.UUID) -> uuid.UUID:
    """A COMPLETED asset whose model (a 100 mm sphere) is stored like generate-model stores it."""
    finished = finish_generated_model(trimesh.creation.icosphere(subdivisions=3), size_mm=100, face_budget=5000)
    with transaction(sessions) as s:
        asset, _ = assets.create_asset(
            session=s, user_id=user_id, mode=GenerationMode.TEXT, prompt="a ball", skip_concept=True
        )
        aid = asset.id
    stored = store_files(rt, finished.files, prefix=f"assets/{aid}/model-1")
    r = finished.report
    with transaction(sessions) as s:
        for f in stored:
            assets.add_file(session=s, asset_id=aid, kind=f.kind, stored=f.stored)
        assets.transition(
            session=s,
            asset_id=aid,
            expected=AssetStatus.GENERATING_MODEL,
            target=AssetStatus.COMPLETED,
            model_key=next(f.stored.key for f in stored if f.kind == "glb"),
            vertices=r.vertices,
            faces=r.faces,
            bbox_x_mm=r.bbox_mm[0],
            bbox_y_mm=r.bbox_mm[1],
            bbox_z_mm=r.bbox_mm[2],
            volume_mm3=r.volume_mm3,
            watertight=r.watertight,
            model_attempts=1,
        )
    return aid


def make_print_config(
    sessions: sessionmaker[Session], user_id: uuid.UUID, asset_id: uuid.UUID, size: float = 60.0
) -> uuid.UUID:
    with transaction(sessions) as s:
        quote = print_configs.quote_for_asset(
            session=s,
            asset_id=asset_id,
            user_id=user_id,
            technology="fdm",
            material="pla",
            colour="white",
            finish="raw",
            quantity=1,
            longest_side_mm=size,
        )
        return print_configs.save_print_config(session=s, user_id=user_id, asset_id=asset_id, quote=quote).id


def checkout_event(
    user_id: uuid.UUID, cart: list[dict[str, Any]], *, event_id: str | None = None, session_id: str | None = None
) -> dict[str, Any]:
    """A ``checkout.session.completed`` event shaped as Stripe sends it."""
    total = sum(int(i.get("unit_amount", 0)) * int(i.get("quantity", 1)) for i in cart)
    sid = session_id or f"cs_test_{uuid.uuid4().hex[:16]}"
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": 1_763_000_000,
        "livemode": False,
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": sid,
                "object": "checkout.session",
                "mode": "payment",
                "payment_status": "paid",
                "status": "complete",
                "amount_total": total,
                "currency": "usd",
                "client_reference_id": str(user_id),
                "payment_intent": f"pi_{uuid.uuid4().hex[:20]}",
                "customer_details": {"email": "buyer@example.com", "name": "Ada Buyer"},
                "collected_information": {
                    "shipping_details": {
                        "name": "Ada Buyer",
                        "address": {
                            "line1": "1 Print Street",
                            "city": "Leeds",
                            "postal_code": "LS1 1AA",
                            "country": "GB",
                        },
                    }
                },
                "metadata": {"user_id": str(user_id), "cart": json.dumps(cart)},
            }
        },
    }
