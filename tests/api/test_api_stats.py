"""Stats routes over a published snapshot: values, validation, ETag/304, caching, no snapshot → 503."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.api.conftest import ApiEnv, PublishedSnapshot
from warehouse.snapshot import SnapshotReader

ROUTES = [
    "/v1/stats/overview",
    "/v1/stats/users/growth",
    "/v1/stats/users/growth?interval=monthly",
    "/v1/stats/users/active",
    "/v1/stats/generations/activity?group_by=week&split=stage",
    "/v1/stats/generations/recent?limit=5",
    "/v1/stats/ai-costs?group_by=month&split=provider",
    "/v1/stats/unit-economics?group_by=month",
    "/v1/stats/revenue?interval=monthly",
    "/v1/stats/mrr?from=2025-12-01",
    "/v1/stats/orders?group_by=week",
    "/v1/stats/storage?limit=3",
]


@pytest.mark.parametrize("url", ROUTES)
def test_every_stats_route_answers_from_the_snapshot(stats_env: ApiEnv, url: str) -> None:
    r = stats_env.client.get(url, headers=stats_env.admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["snapshot"]["version"] and body["data"]
    assert r.headers["ETag"] == f'"{body["snapshot"]["version"]}"'
    assert "max-age" in r.headers["Cache-Control"]
    again = stats_env.client.get(url, headers={**stats_env.admin, "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_values_match_the_marts(stats_env: ApiEnv, published: PublishedSnapshot) -> None:
    reader = SnapshotReader.open(published.settings())
    overview = reader.query("SELECT * FROM admin_overview")[0]
    got = stats_env.client.get("/v1/stats/overview", headers=stats_env.admin).json()["data"]
    assert got["total_users"] == overview["total_users"] == 60
    monthly = stats_env.client.get(
        "/v1/stats/revenue",
        params={"interval": "monthly", "from": "2025-01-01", "to": "2026-03-15"},
        headers=stats_env.admin,
    ).json()["data"]
    total = reader.query("SELECT SUM(net_revenue_cents) AS n FROM revenue_daily")[0]["n"]
    assert sum(row["net_revenue_cents"] for row in monthly) == total
    mrr = stats_env.client.get("/v1/stats/mrr", params={"from": "2025-01-01"}, headers=stats_env.admin).json()["data"]
    for m in mrr:
        assert m["mrr_end_cents"] == (
            m["mrr_start_cents"]
            + m["new_cents"]
            + m["reactivation_cents"]
            + m["expansion_cents"]
            - m["contraction_cents"]
            - m["churn_cents"]
        )
    costs = stats_env.client.get(
        "/v1/stats/ai-costs", params={"from": "2025-01-01", "group_by": "month"}, headers=stats_env.admin
    ).json()["data"]
    assert (
        sum(c["cost_nano_usd"] for c in costs)
        == reader.query("SELECT SUM(cost_nano_usd) AS c FROM ai_cost_daily")[0]["c"]
    )
    providers = {r["provider"] for r in reader.query("SELECT DISTINCT provider FROM ai_cost_daily")}
    one = sorted(providers)[0]
    filtered = stats_env.client.get(
        "/v1/stats/ai-costs",
        params={"from": "2025-01-01", "provider": one, "split": "provider"},
        headers=stats_env.admin,
    ).json()["data"]
    assert filtered and {r["provider"] for r in filtered} == {one}
    reader.close()


@pytest.mark.parametrize(
    "url",
    [
        "/v1/stats/revenue?from=2026-03-10&to=2026-03-01",
        "/v1/stats/revenue?from=not-a-date",
        "/v1/stats/revenue?interval=hourly",
        "/v1/stats/ai-costs?group_by=year",
        "/v1/stats/ai-costs?provider=x%27%3B%20drop",
        "/v1/stats/generations/recent?limit=0",
        "/v1/stats/storage?limit=100000",
        "/v1/stats/orders?from=1990-01-01&to=2026-01-01",
    ],
)
def test_invalid_parameters_are_422_with_the_reason(stats_env: ApiEnv, url: str) -> None:
    r = stats_env.client.get(url, headers=stats_env.admin)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input" and r.json()["error"]["message"]


def test_stats_are_admin_only(stats_env: ApiEnv) -> None:
    assert stats_env.client.get("/v1/stats/overview").status_code == 401
    assert stats_env.client.get("/v1/stats/overview", headers=stats_env.a).status_code == 403
    assert stats_env.client.get("/v1/stats/overview", headers=stats_env.h(stats_env.service_key)).status_code == 403


def test_no_snapshot_is_503(sqlite_env: ApiEnv) -> None:
    r = sqlite_env.client.get("/v1/stats/overview", headers=sqlite_env.admin)
    assert r.status_code == 503 and r.json()["error"]["code"] == "snapshot_unavailable"


def test_readyz_with_a_snapshot(stats_env: ApiEnv) -> None:
    r = stats_env.client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_default_range_ends_at_the_snapshot_day(stats_env: ApiEnv) -> None:
    body = stats_env.client.get("/v1/stats/users/active", headers=stats_env.admin).json()
    assert body["params"]["end"] == "2026-03-15"
    assert date.fromisoformat(body["params"]["start"]) == date(2025, 12, 16)


def test_fast_path_serves_repeats_but_never_other_roles(stats_env: ApiEnv) -> None:
    from core.enums import Role
    from warehouse.api_keys import create_api_key
    from warehouse.db import transaction

    url = "/v1/stats/revenue?interval=monthly"
    first = stats_env.client.get(url, headers=stats_env.admin)
    second = stats_env.client.get(url, headers=stats_env.admin)
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert second.headers["ETag"] == first.headers["ETag"] and second.headers["content-type"] == "application/json"
    assert (
        stats_env.client.get(
            url, headers={**stats_env.admin, "If-None-Match": f"W/{first.headers['ETag']}"}
        ).status_code
        == 304
    )
    # warm for admins, still refused for a user key and for no key
    assert stats_env.client.get(url, headers=stats_env.a).status_code == 403
    assert stats_env.client.get(url).status_code == 401
    with transaction(stats_env.sessions) as s:
        slow = create_api_key(session=s, name="slow-admin", role=Role.ADMIN, rate_limit_per_minute=2).plaintext
    codes = [stats_env.client.get(url, headers=stats_env.h(slow)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.postgres
def test_stats_routes_on_a_snapshot_published_to_postgres(
    published: PublishedSnapshot, postgres_url: str, sqlite_url: str, tmp_path: Path
) -> None:
    """The same routes when the analytics store (and so the published snapshot) is PostgreSQL."""
    from api.snapshots import open_published
    from core.settings import Settings
    from tests.api.conftest import build_env, publish_from
    from warehouse.analytics.store import PostgresStore

    store = PostgresStore(postgres_url, schema="analytics")
    publish_from(published.op_url, store, tmp_path)
    store.close()
    snap_settings = Settings(var_dir=tmp_path, analytics_url=postgres_url)
    env = build_env(sqlite_url, tmp_path, snapshot_opener=lambda: open_published(snap_settings))
    with env.client:
        for url in ROUTES:
            r = env.client.get(url, headers=env.admin)
            assert r.status_code == 200, (url, r.text)
            assert r.json()["data"], url
        duck = SnapshotReader.open(published.settings())
        expected = duck.query("SELECT SUM(net_revenue_cents) AS n FROM revenue_daily")[0]["n"]
        duck.close()
        monthly = env.client.get(
            "/v1/stats/revenue", params={"interval": "monthly", "from": "2025-01-01"}, headers=env.admin
        ).json()["data"]
        assert sum(m["net_revenue_cents"] for m in monthly) == expected
    env.stores.dispose()


def test_non_finite_numbers_become_null() -> None:
    import json
    from datetime import UTC, datetime
    from decimal import Decimal
    from types import SimpleNamespace

    from api.routes.stats import _encode

    snap = SimpleNamespace(info=SimpleNamespace(version="v1", built_at=datetime(2026, 1, 1, tzinfo=UTC)))
    body = _encode(
        snap, lambda _s: {"data": [{"a": float("nan"), "b": float("inf"), "c": Decimal("1.5"), "d": date(2026, 1, 2)}]}
    )  # type: ignore[arg-type]
    assert json.loads(body)["data"] == [{"a": None, "b": None, "c": 1.5, "d": "2026-01-02"}]
