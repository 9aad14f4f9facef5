"""The residual widget in real Chromium, alone at /widget/residual and inside lesson 18, as a class uses
it: every number its maps show against torch's forward maps and autograd gradients of the same example
(the example's recipe written out again here), the two parts of ∂L/∂x (torch with one path cut), the
depth chart's readout against a torch chain, a hovered and an arrow-keyed cell read in every map, the
lesson's reveal, and screenshots at a projector's 1024×768, in presenter mode, in the dark theme and on
a 390×844 phone (no sideways scroll)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.residual import make_chain

from ..conftest import screenshot
from ..helpers import assert_shows, fmt, open_widget

W = "window.convscopeWidget"
INSPECT = f"{W}.widget.inspect()"
FORWARD = ("x", "conv1", "relu1", "conv2", "shortcut", "sum", "y")
BACKWARD = ("grad_y", "grad_sum", "grad_relu1", "grad_conv1", "grad_x_skip", "grad_x_residual", "grad_x")


def example(seed: int, c_in: int, c_out: int, size: int, projection: bool, k: int = 3):
    """The "Small integers" example (engine.residual.example_block), drawn again from its recipe."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, (1, c_in, size, size)).astype(np.float64)  # (1, C_in, H, W)
    pick = np.array([-1, 0, 0, 0, 1], np.float64)
    w1 = rng.choice(pick, (c_out, c_in, k, k))
    w2 = rng.choice(pick, (c_out, c_out, k, k))
    ws = None
    if projection:
        rng.choice(pick, (c_out, c_in, 1, 1))  # the normal draw the recipe replaces
        ws = rng.choice(np.array([-1, 1, 1], np.float64), (c_out, c_in, 1, 1))
    return x, w1, w2, ws


def torch_block(x, w1, w2, ws, stride, upstream):
    """Every forward map and gradient of the block, float64, channels first (one sample)."""
    k = w1.shape[-1]

    def run(skip=True, residual=True):
        xt = torch.tensor(x, requires_grad=True)
        conv1 = F.conv2d(xt, torch.tensor(w1), stride=stride, padding=k // 2)
        relu1 = torch.relu(conv1)
        conv2 = F.conv2d(relu1, torch.tensor(w2), padding=k // 2)
        short = F.conv2d(xt, torch.tensor(ws), stride=stride) if ws is not None else xt
        total = (conv2 if residual else conv2.detach()) + (short if skip else short.detach())
        y = torch.relu(total)
        for t in (conv1, relu1, total):
            t.retain_grad()
        y.backward(torch.ones_like(y) if upstream == "ones" else upstream)
        maps = {"x": xt, "conv1": conv1, "relu1": relu1, "conv2": conv2, "shortcut": short, "sum": total, "y": y}
        return maps, xt.grad, total.grad, relu1.grad, conv1.grad

    maps, gx, gsum, grelu, gconv = run()
    out = {name: t.detach().numpy()[0] for name, t in maps.items()}
    out |= {"grad_y": np.ones_like(out["y"]), "grad_sum": gsum.numpy()[0], "grad_relu1": grelu.numpy()[0]}
    out |= {"grad_conv1": gconv.numpy()[0], "grad_x": gx.numpy()[0]}
    out["grad_x_skip"] = run(residual=False)[1].numpy()[0]
    out["grad_x_residual"] = run(skip=False)[1].numpy()[0]
    return out


def assert_maps_show(page, expected: dict, names, channel: int = 0):
    labels = page.evaluate(f"{INSPECT}.labels")
    assert sorted(labels) == sorted(names)
    for name in names:
        ref = expected[name]
        assert_shows(labels[name], ref[min(channel, ref.shape[0] - 1)], what=name)


def test_the_default_block_forward_and_backward_are_torchs(page, server_url):
    open_widget(page, server_url, "residual")
    x, w1, w2, _ = example(3, 1, 1, 5, False)
    got = page.evaluate(INSPECT)
    np.testing.assert_array_equal(np.reshape(got["arrays"]["x"]["values"], (1, 1, 5, 5)), x)  # the same example
    np.testing.assert_array_equal(np.reshape(got["arrays"]["w1"]["values"], w1.shape), w1)
    expected = torch_block(x, w1, w2, None, 1, "ones")
    assert_maps_show(page, expected, FORWARD)
    assert page.locator(".rs-sum-line").inner_text() == "x is 1 × 5 × 5 (C × H × W); y is 1 × 5 × 5; 'same' padding 1."
    page.get_by_role("button", name="Backward: the gradients").click()
    page.wait_for_function(f"{INSPECT}.state.rsView === 'backward'")
    assert_maps_show(page, expected, BACKWARD)
    np.testing.assert_array_equal(expected["grad_x_skip"] + expected["grad_x_residual"], expected["grad_x"])
    norms = [np.linalg.norm(expected[k]) for k in ("grad_x_skip", "grad_x_residual", "grad_x")]
    line = page.locator(".rs-sum-line").inner_text()
    assert line.startswith(
        f"‖∂L/∂x‖: along the skip {fmt(norms[0])}, through F {fmt(norms[1])}, together {fmt(norms[2])}"
    )
    assert "unchanged" in line


def test_a_projection_at_stride_two_halves_the_map_and_doubles_the_channels(page, server_url):
    open_widget(page, server_url, "residual", "?rssc=projection&rss=2&rsc=2&rsn=6&rsv=backward&rsch=2")
    x, w1, w2, ws = example(3, 2, 4, 6, True)
    expected = torch_block(x, w1, w2, ws, 2, "ones")
    assert expected["y"].shape == (4, 3, 3)
    assert_maps_show(page, expected, BACKWARD, channel=2)
    shapes = page.locator(".rs-map .shape").all_inner_texts()
    assert shapes[0] == "3 × 3, channel 3 of 4" and shapes[-1] == "6 × 6, channel 2 of 2"
    page.get_by_role("button", name="Forward: the maps").click()
    page.wait_for_function(f"{INSPECT}.state.rsView === 'forward'")
    assert_maps_show(page, expected, FORWARD, channel=2)
    assert "1×1 conv, s = 2" in page.locator(".rs-diagram").inner_html()


def test_an_identity_shortcut_keeps_stride_one_whatever_the_link_says(page, server_url):
    open_widget(page, server_url, "residual", "?rssc=identity&rss=2")
    assert page.evaluate(f"{INSPECT}.meta.stride") == 1
    page.get_by_role("button", name="Stride 2").click()  # stride 2 brings the projection with it
    page.wait_for_function(f"{INSPECT}.meta.stride === 2")
    assert page.evaluate(f"{INSPECT}.meta.shortcut") == "projection"


def test_a_hovered_or_keyed_cell_is_read_in_every_map(page, server_url):
    open_widget(page, server_url, "residual")
    x, w1, w2, _ = example(3, 1, 1, 5, False)
    expected = torch_block(x, w1, w2, None, 1, "ones")
    box = page.locator('canvas[data-grid="x"]').bounding_box()
    cell = box["width"] / 5
    page.mouse.move(box["x"] + 3.5 * cell, box["y"] + 1.5 * cell)  # row 1, column 3
    page.wait_for_function(f"{INSPECT}.cell && {INSPECT}.cell.r === 1 && {INSPECT}.cell.c === 3")
    readout = page.locator(".rs-readout").inner_text()
    titles = ("x", "conv1(x)", "ReLU", "F(x) = conv2", "shortcut(x)", "F(x) + shortcut(x)", "y = ReLU(sum)")
    parts = [f"{t} {fmt(expected[n][0, 1, 3])}" for t, n in zip(titles, FORWARD)]
    assert readout == f"At row 2, column 4: {'; '.join(parts)}."
    page.mouse.move(0, 0)
    page.wait_for_function(f"{INSPECT}.cell === null")
    # The keyboard: focus a map, and the arrows walk its cells.
    page.focus('canvas[data-grid="y"]')
    page.wait_for_function(f"{INSPECT}.cell && {INSPECT}.cell.r === 0 && {INSPECT}.cell.c === 0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{INSPECT}.cell.r === 2 && {INSPECT}.cell.c === 1")
    assert f"y = ReLU(sum) {fmt(expected['y'][0, 2, 1])}." in page.locator(".rs-readout").inner_text()
    label = page.locator('canvas[data-grid="sum"]').get_attribute("aria-label")
    assert label.endswith(f"row 3, column 2 is {fmt(expected['sum'][0, 2, 1])}. Arrow keys move the marked cell.")
    page.keyboard.press("Escape")
    page.wait_for_function(f"{INSPECT}.cell === null")


def test_a_cell_across_the_stride_is_its_projection_cell(page, server_url):
    """At stride 2, output cell (r, c) is read by the projection from input cell (2r, 2c)."""
    open_widget(page, server_url, "residual", "?rssc=projection&rss=2&rsn=6&rsv=backward")
    x, w1, w2, ws = example(3, 1, 2, 6, True)
    expected = torch_block(x, w1, w2, ws, 2, "ones")
    page.focus('canvas[data-grid="grad_y"]')
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{INSPECT}.cell.r === 1 && {INSPECT}.cell.c === 1")
    readout = page.locator(".rs-readout").inner_text()
    assert readout.startswith("At output row 2, column 2 (input row 3, column 3):")
    assert f"∂L/∂x = skip + F {fmt(expected['grad_x'][0, 2, 2])}." in readout


def torch_chain(depth, scale, act, mode, seed=1):
    chain = make_chain(depth, scale, act, seed)  # the weights, input and upstream: the chain's inputs
    fn = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda v: v}[act]
    xs = [torch.tensor(chain.x0, dtype=torch.float64, requires_grad=True)]
    for w in chain.weights:
        f = F.conv2d(fn(xs[-1]), torch.tensor(w, dtype=torch.float64), padding=1)
        xs.append(f if mode == "plain" else xs[-1] + f)
        xs[-1].retain_grad()
    xs[-1].backward(torch.tensor(chain.upstream, dtype=torch.float64))
    return np.array([t.grad.norm().item() for t in xs])


def norm_text(v: float) -> str:
    """chart.js normText: plain below 10⁴ and from 0.01, else mantissa × a power of ten."""
    lg = math.log10(v)
    if -2 <= lg < 4:
        return fmt(v, 3 if lg < -1 else 2)
    k = math.floor(lg)
    sup = str(k).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{fmt(10 ** (lg - k), 1)} × 10{sup}"


@pytest.mark.parametrize("depth, scale, act", [(20, 0.5, "relu"), (12, 1.5, "identity")])
def test_the_depth_chart_reads_a_torch_chains_gradient_sizes(page, server_url, depth, scale, act):
    act_key = {"relu": "relu", "identity": "identity"}[act]
    open_widget(page, server_url, "residual", f"?rsl={depth}&rsw={scale}&rsa={act_key}")
    plain, residual = torch_chain(depth, scale, act, "plain"), torch_chain(depth, scale, act, "residual")
    got = page.evaluate(INSPECT)
    np.testing.assert_allclose(got["first"]["plain"], plain[0], rtol=2e-3)
    np.testing.assert_allclose(got["depth"]["residual"], residual, rtol=2e-3)
    legend = page.locator(".rs-legend li").all_inner_texts()
    assert legend == [f"plain: {norm_text(plain[0])} at the input", f"residual: {norm_text(residual[0])} at the input"]
    readout = page.locator(".rs-chart-readout").inner_text()
    assert readout == f"‖∂L/∂x‖ at layer 1's input, x₀: plain {norm_text(plain[0])}, residual {norm_text(residual[0])}."
    # The arrow keys read the chart layer by layer.
    page.focus(".rs-chart")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('.rs-chart-readout').textContent.includes('x₃')")
    assert (
        f"plain {norm_text(plain[3])}, residual {norm_text(residual[3])}"
        in page.locator(".rs-chart-readout").inner_text()
    )


def test_the_depth_slider_asks_the_engine_again(page, server_url):
    open_widget(page, server_url, "residual")
    page.eval_on_selector(
        '[data-key="depth"]', "el => { el.value = 30; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.wait_for_function(f"{INSPECT}.meta && {INSPECT}.meta.depth === 30")
    residual = torch_chain(30, 0.5, "relu", "residual")
    assert page.locator(".rs-legend li").all_inner_texts()[1] == f"residual: {norm_text(residual[0])} at the input"
    page.get_by_role("button", name="Residual", exact=True).click()
    page.wait_for_function(f"{INSPECT}.meta.chains.length === 1")
    assert page.locator(".rs-legend li").all_inner_texts() == [f"residual: {norm_text(residual[0])} at the input"]


def test_the_lessons_widget_and_its_reveal(page, server_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}lessons/residual-blocks")
    page.wait_for_function("document.querySelector('#widget-block').dataset.ready", timeout=60_000)
    got = page.evaluate("window.convscopeLesson.widgets.get('block').inspect()")
    assert got["meta"]["output_shape"] == [1, 5, 5] and got["state"]["rsSeed"] == 3
    qid = "residual-chain-at-depth-ten"
    q = page.locator(f'section.question[data-question="{qid}"]')
    q.locator("input.question-input").fill("1")
    q.get_by_role("button", name="Reveal").click()
    page.wait_for_function(
        "id => /right|wrong/.test(document.querySelector(`[data-question='${id}'] .question-feedback`).className)",
        arg=qid,
        timeout=60_000,
    )
    assert "Right." in q.locator(".question-feedback").inner_text()  # 1 is within 0.5 of the engine's value
    revealed = page.evaluate("window.convscopeLesson.widgets.get('block').inspect().first.residual")
    assert revealed == pytest.approx(torch_chain(10, 0.5, "relu", "residual")[0], rel=2e-3)


@pytest.mark.parametrize(
    "name, query, size",
    [
        ("1024", "", (1024, 768)),
        ("present", "?present=1&rssc=projection&rss=2&rsc=2", (1024, 768)),
        ("dark", "?theme=dark&rsv=backward", (1024, 768)),
        ("phone", "?rsv=backward", (390, 844)),
    ],
)
def test_screens(page, server_url, name, query, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_widget(page, server_url, "residual", query)
    page.wait_for_timeout(200)  # one layout pass after the first answer (not an assertion)
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]  # no sideways scroll
    # The maps' numbers stay readable: every grid draws its numbers (cells of at least 30 px).
    assert all(
        all(all(t is not None for t in row) for row in grid) for grid in page.evaluate(f"{INSPECT}.labels").values()
    )
    screenshot(page, f"residual-{name}")
