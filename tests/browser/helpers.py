"""Steps the browser tests share: open a widget or a page and wait for the engine's first answer,
move a slider as a hand would, read a number as the page writes it, and write an expected number
the way the page would (static/js/lib/format.js, re-done here so the page's rounding is checked)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from .conftest import screenshot

MINUS = "\u2212"


def number(text: str) -> float:
    """A number as the page writes it (real minus sign)."""
    return float(text.replace(MINUS, "-"))


def _fixed(v: float, decimals: int) -> str:
    """String(Number(v.toFixed(decimals))) in JavaScript: rounded half away from zero on the exact
    binary value, trailing zeros dropped, never "-0"."""
    q = Decimal(abs(v)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format(q.normalize(), "f") if q else "0"
    return "-" + text if v < 0 and q else text


def _exponential(v: float) -> str:
    """v.toExponential(1) in JavaScript: one decimal, an exponent without leading zeros ("1.2e+5")."""
    d = Decimal(abs(v))
    exponent = d.adjusted()
    mantissa = d.scaleb(-exponent).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if mantissa >= 10:
        exponent, mantissa = exponent + 1, (mantissa / 10).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{'-' if v < 0 else ''}{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def _places(a: float, decimals: int) -> int:
    return 0 if a >= 1000 else 1 if a >= 100 else decimals


def fmt(v: float, decimals: int = 2) -> str:
    """format.js fmt(): short text, a tiny or huge value in exponent form, a real minus sign."""
    v = float(v)
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("-" if v < 0 else "") + "Infinity"
    a = abs(v)
    if a != 0 and (a >= 1e5 or a < 10**-decimals / 2):
        return _exponential(v).replace("-", MINUS)
    return _fixed(v, _places(a, decimals)).replace("-", MINUS)


def fmt_cell(v: float, decimals: int = 2) -> str:
    """format.js fmtCell(): a grid cell's number, fixed decimals (fewer from 100 up), tiny values as 0."""
    v = float(v)
    if not math.isfinite(v) or abs(v) >= 1e5:
        return fmt(v, decimals)
    return _fixed(v, _places(abs(v), decimals)).replace("-", MINUS)


def assert_shows(shown, expected, style=fmt_cell, decimals: int | str = 2, what: str = "cells"):
    """Every shown text equals its expected value written as the page writes it (``style``, ``decimals``).

    ``expected`` comes from a reference in float64 while the engine computes in float32, so a value
    within a hair (1e-5 of the map's scale) of a rounding boundary may show as either neighbour;
    a cell off by one rounding step anywhere else fails, whatever its neighbours' size.

    ``decimals="fit"``: a canvas grid whose labels at 2 decimals are too wide for its cells shows them
    all at 1 (lib/grid.js); the grid then passes at 1 decimal if none of its labels has 2. Use it only
    where a grid does fall back: at 1 decimal an error under 0.05 cannot show.
    """
    if decimals == "fit":
        two = any(len(str(t).partition(".")[2]) == 2 for t in np.ravel(np.asarray(shown, dtype=object)))
        decimals = 2 if two else 1
    expected = np.asarray(expected, np.float64)
    shown = np.asarray(shown, dtype=object)
    assert shown.shape == expected.shape, f"{what}: shape {shown.shape} != {expected.shape}"
    hair = 1e-5 * max(1.0, float(np.abs(expected).max(initial=0)))
    wrong = []
    for index, value in np.ndenumerate(expected):
        allowed = {style(value, decimals), style(value - hair, decimals), style(value + hair, decimals)}
        if shown[index] not in allowed:
            wrong.append(f"{index}: shown {shown[index]!r}, expected {style(value, decimals)!r} ({value:.6g})")
    assert not wrong, f"{what} at {decimals} decimals: {len(wrong)} of {expected.size} wrong: " + "; ".join(wrong[:8])


def open_widget(page, server_url: str, type_: str, query: str = ""):
    """/widget/<type> with a query string, once its first answer is drawn."""
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}widget/{type_}{query}")
    page.wait_for_function("document.querySelector('#widget').dataset.ready === 'true'")


def open_layers(page, server_url: str, query: str = ""):
    """/layers with a query string, once pooling and the activation have drawn their answers."""
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}layers{query}")
    page.wait_for_function(
        "document.querySelector('#pool-widget').dataset.ready && "
        "document.querySelector('#activation-widget').dataset.ready"
    )


def set_slider(page, selector: str, value: float):
    """Move a range input as a drag would: its value, then an input event."""
    page.eval_on_selector(
        selector, "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value
    )


def shape_text(page) -> str:
    return page.locator('[data-shape="output"]').inner_text()


def wait_output_shape(page, text: str):
    page.wait_for_function("t => document.querySelector('[data-shape=\"output\"]').textContent === t", arg=text)


def shots(page, name: str):
    """The widget at a laptop's 1280×800 and a projector's 1920×1080."""
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(100)  # one frame for the layout to settle (not an assertion)
    screenshot(page, f"{name}-1920")
    page.set_viewport_size({"width": 1280, "height": 800})


def store_state(page, handle: str) -> dict:
    """A widget's state from its store (``handle`` is the page's global), typed arrays as plain lists."""
    return page.evaluate(
        f"(() => {{ const s = {handle}.store.get(); "
        "return JSON.parse(JSON.stringify(s, (k, v) => ArrayBuffer.isView(v) ? Array.from(v) : v)); })()"
    )
