"""Object storage on fsspec: a local directory (embedded) or s3://bucket/prefix (S3, R2, MinIO).

Keys are relative, validated, and made by ``new_key`` from a UUID so they never collide;
``put`` refuses to overwrite unless asked. Local writes are atomic (temp file + rename), so a
reader never sees half an object.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import Conflict, InvalidInput, ObjectNotFound, StorageError, UploadTooLarge

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,298}$")


def atomic_write_file(path: str, data: bytes | bytearray | memoryview) -> None:
    """Write a local file so that a reader sees the old content or the new, never a part of it
    (a temporary file in the same folder, fsynced, then renamed over ``path``)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str
    content_type: str


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative object key, else raise ``InvalidInput``."""
    if not isinstance(key, str) or not _KEY.match(key) or ".." in key.split("/") or "//" in key or key.endswith("/"):
        raise InvalidInput(f"invalid object key {key!r}", key=str(key))
    return key


def new_key(prefix: str, suffix: str = "") -> str:
    """A fresh key ``prefix/<uuid4 hex><suffix>`` (collision-free by construction)."""
    if suffix and not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
        raise InvalidInput(f"invalid key suffix {suffix!r}")
    return check_key(f"{prefix.strip('/')}/{uuid.uuid4().hex}{suffix}")


def storage_options(url: str, settings: Any) -> dict[str, Any]:
    """The fsspec options for ``url`` from a ``core.settings.Settings``: s3fs's on s3://, none otherwise.

    The one place the S3 endpoint, region and keys become s3fs options (object store, Parquet
    export, CLI). Without keys s3fs falls back to the standard AWS credential chain.
    """
    if not url.startswith("s3://"):
        return {}
    opts: dict[str, Any] = {}
    client: dict[str, Any] = {}
    if settings.s3_endpoint_url:
        client["endpoint_url"] = settings.s3_endpoint_url
    if settings.s3_region:
        client["region_name"] = settings.s3_region
    if client:
        opts["client_kwargs"] = client
    key, secret = settings.s3_access_key_id, settings.s3_secret_access_key
    if key is not None and secret is not None and key.get_secret_value() and secret.get_secret_value():
        opts["key"] = key.get_secret_value()
        opts["secret"] = secret.get_secret_value()
    return opts


class ObjectStore:
    """put / get / delete / exists / url / list over one root (a directory or an S3 prefix)."""

    def __init__(
        self,
        url: str,
        *,
        max_upload_bytes: int = 50 * 1024 * 1024,
        presign_expiry_s: int = 3600,
        s3_options: dict[str, Any] | None = None,
    ) -> None:
        self.location = url
        self.max_upload_bytes = max_upload_bytes
        self.presign_expiry_s = presign_expiry_s
        if url.startswith("s3://"):
            import s3fs  # imported here: only the s3 back end needs it

            self.scheme = "s3"
            self.root = url[len("s3://") :].strip("/")
            if not self.root:
                raise InvalidInput("an s3:// storage URL needs a bucket: s3://bucket[/prefix]")
            self._fs = s3fs.S3FileSystem(**(s3_options or {}))
        else:
            self.scheme = "file"
            path = url[len("file://") :] if url.startswith("file://") else url
            self.root = str(Path(path).resolve())
            Path(self.root).mkdir(parents=True, exist_ok=True)
            self._fs = None

    @classmethod
    def from_settings(cls, settings: Any) -> ObjectStore:
        """Build the store a ``core.settings.Settings`` describes."""
        return cls(
            settings.storage_url,
            max_upload_bytes=settings.max_upload_bytes,
            presign_expiry_s=settings.presign_expiry_s,
            s3_options=storage_options(settings.storage_url, settings),
        )

    def _path(self, key: str) -> str:
        check_key(key)
        return f"{self.root}/{key}" if self.scheme == "s3" else os.path.join(self.root, *key.split("/"))

    def put(
        self, key: str, data: bytes, *, content_type: str = "application/octet-stream", overwrite: bool = False
    ) -> StoredObject:
        """Store ``data`` under ``key``; refuse data over the upload limit or an existing key."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInput("object data must be bytes")
        size = len(data)
        if size > self.max_upload_bytes:
            raise UploadTooLarge(
                f"object of {size} bytes exceeds the limit of {self.max_upload_bytes} bytes",
                size=size,
                limit=self.max_upload_bytes,
            )
        path = self._path(key)
        if not overwrite and self.exists(key):
            raise Conflict(f"an object already exists under {key!r}", key=key)
        digest = hashlib.sha256(data).hexdigest()
        try:
            if self._fs is not None:
                self._fs.pipe_file(path, bytes(data), ContentType=content_type)
            else:
                self._atomic_write(path, data)
        except OSError as e:
            raise StorageError(f"could not store {key!r}: {e}", key=key) from e
        return StoredObject(key=key, size=size, sha256=digest, content_type=content_type)

    @staticmethod
    def _atomic_write(path: str, data: bytes | bytearray | memoryview) -> None:
        atomic_write_file(path, data)

    def get(self, key: str) -> bytes:
        """The object's bytes, or ``ObjectNotFound``."""
        path = self._path(key)
        try:
            if self._fs is not None:
                return bytes(self._fs.cat_file(path))
            with open(path, "rb") as fh:
                return fh.read()
        except FileNotFoundError as e:
            raise ObjectNotFound(f"no object under {key!r}", key=key) from e
        except OSError as e:
            raise StorageError(f"could not read {key!r}: {e}", key=key) from e

    def exists(self, key: str) -> bool:
        path = self._path(key)
        if self._fs is not None:
            return bool(self._fs.exists(path))
        return os.path.isfile(path)

    def size(self, key: str) -> int:
        path = self._path(key)
        try:
            if self._fs is not None:
                return int(self._fs.size(path))
            return os.path.getsize(path)
        except FileNotFoundError as e:
            raise ObjectNotFound(f"no object under {key!r}", key=key) from e

    def delete(self, key: str) -> bool:
        """Delete an object; return whether it existed (deleting twice is not an error)."""
        path = self._path(key)
        if not self.exists(key):
            return False
        try:
            if self._fs is not None:
                self._fs.rm_file(path)
            else:
                os.unlink(path)
        except FileNotFoundError:
            return False
        except OSError as e:
            raise StorageError(f"could not delete {key!r}: {e}", key=key) from e
        return True

    def url(self, key: str, *, expires_s: int | None = None) -> str:
        """A pre-signed GET URL on s3://; a ``file://`` URL of the local path otherwise."""
        path = self._path(key)
        if self._fs is not None:
            return str(self._fs.url(path, expires=expires_s or self.presign_expiry_s))
        return Path(path).as_uri()

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under ``prefix`` with its size and modification time."""
        if prefix:
            check_key(prefix.rstrip("/"))
        if self._fs is not None:
            base = f"{self.root}/{prefix}".rstrip("/")
            try:
                found = self._fs.find(base, detail=True)
            except FileNotFoundError:
                return
            for path, info in found.items():
                modified = info.get("LastModified") or datetime.now(UTC)
                yield ObjectInfo(key=path[len(self.root) + 1 :], size=int(info.get("size", 0)), modified=modified)
            return
        base_dir = Path(self.root, *[p for p in prefix.split("/") if p])
        if not base_dir.exists():
            return
        for p in sorted(base_dir.rglob("*")):
            if p.is_file() and not p.name.startswith(".tmp-"):
                st = p.stat()
                rel = p.relative_to(self.root).as_posix()
                yield ObjectInfo(key=rel, size=st.st_size, modified=datetime.fromtimestamp(st.st_mtime, UTC))
