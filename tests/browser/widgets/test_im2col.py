"""The im2col widget in real Chromium, alone at /widget/im2col and inside lesson 9, as a class uses it:
the numbers on screen against torch's F.unfold and F.conv2d of the same example (the example grids and
filter formula re-written here), the keys walking the columns, a pointer on a column or an input cell,
a focused output cell's dot product, a refusal, and screenshots at a projector's 1024×768, in presenter
mode, in the dark theme and on a 390×844 phone."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ..conftest import screenshot
from ..helpers import fmt, open_widget

W = "window.convscopeWidget"
INSPECT = f"{W}.widget.inspect()"

# The widget's example inputs (static/js/widgets/im2col/examples.js), written out again.
INPUTS = {
    "small": [np.arange(1, 10).reshape(3, 3)],
    "ramp": [np.arange(1, 17).reshape(4, 4)],
    "edge": [np.array([[10] * 3 + [0] * 3] * 6)],
    "two": [
        np.arange(1, 17).reshape(4, 4),
        np.array([[1 if (r + c) % 2 == 0 else -1 for c in range(4)] for r in range(4)]),
    ],
    "rgb": [np.array([[((r * 5 + c * 3 + ch * 7) % 5) - 2 for c in range(5)] for r in range(5)]) for ch in range(3)],
}


def mixed(filters: int, channels: int, k: int) -> np.ndarray:
    """The "Small integers" bank: ((7·o + 5·c + 3·a + 2·b + 1) mod 5) − 2."""
    o, c, a, b = np.indices((filters, channels, k, k))
    return ((o * 7 + c * 5 + a * 3 + b * 2 + 1) % 5) - 2  # (C_out, C_in, k, k)


def reference(name: str, filters: int, k: int, s=1, p=0, d=1):
    """(x, w, columns, product, output) by torch, float64."""
    x = torch.tensor(np.stack(INPUTS[name]), dtype=torch.float64)[None]  # (1, C, H, W)
    w = torch.tensor(mixed(filters, x.shape[1], k), dtype=torch.float64)  # (C_out, C, k, k)
    cols = F.unfold(x, k, stride=s, padding=p, dilation=d)[0]  # (C*k*k, L)
    y = F.conv2d(x, w, stride=s, padding=p, dilation=d)[0]  # (C_out, H_out, W_out)
    return x[0].numpy(), w.numpy(), cols.numpy(), (w.reshape(filters, -1) @ cols).numpy(), y.numpy()


def texts(page, selector: str) -> list[str]:
    return page.locator(selector).all_inner_texts()


def as_text(values) -> list[str]:
    return [fmt(v) for v in np.ravel(values)]


def assert_im2col_shows(page, name="ramp", filters=2, k=3, s=1, p=0, d=1):
    """Every matrix and map the widget shows equals torch's, written as the page writes numbers."""
    x, w, cols, prod, y = reference(name, filters, k, s, p, d)
    r, L = cols.shape
    assert texts(page, "[data-maps=input] td") == as_text(x)
    assert texts(page, ".ic-w") == as_text(w.reshape(filters, -1))
    assert texts(page, ".ic-col") == as_text(cols)  # row by row, as the grid is laid out
    assert texts(page, ".ic-prod") == as_text(prod)
    assert texts(page, ".ic-out td") == as_text(y)
    np.testing.assert_allclose(prod.reshape(y.shape), y, atol=1e-9)  # the product, reshaped, is the convolution
    assert page.locator('[data-shape="columns"]').inner_text() == f"{r} × {L}"
    assert page.locator('[data-shape="weights"]').inner_text() == f"{filters} × {r}"
    assert page.locator('[data-shape="product"]').inner_text() == f"{filters} × {L}"
    sizes = page.locator("[data-sizes]").inner_text()
    assert f"The columns hold {cols.size} numbers for an input of {x.size}" in sizes
    assert f"= {filters * cols.size}." in sizes  # the multiply-adds


def dot_text(w_row, column, value) -> str:
    term = lambda v: f"({fmt(v)})" if v < 0 else fmt(v)  # noqa: E731
    return " + ".join(f"{term(a)}×{term(b)}" for a, b in zip(w_row, column)) + f" = {fmt(value)}"


def window_cells(name: str, k: int, col: int, s=1, p=0, d=1) -> list[int]:
    """The flat input cells window ``col`` covers: torch's unfold of the cells' own numbers 1, 2, …."""
    x = np.stack(INPUTS[name])
    ids = torch.arange(1, x.size + 1, dtype=torch.float64).reshape(1, *x.shape)
    column = F.unfold(ids, k, stride=s, padding=p, dilation=d)[0][:, col]
    return sorted(int(v) - 1 for v in column if v > 0)


def lit(page, selector: str, attr: str) -> list[int]:
    return sorted(int(v) for v in page.eval_on_selector_all(selector, f"els => els.map(e => e.dataset.{attr})"))


def test_the_default_example_is_torchs(page, server_url):
    open_widget(page, server_url, "im2col")
    assert_im2col_shows(page)
    got = page.evaluate(INSPECT)
    assert got["shapes"]["columns"] == [9, 4] and got["blowup"] == 36 / 16


def test_the_keys_walk_the_columns_and_write_each_dot_product(page, server_url):
    open_widget(page, server_url, "im2col")
    _, w, cols, prod, _ = reference("ramp", 2, 3)
    page.focus(".ic-stage")
    for step in range(4):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"{INSPECT}.state.icStep === {step}")
        assert lit(page, ".ic-win", "in") == window_cells("ramp", 3, step)  # its window on the input
        assert lit(page, ".ic-col.ic-on", "l") == [step] * 9  # its column
        assert page.locator(".ic-out td.ic-hit").get_attribute("data-l") == str(step)  # its output cell
        dot = page.locator("[data-dot]").inner_text()
        assert dot.endswith(dot_text(w[0].ravel(), cols[:, step], prod[0, step])), dot
        assert page.locator(".step-label").inner_text().startswith(f"Column {step + 1} of 4")
    page.keyboard.press("ArrowRight")  # the last column stays
    assert page.evaluate(f"{INSPECT}.state.icStep") == 3
    head = page.locator('.ic-colhead[tabindex="0"]')  # the one head Tab reaches: the column in play
    assert head.get_attribute("data-l") == "3"
    head.focus()
    page.keyboard.press("ArrowLeft")  # focus follows the step along the heads
    page.wait_for_function(f"{INSPECT}.state.icStep === 2")
    assert page.evaluate("document.activeElement.dataset.l") == "2"
    page.keyboard.press("Escape")
    page.wait_for_function(f"{INSPECT}.state.icStep === -1")
    assert page.locator(".ic-win").count() == 0 and page.locator("[data-dot]").inner_text() == ""


def test_a_focused_output_cell_lights_its_row_and_column(page, server_url):
    open_widget(page, server_url, "im2col", "?ici=two&icp=1&ico=3")
    assert_im2col_shows(page, "two", 3, 3, p=1)
    _, w, cols, prod, y = reference("two", 3, 3, p=1)
    page.focus('.ic-out td[data-o="2"][data-l="5"]')  # filter 3, output (1, 1)
    page.wait_for_function(f"{INSPECT}.state.icStep === 5 && {INSPECT}.state.icRow === 2")
    page.keyboard.press("ArrowDown")  # down one row of the map: (2, 1), window 9
    page.wait_for_function(f"{INSPECT}.state.icStep === 9")
    assert page.evaluate("document.activeElement.dataset.l") == "9"
    assert lit(page, ".ic-w.ic-on", "o") == [2] * cols.shape[0]  # the filter's row of the weight matrix
    assert lit(page, ".ic-col.ic-on", "l") == [9] * cols.shape[0]
    assert page.locator(".ic-prod.ic-hit").inner_text() == fmt(prod[2, 9]) == fmt(y[2, 2, 1])
    dot = page.locator("[data-dot]").inner_text()
    assert dot.startswith("y₃(2,1)") and dot.endswith(dot_text(w[2].ravel(), cols[:, 9], prod[2, 9]))
    assert lit(page, ".ic-win", "in") == window_cells("two", 3, 9, p=1)  # both channels' windows
    assert page.locator(".ic-col.ic-pad").count() == int((F.unfold(torch.ones(1, 2, 4, 4), 3, padding=1) == 0).sum())


def test_pointing_at_an_input_cell_lights_every_copy(page, server_url):
    open_widget(page, server_url, "im2col", "?ici=small&ick=2")
    page.hover('[data-in="4"]')  # the middle cell, 5
    page.wait_for_function("document.querySelector('[data-copy]').textContent.length > 0")
    ids = torch.arange(1.0, 10).reshape(1, 1, 3, 3)
    copies = int((F.unfold(ids, 2)[0] == 5).sum())
    assert copies == 4
    assert (
        page.locator("[data-copy]").inner_text()
        == f"Input cell (1, 1), 5, is copied into {copies} entries of the columns."
    )
    assert page.locator(".ic-col.ic-copyof").count() == copies
    assert all(t == "5" for t in texts(page, ".ic-col.ic-copyof"))
    page.hover('.ic-col[data-l="3"][data-r="0"]')  # a column: its window lights, the state stays
    page.wait_for_function("document.querySelectorAll('.ic-win').length === 4")
    assert lit(page, ".ic-win", "in") == window_cells("small", 2, 3)
    assert page.evaluate(f"{INSPECT}.state.icStep") == -1


def test_three_channels_with_stride_and_dilation(page, server_url):
    open_widget(page, server_url, "im2col", "?ici=rgb&ick=2&ics=2&icp=2&icd=2&ico=4")
    assert_im2col_shows(page, "rgb", 4, 2, s=2, p=2, d=2)
    _, _, cols, _, _ = reference("rgb", 4, 2, s=2, p=2, d=2)
    assert page.evaluate(f"{INSPECT}.blowup") == pytest.approx(cols.size / 75)


def test_a_kernel_that_does_not_fit_is_refused_by_its_slider(page, server_url):
    open_widget(page, server_url, "im2col", "?ici=small&ick=4")
    assert page.locator(".ic-stage").is_hidden()
    text = page.locator('[data-alert="kernel"]').inner_text()
    assert "kernel size must fit" in text and "no position" in text
    page.eval_on_selector(
        '[data-key="kernel_size"]', "el => { el.value = 2; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.wait_for_function(f"{INSPECT}.meta !== null")
    assert page.locator('[data-alert="kernel"]').inner_text() == ""
    assert_im2col_shows(page, "small", 2, 2)


@pytest.mark.parametrize(
    "size, query, name",
    [
        ((1024, 768), "?ict=2", "im2col-1024"),
        ((1024, 768), "?ict=2&present=1", "im2col-present"),
        ((1024, 768), "?ici=two&icp=1&ict=2&theme=dark", "im2col-dark"),
        ((390, 844), "?ict=2", "im2col-phone"),
        ((1024, 768), "?ici=cross&ick=1&icp=2&ico=1&ict=140", "im2col-wide"),
    ],
)
def test_it_fits_each_screen(browser, server_url, size, query, name):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, is_mobile=size[0] < 600)
    page = context.new_page()
    open_widget(page, server_url, "im2col", query)
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]  # no sideways scroll: the product scrolls
    box = page.eval_on_selector("[data-gemm]", "el => [el.scrollWidth, el.clientWidth, el.scrollLeft]")
    if "ict=140" in query:  # 144 columns: its own box scrolls, and has brought column 141 into view
        assert box[0] > box[1] and box[2] > 0
        head = page.locator('.ic-colhead[data-l="140"]').bounding_box()
        frame = page.locator("[data-gemm]").bounding_box()
        assert frame["x"] <= head["x"] and head["x"] + head["width"] <= frame["x"] + frame["width"] + 1
    numbers = page.eval_on_selector(".ic-prod", "el => parseFloat(getComputedStyle(el).fontSize)")
    assert numbers >= 14  # readable from the back of a room (and on a phone held close)
    screenshot(page, name)
    context.close()


def test_the_lesson_mounts_it_and_reveals_its_column_count(page, server_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}lessons/convolution-as-matrix-multiplication")
    page.wait_for_function("document.querySelector('#widget-lowering').dataset.ready", timeout=60_000)
    got = page.evaluate("window.convscopeLesson.widgets.get('lowering').inspect()")
    _, _, cols, _, y = reference("small", 2, 2)
    assert got["columns"]["values"] == cols.ravel().tolist() and got["output"]["values"] == y.ravel().tolist()
    dot = page.locator("#widget-lowering [data-dot]").inner_text()  # the text's worked example: filter 1, window 1
    assert dot.endswith("(−1)×1 + 1×2 + 2×4 + (−1)×5 = 4")
    q = page.locator('section.question[data-question="columns-on-the-widget"]')
    q.locator("input.question-input").fill("9")
    q.get_by_role("button", name="Reveal").click()
    feedback = "document.querySelector(\"[data-question='columns-on-the-widget'] .question-feedback\")"
    page.wait_for_function(f"/right|wrong/.test({feedback}.className)")
    assert "Right." in q.locator(".question-feedback").inner_text()
    assert page.evaluate("window.convscopeLesson.widgets.get('lowering').inspect().shapes.columns") == [9, 9]
    screenshot(page, "im2col-lesson")
