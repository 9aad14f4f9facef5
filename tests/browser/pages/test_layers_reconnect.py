"""/layers while its server is away and after: what needs the server is switched off (and says so),
what the page already holds keeps working (backprop's steps come with its answers), and once the
server is back every widget answers again without a reload."""

from __future__ import annotations

from app.features.pictures import input_image

from ...engine import reference
from ..helpers import assert_shows, open_layers, set_slider, wait_output_shape
from ..restartable import away_page, own_server  # noqa: F401 (fixtures)

BP = "#backprop-widget"


def test_layers_switch_off_what_needs_the_server_and_come_back(away_page, own_server):  # noqa: F811 (fixtures)
    page = away_page
    open_layers(page, own_server.url)
    page.wait_for_function(f"document.querySelector('{BP}').dataset.ready")
    wait_output_shape(page, "4 × 4 × 1")

    own_server.kill()
    page.locator(".offline-note").wait_for(state="visible")
    assert page.locator("#pool-stride").is_disabled()
    assert page.locator("#pool-widget [data-mode=avg]").is_disabled()
    assert page.locator(f"{BP} [data-bp-mode]").first.is_disabled()
    # Backprop's steps are in the answers the page holds: its transport stays on, and steps.
    forward = page.locator(BP).get_by_role("button", name="Step forward (→ or Page Down)")
    assert forward.is_enabled()
    forward.click()
    page.wait_for_function(f"document.querySelector('{BP} .bp-step-label').dataset.step === '0'")

    own_server.start()
    page.locator(".offline-note").wait_for(state="hidden", timeout=30000)
    assert page.locator("[data-offline]").count() == 0
    assert page.locator("#pool-stride").is_enabled() and page.locator("#pool-widget [data-mode=avg]").is_enabled()
    set_slider(page, "#pool-stride", 1)  # answered by the restarted server
    wait_output_shape(page, "7 × 7 × 1")
    expected, _ = reference.max_pool2d(input_image("x", 8, 8, 1)[None], (2, 2), (1, 1))  # (1, 1, 7, 7)
    labels = page.evaluate("window.convscopeLayers.pool.inspect().outputLabels")
    assert_shows(labels, expected[0, 0], what="pooled map from the restarted server")
