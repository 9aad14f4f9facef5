"""The playground survives a server restart: a note and its controls off while it is away, then the
same picture, the edits only the page knew included, and a page that works as before."""

from __future__ import annotations

import numpy as np

from ..restartable import away_page, own_server  # noqa: F401 (fixtures)
from .playground_helpers import (
    SOBEL_X,
    assert_output_shows,
    checkerboard,
    open_playground,
    reference_output,
    wait_shape,
)
from .test_xo_reconnect import view

# Controls that need the server: on the /playground page all of them, the worked examples too.
STILL_ON = (
    "[...document.querySelectorAll(':is(#content, .topbar) :is(button, input, select, textarea)')]"
    ".filter(e => !e.disabled && e.id !== 'copy-link' && !e.closest('[data-offline-ok]'))"
    ".map(e => e.outerHTML.slice(0, 80))"
)


def test_reconnects_by_itself_and_resends_the_state(away_page, own_server):  # noqa: F811 (fixtures)
    page = away_page
    open_playground(page, own_server.url, "?s=2&p=1&kp=sobel_x&in=checkerboard&h=8&w=8")
    wait_shape(page, "4 × 4")
    page.get_by_label("Filter 1, row 1, column 1").fill("3")  # an edit that only the page knows
    page.wait_for_function("() => window.convscope.lastResult.params.kernels.values[0] === 3")

    own_server.kill()
    note = page.locator(".offline-note")
    note.wait_for(state="visible")
    badge = page.locator("#status")
    assert badge.inner_text() == "Reconnecting…" and "reconnecting" in badge.get_attribute("class")
    assert "The server is unreachable. Reconnecting" in note.inner_text()
    assert page.evaluate(STILL_ON) == []
    assert page.locator("#copy-link").is_enabled()  # copying the link needs no server
    view(page, "playground-offline-1024x768", 1024, 768)
    page.set_viewport_size({"width": 1280, "height": 800})
    # Marked in the page itself (a value Playwright hands back is a copy, never the page's object).
    page.evaluate("window.convscope.lastResult.beforeRestart = true")

    own_server.start()
    note.wait_for(state="hidden", timeout=30000)
    page.wait_for_function("() => document.querySelector('#status').textContent === ''", timeout=20000)
    page.wait_for_function("() => !window.convscope.lastResult.beforeRestart")  # an answer from the new server
    kernel = SOBEL_X.copy()  # (3, 3)
    kernel[0, 0] = 3  # the edit survived
    expected = reference_output(checkerboard(8), kernel, stride=2, padding=1)[0]  # (4, 4)
    answer = page.evaluate("Array.from(window.convscope.lastResult.output.data)")
    np.testing.assert_allclose(np.reshape(answer, (4, 4)), expected, atol=1e-5)  # the answer to the page's state
    assert page.locator("[data-offline]").count() == 0
    assert_output_shows(page, expected)
    # and the page works as before
    page.locator("#ctl-stride").focus()
    page.locator("#ctl-stride").press("ArrowLeft")
    wait_shape(page, "8 × 8")
