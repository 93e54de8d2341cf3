"""Marts export as Parquet to the object store: a local directory and S3 (moto server)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.analytics.export import export_parquet

TABLES = {"revenue_daily": pa.table({"day": ["2026-03-01"], "gross_sales_cents": [12900]})}


def test_export_to_a_directory(tmp_path) -> None:
    (path,) = export_parquet(TABLES, destination=str(tmp_path), version="20260301T000000Z-abc")
    assert pq.read_table(path).to_pylist() == [{"day": "2026-03-01", "gross_sales_cents": 12900}]


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.mark.s3
def test_export_to_s3(moto_endpoint, monkeypatch) -> None:
    import s3fs

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    options = {"key": "testing", "secret": "testing", "client_kwargs": {"endpoint_url": moto_endpoint}}
    fs = s3fs.S3FileSystem(**options)
    fs.mkdir("marts")
    (path,) = export_parquet(TABLES, destination="s3://marts/exports", version="v1", storage_options=options)
    assert path == "s3://marts/exports/analytics/v1/revenue_daily.parquet"
    with fs.open(path, "rb") as f:
        assert pq.read_table(f).column("gross_sales_cents").to_pylist() == [12900]
