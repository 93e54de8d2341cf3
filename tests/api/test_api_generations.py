"""Generations and assets: start, poll, choose, regenerate, publish, delete; credits and limits."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from core.enums import AssetFileKind, AssetStatus
from tests.api.conftest import ApiEnv, png_bytes
from warehouse import assets as asset_repo
from warehouse import ledger
from warehouse.db import transaction
from warehouse.storage import StoredObject
from warehouse.types import utcnow


def _start(env: ApiEnv, headers: dict[str, str], **form: object) -> dict[str, object]:
    data = {"prompt": "a brass owl", **{k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()}}
    r = env.client.post("/v1/generations", data=data, headers=headers)
    assert r.status_code == 202, r.text
    return dict(r.json())


def _complete(env: ApiEnv, asset_id: uuid.UUID) -> None:
    """Act as the flows: concepts, then a model with mesh facts."""
    with transaction(env.sessions) as s:
        a = asset_repo.get_asset(session=s, asset_id=asset_id)
        if a.status == AssetStatus.PENDING_CONCEPTS:
            keys = [env.stores.objects.put(f"concepts/{asset_id}/{i}.png", png_bytes()).key for i in range(2)]
            asset_repo.transition(
                session=s,
                asset_id=asset_id,
                expected=AssetStatus.PENDING_CONCEPTS,
                target=AssetStatus.CONCEPTS_GENERATED,
                concept_keys=keys,
                progress=50,
            )


def _finish_model(env: ApiEnv, asset_id: uuid.UUID) -> None:
    with transaction(env.sessions) as s:
        stored = env.stores.objects.put(f"models/{asset_id}/{uuid.uuid4().hex}.glb", b"glTF" + b"\0" * 100)
        asset_repo.add_file(
            session=s,
            asset_id=asset_id,
            kind=AssetFileKind.GLB,
            stored=StoredObject(stored.key, stored.size, stored.sha256, "model/gltf-binary"),
        )
        asset_repo.transition(
            session=s,
            asset_id=asset_id,
            expected=AssetStatus.GENERATING_MODEL,
            target=AssetStatus.COMPLETED,
            model_key=stored.key,
            vertices=100,
            faces=196,
            bbox_x_mm=50.0,
            bbox_y_mm=40.0,
            bbox_z_mm=100.0,
            volume_mm3=120_000.0,
            watertight=True,
        )


def _balance(env: ApiEnv, user: uuid.UUID) -> int:
    with env.sessions() as s:
        return ledger.balance(session=s, user_id=user)


def test_text_generation_full_path(env: ApiEnv) -> None:
    before = _balance(env, env.user_a)
    body = _start(env, env.a)
    aid = uuid.UUID(str(body["asset_id"]))
    assert body["status"] == "PENDING_CONCEPTS" and body["created"] is True
    assert env.launcher.calls == [("generate-concepts", {"asset_id": str(aid)}, f"generate-concepts:{aid}:1")]
    assert _balance(env, env.user_a) == before - 1

    r = env.client.get(f"/v1/assets/{aid}", headers=env.a)
    assert r.status_code == 200 and r.json()["status"] == "PENDING_CONCEPTS"

    # choosing before concepts exist is a conflict
    assert env.client.post(f"/v1/assets/{aid}/model", json={"concept": 0}, headers=env.a).status_code == 409
    _complete(env, aid)
    polled = env.client.get(f"/v1/assets/{aid}", headers=env.a).json()
    assert len(polled["concept_urls"]) == 2 and polled["progress"] == 50
    assert env.client.post(f"/v1/assets/{aid}/model", json={"concept": 5}, headers=env.a).status_code == 422
    r = env.client.post(f"/v1/assets/{aid}/model", json={"concept": 1}, headers=env.a)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "GENERATING_MODEL" and r.json()["chosen_concept"] == 1
    assert env.launcher.calls[-1] == ("generate-model", {"asset_id": str(aid)}, f"generate-model:{aid}:1")
    assert _balance(env, env.user_a) == before - 1  # first model attempt is free

    _finish_model(env, aid)
    done = env.client.get(f"/v1/assets/{aid}", headers=env.a).json()
    assert done["status"] == "COMPLETED" and done["model_url"] and done["files"][0]["format"] == "glb"
    assert done["mesh"]["bbox_mm"] == [50.0, 40.0, 100.0] and done["mesh"]["watertight"] is True

    # the first regeneration falls inside the PRO cooldown (10 s) → 429 with Retry-After
    r = env.client.post(f"/v1/assets/{aid}/regenerate", json={"stage": "model"}, headers=env.a)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "plan_limit_exceeded"


def test_regenerate_model_after_cooldown_costs_a_credit(env: ApiEnv) -> None:
    aid = uuid.UUID(str(_start(env, env.a, skip_concept=True)["asset_id"]))
    assert env.launcher.calls[-1][0] == "generate-model"
    _finish_model(env, aid)
    with transaction(env.sessions) as s:
        asset_repo.update_asset(session=s, asset_id=aid, last_model_attempt_at=utcnow().replace(year=2020))
    before = _balance(env, env.user_a)
    r = env.client.post(f"/v1/assets/{aid}/regenerate", headers=env.a)
    assert r.status_code == 202, r.text
    assert r.json()["model_attempts"] == 2 and _balance(env, env.user_a) == before - 1
    assert env.launcher.calls[-1][2] == f"generate-model:{aid}:2"


def test_idempotency_key_returns_the_first_asset_and_charges_once(env: ApiEnv) -> None:
    before = _balance(env, env.user_a)
    headers = {**env.a, "Idempotency-Key": "req-1"}
    first = _start(env, headers)
    second = _start(env, headers)
    assert first["asset_id"] == second["asset_id"] and second["created"] is False
    assert _balance(env, env.user_a) == before - 1
    assert len(env.launcher.flows("generate-concepts")) == 1


def test_insufficient_credits_is_402_and_writes_nothing(env: ApiEnv) -> None:
    with transaction(env.sessions) as s:
        ledger.adjust(
            session=s, user_id=env.user_b, amount=-_balance(env, env.user_b), idempotency_key="zero", reason="t"
        )
    r = env.client.post("/v1/generations", data={"prompt": "x"}, headers=env.b)
    assert r.status_code == 402
    assert r.json()["error"]["code"] == "insufficient_credits"
    assert env.client.get("/v1/assets", headers=env.b).json()["data"] == []
    assert env.launcher.calls == []


def test_missing_prompt_and_unknown_style_are_422(env: ApiEnv) -> None:
    r = env.client.post("/v1/generations", data={}, headers=env.a)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = env.client.post("/v1/generations", data={"prompt": "x", "style": "nope"}, headers=env.a)
    assert r.status_code == 422 and "style" in r.json()["error"]["message"]


def test_image_generation_accepts_a_png(env: ApiEnv) -> None:
    files = {"image": ("owl.png", png_bytes(), "image/png")}
    r = env.client.post("/v1/generations", files=files, headers=env.a)
    assert r.status_code == 202, r.text
    aid = uuid.UUID(r.json()["asset_id"])
    with env.sessions() as s:
        a = asset_repo.get_asset(session=s, asset_id=aid)
        assert a.mode == "image" and a.input_image_key and env.stores.objects.exists(a.input_image_key)


def test_oversized_and_malformed_uploads(sqlite_env: ApiEnv) -> None:
    env = sqlite_env
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (env.settings.max_upload_bytes + 10)
    r = env.client.post("/v1/generations", files={"image": ("big.png", big, "image/png")}, headers=env.a)
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload_too_large"
    r = env.client.post("/v1/generations", files={"image": ("x.png", b"not an image", "image/png")}, headers=env.a)
    assert r.status_code == 422 and "decodable" in r.json()["error"]["message"]
    truncated = png_bytes((256, 256))[:200]
    r = env.client.post("/v1/generations", files={"image": ("t.png", truncated, "image/png")}, headers=env.a)
    assert r.status_code == 422
    r = env.client.post("/v1/generations", files={"image": ("x.gif", png_bytes(), "image/gif")}, headers=env.a)
    assert r.status_code == 422 and "content type" in r.json()["error"]["message"]
    jpeg_as_png = png_bytes(fmt="JPEG")
    r = env.client.post("/v1/generations", files={"image": ("x.png", jpeg_as_png, "image/png")}, headers=env.a)
    assert r.status_code == 422 and "not the declared" in r.json()["error"]["message"]
    r = env.client.post("/v1/generations", files={"image": ("t.png", png_bytes((4, 4)), "image/png")}, headers=env.a)
    assert r.status_code == 422
    assert env.client.get("/v1/assets", headers=env.a).json()["data"] == []


def test_concurrent_generations_respect_balance_and_concurrency(env: ApiEnv) -> None:
    """PRO allows 5 jobs at once: 12 simultaneous requests → exactly 5 accepted, the rest 429, 5 credits spent."""
    before = _balance(env, env.user_a)
    barrier = threading.Barrier(12)

    def go(i: int) -> int:
        barrier.wait()
        r = env.client.post("/v1/generations", data={"prompt": f"owl {i}"}, headers=env.a)
        return r.status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(go, range(12)))
    assert codes.count(202) == 5 and codes.count(429) == 7, codes
    assert _balance(env, env.user_a) == before - 5
    assert len(env.launcher.flows("generate-concepts")) == 5


def test_list_filter_search_and_paginate(env: ApiEnv) -> None:
    ids = []
    for i in range(5):
        aid = uuid.UUID(str(_start(env, env.a, prompt=f"robot {i}", skip_concept=True)["asset_id"]))
        _finish_model(env, aid)
        ids.append(aid)
    _start(env, env.a, prompt="a tree")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "q": "robot"} | ({"cursor": cursor} if cursor else {})
        page = env.client.get("/v1/assets", params=params, headers=env.a).json()
        seen += [a["id"] for a in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [str(a) for a in reversed(ids)]
    assert len(env.client.get("/v1/assets", params={"status": "PENDING_CONCEPTS"}, headers=env.a).json()["data"]) == 1
    assert len(env.client.get("/v1/assets", params={"format": "glb"}, headers=env.a).json()["data"]) == 5
    assert env.client.get("/v1/assets", params={"status": "NOPE"}, headers=env.a).status_code == 422
    assert env.client.get("/v1/assets", params={"cursor": "!!"}, headers=env.a).status_code == 422
    assert env.client.get("/v1/assets", headers=env.b).json()["data"] == []


def test_publish_feed_and_delete(env: ApiEnv) -> None:
    aid = uuid.UUID(str(_start(env, env.a, skip_concept=True)["asset_id"]))
    assert env.client.delete(f"/v1/assets/{aid}", headers=env.a).status_code == 409  # still generating
    _finish_model(env, aid)
    assert env.client.get("/v1/feed", headers=env.b).json()["data"] == []
    r = env.client.patch(f"/v1/assets/{aid}", json={"public": True}, headers=env.a)
    assert r.status_code == 200 and r.json()["public"] is True
    feed = env.client.get("/v1/feed", headers=env.b).json()["data"]
    assert [f["id"] for f in feed] == [str(aid)] and "user_id" not in feed[0]
    assert env.client.patch(f"/v1/assets/{aid}", json={"public": "maybe"}, headers=env.a).status_code == 422
    assert env.client.patch(f"/v1/assets/{aid}", json={"public": True}, headers=env.b).status_code == 404
    assert env.client.delete(f"/v1/assets/{aid}", headers=env.b).status_code == 404
    assert env.client.delete(f"/v1/assets/{aid}", headers=env.a).status_code == 204
    assert env.client.get(f"/v1/assets/{aid}", headers=env.a).status_code == 404
    assert env.client.get("/v1/feed", headers=env.b).json()["data"] == []


def test_me_usage_and_stats(env: ApiEnv) -> None:
    aid = uuid.UUID(str(_start(env, env.a, skip_concept=True)["asset_id"]))
    _finish_model(env, aid)
    _start(env, env.a)
    usage = env.client.get("/v1/me/usage", headers=env.a).json()
    assert usage["plan"] == "pro" and usage["this_month"]["credits_spent"] == 2
    assert usage["credits"] == _balance(env, env.user_a) and usage["this_month"]["active_jobs"] == 1
    assert usage["limits"]["concurrent_jobs"] == 5
    stats = env.client.get("/v1/me/stats", headers=env.a).json()
    assert stats["assets_by_status"] == {"COMPLETED": 1, "PENDING_CONCEPTS": 1}
    assert stats["storage_bytes"] == 104 and len(stats["recent_assets"]) == 2


def test_service_key_acts_for_a_user(env: ApiEnv) -> None:
    r = env.client.post("/v1/generations", data={"prompt": "x"}, headers=env.h(env.service_key, env.user_b))
    assert r.status_code == 202
    aid = r.json()["asset_id"]
    assert env.client.get(f"/v1/assets/{aid}", headers=env.b).status_code == 200
    assert env.client.get(f"/v1/assets/{aid}", headers=env.h(env.service_key, env.user_a)).status_code == 404
    r = env.client.get("/v1/assets", headers=env.h(env.service_key))
    assert r.status_code == 422 and "X-Acting-User" in r.json()["error"]["message"]
    r = env.client.get("/v1/assets", headers=env.h(env.user_a_key, env.user_b))
    assert r.status_code == 403


def test_concurrent_requests_with_one_idempotency_key_make_one_asset(env: ApiEnv) -> None:
    before = _balance(env, env.user_a)
    barrier = threading.Barrier(6)

    def go(_: int) -> tuple[int, str]:
        barrier.wait()
        r = env.client.post(
            "/v1/generations", data={"prompt": "same"}, headers={**env.a, "Idempotency-Key": "k-concurrent"}
        )
        return r.status_code, r.json().get("asset_id", r.text)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(go, range(6)))
    assert {code for code, _ in results} == {202}, results
    assert len({aid for _, aid in results}) == 1
    assert _balance(env, env.user_a) == before - 1
    assert len(env.launcher.flows("generate-concepts")) == 1


def test_a_refused_image_generation_leaves_no_upload_behind(sqlite_env: ApiEnv) -> None:
    env = sqlite_env
    with transaction(env.sessions) as s:
        amount = -_balance(env, env.user_a)
        ledger.adjust(session=s, user_id=env.user_a, amount=amount, idempotency_key="empty", reason="t")
    r = env.client.post("/v1/generations", files={"image": ("o.png", png_bytes(), "image/png")}, headers=env.a)
    assert r.status_code == 402
    assert list(env.stores.objects.list("inputs")) == []


def test_oversized_bodies_are_refused_before_parsing(sqlite_env: ApiEnv) -> None:
    env = sqlite_env
    limit = env.settings.max_upload_bytes
    huge = png_bytes() + b"\0" * (limit + 200_000)
    r = env.client.post("/v1/generations", files={"image": ("h.png", huge, "image/png")}, headers=env.a)
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b"x" * 100_000

    r = env.client.post(
        "/v1/generations", content=chunks(), headers={**env.a, "Content-Type": "multipart/form-data; boundary=b"}
    )
    assert r.status_code == 413
    r = env.client.patch(f"/v1/assets/{uuid.uuid4()}", content=b"{" + b" " * 2_000_000 + b"}", headers=env.a)
    assert r.status_code == 413
    assert env.client.get("/v1/assets", headers=env.a).json()["data"] == []
