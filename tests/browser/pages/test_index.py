"""The landing page in Chromium: it renders the engine's LeNet-5 table, offline."""

from __future__ import annotations

from ..conftest import screenshot


def test_landing_page_renders_lenet_table(page, server_url):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(server_url)
    rows = page.locator("table.shapes tbody tr")
    assert rows.count() == 8
    assert rows.nth(0).locator("td").nth(1).inner_text() == "24 × 24 × 6"
    assert rows.nth(7).locator("td").nth(3).inner_text().startswith("850")
    assert all(url.startswith(server_url) for url in requested), requested  # nothing from the internet
    screenshot(page, "index")
