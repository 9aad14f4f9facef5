"""Shared steps for the playground's browser tests: open a setup, read what the page shows."""

from __future__ import annotations

import base64

import numpy as np

from engine import conv2d, trace

from ..helpers import number

# The playground's own data (its inspect()) on the /playground page; elsewhere, pass the widget's inspect().
PAGE = "window.convscope"

# Read the page's own data back (the tests compute expectations with the engine from it).
READ_DATA = """(root) => {
  const playground = Function(`return ${root}`)();
  const d = playground.data;
  const s = playground.state;
  return {
    input: {c: d.input.channels, h: d.input.height, w: d.input.width, values: Array.from(d.input.values)},
    kernel: {f: d.kernel.filters, c: d.kernel.channels, kh: d.kernel.height, kw: d.kernel.width,
        values: Array.from(d.kernel.values)},
    bias: Array.from(d.bias),
    stride: s.stride, padding: s.padding, dilation: s.dilation, flip: s.flip, padMode: s.padMode, filter: s.filter,
  };
}"""


def open_playground(page, server_url: str, query: str = "", reduced_motion: bool = True):
    """Load /playground with a query string; wait for the first answer (result or error)."""
    if reduced_motion:
        page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}playground{query}")
    page.wait_for_function("window.convscope !== undefined")
    page.evaluate("window.convscope.ready")


def output_cells(page) -> list[list[float]]:
    """The output map of the shown filter, from the page's table of numbers."""
    rows = page.eval_on_selector_all(
        "#output-table tbody tr", "rows => rows.map(r => Array.from(r.cells, c => c.textContent))"
    )
    return [[number(t) for t in row] for row in rows]


def page_arrays(page, root: str = PAGE):
    """(x (1, C, H, W), w (F, C, KH, KW), b (F,), settings) as the page holds them."""
    d = page.evaluate(READ_DATA, root)
    i, k = d["input"], d["kernel"]
    x = np.array(i["values"], np.float32).reshape(1, i["c"], i["h"], i["w"])  # (1, C, H, W)
    w = np.array(k["values"], np.float32).reshape(k["f"], k["c"], k["kh"], k["kw"])  # (F, C, KH, KW)
    b = np.array(d["bias"], np.float32)  # (F,)
    settings = dict(
        stride=d["stride"], padding=d["padding"], dilation=d["dilation"], pad_mode=d["padMode"], flip=d["flip"]
    )
    return x, w, b, settings, d["filter"]


def engine_output(page, root: str = PAGE) -> np.ndarray:
    """What the engine computes for the page's data: the shown filter's map (OH, OW)."""
    x, w, b, settings, f = page_arrays(page, root)
    return conv2d(x, w, b, **settings)[0, f]  # (OH, OW)


def engine_trace(page):
    x, w, b, settings, _ = page_arrays(page)
    return trace.conv2d_trace(x, w, b, **settings)


def assert_output_is_engines(page, tol: float = 0.006, root: str = PAGE):
    """The numbers on screen equal the engine's, as the page rounds them (2 decimals)."""
    expected = engine_output(page, root)
    shown = np.array(output_cells(page))
    assert shown.shape == expected.shape, (shown.shape, expected.shape)
    np.testing.assert_allclose(shown, expected, atol=tol * max(1.0, float(np.abs(expected).max())))


def floats_b64(values) -> str:
    """The URL encoding of edited arrays: base64url of little-endian float32, no padding."""
    raw = np.asarray(values, "<f4").tobytes()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def wait_shape(page, text: str):
    page.wait_for_function("t => document.querySelector('#output-shape').textContent === t", arg=text)


def step_label(page) -> str:
    return page.locator("#step-label").inner_text()


def url_has(page, *parts: str):
    """Wait until the page's link holds every part (the page writes it once a change settles)."""
    page.wait_for_function("parts => parts.every(p => location.search.includes(p))", arg=list(parts))
