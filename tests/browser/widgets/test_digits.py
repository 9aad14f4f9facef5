"""The /digits page in real Chromium: LeNet-5 trains, a confusion cell opens its digits, a drawn
digit is classified with its maps and a unit's receptive field, the URL holds the setup, and a
reload brings the run back at its step. Expected numbers come from the engine run here."""

from __future__ import annotations

import numpy as np

from engine import digits
from engine.digits_data import load

from ..conftest import screenshot

DG = "window.convscopeDigits"
TRAIN = f"{DG}.train.inspect()"
DRAW = f"{DG}.draw.inspect()"
WAIT = 120_000  # ms: the first run may wait for the engine to compile


def open_digits(page, server_url: str, query: str = "", size=(1280, 800)):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}digits{query}")
    page.wait_for_function(
        f"{DG} && {DG}.meta !== null && document.querySelector('[data-part=train]').dataset.ready", timeout=WAIT
    )


def meta(page) -> dict:
    return page.evaluate(f"{DG}.meta")


def test_it_trains_and_a_confusion_cell_opens_its_digits(page, server_url):
    open_digits(page, server_url, "?seed=3&bs=32")
    assert page.evaluate(f"{DG}.run.ready.meta.config") == digits.config_dict(digits.DigitsConfig(seed=3, batch=32))
    page.click(".digits-play")
    page.wait_for_function(f"{DG}.meta.step >= 150", timeout=WAIT)
    page.click(".digits-play")
    page.wait_for_function(f"!{DG}.meta.playing", timeout=WAIT)
    step = meta(page)["step"]
    page.click('[data-cmd="step"]')
    page.wait_for_function(f"{DG}.meta.step === {step + 1}", timeout=WAIT)
    m = meta(page)
    assert m["test_acc"] > 0.8  # 150 batches of 32 already read most digits
    # The matrix on screen is the engine's for this very run at its last recorded step.
    t = digits.Trainer(digits.make_config({"seed": 3, "batch": 32}))
    t.train(m["recorded_step"])
    expected = t.evaluate()
    shown = page.eval_on_selector_all(".digits-cell", "cells => cells.map((c) => Number(c.textContent))")
    assert shown == expected.confusion.ravel().tolist()
    wrong = np.argwhere((expected.confusion > 0) & ~np.eye(10, dtype=bool))[0]
    page.click(f'.digits-cell[data-true="{wrong[0]}"][data-pred="{wrong[1]}"]')
    page.wait_for_function(f"{TRAIN}.gallery.length > 0")
    gallery = page.evaluate(f"{TRAIN}.gallery")
    truth = load().test_y
    want = [i for i in range(1000) if truth[i] == wrong[0] and expected.test_pred[i] == wrong[1]]
    assert gallery == want[:60]
    page.click(f'.digits-thumb[data-index="{want[0]}"]')
    page.wait_for_function(f"{DG}.meta.sample === {want[0]}", timeout=WAIT)
    page.evaluate(f"{DG}.store.flush()")
    assert page.evaluate("new URLSearchParams(location.search).get('ex')") == str(want[0])  # the URL holds it
    screenshot(page, "digits-trained")


def test_a_drawn_digit_is_classified_and_a_unit_shows_its_receptive_field(page, server_url):
    open_digits(page, server_url, "?seed=1")
    page.click('[data-cmd="step"]')
    page.wait_for_function(f"{DG}.meta.step === 1", timeout=WAIT)
    pad = page.locator(".digits-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    # A "1": one vertical stroke down the middle.
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * (0.2 + 0.06 * k))
    page.mouse.up()
    page.wait_for_function(f"{DRAW}.classified > 0 && {DRAW}.ink > 20", timeout=WAIT)
    page.wait_for_timeout(500)
    drawn = page.evaluate(f"{DRAW}")
    assert drawn["label"] is not None and abs(sum(drawn["probs"]) - 1) < 1e-4
    # Pointing at a pool2 unit rings the 16×16 window it sees (the engine's table).
    unit = page.locator('[data-part=draw] [data-map="pool2-0"]')
    cell = unit.bounding_box()
    unit.hover(position={"x": cell["width"] * 0.6, "y": cell["height"] * 0.1})
    page.wait_for_function(f"{DRAW}.field !== null")
    assert page.evaluate(f"{DRAW}.field") == {"r": 0, "c": 8, "h": 16, "w": 16}
    page.check('[data-action="saliency"]')
    screenshot(page, "digits-drawn")


def test_a_reload_brings_the_run_back_at_its_step(page, server_url):
    open_digits(page, server_url, "?seed=6&bs=16")
    for _ in range(3):
        page.click('[data-cmd="step"]')
    page.wait_for_function(f"{DG}.meta.step === 3", timeout=WAIT)
    filters = page.evaluate(f"Array.from({DG}.run.latest.arrays.filters.data)")
    page.reload()
    page.wait_for_function(f"{DG} && {DG}.meta && {DG}.meta.step === 3", timeout=WAIT)
    again = page.evaluate(f"Array.from({DG}.run.latest.arrays.filters.data)")
    assert again == filters


def test_phone_and_projector_widths_have_no_sideways_scroll(page, server_url):
    for size in ((390, 844), (1024, 768)):
        open_digits(page, server_url, "", size)
        page.wait_for_timeout(300)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0], size
        screenshot(page, f"digits-{size[0]}x{size[1]}")
