"""The demo path at a small size, checked end to end (issue: the main job).

Runs ``run_demo`` exactly as ``make demo`` does, on embedded defaults in a temporary directory:
real HTTP to the API, the signed webhook, in-process Prefect flows, Dagster in-process, and the
published snapshot; then checks what a user and an operator would look at.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import trimesh
from fastapi.testclient import TestClient

from api.main import create_app
from cli.demo import PRINT_SIZE_MM, run_demo
from core.enums import AssetStatus, OrderStatus, PrintConfigStatus
from core.settings import Settings
from tests.conftest import _free_port
from warehouse import assets, orders, print_configs
from warehouse.context import Stores


@pytest.mark.slow
def test_the_demo_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    settings = Settings(var_dir=tmp_path / "var", api_port=_free_port())
    report = run_demo(settings, users=40, months=2, seed=11, serve=False)

    stores = Stores(settings)
    with stores.sessions() as s:
        # every generation finished with a stored model
        assert len(report.asset_ids) == 4
        for aid in report.asset_ids:
            asset = assets.get_asset(session=s, asset_id=uuid.UUID(aid))
            assert asset.status == AssetStatus.COMPLETED
            assert asset.model_key and stores.objects.exists(asset.model_key)
        # the order is fulfilled, the print rescaled to the ordered size, one e-mail sent
        assert report.order_status == OrderStatus.FULFILLED
        order = orders.get_order(session=s, order_id=uuid.UUID(report.order_id or ""))
        assert order.status == OrderStatus.FULFILLED
        config_id = uuid.UUID(report.print_config_id or "")
        config = print_configs.get_print_config(session=s, config_id=config_id)
        assert config.status == PrintConfigStatus.SENT
        printed = assets.get_asset(session=s, asset_id=config.asset_id)
        mesh = trimesh.load(
            trimesh.util.wrap_as_stream(stores.objects.get(printed.model_key or "")), file_type="glb", force="mesh"
        )
        assert max(mesh.extents) == pytest.approx(PRINT_SIZE_MM, rel=1e-6)
    emails = list(Path(settings.mail_url).glob("*.eml"))
    assert len(emails) == 1
    assert f"{PRINT_SIZE_MM:.2f}" in emails[0].read_text() and str(config_id) in emails[0].read_text()

    # every mart built, every check passed, a snapshot published
    assert report.checks_failed == [] and report.checks_passed > 10
    assert report.snapshot_version

    # the stats API answers with the demo's numbers, from the published snapshot
    client = TestClient(create_app(settings))
    got = client.get("/v1/stats/overview", headers={"Authorization": f"Bearer {report.admin_key}"})
    assert got.status_code == 200, got.text
    data = got.json()["data"]
    assert data["total_users"] == report.summary["users"]
    assert data["generations"] == report.summary["generations"]
    assert data["gross_sales_cents"] / 100 == pytest.approx(report.summary["gross_sales_usd"])
    assert report.summary["users"] == 41  # 40 synthetic users and the demo customer
    etag = got.headers["ETag"]
    assert report.summary["snapshot_version"] in etag
    again = client.get(
        "/v1/stats/overview", headers={"Authorization": f"Bearer {report.admin_key}", "If-None-Match": etag}
    )
    assert again.status_code == 304
    stores.dispose()
