"""Prints, orders, catalogue, admin users, health, OpenAPI, rate limits and the error body."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from core.enums import OrderItemKind, Role
from tests.api.conftest import ApiEnv
from tests.api.test_api_generations import _finish_model, _start
from warehouse import orders as order_repo
from warehouse.api_keys import create_api_key, revoke_api_key
from warehouse.db import transaction
from warehouse.models import AuditLog, PrintConfig


def _completed_asset(env: ApiEnv) -> uuid.UUID:
    aid = uuid.UUID(str(_start(env, env.a, skip_concept=True)["asset_id"]))
    _finish_model(env, aid)
    return aid


QUOTE = {"technology": "fdm", "material": "pla", "colour": "white", "finish": "raw", "quantity": 2}


def test_print_quote_and_config(env: ApiEnv) -> None:
    aid = _completed_asset(env)
    r = env.client.post("/v1/print-quotes", json={**QUOTE, "asset_id": str(aid), "target_size_mm": 120}, headers=env.a)
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["target_mm"] == [60.0, 48.0, 120.0] and q["total_cents"] == sum(li["amount_cents"] for li in q["lines"])
    r = env.client.post("/v1/print-quotes", json={**QUOTE, "asset_id": str(aid), "target_size_mm": 900}, headers=env.a)
    assert r.status_code == 422 and r.json()["error"]["code"] == "build_volume_exceeded"
    bad = {**QUOTE, "material": "gold", "asset_id": str(aid), "target_size_mm": 100}
    assert env.client.post("/v1/print-quotes", json=bad, headers=env.a).status_code == 422
    neg = {**QUOTE, "asset_id": str(aid), "target_size_mm": -1}
    assert env.client.post("/v1/print-quotes", json=neg, headers=env.a).status_code == 422
    other = {**QUOTE, "asset_id": str(aid), "target_size_mm": 100}
    assert env.client.post("/v1/print-quotes", json=other, headers=env.b).status_code == 404
    r = env.client.post("/v1/print-configs", json={**other, "remarks": "matte please"}, headers=env.a)
    assert r.status_code == 201, r.text
    cfg = r.json()
    assert cfg["status"] == "QUOTED" and cfg["remarks"] == "matte please" and cfg["quoted_price_cents"] > 0
    pending = uuid.UUID(str(_start(env, env.a)["asset_id"]))
    r = env.client.post(
        "/v1/print-quotes", json={**QUOTE, "asset_id": str(pending), "target_size_mm": 100}, headers=env.a
    )
    assert r.status_code in (409, 422)  # no finished model yet


def test_orders_with_items_targets_and_downloads(env: ApiEnv) -> None:
    aid = _completed_asset(env)
    cfg_id = env.client.post(
        "/v1/print-configs", json={**QUOTE, "asset_id": str(aid), "target_size_mm": 100}, headers=env.a
    ).json()["id"]
    with transaction(env.sessions) as s:
        order, _ = order_repo.create_order(
            session=s,
            user_id=env.user_a,
            checkout_session_id="cs_test_1",
            items=[
                order_repo.CartItem(kind=OrderItemKind.DIGITAL_ASSET, quantity=1, unit_amount_cents=300, asset_id=aid),
                order_repo.CartItem(
                    kind=OrderItemKind.PRINT, quantity=2, unit_amount_cents=900, print_config_id=uuid.UUID(cfg_id)
                ),
                order_repo.CartItem(
                    kind=OrderItemKind.CREDIT_PACK, quantity=1, unit_amount_cents=500, credit_pack_id=_pack(env)
                ),
            ],
            amount_total_cents=2600,
            currency="usd",
        )
        order_repo.grant_entitlement(session=s, user_id=env.user_a, asset_id=aid, order_id=order.id)
        order.tracking_number = "1Z999"
    listing = env.client.get("/v1/orders", headers=env.a).json()
    assert [o["id"] for o in listing["data"]] == [str(order.id)]
    got = env.client.get(f"/v1/orders/{order.id}", headers=env.a).json()
    assert got["tracking_number"] == "1Z999" and got["status"] == "PAID"
    digital, printed, pack = got["items"]
    assert digital["downloads"][0]["format"] == "glb"
    assert printed["print_target_mm"] == [50.0, 40.0, 100.0] and printed["downloads"]
    assert pack["downloads"] == [] and pack["credit_pack_id"]
    assert env.client.get(f"/v1/orders/{order.id}", headers=env.b).status_code == 404
    assert env.client.get("/v1/orders", headers=env.b).json()["data"] == []
    assert env.client.get(f"/v1/orders/{uuid.uuid4()}", headers=env.a).status_code == 404


def _pack(env: ApiEnv) -> str:
    return str(env.client.get("/v1/credit-packs", headers=env.a).json()["data"][0]["id"])


def test_catalogue(env: ApiEnv) -> None:
    styles = env.client.get("/v1/styles", headers=env.a).json()["data"]
    packs = env.client.get("/v1/credit-packs", headers=env.a).json()["data"]
    assert styles and {"id", "name", "description", "prompt_hint"} <= set(styles[0])
    assert packs and packs == sorted(packs, key=lambda p: p["credits"])


def test_admin_users_search_paginate_and_adjust(env: ApiEnv) -> None:
    page = env.client.get("/v1/admin/users", params={"limit": 1}, headers=env.admin).json()
    assert len(page["data"]) == 1 and page["next_cursor"]
    page2 = env.client.get("/v1/admin/users", params={"limit": 1, "cursor": page["next_cursor"]}, headers=env.admin)
    assert page2.json()["data"][0]["id"] != page["data"][0]["id"]
    with env.sessions() as s:
        from warehouse.users import get_user

        email = get_user(session=s, user_id=env.user_a).email
    found = env.client.get("/v1/admin/users", params={"q": email[:12]}, headers=env.admin).json()["data"]
    assert [u["id"] for u in found] == [str(env.user_a)] and found[0]["credits"] == 20

    body = {"amount": 15, "reason": "goodwill"}
    r = env.client.post(
        f"/v1/admin/users/{env.user_a}/credits", json=body, headers={**env.admin, "Idempotency-Key": "adj-1"}
    )
    assert r.status_code == 200 and r.json()["balance_after"] == 35 and r.json()["created"] is True
    r = env.client.post(
        f"/v1/admin/users/{env.user_a}/credits", json=body, headers={**env.admin, "Idempotency-Key": "adj-1"}
    )
    assert r.json()["created"] is False and r.json()["balance_after"] == 35
    r = env.client.post(
        f"/v1/admin/users/{env.user_a}/credits", json={"amount": -1000, "reason": "x y z"}, headers=env.admin
    )
    assert r.status_code == 402
    assert (
        env.client.post(f"/v1/admin/users/{env.user_a}/credits", json={"amount": 5}, headers=env.admin).status_code
        == 422
    )
    assert (
        env.client.post(
            f"/v1/admin/users/{env.user_a}/credits", json={"amount": 0, "reason": "zero"}, headers=env.admin
        ).status_code
        == 422
    )
    assert env.client.post(f"/v1/admin/users/{uuid.uuid4()}/credits", json=body, headers=env.admin).status_code == 404
    with env.sessions() as s:
        logs = list(s.scalars(select(AuditLog).where(AuditLog.action == "user.credits.adjust")))
        searches = list(s.scalars(select(AuditLog).where(AuditLog.action == "users.search")))
    assert len(logs) == 1 and logs[0].details["reason"] == "goodwill" and logs[0].target_id == str(env.user_a)
    assert len(searches) == 3 and all(a.actor_key_id is not None for a in searches)


def test_health_and_readiness_without_snapshot(env: ApiEnv) -> None:
    assert env.client.get("/healthz").json() == {"status": "ok", "checks": {}}
    r = env.client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["database"] == "ok" and r.json()["checks"]["snapshot"].startswith("missing")


def test_openapi_has_examples_and_error_bodies(sqlite_env: ApiEnv) -> None:
    doc: dict[str, Any] = sqlite_env.client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), (method, path)
            if path.startswith("/v1"):
                assert "401" in op["responses"], (method, path)
                err = op["responses"]["401"]["content"]["application/json"]
                assert "example" in err
            body = op.get("requestBody", {}).get("content", {})
            for media in body.values():
                schema = media.get("schema", {})
                ref = schema.get("$ref", "").rsplit("/", 1)[-1]
                if ref and ref in doc["components"]["schemas"] and not ref.startswith("Body_"):
                    assert doc["components"]["schemas"][ref].get("examples"), (method, path, ref)
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


def test_error_body_for_unknown_route_and_method(sqlite_env: ApiEnv) -> None:
    r = sqlite_env.client.get("/v1/nothing-here", headers=sqlite_env.a)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = sqlite_env.client.put("/v1/styles", headers=sqlite_env.a)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_rate_limit_answers_429_with_retry_after(sqlite_env: ApiEnv) -> None:
    env = sqlite_env
    with transaction(env.sessions) as s:
        key = create_api_key(session=s, name="slow", role=Role.USER, user_id=env.user_a, rate_limit_per_minute=3)
    h = env.h(key.plaintext)
    codes = [env.client.get("/v1/styles", headers=h).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = env.client.get("/v1/styles", headers=h)
    assert r.json()["error"]["code"] == "rate_limited" and 1 <= int(r.headers["Retry-After"]) <= 20
    assert env.client.get("/v1/styles", headers=env.a).status_code == 200  # other keys are unaffected


def test_bad_and_revoked_keys_are_401(sqlite_env: ApiEnv) -> None:
    env = sqlite_env
    with transaction(env.sessions) as s:
        key = create_api_key(session=s, name="gone", role=Role.ADMIN)
        revoke_api_key(session=s, key_id=key.record.id)
    for h in (env.h(key.plaintext), env.h("mk3d_" + "x" * 43), env.h("nonsense"), {"Authorization": "Basic Zm9v"}):
        r = env.client.get("/v1/styles", headers=h)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer", h
        assert r.json()["error"]["code"] == "unauthorized"


def test_print_config_rows_belong_to_the_caller(env: ApiEnv) -> None:
    aid = _completed_asset(env)
    env.client.post("/v1/print-configs", json={**QUOTE, "asset_id": str(aid), "target_size_mm": 100}, headers=env.a)
    with env.sessions() as s:
        assert [c.user_id for c in s.scalars(select(PrintConfig))] == [env.user_a]


def test_key_cache_refreshes_aging_keys_and_drops_revoked_ones(sqlite_env: ApiEnv) -> None:
    import time

    env = sqlite_env
    with transaction(env.sessions) as s:
        key = create_api_key(session=s, name="short", role=Role.USER, user_id=env.user_a)
    h = env.h(key.plaintext)
    env.app.state.key_cache.ttl_s = 0.4
    assert env.client.get("/v1/styles", headers=h).status_code == 200
    with transaction(env.sessions) as s:
        revoke_api_key(session=s, key_id=key.record.id)
    assert env.client.get("/v1/styles", headers=h).status_code == 200  # cached: revocation bites within the TTL
    time.sleep(0.25)
    # aging: still answered from the cache, while a background refresh finds the key revoked
    assert env.client.get("/v1/styles", headers=h).status_code == 200
    deadline = time.monotonic() + 5
    while env.client.get("/v1/styles", headers=h).status_code != 401:
        assert time.monotonic() < deadline, "the revoked key was never dropped"
        time.sleep(0.05)
