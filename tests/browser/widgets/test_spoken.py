"""The playground for a screen reader: its canvases are pictures with a name and a size, the kernel's
fields a group with its size, and a polite live region says each step's window, its products and the
sum, in numbers the test works out itself with numpy for a setup it chooses."""

from __future__ import annotations

import re

import numpy as np

from ..helpers import number
from .playground_helpers import floats_b64, open_playground

REGION = ".stage .spoken-step"

# A setup of the test's own: a 5×5 input, a 3×3 kernel, bias 0.5, stride 2, padding 1 (zeros).
X = np.array(
    [[1, -2, 0, 3, 1], [0, 1, 2, -1, 0], [2, 0, -3, 1, 1], [1, 1, 0, 0, -2], [0, 2, 1, -1, 3]], np.float32
)  # (5, 5)
W = np.array([[0.5, -1, 0], [2, 1, -0.5], [0, 1.5, -2]], np.float32)  # (3, 3)
BIAS = 0.5
STRIDE, PAD = 2, 1
QUERY = (
    f"?in=custom&h=5&w=5&x={floats_b64(X.ravel())}&kp=custom&k=3&kv={floats_b64(W.ravel())}&b={BIAS}&s={STRIDE}&p={PAD}"
)


def expected(step: int) -> dict:
    """Window, products and sum of output cell `step` (row-major), by numpy from the setup above."""
    padded = np.pad(X, PAD)  # (7, 7)
    out = (padded.shape[0] - 3) // STRIDE + 1
    r, c = divmod(step, out)
    window = padded[r * STRIDE : r * STRIDE + 3, c * STRIDE : c * STRIDE + 3]  # (3, 3)
    products = W * window  # (3, 3)
    return {
        "out": out,
        "cell": (r + 1, c + 1),
        "rows": (r * STRIDE + 1, r * STRIDE + 3),
        "cols": (c * STRIDE + 1, c * STRIDE + 3),
        "terms": list(zip(W.ravel(), window.ravel(), products.ravel(), strict=True)),
        "sum": float(products.sum() + BIAS),
    }


NUM = r"[−\-]?\d+(?:\.\d+)?"


def heard(page) -> str:
    return page.locator(REGION).text_content()


def check_said(text: str, step: int):
    e = expected(step)
    total = e["out"] ** 2
    assert f"Step {step + 1} of {total}, filter 1: output row {e['cell'][0]}, column {e['cell'][1]}." in text, text
    assert f"rows {e['rows'][0]} to {e['rows'][1]}, columns {e['cols'][0]} to {e['cols'][1]} of the padded" in text
    terms = re.findall(rf"({NUM}) × ({NUM}) = ({NUM})", text)
    said = np.array([[number(t) for t in term] for term in terms])  # (9, 3) weight, input, product
    np.testing.assert_allclose(said, np.array(e["terms"]), atol=5e-4)
    total_said = re.search(rf"= ({NUM})\.$", text)
    assert total_said and abs(number(total_said.group(1)) - e["sum"]) < 5e-4, text
    assert "bias 0.5" in text


def test_each_step_is_said_with_its_window_products_and_sum(page, server_url):
    open_playground(page, server_url, QUERY + "&t=4")
    region = page.locator(REGION)
    assert region.get_attribute("aria-live") == "polite"
    assert page.eval_on_selector(REGION, "el => el.getBoundingClientRect().width") <= 1  # heard, not seen
    page.wait_for_function("s => document.querySelector(s).textContent.startsWith('Step 5 ')", arg=REGION)
    check_said(heard(page), 4)

    # A step on: the region says the next cell (the live region announces the change).
    page.focus(".stage")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("s => document.querySelector(s).textContent.startsWith('Step 6 ')", arg=REGION)
    check_said(heard(page), 5)
    page.keyboard.press("Home")
    page.wait_for_function("s => document.querySelector(s).textContent.startsWith('Step 1 ')", arg=REGION)
    check_said(heard(page), 0)  # the corner: its window takes in the zero padding


def test_the_canvases_and_the_kernel_name_their_size(page, server_url):
    open_playground(page, server_url, QUERY + "&t=0")
    label = page.eval_on_selector(".input-view canvas", "c => [c.getAttribute('role'), c.getAttribute('aria-label')]")
    assert label == ["img", "Input channel 1: 5 by 5, padded to 7 by 7"]
    label = page.eval_on_selector(".output-canvas", "c => [c.getAttribute('role'), c.getAttribute('aria-label')]")
    out = expected(0)["out"]
    assert label == ["img", f"Output of filter 1: {out} by {out}"]
    assert page.get_attribute(".kernel-channel", "aria-label") == "Kernel of filter 1: 3 by 3 weights"


def test_no_step_on_stage_says_nothing(page, server_url):
    open_playground(page, server_url, QUERY + "&t=2")
    page.wait_for_function("s => document.querySelector(s).textContent.startsWith('Step 3 ')", arg=REGION)
    page.evaluate("window.convscope.store.set({step: -1})")
    page.wait_for_function("s => document.querySelector(s).textContent === ''", arg=REGION)
