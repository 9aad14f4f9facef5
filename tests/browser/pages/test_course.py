"""The real course in Chromium, as a learner meets it: whole answers graded exactly (digit groups
accepted), real ones within their tolerance; choices shown in an order of the learner's own, kept
across a reload, with the right answer at every position about equally often across the course.

Answers are the engine's (read here from the lesson files through app.lessons); a learner's seed is
set before the page's scripts run, so every order checked here is reproducible.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from app.lessons.course import check_course
from engine import conv_transpose2d

from ..conftest import screenshot
from .test_every_screen import PROBLEMS

ROOT = Path(__file__).resolve().parents[3]
COURSE = check_course(ROOT / "lessons")
SEED_KEY = "convscope.learner.v1"
WIDGET_WAIT_MS = 60_000  # a cold engine compiles its kernels on the first request


def lesson(slug: str):
    found = COURSE.find(slug)
    assert found is not None, f"no lesson {slug}"
    return found


def question_data(slug: str, qid: str) -> dict:
    return next(q for q in lesson(slug).questions if q["id"] == qid)


def with_seed(page, seed: int):
    """The learner's seed, in place before any script of any page this test opens."""
    page.add_init_script(f"localStorage.setItem('{SEED_KEY}', '{seed}')")


def answer(page, qid: str, typed: str) -> str:
    q = page.locator(f'section.question[data-question="{qid}"]')
    q.locator("input.question-input").fill(typed)
    q.locator("input.question-input").press("Enter")
    return q.locator(".question-feedback").inner_text()


def shown_order(page, qid: str) -> list[int]:
    """The choices' own indices, in the order the page shows them."""
    radios = page.locator(f'section.question[data-question="{qid}"] input[type=radio]')
    return [int(v) for v in radios.evaluate_all("rs => rs.map(r => r.value)")]


def test_whole_answers_are_graded_exactly_and_digit_groups_are_read(page, server_url):
    page.goto(f"{server_url}lessons/images-as-vectors")
    qid = "linear-classifier-weights"
    right = question_data("images-as-vectors", qid)["answer"]
    assert isinstance(right, int) and right > 10**6
    for typed in (str(right), f"{right:,}", f"{right:,}".replace(",", " "), f"{right:,}".replace(",", "\u202f")):
        assert answer(page, qid, typed).startswith("Right."), typed
    # Off by 64 in ten million: a relative margin would have let these through.
    for typed in (str(right + 64), f"{right - 64:,}", f"{right + 1:,}"):
        assert answer(page, qid, typed).startswith("Not quite."), typed
    # Digit groups must be groups of three, with one separator throughout.
    assert "is not a number" in answer(page, qid, f"{right:,}".replace(",", ", "))


def test_real_answers_are_graded_within_their_tolerance(page, server_url):
    slug, qid = "activations-and-normalization", "detector-fires"
    q = question_data(slug, qid)
    value, tolerance = q["answer"], q["tolerance"]
    assert isinstance(value, float) and tolerance > 0
    page.goto(f"{server_url}lessons/{slug}")
    assert answer(page, qid, f"{value + tolerance / 2:.4f}").startswith("Right.")
    assert answer(page, qid, f"{value - tolerance / 2:.4f}").startswith("Right.")
    assert answer(page, qid, f"{value + 2 * tolerance:.4f}").startswith("Not quite.")


def test_choices_are_in_the_learners_own_order_kept_across_a_reload(page, server_url):
    slug = "convolution-vs-correlation"
    choices = [q for q in lesson(slug).questions if q["kind"] == "choice"]
    assert len(choices) >= 2
    with_seed(page, 12345)
    page.goto(f"{server_url}lessons/{slug}")
    first = {q["id"]: shown_order(page, q["id"]) for q in choices}
    for q in choices:
        assert sorted(first[q["id"]]) == list(range(len(q["choices"])))
        texts = page.locator(f'section.question[data-question="{q["id"]}"] .question-choice').all_inner_texts()
        assert [t.strip() for t in texts] == [
            page.evaluate(
                "h => { const d = document.createElement('div'); d.innerHTML = h; return d.textContent; }",
                q["choices"][i],
            ).strip()
            for i in first[q["id"]]
        ]
    # Picking the right one by its text is right, wherever it is shown; the pick survives a reload.
    q = choices[0]
    position = first[q["id"]].index(q["answer"])
    page.locator(f'section.question[data-question="{q["id"]}"] input[type=radio]').nth(position).check()
    page.locator(f'section.question[data-question="{q["id"]}"]').get_by_role("button", name="Check").click()
    assert "Right." in page.locator(f'section.question[data-question="{q["id"]}"] .question-feedback').inner_text()
    page.reload()
    assert {q["id"]: shown_order(page, q["id"]) for q in choices} == first
    checked = page.locator(f'section.question[data-question="{q["id"]}"] input[type=radio]').nth(position)
    assert checked.is_checked()


def test_another_learner_sees_another_order(browser, server_url):
    orders = []
    for seed in (1, 2, 3):
        context = browser.new_context()
        page = context.new_page()
        with_seed(page, seed)
        page.goto(f"{server_url}lessons/convolution-vs-correlation")
        orders.append(page.evaluate("Object.fromEntries(window.convscopeLesson.orders)"))
        context.close()
    assert orders[0] != orders[1] or orders[0] != orders[2]


@pytest.mark.parametrize("seed", [1, 7, 99, 2024, 4_000_000_000])
def test_the_right_answer_is_at_every_position_about_equally_often(page, server_url, seed):
    """For one learner, over the whole course: the position of the right answer of every choice
    question, counted from the orders every lesson page computes (one page computes them all)."""
    with_seed(page, seed)
    page.goto(f"{server_url}lessons/images-as-vectors")
    plan = COURSE.choice_plan()
    answers = {
        f"{les.slug}/{q['id']}": q["answer"] for les in COURSE.lessons for q in les.questions if q["kind"] == "choice"
    }
    orders = page.evaluate(
        """async ([plan, answers, seed]) => {
          const { choiceOrders } = await import('/static/js/pages/lesson/choices.js');
          return Object.fromEntries(choiceOrders(plan, new Map(Object.entries(answers)), seed));
        }""",
        [plan, answers, seed],
    )
    assert set(orders) == set(answers)
    spots = Counter(orders[key].index(right) for key, right in answers.items())  # true/false ones too
    assert set(spots) == {0, 1, 2, 3}
    assert max(spots.values()) - min(spots.values()) <= 1, spots
    # The page itself uses the same orders.
    own = page.evaluate("Object.fromEntries(window.convscopeLesson.orders)")
    assert own == {k: v for k, v in orders.items() if k.startswith("images-as-vectors/")}


# ---------------------------------------------------------------- reveals

IN_VIEW = """id => {
  const r = document.getElementById(id).getBoundingClientRect();
  const bar = document.querySelector('.lesson-bar').getBoundingClientRect().bottom;
  return r.top >= Math.min(bar, innerHeight) - 1 && r.top < innerHeight && r.bottom > 0;
}"""
FEEDBACK_IN = "id => /right|wrong/.test(document.querySelector(`[data-question='${id}'] .question-feedback`).className)"


def reveal(page, qid: str, typed: str) -> float:
    """Type a prediction and press Reveal; the milliseconds from the press to the engine's verdict."""
    q = page.locator(f'section.question[data-question="{qid}"]')
    q.locator("input.question-input").fill(typed)
    page.evaluate(
        """id => { window.revealStart = performance.now();
          new MutationObserver((_, o) => { window.revealMs = performance.now() - window.revealStart; o.disconnect(); })
            .observe(document.querySelector(`[data-question='${id}'] .question-feedback`), {attributes: true}); }""",
        qid,
    )
    q.get_by_role("button", name="Reveal").click()
    page.wait_for_function(FEEDBACK_IN, arg=qid, timeout=WIDGET_WAIT_MS)
    return page.evaluate("window.revealMs")


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_a_reveal_brings_its_widget_into_view_and_offers_the_way_back(page, server_url, motion):
    page.emulate_media(reduced_motion=motion)
    slug, qid = "backprop", "weight-gradient-cell"
    q = question_data(slug, qid)
    page.goto(f"{server_url}lessons/{slug}")
    page.wait_for_function("document.querySelector('#widget-grads').dataset.ready", timeout=WIDGET_WAIT_MS)
    page.locator(f"#q-{qid}").scroll_into_view_if_needed()
    assert not page.evaluate(IN_VIEW, "widget-grads"), "the widget should start out of view"
    reveal(page, qid, str(q["answer"]))
    assert "Right." in page.locator(f"#q-{qid} .question-feedback").inner_text()
    if motion == "reduce":  # at once, with no animation
        assert page.evaluate(IN_VIEW, "widget-grads")
    else:
        page.wait_for_function(IN_VIEW, arg="widget-grads", timeout=5_000)
    way_back = page.get_by_role("button", name="↓ Back to the question")
    assert way_back.is_visible()
    way_back.click()
    page.wait_for_function(IN_VIEW, arg=f"q-{qid}", timeout=5_000)
    assert way_back.count() == 0


MAIN_UNDER_BAR = """id => {
  const r = document.querySelector(`#${id} .widget-main`).getBoundingClientRect();
  const bar = document.querySelector('.lesson-bar').getBoundingClientRect().bottom;
  return r.top >= bar - 1 && r.top < bar + 40;
}"""


def test_on_a_phone_a_reveal_shows_the_widgets_drawing_not_its_controls(page, server_url):
    """A phone stacks a widget's controls above what it draws, taller than the window: the reveal brings
    the drawing (its main column) under the lesson's bar, where it stays once the widget has changed."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(reduced_motion="reduce")
    slug, qid = "receptive-fields", "strided-field"
    page.goto(f"{server_url}lessons/{slug}")
    page.wait_for_function("document.querySelector('#widget-stack').dataset.ready", timeout=WIDGET_WAIT_MS)
    figure = page.locator("#widget-stack").bounding_box()
    main = page.locator("#widget-stack .widget-main").bounding_box()
    assert figure["height"] > 844 and main["y"] - figure["y"] > 844 / 3  # controls first, a tall widget
    page.locator(f"#q-{qid}").scroll_into_view_if_needed()
    reveal(page, qid, str(question_data(slug, qid)["answer"]))
    assert "Right." in page.locator(f"#q-{qid} .question-feedback").inner_text()
    assert page.evaluate(MAIN_UNDER_BAR, "widget-stack")
    screenshot(page, "lesson-reveal-phone")


def test_a_reveal_answers_once_the_engine_has(page, server_url):
    """Every predict question of the course, revealed in turn: the value is read as soon as the widget's
    requests are answered, never after waiting frames for it to change. The times are printed."""
    page.emulate_media(reduced_motion="reduce")
    times = []
    for les in COURSE.lessons:
        predicts = [q for q in les.questions if q["kind"] == "predict"]
        if not predicts:
            continue
        page.goto(f"{server_url}lessons/{les.slug}")
        page.wait_for_function(
            "[...document.querySelectorAll('figure.lesson-widget')].every(f => f.dataset.ready)", timeout=WIDGET_WAIT_MS
        )
        for q in predicts:
            ms = reveal(page, q["id"], str(q["answer"]))
            feedback = page.locator(f"#q-{q['id']} .question-feedback").inner_text()
            assert "Right." in feedback, f"{les.slug}/{q['id']}: {feedback}"
            frames = page.evaluate(f"window.convscopeLesson.widgets.get('{q['widget']}').lastReveal.frames")
            assert frames == 0, f"{les.slug}/{q['id']} waited {frames} frames after the engine answered"
            times.append((f"{les.slug}/{q['id']}", round(ms)))
    print("\nreveal, press to verdict (ms):", ", ".join(f"{name} {ms}" for name, ms in times))


# ---------------------------------------------------------------- the transposed convolution, the glossary


def test_the_transposed_convolution_widget_stamps_cell_by_cell(page, server_url):
    page.goto(f"{server_url}lessons/transposed-convolution")
    page.wait_for_function("document.querySelector('#widget-stamp').dataset.ready", timeout=WIDGET_WAIT_MS)
    got = page.evaluate("window.convscopeLesson.widgets.get('stamp').inspect()")
    x = np.array([[1, 2], [3, 4]], np.float32)[None, None]  # (1, 1, 2, 2) the widget's "pair" input
    expected = conv_transpose2d(x, np.ones((1, 1, 3, 3), np.float32), stride=2)[0, 0]  # (5, 5)
    assert got["output"]["shape"] == list(expected.shape)
    assert got["output"]["values"] == expected.ravel().tolist()
    label = page.locator("#widget-stamp .step-label")
    assert label.inner_text().startswith("Stamp 1 of 4: input cell (0, 0)")
    page.locator("#widget-stamp button[data-step=next]").click()
    page.wait_for_function("document.querySelector('#widget-stamp .step-label').textContent.startsWith('Stamp 2')")
    assert "input cell (0, 1) adds its stamp at canvas row 0, column 2" in label.inner_text()
    assert page.locator("#widget-stamp [data-formula=rows]").inner_text().endswith(f"= {expected.shape[0]}")


def test_a_transposed_convolution_that_cannot_work_says_why(page, server_url):
    page.goto(f"{server_url}widget/transpose?tpi=pair&tpk=ramp&tps=1&tpp=3")
    page.wait_for_function("document.querySelector('#widget').dataset.ready", timeout=WIDGET_WAIT_MS)
    assert page.locator(".tp-stage").is_hidden()
    assert "cuts the whole" in page.locator("#widget").inner_text()


@pytest.mark.parametrize("size", [(1024, 768), (390, 844)])
def test_the_glossary_fits_the_screen_and_each_lesson_links_it(browser, server_url, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, is_mobile=size[0] < 600)
    page = context.new_page()
    page.goto(f"{server_url}glossary")
    assert page.locator("h1").inner_text() == "Notation"
    assert page.locator(".glossary tbody tr").count() >= 10
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    assert page.evaluate(PROBLEMS, size[0]) == []
    page.goto(f"{server_url}lessons/transposed-convolution")
    page.get_by_role("link", name="Notation").click()
    page.wait_for_url("**/glossary")
    context.close()
