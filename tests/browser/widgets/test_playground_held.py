"""A large picture travels to the server once; when the server has let it go, the page sends it again.

The server keeps the large inputs of every page, at most 64 MB, the least recently used leaving
first (app/features/held_inputs.py). Here another client fills that store, so the page's picture
leaves it; the page's next request that names it (a step of the animation asks for its window's
arithmetic) is refused naming input_ref, and the page resends the numbers at once: the student sees
the step, never an error.
"""

from __future__ import annotations

import numpy as np

from app.features.held_inputs import MAX_BYTES, MIN_VALUES

from ...app.conftest import Page, grid_params
from ..helpers import fmt
from .playground_helpers import open_playground, page_input, reference_output, wait_shape

SIDE = 96  # 96 × 96 numbers: over the size the page names instead of sending


def crowd_out(ws_url: str) -> None:
    """Other pictures through another connection, more than the server holds: the page's leaves."""
    side = 256
    count = MAX_BYTES // (3 * side * side * 4) + 4  # (3, 256, 256) float32 each
    rng = np.random.default_rng(5)
    with Page(ws_url) as other:
        for _ in range(count):
            x = rng.uniform(0, 1, (3, side, side)).astype(np.float32)  # (3, 256, 256) a new digest each time
            answer = other.ask("conv.run", grid_params(x, np.ones((1, 3, 1, 1), np.float32)))
            assert answer.type == "conv.result" and answer.meta["input_ref"]


def test_a_step_after_the_server_let_the_picture_go_resends_it(page, server_url):
    open_playground(page, server_url, f"?in=photo&h={SIDE}&w={SIDE}")
    page.wait_for_function("() => window.convscope.lastResult && window.convscope.lastResult.meta.input_ref")
    x = page_input(page)  # (C, 96, 96)
    assert x.size >= MIN_VALUES  # large enough that later requests name it
    k = page.evaluate(
        "(({filters, channels, height, width, values}) => ({filters, channels, height, width,"
        " values: Array.from(values)}))(window.convscope.data.kernel)"
    )
    shape = (k["filters"], k["channels"], k["height"], k["width"])
    w = np.array(k["values"], np.float32).reshape(shape)  # (F, C, KH, KW)
    expected = reference_output(x, w)[0]  # (OH, OW) the first filter's map
    depth = f" × {shape[0]}" if shape[0] > 1 else ""
    wait_shape(page, f"{expected.shape[0]} × {expected.shape[1]}{depth}")

    crowd_out(server_url.replace("http://", "ws://") + "ws")

    page.locator("#stage").focus()
    page.keyboard.press("ArrowRight")  # step 1: its window's arithmetic comes from conv.trace
    page.wait_for_function("() => document.querySelector('#running-sum').textContent !== ''")
    assert page.locator("#running-sum").inner_text() == fmt(expected[0, 0], 3)
    page.keyboard.press("End")  # the last step, from the same (resent) input
    page.wait_for_function(
        "t => document.querySelector('#running-sum').textContent === t", arg=fmt(expected[-1, -1], 3)
    )
    assert page.locator(".alert:visible").count() == 0  # no error shown for the dropped input
