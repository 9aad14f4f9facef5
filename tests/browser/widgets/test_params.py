"""The parameter-counting widget alone at /widget/params in real Chromium: presets, typed numbers,
the server's bounds. Expected counts are the engine's."""

from __future__ import annotations

from app.pages import page_context
from engine import counts

from ..helpers import open_widget, shots, store_state

W = "window.convscopeWidget"


def inspect(page) -> dict:
    return page.evaluate(f"{W}.widget.inspect()")


def state(page) -> dict:
    return store_state(page, W)


def test_params_seed001_counts(page, server_url):
    open_widget(page, server_url, "params")
    d = inspect(page)
    p = d["params"]
    assert (p["height"], p["width"], p["units"], p["window"], p["filters"]) == (200, 200, 40000, 10, 100)
    expected = {
        "fully": counts.fully_connected(200, 200, 1, 40000),
        "local": counts.locally_connected(40000, 10, 1),
        "shared": counts.shared_filters(100, 10, 1),
    }
    for key, c in expected.items():
        assert page.locator(f'[data-out="{key}-total"]').inner_text() == f"{c.total:,}"
        assert page.locator(f'[data-out="{key}-formula"]').inner_text() == f"{c.formula} ="
    assert page.locator('[data-out="fully-total"]').inner_text() == "1,600,000,000"
    assert page.locator('[data-out="fully-words"]').inner_text() == "≈ 1.6 billion, about 2 billion"
    assert page.locator('[data-out="local-total"]').inner_text() == "4,000,000"
    assert page.locator('[data-out="shared-total"]').inner_text() == "10,000"
    shots(page, "params-seed001")


def test_params_seed000_preset_is_2_to_the_26(page, server_url):
    open_widget(page, server_url, "params")
    page.click('[data-preset="seed000"]')
    page.wait_for_function(f"{W}.widget.inspect().params.units === 1024")
    c = counts.fully_connected(256, 256, 1, 1024)
    assert page.locator('[data-out="fully-total"]').inner_text() == f"{c.total:,}" == "67,108,864"
    assert counts.power_of_two(c.total) == 26
    assert page.locator('[data-out="fully-pow"] math msup').count() == 3  # 2^16 × 2^10 = 2^26
    assert page.locator('[data-out="fully-pow"] msup').nth(2).text_content() == "226"  # 2, then the exponent 26


def test_params_typed_units_and_biases(page, server_url):
    open_widget(page, server_url, "params")
    page.fill("#pc-pcUnits", "1000")
    page.press("#pc-pcUnits", "Enter")
    page.check("#pc-bias")
    page.wait_for_function(f"{W}.widget.inspect().params.units === 1000 && {W}.widget.inspect().params.bias === true")
    c = counts.fully_connected(200, 200, 1, 1000, bias=True)
    assert page.locator('[data-out="fully-total"]').inner_text() == f"{c.total:,}"
    assert state(page)["pcPreset"] == "custom"


def test_params_one_by_one_convolution(page, server_url):
    open_widget(page, server_url, "params")
    p = counts.pointwise(64, 32, 56, 56)
    assert (
        page.locator('[data-out="pw-shape"]').inner_text() == "64 × 56 × 56  →  1×1 conv, 32 filters  →  32 × 56 × 56"
    )
    assert page.locator('[data-out="pw-params"]').inner_text() == f"Parameters: {p.count.formula} = {p.count.total:,}"


def test_params_window_too_large_is_explained_by_the_window(page, server_url):
    open_widget(page, server_url, "params")
    page.fill("#pc-pcWindow", "300")
    page.press("#pc-pcWindow", "Enter")
    page.wait_for_function("document.querySelector('[data-alert=\"pcWindow\"]').textContent.length > 0")
    assert page.locator('[data-alert="pcWindow"]').inner_text() == "window must be from 1 to 64, got 300"


def test_params_url_bounds_are_the_servers(page, server_url):
    open_widget(page, server_url, "params")
    props = page_context()["schemas"]["params.count"]["properties"]
    limit = {name: props[name]["maximum"] for name in props if "maximum" in props[name]}
    bounds = page.evaluate(
        "import('/static/js/widgets/params/index.js').then((m) => Object.fromEntries("
        "m.fields(JSON.parse(document.getElementById('widget-context').textContent))"
        ".filter((f) => f.type === 'int').map((f) => [f.key, f.max])))"
    )
    assert bounds == {
        "pcHeight": limit["height"],
        "pcWidth": limit["width"],
        "pcChannels": limit["channels"],
        "pcUnits": limit["units"],
        "pcWindow": limit["window"],
        "pcFilters": limit["filters"],
        "pcCin": limit["c_in"],
        "pcCout": limit["c_out"],
        "pcMap": limit["map_height"],
    }
