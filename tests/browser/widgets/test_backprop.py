"""The backprop widget on /layers in real Chromium: every gradient it shows is PyTorch autograd's
(and the engine's), computed here from the widget's example numbers written out below, which the
page must hold; the symbols are seed 002's; keys, clicker keys and the URL keep the step."""

from __future__ import annotations

import numpy as np
import torch

from engine.activations import activation_backward
from engine.conv import conv2d, conv2d_backward
from engine.pool import avg_pool2d_backward, max_pool2d, max_pool2d_backward

from ..conftest import SCREENSHOTS, screenshot
from ..helpers import assert_shows, number

BP = "window.convscopeLayers.backprop.inspect()"
POOL = "window.convscopeLayers.pool.inspect()"
STAGE = "#backprop-widget .bp-stage"
# Seed 002's table of dL/dF (the "How do we update filters?" slide), cell by cell, as the seed writes it.
SEED002_DF = [
    ["X11∂h11 + X12∂h12 + X21∂h21 + X22∂h22", "X12∂h11 + X13∂h12 + X22∂h21 + X23∂h22"],
    ["X21∂h11 + X22∂h12 + X31∂h21 + X32∂h22", "X22∂h11 + X23∂h12 + X32∂h21 + X33∂h22"],
]


# The widget's example numbers (seed 002 draws this backward pass in symbols only).
CONV_X = np.array([[1, 2, 0], [3, 1, 2], [0, 4, 1]], np.float32)  # (3, 3) input X
CONV_F = np.array([[1, -1], [2, 1]], np.float32)  # (2, 2) filter F
CONV_UP = np.array([[2, -1], [1, 3]], np.float32)  # (2, 2) upstream ∂h ("Seed 002 example")
POOL_X = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 7, 2], [3, 2, 1, 6]], np.float32)  # (4, 4)
POOL_UP = np.array([[4, -2], [1, 8]], np.float32)  # (2, 2)
RELU_X = np.array([[-2, 1, 0, 3], [4, -1, 2, 0], [-3, 0, 1, -2], [2, -4, 3, 1]], np.float32)  # (4, 4)
RELU_UP = np.array([[1, 2, -1, 3], [-2, 1, 4, 2], [3, -1, 2, 1], [2, 5, -3, 4]], np.float32)  # (4, 4)
# Per mode: the example arrays the page must hold, and the pane that shows the gradient.
EXAMPLES = {
    "dw": ({"X": CONV_X, "F": CONV_F, "up": CONV_UP}, "dF"),
    "dx": ({"F": CONV_F, "up": CONV_UP}, "dX"),
    "bias": ({"up": CONV_UP}, "dB"),
    "max": ({"x": POOL_X, "up": POOL_UP}, "dx"),
    "avg": ({"x": POOL_X, "up": POOL_UP}, "dx"),
    "relu": ({"x": RELU_X, "up": RELU_UP}, "dx"),
}


def assert_example(d: dict):
    """The page holds the example numbers of its mode."""
    for name, values in EXAMPLES[d["mode"]][0].items():
        np.testing.assert_array_equal(arr(d, name), values, err_msg=name)


def torch_gradient(mode: str) -> np.ndarray:
    """The gradient a mode shows, by PyTorch autograd on the example numbers."""
    if mode in ("dw", "dx", "bias"):
        gx, gw, gb = torch_conv_grads(CONV_X, CONV_F, CONV_UP)
        return {"dw": gw, "dx": gx, "bias": gb.reshape(1, 1)}[mode]
    x = torch.tensor(RELU_X if mode == "relu" else POOL_X, requires_grad=True)  # (4, 4)
    if mode == "relu":
        torch.relu(x).backward(torch.tensor(RELU_UP))
    else:
        pool = torch.nn.functional.max_pool2d if mode == "max" else torch.nn.functional.avg_pool2d
        pool(x[None, None], 2, 2).backward(torch.tensor(POOL_UP[None, None]))
    return x.grad.numpy()


def widget(page):
    return page.locator("#backprop-widget")


def open_bp(page, server_url: str, query: str = "", reduced_motion: bool = True):
    if reduced_motion:
        page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}layers{query}")
    page.wait_for_function("document.querySelector('#backprop-widget').dataset.ready")


def wait_step(page, mode: str, step: int) -> dict:
    """Wait until the widget shows `step` of `mode`, landed (no tween running); return inspect()."""
    page.wait_for_function(
        f"(() => {{ const b = {BP}; return b.mode === '{mode}' && b.step === {step} && b.progress === 1; }})()"
    )
    return page.evaluate(BP)


def arr(d: dict, name: str) -> np.ndarray:
    a = d["arrays"][name]
    return np.array(a["values"], np.float32).reshape(a["shape"])  # (rows, cols)


def shown(d: dict, pane: str) -> np.ndarray:
    """The numbers drawn in a pane's cells (NaN where a cell is still pending)."""
    return np.array([[np.nan if t is None else number(t) for t in row] for row in d["labels"][pane]])


def factor(v: float) -> str:
    """A number as a factor on the page: real minus sign, negative ones in brackets."""
    text = f"{v:g}".replace("-", "−")
    return f"({text})" if v < 0 else text


def result_of(line: str) -> float:
    return number(line.rsplit("=", 1)[1].strip())


def step_with(page, key: str, mode: str, step: int) -> dict:
    page.locator(STAGE).focus()
    page.keyboard.press(key)
    return wait_step(page, mode, step)


def torch_conv_grads(x, w, gy):
    xt = torch.tensor(x[None, None], requires_grad=True)  # (1, 1, H, W)
    wt = torch.tensor(w[None, None], requires_grad=True)  # (1, 1, KH, KW)
    bt = torch.zeros(1, requires_grad=True)
    torch.nn.functional.conv2d(xt, wt, bt).backward(torch.tensor(gy[None, None]))
    return xt.grad[0, 0].numpy(), wt.grad[0, 0].numpy(), bt.grad.numpy()


def engine_conv_grads(x, w, gy):
    gx, gw, gb = conv2d_backward(gy[None, None], x[None, None], w[None, None])
    return gx[0, 0], gw[0, 0], gb


def test_weight_gradient_steps_reproduce_seed002_to_the_symbol_and_the_number(page, server_url):
    open_bp(page, server_url)
    d = page.evaluate(BP)
    assert d["mode"] == "dw" and d["total"] == 4 and d["step"] == -1
    assert_example(d)
    x, w, gy = CONV_X, CONV_F, CONV_UP
    _, gw_engine, _ = engine_conv_grads(x, w, gy)
    _, gw_torch, _ = torch_conv_grads(x, w, gy)
    np.testing.assert_array_equal(arr(d, "dF"), gw_engine)
    np.testing.assert_array_equal(arr(d, "O"), conv2d(x[None, None], w[None, None])[0, 0])
    for s in range(4):
        d = step_with(page, "ArrowRight", "dw", s)
        kh, kw = divmod(s, 2)  # steps run over the weights in reading order
        symbolic, numeric, products = d["lines"]
        assert symbolic == f"∂L/∂F{kh + 1}{kw + 1} = " + SEED002_DF[kh][kw].replace("∂h", "·∂h")
        window = x[kh : kh + 2, kw : kw + 2]  # the X cells this weight met, times ∂h cell by cell
        assert numeric == "= " + " + ".join(f"{factor(v)}·{factor(g)}" for v, g in zip(window.ravel(), gy.ravel()))
        value = shown(d, "dF")[kh, kw]  # the number in the result cell
        assert value == gw_engine[kh, kw] == result_of(products)
        np.testing.assert_allclose(value, gw_torch[kh, kw], rtol=1e-6)
        # Cells not reached yet wait; cells already stepped keep their value.
        filled = ~np.isnan(shown(d, "dF")).ravel()
        assert filled.tolist() == [i <= s for i in range(4)]
    screenshot(page, "backprop-dw-last-step")


def test_input_gradient_is_the_full_convolution_with_the_turned_filter(page, server_url):
    open_bp(page, server_url, "?bpm=dx")
    d = page.evaluate(BP)
    assert_example(d)
    w, gy, x_shape = CONV_F, CONV_UP, CONV_X.shape
    np.testing.assert_array_equal(arr(d, "R"), w[::-1, ::-1])  # F turned 180°, as the engine multiplied it
    np.testing.assert_array_equal(arr(d, "P"), np.pad(gy, 1))  # ∂h with a one-cell zero border
    gx_engine = conv2d_backward(gy[None, None], np.zeros((1, 1, *x_shape), np.float32), w[None, None])[0][0, 0]
    np.testing.assert_array_equal(arr(d, "dX"), gx_engine)
    np.testing.assert_array_equal(arr(d, "full"), gx_engine)  # the engine's full convolution says the same
    gx_torch = torch_conv_grads(np.zeros(x_shape, np.float32), w, gy)[0]
    for key, step in (("ArrowRight", 0), ("PageDown", 1), ("End", 8), ("PageUp", 7)):
        d = step_with(page, key, "dx", step)
        r, c = divmod(step, x_shape[1])
        value = shown(d, "dX")[r, c]
        assert value == gx_engine[r, c] == result_of(d["lines"][2])
        np.testing.assert_allclose(value, gx_torch[r, c], rtol=1e-6, atol=1e-6)
    page.keyboard.press("Home")
    wait_step(page, "dx", 0)
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    d = wait_step(page, "dx", 4)
    assert d["lines"][0] == "∂L/∂X22 = ∂h11·F22 + ∂h12·F21 + ∂h21·F12 + ∂h22·F11"  # all four taps meet the centre
    assert result_of(d["lines"][2]) == gx_engine[1, 1]
    d = step_with(page, "PageUp", "dx", 3)  # X21: the turned filter half on the zero border
    assert d["lines"][0] == "∂L/∂X21 = ∂h11·F21 + ∂h21·F11"
    assert "lie on the zero border" in d["lines"][3]
    assert page.evaluate(f"{POOL}.step") is None  # the keys stepped this widget only


def test_bias_gradient_is_the_sum_of_the_upstream_gradient(page, server_url):
    open_bp(page, server_url, "?bpm=bias&bpt=3")
    d = wait_step(page, "bias", 3)
    assert_example(d)
    gy = CONV_UP
    _, _, gb_torch = torch_conv_grads(np.zeros((3, 3), np.float32), np.zeros((2, 2), np.float32), gy)
    assert d["lines"][0] == "∂L/∂b = ∂h11 + ∂h12 + ∂h21 + ∂h22"
    assert shown(d, "dB")[0, 0] == result_of(d["lines"][1]) == gy.sum() == gb_torch[0]


def test_max_pool_routes_the_gradient_only_to_the_winners(page, server_url):
    open_bp(page, server_url, "?bpm=max")
    d = page.evaluate(BP)
    assert d["mode"] == "max"
    assert_example(d)
    x, gy = POOL_X, POOL_UP
    y, winners = max_pool2d(x[None, None], 2, 2)  # (1, 1, 2, 2) each
    gx = max_pool2d_backward(gy[None, None], x[None, None], 2, 2)[0, 0]
    xt = torch.tensor(x[None, None], requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2, 2).backward(torch.tensor(gy[None, None]))
    np.testing.assert_array_equal(gx, xt.grad[0, 0].numpy())
    np.testing.assert_array_equal(arr(d, "dx"), gx)
    np.testing.assert_array_equal(arr(d, "y"), y[0, 0])
    winner_cells = {divmod(int(i), x.shape[1]) for i in winners.ravel()}
    on_screen = shown(d, "dx")
    assert {tuple(map(int, rc)) for rc in zip(*np.nonzero(on_screen))} == winner_cells
    for r, c in winner_cells:
        assert on_screen[r, c] == gy[r // 2, c // 2]  # each window's ∂h, whole, on its winner
    d = step_with(page, "ArrowRight", "max", 0)
    r, c = divmod(int(winners[0, 0, 0, 0]), x.shape[1])
    assert d["lines"][1] == f"∂L/∂x{r + 1}{c + 1} = ∂h11 = {gy[0, 0]:g}".replace("-", "−")
    screenshot(page, "backprop-max-step")


def test_average_pool_spreads_the_gradient_by_one_over_m_squared(page, server_url):
    open_bp(page, server_url, "?bpm=avg")
    d = page.evaluate(BP)
    assert_example(d)
    x, gy = POOL_X, POOL_UP
    m = 2
    expected = np.kron(gy, np.ones((m, m), np.float32)) / m**2  # every cell: its window's ∂h / m²
    np.testing.assert_array_equal(arr(d, "dx"), expected)
    np.testing.assert_array_equal(shown(d, "dx"), expected)
    np.testing.assert_array_equal(avg_pool2d_backward(gy[None, None], x[None, None], 2, 2)[0, 0], expected)
    xt = torch.tensor(x[None, None], requires_grad=True)
    torch.nn.functional.avg_pool2d(xt, 2, 2).backward(torch.tensor(gy[None, None]))
    np.testing.assert_array_equal(xt.grad[0, 0].numpy(), expected)
    d = step_with(page, "PageDown", "avg", 0)
    assert "1/m²" in d["lines"][0] and "= 4 cells" in d["lines"][0]
    assert d["lines"][1] == f"= {gy[0, 0]:g} · 1/4 = {expected[0, 0]:g}".replace("-", "−")


def test_relu_gradient_is_zero_exactly_where_x_is_not_positive(page, server_url):
    open_bp(page, server_url, "?bpm=relu")
    d = page.evaluate(BP)
    assert_example(d)
    x, gy, mask, gx = RELU_X, RELU_UP, arr(d, "mask"), arr(d, "dx")
    assert (x == 0).any() and (x < 0).any() and (gy != 0).all()  # the example tests the kink and the negatives
    np.testing.assert_array_equal(shown(d, "dx") == 0, x <= 0)
    np.testing.assert_array_equal(gx, activation_backward("relu", gy, x))
    np.testing.assert_array_equal(mask, (x > 0).astype(np.float32))
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.tensor(gy))
    np.testing.assert_array_equal(gx, xt.grad.numpy())
    zero = next(i for i, v in enumerate(x.ravel()) if v == 0)  # step to a cell exactly at the kink
    page.locator(STAGE).focus()
    for _ in range(zero + 1):
        page.keyboard.press("ArrowRight")
    d = wait_step(page, "relu", zero)
    assert "≤ 0, so the mask is 0" in d["lines"][0]
    assert result_of(d["lines"][2]) == 0


def test_clicker_keys_step_and_a_reload_keeps_mode_and_step(page, server_url):
    open_bp(page, server_url, "?bpm=dx")
    page.locator(STAGE).focus()
    page.keyboard.press("PageDown")
    wait_step(page, "dx", 0)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("PageDown")
    wait_step(page, "dx", 2)
    page.keyboard.press("PageUp")
    wait_step(page, "dx", 1)
    widget(page).get_by_role(
        "button", name="Step forward (→ or Page Down)"
    ).click()  # a mouse click keeps the clicker working
    wait_step(page, "dx", 2)
    page.wait_for_function(f"document.activeElement === document.querySelector('{STAGE}')")
    page.keyboard.press("PageDown")
    wait_step(page, "dx", 3)
    page.evaluate("window.convscopeLayers.store.flush()")
    assert "bpm=dx" in page.url and "bpt=3" in page.url
    page.reload()
    page.wait_for_function("document.querySelector('#backprop-widget').dataset.ready")
    d = wait_step(page, "dx", 3)
    assert page.locator("#backprop-widget .bp-step-label").inner_text() == "Step 4 of 9"
    assert d["lines"][0].startswith("∂L/∂X21 = ")
    page.keyboard.press("Escape")  # focus is on the body: Escape is the pool widget's; ours keeps its step
    page.locator(STAGE).focus()
    page.keyboard.press("Escape")
    wait_step(page, "dx", -1)


def test_a_typed_upstream_value_is_used_and_a_bad_one_is_explained(page, server_url):
    open_bp(page, server_url)
    cell = widget(page).get_by_label("Upstream gradient ∂h12, row 1, column 2")
    cell.fill("5")
    page.wait_for_function(f"{BP}.arrays.up.values[1] === 5")
    typed = CONV_UP.copy()  # (2, 2)
    typed[0, 1] = 5
    d = page.evaluate(BP)
    np.testing.assert_array_equal(arr(d, "up"), typed)
    np.testing.assert_array_equal(arr(d, "dF"), torch_conv_grads(CONV_X, CONV_F, typed)[1])
    page.wait_for_function("location.search.includes('bpg=custom')")
    cell.fill("500")
    alert = page.locator('#backprop-widget [data-alert="upstream"]')
    assert alert.inner_text() == "∂h12 (row 1, column 2) must be a number from −100 to 100; got “500”."
    assert cell.get_attribute("aria-invalid") == "true"
    cell.fill("abc")
    assert "got “abc”" in alert.inner_text()
    assert page.evaluate(f"{BP}.arrays.up.values[1]") == 5  # nothing was sent
    cell.fill("-2")
    page.wait_for_function(f"{BP}.arrays.up.values[1] === -2")
    assert alert.inner_text() == ""


def test_a_one_hot_upstream_makes_the_weight_gradient_a_window_of_x(page, server_url):
    open_bp(page, server_url)
    widget(page).get_by_role("button", name="One-hot").click()
    page.wait_for_function(f"{BP}.arrays.up.values.join() === '1,0,0,0'")
    d = page.evaluate(BP)
    np.testing.assert_array_equal(arr(d, "dF"), CONV_X[0:2, 0:2])  # ∂h11 = 1 picks the window under O11
    widget(page).get_by_role("button", name="One-hot").click()  # again: the 1 moves to the next cell
    page.wait_for_function(f"{BP}.arrays.up.values.join() === '0,1,0,0'")
    np.testing.assert_array_equal(arr(page.evaluate(BP), "dF"), CONV_X[0:2, 1:3])
    widget(page).get_by_role("button", name="Random").click()
    page.wait_for_function("location.search.includes('bpg=random')")
    page.wait_for_function(f"{BP}.arrays.up.values.join() !== '0,1,0,0'")
    d = page.evaluate(BP)
    gy = arr(d, "up")  # the server's draw: the one thing here the test cannot know in advance
    assert (gy == np.round(gy)).all() and np.abs(gy).max() <= 5  # whole numbers from the server
    np.testing.assert_array_equal(arr(d, "dF"), torch_conv_grads(CONV_X, CONV_F, gy)[1])


def test_play_animates_every_step_to_the_last(page, server_url):
    open_bp(page, server_url, "?bpm=max", reduced_motion=False)
    page.locator(STAGE).focus()
    page.keyboard.press("Space")
    page.wait_for_function(f"{BP}.playing")
    page.wait_for_function(
        f"(() => {{ const b = {BP}; return !b.playing && b.step === 3 && b.progress === 1; }})()", timeout=30000
    )
    d = page.evaluate(BP)
    assert not np.isnan(shown(d, "dx")).any()  # every window's gradient landed


MODES = {"dw": 1, "dx": 4, "bias": 3, "max": 1, "avg": 2, "relu": 5}


def test_screenshots_of_every_mode(page, server_url):
    SCREENSHOTS.mkdir(exist_ok=True)
    for width, height in ((1280, 800), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        for mode, step in MODES.items():
            open_bp(page, server_url, f"?bpm={mode}&bpt={step}")
            d = wait_step(page, mode, step)
            # The numbers on screen: every gradient cell filled so far is autograd's, as the page writes it.
            assert_example(d)
            labels = d["labels"][EXAMPLES[mode][1]]
            expected = torch_gradient(mode)
            filled = [(r, c) for r, row in enumerate(labels) for c, t in enumerate(row) if t is not None]
            assert filled, f"{mode}: no gradient shown at step {step}"
            assert_shows(
                [labels[r][c] for r, c in filled], [expected[r, c] for r, c in filled], what=f"{mode} gradient"
            )
            element = widget(page)
            element.scroll_into_view_if_needed()
            element.screenshot(path=str(SCREENSHOTS / f"backprop-{mode}-{width}x{height}.png"))
            box = element.bounding_box()
            assert box["width"] <= width  # nothing pushes the page sideways
            for pane in page.locator("#backprop-widget .bp-pane").all():
                right = pane.bounding_box()["x"] + pane.bounding_box()["width"]
                assert right <= box["x"] + box["width"] + 1, f"{mode}: a grid runs off the widget at {width}px"


def test_a_key_steps_only_the_widget_used_last(page, server_url):
    """/layers holds several steppable widgets: a clicker's key moves the one in use, never two."""
    open_bp(page, server_url, "?bpm=dw")
    pool_step = "window.convscopeLayers.store.get().poolStep"
    widget(page).get_by_role("button", name="Step forward (→ or Page Down)").click()
    wait_step(page, "dw", 0)
    page.evaluate("document.activeElement.blur()")  # a clicker's key with nothing focused
    page.keyboard.press("PageDown")
    wait_step(page, "dw", 1)
    assert page.evaluate(pool_step) == -1
    page.locator("#pool-widget .pool-stage").click()
    page.keyboard.press("PageDown")
    page.wait_for_function(f"{pool_step} === 0")
    page.keyboard.press("PageDown")
    page.wait_for_function(f"{pool_step} === 1")
    assert page.evaluate(BP)["step"] == 1
