"""The softmax widget (static/js/widgets/softmax/) through a real server: the table of steps, the
probability bars and the loss it shows equal a float64 reference computed here from the logits;
the keyboard moves a focused bar by 0.1 (Shift: 1) and ←/→ move between bars; a drag sets a logit;
the name buttons choose the true class; the temperature slider adds the z/T column; a typed logit
out of range is refused with its field's range; huge logits stay finite; ten classes fit a phone;
screenshots at 1024×768, in presenter mode, in the dark theme and at 390×844."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ..conftest import screenshot
from ..helpers import MINUS, assert_shows, fmt, fmt_cell, number, open_widget, set_slider
from ..pages.test_every_screen import PROBLEMS
from ..pages.test_touch import box_of, stroke

INSPECT = "window.convscopeWidget.widget.inspect()"
THREE = [2.0, 1.0, 0.1]  # the default example, "cat" true


def reference(z, y, t=1.0):
    """(shifted, exps, total, probs, loss, grad) in float64, the textbook way."""
    s = np.asarray(z, np.float64) / t  # (C,)
    shifted = s - s.max()  # (C,)
    exps = np.exp(shifted)  # (C,)
    total = exps.sum()
    probs = exps / total  # (C,)
    loss = math.log(total) - shifted[y]  # ln Σ e^(z − max) − (z_y − max)
    grad = (probs - np.eye(len(s))[y]) / t  # (C,)
    return shifted, exps, total, probs, loss, grad


def column(page, key: str) -> list[str]:
    return page.locator(f'.sm-table tbody td[data-col="{key}"]').all_inner_texts()


def grad_texts(page) -> list[str]:
    """The gradient cells without their arrows, signs as fmt writes them (no "+")."""
    return [t.replace("▲", "").replace("▼", "").strip().lstrip("+") for t in column(page, "grad")]


def wait_logits(page, logits):
    """Until the engine's answer for these logits is the one drawn."""
    page.wait_for_function(
        f"(() => {{ const z = {INSPECT}.logits; const want = {list(logits)};"
        " return z && z.length === want.length && z.every((v, i) => Math.abs(v - want[i]) < 1e-4); })()"
    )


def assert_table(page, z, y, t=1.0):
    shifted, exps, total, probs, loss, grad = reference(z, y, t)
    assert_shows(column(page, "logits"), z, style=fmt, decimals=3, what="z")
    assert_shows(column(page, "shifted"), shifted, style=fmt, decimals=3, what="z − max")
    assert_shows(column(page, "exps"), exps, style=fmt, decimals=3, what="e^(z − max)")
    assert_shows(column(page, "probs"), probs, style=fmt, decimals=3, what="p")
    assert_shows(grad_texts(page), grad, style=fmt, decimals=3, what="∂L/∂z")
    assert page.locator('td[data-sum="exps"]').inner_text() == fmt(total, 3)
    bars = page.locator(".sm-prob-value").all_inner_texts()
    assert_shows(bars, probs, style=fmt_cell, decimals=2, what="probability bars")
    loss_line = page.locator('[data-note="loss"]').inner_text()
    assert loss_line.endswith(f"= {fmt(loss, 3)}"), loss_line
    arrows = [t[-1] if t[-1] in "▲▼" else "" for t in column(page, "grad")]
    assert arrows == ["▲" if g < 0 else "▼" if g > 0 else "" for g in grad]


def test_the_default_example_shows_every_step_as_the_reference(page, server_url):
    open_widget(page, server_url, "softmax")
    assert_table(page, THREE, 0)
    assert page.locator('[data-note="uniform"]').inner_text().endswith(f"ln 3 = {fmt(math.log(3), 3)}")
    assert page.locator('[data-note="guess"]').inner_text().startswith("Predicted: cat")
    spoken = page.locator("[data-spoken]").inner_text()
    assert spoken.startswith("cat: logit 2, probability 0.659 (true class)")


def test_the_keyboard_moves_a_focused_bar_and_walks_between_bars(page, server_url):
    open_widget(page, server_url, "softmax")
    page.keyboard.press("Tab")  # the page notices keyboard navigation: the focus ring shows
    page.locator('[data-logit="0"]').focus()
    page.keyboard.press("ArrowUp")
    wait_logits(page, [2.1, 1.0, 0.1])
    page.keyboard.press("Shift+ArrowUp")
    wait_logits(page, [3.1, 1.0, 0.1])
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.logit") == "1"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    wait_logits(page, [3.1, 0.8, 0.1])
    assert_table(page, [3.1, 0.8, 0.1], 0)
    assert page.locator('[data-logit="1"]').get_attribute("aria-valuenow") == "0.8"
    assert page.locator(".sm-edit-name").inner_text() == "dog"  # the field edits the bar touched last
    page.wait_for_function("location.search.includes('smz=')")  # the URL holds the edited logits
    page.keyboard.press("Home")  # back to 0
    wait_logits(page, [3.1, 0.0, 0.1])
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("?")  # the page's key help lists the bars' keys
    assert "Raise or lower the focused logit by 0.1" in page.locator("body").inner_text()


def test_pointing_at_or_focusing_a_column_lights_its_row_of_the_table(page, server_url):
    open_widget(page, server_url, "softmax")
    lit = "[...document.querySelectorAll('.sm-table tbody tr.sm-mark')].map(r => Number(r.dataset.row))"
    page.locator('[data-class="2"] .sm-prob-track').hover()
    assert page.evaluate(lit) == [2]
    assert page.locator('[data-class="2"]').get_attribute("class").split().count("sm-mark") == 1
    page.mouse.move(5, 5)  # away from the chart: nothing is lit
    assert page.evaluate(lit) == []
    page.locator('[data-logit="1"]').focus()
    assert page.evaluate(lit) == [1]
    page.keyboard.press("ArrowUp")  # the row stays lit once the engine's new answer is drawn
    wait_logits(page, [2.0, 1.1, 0.1])
    assert page.evaluate(lit) == [1]


def test_a_drag_sets_a_logit_and_the_table_follows(page, server_url):
    open_widget(page, server_url, "softmax")
    track = page.locator('[data-track="2"]').bounding_box()
    x = track["x"] + track["width"] / 2
    page.mouse.move(x, track["y"] + track["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, track["y"] + track["height"] * 0.05, steps=4)  # near the top of the axis (±3)
    page.mouse.up()
    page.wait_for_function(f"{INSPECT}.logits && {INSPECT}.logits[2] > 2")
    z = page.evaluate(f"{INSPECT}.state.smLogits")
    assert z[:2] == [2, 1] and 2.5 <= z[2] <= 3  # 0.9 of the way up an axis of 3, in steps of 0.1
    assert round(z[2], 1) == pytest.approx(z[2], abs=1e-6)
    wait_logits(page, z)
    assert_table(page, z, 0)
    assert page.locator('[data-note="guess"]').inner_text().startswith("Predicted: fox")


def test_a_name_button_makes_the_true_class_and_the_loss_follows(page, server_url):
    open_widget(page, server_url, "softmax")
    page.get_by_role("button", name="dog: make it the true class").click()
    page.wait_for_function(f"{INSPECT}.label === 1")
    assert_table(page, THREE, 1)
    assert page.locator('[data-label="1"]').get_attribute("aria-pressed") == "true"
    assert "but the true class is dog" in page.locator('[data-note="guess"]').inner_text()


def test_the_temperature_slider_adds_the_scaled_column(page, server_url):
    open_widget(page, server_url, "softmax")
    set_slider(page, '[data-control="temp"] input', round(100 * math.log(2) / math.log(20)))  # T = 2
    page.wait_for_function(f"{INSPECT}.meta && {INSPECT}.meta.temperature === 2")
    assert page.locator('[data-control="temp"] .control-value').inner_text() == "2"
    assert_shows(column(page, "scaled"), np.array(THREE) / 2, style=fmt, decimals=3, what="z/T")
    assert_table(page, THREE, 0, t=2.0)


def test_a_typed_logit_out_of_range_is_refused_with_the_range(page, server_url):
    open_widget(page, server_url, "softmax")
    field = page.locator(".sm-edit-input")
    field.fill(f"{MINUS}2.5")
    field.press("Enter")
    wait_logits(page, [-2.5, 1.0, 0.1])  # the field edits the first bar until another is touched
    field.fill("5000")
    field.press("Enter")
    alert = page.locator('[data-alert="general"]')
    page.wait_for_function("document.querySelector('[data-alert=general]').textContent.includes('1000')")
    assert "logits" in alert.inner_text() and "5000" in alert.inner_text()


def test_huge_logits_stay_finite(page, server_url):
    open_widget(page, server_url, "softmax", "?smz=1000,-1000,0&smy=1")
    wait_logits(page, [1000, -1000, 0])
    text = page.locator("#widget").inner_text()
    assert "NaN" not in text and "Infinity" not in text
    assert page.locator('[data-note="loss"]').inner_text().endswith(f"= {fmt(2000, 3)}")
    assert page.locator('[data-note="lse"]').inner_text().endswith(f"= {fmt(2000, 3)}")
    assert number(column(page, "shifted")[1]) == -2000


@pytest.mark.parametrize("preset, y", [("untrained", 3), ("confident", 3)])
def test_ten_digits_fit_a_phone(browser, server_url, preset, y):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    open_widget(page, server_url, "softmax", f"?smp={preset}")
    assert page.locator(".sm-col").count() == 10
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(PROBLEMS, 390) == []
    if preset == "untrained":  # every class ties: ln 10, and no class is called the prediction
        assert page.locator('[data-note="loss"]').inner_text().endswith(f"= {fmt(math.log(10), 3)}")
        assert (
            page.locator('[data-note="guess"]').inner_text()
            == f"No prediction: all 10 classes tie at p = {fmt(0.1, 3)}"
        )
        assert page.locator(".predicted").count() == 0
    z = page.evaluate(f"{INSPECT}.logits")
    assert_table(page, z, y)
    screenshot(page, f"softmax-{preset}-390")
    context.close()


@pytest.mark.parametrize(
    "name, query, size",
    [
        ("1024", "", (1024, 768)),
        ("present", "?present=1", (1024, 768)),
        ("dark", "?theme=dark&smp=wrong", (1024, 768)),
        ("phone", "?smp=xo", (390, 844)),
    ],
)
def test_screens(browser, server_url, name, query, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, is_mobile=size[0] < 600)
    page = context.new_page()
    open_widget(page, server_url, "softmax", query)
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    assert page.evaluate(PROBLEMS, size[0]) == []
    assert page.locator(".sm-chart").is_visible() and page.locator(".sm-table").is_visible()
    screenshot(page, f"softmax-{name}")
    context.close()


def test_the_lesson_mounts_the_widget_and_its_reveal_reads_the_engine(page, server_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}lessons/softmax-and-cross-entropy")
    page.wait_for_function("document.querySelector('#widget-scores').dataset.ready", timeout=60_000)
    got = page.evaluate("window.convscopeLesson.widgets.get('scores').inspect()")
    assert got["probs"] == pytest.approx(reference(THREE, 0)[3].tolist(), rel=1e-5)
    q = page.locator('section.question[data-question="cold-x-vs-o"]')
    q.locator("input.question-input").fill("0.5")  # a wrong prediction: the page says so, with the value read
    q.get_by_role("button", name="Reveal").click()
    page.wait_for_function(
        "/right|wrong/.test(document.querySelector(\"[data-question='cold-x-vs-o'] .question-feedback\").className)"
    )
    p_x = reference([1.5, -0.5], 0, t=0.5)[3][0]
    feedback = q.locator(".question-feedback").inner_text()
    assert feedback.startswith("Not quite.") and "0.5" in feedback
    got = page.evaluate("window.convscopeLesson.widgets.get('scores').inspect()")
    assert got["state"]["smPreset"] == "xo" and got["probs"][0] == pytest.approx(p_x, rel=1e-5)
    assert page.locator("#widget-scores .sm-col").count() == 2


def test_a_finger_drags_a_bar_on_a_phone(browser, server_url):
    """The browser's own touch events (as in pages/test_touch.py): a finger moves a logit down, not the page."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    open_widget(page, server_url, "softmax", "?smp=confident")
    box = box_of(page, '[data-track="8"]')
    x, middle = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    scroll = page.evaluate("scrollY")
    stroke(page, [(x, middle), (x, box["y"] + box["height"] * 0.95)], substeps=6)  # near the bottom: about −7
    page.wait_for_function(f"{INSPECT}.logits && {INSPECT}.logits[8] < -5")
    z = page.evaluate(f"{INSPECT}.state.smLogits")
    assert -7.5 <= z[8] <= -6 and page.evaluate("scrollY") == scroll  # 0.9 down an axis of ±8 (class 3's 7.5, up)
    wait_logits(page, z)
    assert_table(page, z, 3)
    context.close()
