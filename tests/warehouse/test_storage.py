"""Object storage on file:// and on s3:// (s3fs against moto's server on loopback)."""

from __future__ import annotations

import threading
import urllib.request
from pathlib import Path

import pytest

from core.errors import Conflict, InvalidInput, ObjectNotFound, UploadTooLarge
from warehouse.storage import ObjectStore, check_key, new_key


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "file":
        return ObjectStore(str(tmp_path / "objects"), max_upload_bytes=1024)
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    return ObjectStore(
        f"s3://{bucket}/prefix",
        max_upload_bytes=1024,
        s3_options={"client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"}},
    )


def test_put_get_exists_delete(store: ObjectStore) -> None:
    key = new_key("assets/abc", ".glb")
    stored = store.put(key, b"glTF-bytes", content_type="model/gltf-binary")
    assert stored.size == 10 and len(stored.sha256) == 64
    assert store.exists(key) and store.get(key) == b"glTF-bytes" and store.size(key) == 10
    assert [o.key for o in store.list("assets")] == [key]
    assert store.delete(key) is True
    assert store.delete(key) is False
    assert not store.exists(key)
    with pytest.raises(ObjectNotFound):
        store.get(key)


def test_existing_keys_are_not_overwritten_by_accident(store: ObjectStore) -> None:
    key = new_key("k")
    store.put(key, b"one")
    with pytest.raises(Conflict):
        store.put(key, b"two")
    assert store.get(key) == b"one"
    store.put(key, b"two", overwrite=True)
    assert store.get(key) == b"two"


def test_oversized_upload_is_refused_and_nothing_is_stored(store: ObjectStore) -> None:
    key = new_key("big")
    with pytest.raises(UploadTooLarge, match="1025 bytes exceeds the limit of 1024"):
        store.put(key, b"x" * 1025)
    assert not store.exists(key)
    assert list(store.list("big")) == []


def test_url_is_presigned_on_s3_and_a_path_locally(store: ObjectStore) -> None:
    key = new_key("u", ".txt")
    store.put(key, b"hello", content_type="text/plain")
    url = store.url(key, expires_s=60)
    if store.scheme == "s3":
        assert "Signature" in url or "X-Amz-Signature" in url
        with urllib.request.urlopen(url, timeout=10) as resp:  # the pre-signed URL really serves the object
            assert resp.read() == b"hello"
    else:
        assert url.startswith("file://") and Path(url[len("file://") :]).read_bytes() == b"hello"


def test_keys_never_collide_and_bad_keys_are_refused() -> None:
    keys = {new_key("a/b", ".png") for _ in range(10_000)}
    assert len(keys) == 10_000
    for bad in ["../etc/passwd", "/abs", "a//b", "a/../b", "", "a b", "dir/"]:
        with pytest.raises(InvalidInput):
            check_key(bad)


def test_local_writes_are_atomic(tmp_path: Path) -> None:
    """Concurrent readers see either no object or the whole object, never a part."""
    store = ObjectStore(str(tmp_path / "o"), max_upload_bytes=10_000_000)
    key = new_key("atomic")
    payload = b"z" * 5_000_000
    seen: set[int] = set()
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                seen.add(len(store.get(key)))
            except ObjectNotFound:
                seen.add(0)

    t = threading.Thread(target=reader)
    t.start()
    for _ in range(5):
        store.put(key, payload, overwrite=True)
    done.set()
    t.join()
    assert seen <= {0, len(payload)}
    assert not [p for p in (tmp_path / "o").rglob(".tmp-*")]
