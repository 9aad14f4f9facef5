"""Every widget type alone on its page (/widget/<type>): it mounts, asks the engine, draws the
numbers of its default setup (each worked out here, from that setup), and keeps its state in the URL;
an unknown type gets a page that lists the real ones."""

from __future__ import annotations

import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from app.features import TABLE
from app.features.pictures import input_image
from engine import augment, digits
from engine.xo_data import NAMED_SAMPLES

from ...engine import reference
from ..conftest import screenshot
from ..helpers import assert_shows, fmt, fmt_cell
from ..widgets.playground_helpers import DIAGONAL_DOWN, X7, assert_output_shows, reference_output
from ..widgets.test_activation import RANDOM_MAP
from ..widgets.test_backprop import CONV_UP, CONV_X
from ..widgets.test_im2col import assert_im2col_shows
from ..widgets.test_residual import FORWARD, assert_maps_show, example, torch_block
from ..widgets.test_xo import DEFAULT_RUN, assert_probs_shown, assert_stats_shown, trained

MODULE_TYPES = list(TABLE.widgets)
INSPECT = "window.convscopeWidget.widget.inspect()"


def grid_labels(page, label: str, rows: int, cols: int) -> list[list[str | None]]:
    """A canvas grid's numbers, through the widget's ``inspect().<label>(r, c)``."""
    return page.evaluate(
        f"Array.from({{length: {rows}}}, (_, r) => Array.from({{length: {cols}}}, (_, c) => {INSPECT}.{label}(r, c)))"
    )


def shows_playground(page):
    assert_output_shows(page, reference_output(X7, DIAGONAL_DOWN)[0])  # the "x" picture under the "\" kernel


def shows_pool(page):
    formula = page.locator(".pool-formula .formula-math").text_content()
    assert formula == f"Wo=Wi−FS+1=8−22+1={(8 - 2) // 2 + 1}"
    expected, _ = reference.max_pool2d(input_image("x", 8, 8, 1)[None], (2, 2), (2, 2))  # (1, 1, 4, 4)
    assert_shows(page.evaluate(f"{INSPECT}.outputLabels"), expected[0, 0], what="pooled map")


def shows_activation(page):
    assert_shows(grid_labels(page, "beforeLabel", 6, 6), RANDOM_MAP, what="before")
    assert_shows(grid_labels(page, "afterLabel", 6, 6), np.maximum(RANDOM_MAP, 0), what="after ReLU")


def shows_backprop(page):
    windows = np.lib.stride_tricks.sliding_window_view(CONV_X, (2, 2))  # (2, 2, 2, 2) X under each ∂h
    expected = (windows * CONV_UP).sum(axis=(2, 3))  # (2, 2) ∂L/∂F: each weight's X values times ∂h
    assert_shows(page.evaluate(f"{INSPECT}.labels.dF"), expected, what="∂L/∂F")


def shows_pipeline(page):
    weights = (3 * 3 * 1 + 1) * 3  # three 3×3 filters on one channel, with their biases
    assert page.locator('[data-params="1"]').inner_text() == f"{weights} parameters = (3×3×1 + 1)×3"


def shows_conv1d(page):
    f, g = np.array([5, 1, 2]), np.array([3, 1, 4, 5, 6, 0, 0, 1])  # seed 002's quiz
    expected = np.correlate(g, f, "valid")  # (6,) the kernel slides as written
    assert page.evaluate(f"{INSPECT}.outputLabels") == [fmt_cell(v) for v in expected]


def shows_params(page):
    pixels, hidden, window, filters = 200 * 200 * 1, 40_000, 10 * 10 * 1, 100  # seed 001's example
    shown = {k: page.locator(f'[data-out="{k}-total"]').inner_text() for k in ("fully", "local", "shared")}
    assert shown == {
        "fully": f"{pixels * hidden:,}",
        "local": f"{hidden * window:,}",
        "shared": f"{filters * window:,}",
    }


def shows_architecture(page):
    # LeNet-5: two 5×5 convolutions (6 and 16 filters), then 256 → 120 → 84 → 10, each with biases.
    total = (25 * 1 + 1) * 6 + (25 * 6 + 1) * 16 + (256 + 1) * 120 + (120 + 1) * 84 + (84 + 1) * 10
    assert f"{total:,} parameters" in page.locator("#widget").inner_text()


def shows_norm(page):
    """Local contrast on the 64×64 photo: a 7×7 Gaussian window (σ 1.75), zeros past the border, c = 0.1."""
    x = input_image("photo", 64, 64, 1)[0].astype(np.float64)  # (64, 64)
    r = np.arange(7) - 3
    g = np.outer(np.exp(-(r**2) / (2 * 1.75**2)), np.exp(-(r**2) / (2 * 1.75**2)))  # (7, 7)
    g /= g.sum()

    def window_mean(v):
        return reference.conv2d(v[None, None], g[None, None], padding=(3, 3, 3, 3))[0, 0]  # (64, 64)

    v = x - window_mean(x)  # (64, 64)
    sigma = np.sqrt(window_mean(v**2))  # (64, 64)
    maps = {"input": x, "mean": x - v, "centered": v, "sigma": sigma, "output": v / np.maximum(0.1, sigma)}
    for name, m in maps.items():
        legend = page.locator(f'#widget [data-legend="{name}"]').inner_text()
        assert legend == f"from {fmt(m.min(), 3)} to {fmt(m.max(), 3)}", name
    assert f"{int((sigma < 0.1).sum())} of 4096 cells divide by c" in page.locator("#widget").inner_text()


def shows_augment(page):
    ranges = {"angle": 20, "scale": [0.6, 1], "brightness": 0.3, "contrast": 0.3, "saturation": 0.3, "hue": 0}
    image = np.zeros((3, 8, 8), np.float32)  # (3, 8, 8) the draws depend on the seed only
    _, listed = augment.random_augment(image, ["crop", "hflip", "rotate", "jitter"], 0, 8, **ranges)
    turns = [next(op["angle"] for op in ops if op["op"] == "rotate") for ops in listed]
    assert dict(page.evaluate(f"{INSPECT}.table"))["turn"] == [f"{fmt(a, 1)}°" for a in turns]


def shows_xo_train(page):
    page.wait_for_function("document.querySelector('[data-stat=\"step\"]').textContent === '0'")
    assert_stats_shown(page, trained(DEFAULT_RUN, 0).evaluate())


def shows_xo_draw(page):
    t = trained(DEFAULT_RUN, 0)
    for net in ("hand", "trained"):  # the seed's X, before any training
        assert_probs_shown(page, net, t.maps(NAMED_SAMPLES["seed_x"], net))


def shows_transpose(page):
    """The 2×2 input 1, 2 / 3, 4 under a 3×3 kernel of ones at stride 2: each cell stamps the kernel."""
    size = (2 - 1) * 2 - 2 * 0 + 1 * (3 - 1) + 0 + 1
    assert f"= (2 − 1)×2 − 2×0 + 1×(3 − 1) + 1 = {size}" in page.locator("#widget").inner_text()
    x = torch.tensor([[[[1.0, 2], [3, 4]]]])  # (1, 1, 2, 2)
    expected = torch.nn.functional.conv_transpose2d(x, torch.ones(1, 1, 3, 3), stride=2)[0, 0].numpy()  # (5, 5)
    output = page.evaluate(f"{INSPECT}.output")
    np.testing.assert_array_equal(np.reshape(output["values"], output["shape"]), expected)


def shows_grouped(page):
    """4 channels to 4 in 2 groups, 3×3 at padding 1 on 5×5 maps (seed 1): output channel 1, and the table's
    grouped row for its default real layer (56×56, 256 → 256, 32 groups)."""
    rng = np.random.default_rng(1)  # the feature's draws, in its order: the input, then the weights
    x = torch.tensor(rng.integers(0, 4, (1, 4, 5, 5)), dtype=torch.float32)  # (1, 4, 5, 5)
    w = torch.tensor(rng.integers(-1, 2, (4, 2, 3, 3)), dtype=torch.float32)  # (4, 2, 3, 3)
    y = torch.nn.functional.conv2d(x, w, padding=1, groups=2)[0, 0]  # (5, 5)
    assert_shows(page.evaluate(f"{INSPECT}.focusLabels"), y.numpy(), what="output channel 1")
    weights = torch.nn.Conv2d(256, 256, 3, groups=32, bias=False).weight.numel()
    assert page.locator('[data-weights="grouped"]').inner_text() == f"{weights:,}"
    assert page.locator('[data-madds="grouped"]').inner_text() == f"{56 * 56 * weights:,}"


def shows_im2col(page):
    """The 4×4 input 1…16 under two 3×3 filters of small integers: its columns, weight matrix, product and maps."""
    assert_im2col_shows(page, "ramp", filters=2, k=3)


def shows_softmax(page):
    """Three classes with the logits 2, 1 and 0.1, the first true: softmax's probabilities and the loss."""
    z = np.array([2.0, 1.0, 0.1])  # (3,)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()  # (3,)
    shown = page.locator('.sm-table td[data-col="probs"]').all_inner_texts()
    assert_shows(shown, p, style=fmt, decimals=3, what="p")
    assert page.locator('[data-note="loss"]').inner_text().endswith(f"= {fmt(-np.log(p[0]), 3)}")


def shows_residual(page):
    """Lesson 18's block: seed 3's 5 × 5 example of small integers with an identity shortcut, every forward map."""
    x, w1, w2, _ = example(3, 1, 1, 5, False)
    assert_maps_show(page, torch_block(x, w1, w2, None, 1, "ones"), FORWARD)


def shows_receptive(page):
    """Three 3×3 layers on 16×16: the centre unit of the last map, its 7×7 patch and the paths to each cell."""
    grad = np.ones((1, 1))
    for _ in range(3):
        grad = np.convolve(grad.ravel(), np.ones(3))  # one axis's counts, a layer at a time: 1, 3, 6, 7, 6, 3, 1
    expected = np.zeros((16, 16))
    expected[4:11, 4:11] = np.outer(grad, grad)  # unit (4, 4) of the 10×10 map sees input rows and columns 4–10
    np.testing.assert_array_equal(page.evaluate(f"{INSPECT}.paths(0)"), expected)
    assert page.locator('[data-formula="growth"]').inner_text() == "r₃ = 1 + 2 + 2 + 2 = 7"


def shows_digits_train(page):
    """Before any batch: the 1,000 test digits as the untrained LeNet-5 of the default run reads them."""
    expected = digits.Trainer(digits.DigitsConfig()).evaluate().confusion  # (10, 10)
    shown = page.eval_on_selector_all(".digits-cell", "cells => cells.map(c => Number(c.textContent))")
    assert shown == expected.ravel().tolist()


def shows_digits_draw(page):
    """An empty pad, read by the untrained LeNet-5 of the default run: each digit's probability."""
    probs = digits.Trainer(digits.DigitsConfig()).maps(np.zeros((28, 28), np.float32))["probs"]  # (10,)
    # The pad's verdict is its own request, answered after the first snapshot that marks the widget ready.
    page.wait_for_function(
        "(() => { const v = [...document.querySelectorAll('.digits-draw-probs .digits-bar-value')];"
        " return v.length === 10 && v.every(e => e.textContent.trim()); })()"
    )
    shown = page.locator(".digits-draw-probs .digits-bar-value").all_inner_texts()
    assert shown == [f"{fmt(100 * p, 1)}%" for p in probs]


SHOWS = {
    "playground": shows_playground,
    "pool": shows_pool,
    "activation": shows_activation,
    "backprop": shows_backprop,
    "pipeline": shows_pipeline,
    "conv1d": shows_conv1d,
    "params": shows_params,
    "architecture": shows_architecture,
    "norm": shows_norm,
    "augment": shows_augment,
    "xo-train": shows_xo_train,
    "xo-draw": shows_xo_draw,
    "transpose": shows_transpose,
    "receptive": shows_receptive,
    "grouped": shows_grouped,
    "softmax": shows_softmax,
    "im2col": shows_im2col,
    "digits": lambda page: (shows_digits_train(page), shows_digits_draw(page)),  # both parts show alone
    "residual": shows_residual,
}


def test_every_widget_type_has_its_numbers_checked():
    assert sorted(SHOWS) == sorted(MODULE_TYPES)


@pytest.mark.parametrize("type", MODULE_TYPES)
def test_each_widget_mounts_alone_and_draws_the_engines_answer(page, server_url, type):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}widget/{type}")
    page.wait_for_function("document.querySelector('#widget').dataset.ready", timeout=60_000)
    assert page.evaluate("window.convscopeWidget.type") == type
    # Ready means the first engine answer is drawn: the numbers of the default setup are on screen.
    SHOWS[type](page)
    screenshot(page, f"widget-{type}")


def test_an_unknown_widget_type_lists_the_real_ones(server_url):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server_url}widget/no-such-widget", timeout=10)
    assert caught.value.code == 404
    text = caught.value.read().decode()
    assert all(t in text for t in MODULE_TYPES)
