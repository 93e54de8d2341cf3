"""The admin dashboard in headless Chromium (Debian's package, driven by Playwright): it loads with
data, every chart renders, no console errors; a screenshot is kept in test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.charts import Series, render_chart
from tests.api.conftest import IN_CI_ENV, ApiEnv, serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHARTS = ["revenue", "mrr", "ai-cost", "margin", "users", "active-users", "generations"]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not IN_CI_ENV, reason="Debian's chromium is not installed (CI installs it)"
)


def test_chart_svg_escapes_text_and_draws_series() -> None:
    svg = render_chart("<script>", ["a", "b", "c"], [Series("x&y", [1, None, 3]), Series("b", [2, -1, 0], "bar")])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "x&amp;y" in svg
    assert svg.count('class="point"') == 2 and svg.count('class="bar"') == 2
    assert "no data" in render_chart("empty", [], [])


@pytest.mark.parametrize("chart", CHARTS)
def test_chart_routes_answer_svg_with_etag(stats_env: ApiEnv, chart: str) -> None:
    r = stats_env.client.get(f"/dashboard/charts/{chart}", headers=stats_env.admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and re.search(r'class="(line|bar|point)"', r.text)
    assert (
        stats_env.client.get(
            f"/dashboard/charts/{chart}", headers={**stats_env.admin, "If-None-Match": r.headers["ETag"]}
        ).status_code
        == 304
    )
    assert stats_env.client.get(f"/dashboard/charts/{chart}", headers=stats_env.a).status_code == 403
    assert stats_env.client.get(f"/dashboard/charts/{chart}").status_code == 401


def test_page_is_served_with_a_strict_csp(sqlite_env: ApiEnv) -> None:
    r = sqlite_env.client.get("/dashboard")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert sqlite_env.client.get("/dashboard/app.js").status_code == 200
    assert sqlite_env.client.get("/dashboard/charts/nope", headers=sqlite_env.admin).status_code == 422


@needs_chromium
def test_dashboard_in_headless_chromium(stats_env: ApiEnv) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with serve_in_thread(stats_env.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 2000})
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.goto(f"{base}/dashboard")
            page.fill("#key", "mk3d_wrong")
            page.click("button[type=submit]")
            page.wait_for_selector("#login-error:not(:empty)", timeout=15_000)
            errors.clear()  # the wrong key's 401s are expected console errors
            page.fill("#key", stats_env.admin_key)
            page.click("button[type=submit]")
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            for chart in CHARTS:
                width = page.eval_on_selector(f'figure[data-chart="{chart}"] img', "img => img.naturalWidth")
                assert width > 0, chart
            assert page.locator("#recent tbody tr").count() > 0
            assert page.locator(".tile").count() >= 5
            # the key survives a reload (sessionStorage), so the page comes back without asking
            page.reload()
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert not errors, errors
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
