"""Authorisation matrix: every route × no key / bad key / wrong role / other user / right role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from core.enums import OrderItemKind
from tests.api.conftest import ApiEnv
from tests.api.test_api_generations import _finish_model, _start
from warehouse import orders as order_repo
from warehouse.db import transaction


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {asset} and {order} are the caller's (user A's) own resources
    scope: str  # "user": user keys or service keys acting for a user; "admin"; "any": every role
    json: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    owned: bool = False  # another user gets 404


QUOTE = {"technology": "fdm", "material": "pla", "colour": "white", "finish": "raw", "quantity": 1}

ROUTES = [
    Route("POST", "/v1/generations", "user", data={"prompt": "an owl"}),
    Route("GET", "/v1/assets", "user"),
    Route("GET", "/v1/assets/{asset}", "user", owned=True),
    Route("POST", "/v1/assets/{asset}/model", "user", json={"concept": 0}, owned=True),
    Route("POST", "/v1/assets/{asset}/regenerate", "user", json={"stage": "model"}, owned=True),
    Route("PATCH", "/v1/assets/{asset}", "user", json={"public": True}, owned=True),
    Route("DELETE", "/v1/assets/{asset}", "user", owned=True),
    Route("POST", "/v1/print-quotes", "user", json={**QUOTE, "asset_id": "{asset}", "target_size_mm": 100}, owned=True),
    Route(
        "POST", "/v1/print-configs", "user", json={**QUOTE, "asset_id": "{asset}", "target_size_mm": 100}, owned=True
    ),
    Route("GET", "/v1/me/usage", "user"),
    Route("GET", "/v1/me/stats", "user"),
    Route("GET", "/v1/orders", "user"),
    Route("GET", "/v1/orders/{order}", "user", owned=True),
    Route("GET", "/v1/feed", "any"),
    Route("GET", "/v1/styles", "any"),
    Route("GET", "/v1/credit-packs", "any"),
    Route("GET", "/v1/admin/users", "admin"),
    Route("POST", "/v1/admin/users/{user}/credits", "admin", json={"amount": 1, "reason": "matrix test"}),
    *(
        Route("GET", f"/v1/stats/{p}", "admin")
        for p in (
            "overview",
            "users/growth",
            "users/active",
            "generations/activity",
            "generations/recent",
            "ai-costs",
            "unit-economics",
            "revenue",
            "mrr",
            "orders",
            "storage",
        )
    ),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for k, v in ids.items():
            value = value.replace("{" + k + "}", v)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _resources(env: ApiEnv) -> dict[str, str]:
    """Two completed assets and an order of user A."""
    assets = []
    for _ in range(2):
        aid = uuid.UUID(str(_start(env, env.a, skip_concept=True)["asset_id"]))
        _finish_model(env, aid)
        assets.append(aid)
    with transaction(env.sessions) as s:
        order, _ = order_repo.create_order(
            session=s,
            user_id=env.user_a,
            checkout_session_id=f"cs_{uuid.uuid4().hex}",
            items=[
                order_repo.CartItem(
                    kind=OrderItemKind.DIGITAL_ASSET, quantity=1, unit_amount_cents=1, asset_id=assets[0]
                )
            ],
            amount_total_cents=1,
            currency="usd",
        )
    return {"asset": str(assets[0]), "asset2": str(assets[1]), "order": str(order.id), "user": str(env.user_a)}


def _call(env: ApiEnv, route: Route, headers: dict[str, str], ids: dict[str, str]) -> Any:
    return env.client.request(
        route.method,
        _fill(route.path, ids),
        headers=headers,
        json=_fill(route.json, ids) if route.json is not None else None,
        data=route.data,
    )


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_authorisation_matrix(request: pytest.FixtureRequest, route: Route) -> None:
    env: ApiEnv = request.getfixturevalue("stats_env" if route.path.startswith("/v1/stats") else "sqlite_env")
    ids = _resources(env)
    ids2 = {**ids, "asset": ids["asset2"]}

    # no key, a malformed key, an unknown key → 401 with the error body
    for headers in ({}, {"Authorization": "Bearer nope"}, env.h("mk3d_" + "A" * 43)):
        r = _call(env, route, headers, ids)
        assert r.status_code == 401, (headers, r.text)
        assert r.json()["error"]["code"] == "unauthorized"

    # wrong role → 403
    wrong = {
        "user": [env.admin],
        "admin": [env.a, env.h(env.service_key), env.h(env.service_key, env.user_a)],
        "any": [],
    }[route.scope]
    for headers in wrong:
        r = _call(env, route, headers, ids)
        assert r.status_code == 403, (headers, r.text)
        assert r.json()["error"]["code"] == "forbidden"

    # another user (own key, or a service key acting for them) → 404 on A's resources
    if route.owned:
        for headers in (env.b, env.h(env.service_key, env.user_b)):
            r = _call(env, route, headers, ids)
            assert r.status_code == 404, (headers, r.text)

    # the right role is let through (the route may still refuse on the merits, e.g. 409)
    right = {
        "user": [(env.h(env.service_key, env.user_a), ids2), (env.a, ids)],
        "admin": [(env.admin, ids)],
        "any": [(env.a, ids), (env.h(env.service_key), ids), (env.admin, ids)],
    }[route.scope]
    for headers, which in right:
        r = _call(env, route, headers, which)
        assert r.status_code not in (401, 403, 404), (headers, r.text)
        assert r.status_code < 500, r.text
