"""The playground as a widget like the others: alone at /widget/playground, and twice inside a
lesson (lessons/03: the seed 003 grid and a photo) on the lesson's one socket, with no frame.
Expected numbers are computed here from the setup each test chose, never read back from the widget."""

from __future__ import annotations

from ..helpers import open_widget
from .playground_helpers import (
    HORIZONTAL_EDGE,
    SEED003,
    SOBEL_X,
    VERTICAL_EDGE,
    assert_output_shows,
    checkerboard,
    reference_output,
)

WIDGET = "window.convscopeWidget.widget.inspect()"
LESSON = "window.convscopeLesson.widgets.get('{}').inspect()"


def test_widget_playground_draws_the_engines_output(page, server_url):
    open_widget(page, server_url, "playground", "?in=checkerboard&h=8&w=8&s=2&p=1&kp=sobel_x")
    assert page.evaluate(f"{WIDGET}.lastResult.meta.output_shape") == [1, 4, 4]  # (8 + 2 − 3)/2 + 1
    assert page.locator("#output-shape").inner_text() == "4 × 4"
    assert_output_shows(page, reference_output(checkerboard(8), SOBEL_X, stride=2, padding=1)[0])
    # Its state is the page's link, as on /playground.
    page.locator("#ctl-stride").focus()
    page.locator("#ctl-stride").press("ArrowLeft")
    page.wait_for_function("document.querySelector('#output-shape').textContent === '8 × 8'")
    page.evaluate("window.convscopeWidget.store.flush()")
    assert "s=2" not in page.url and "kp=sobel_x" in page.url
    assert_output_shows(page, reference_output(checkerboard(8), SOBEL_X, padding=1)[0])


def open_lesson(page, server_url, slug):
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}lessons/{slug}")
    page.wait_for_function(
        "[...document.querySelectorAll('figure.lesson-widget')].every(f => f.dataset.ready)", timeout=60_000
    )
    return sockets


def test_a_lesson_mounts_its_playgrounds_in_the_page_on_one_socket(page, server_url):
    sockets = open_lesson(page, server_url, "two-d-convolution")
    assert len(sockets) == 1, sockets
    assert len(page.frames) == 1 and page.locator("iframe").count() == 0  # no frame: the main frame only
    duplicates = page.evaluate("""() => {
      const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
      return ids.filter((id, i) => ids.indexOf(id) !== i);
    }""")
    assert duplicates == []
    # Each playground draws its own setup: seed 003's 6×6 picture, and the 64×64 photo.
    assert page.evaluate(f"{LESSON.format('grid')}.lastResult.meta.output_shape") == [1, 4, 4]
    assert page.evaluate(f"{LESSON.format('photo')}.lastResult.meta.output_shape") == [1, 62, 62]
    assert_output_shows(page, reference_output(SEED003, VERTICAL_EDGE)[0], scope="#widget-grid")
    assert page.locator("#widget-grid .output-shape").inner_text() == "4 × 4"


def test_a_key_steps_only_the_playground_in_use(page, server_url):
    open_lesson(page, server_url, "two-d-convolution")
    page.locator("#widget-photo .stage").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{LESSON.format('photo')}.frame.step === 0")
    assert page.evaluate(f"{LESSON.format('grid')}.frame.step") == -1
    page.locator("#widget-grid .stage").click(position={"x": 5, "y": 5})
    page.keyboard.press("End")
    page.wait_for_function(f"{LESSON.format('grid')}.frame.step === 15")
    assert page.evaluate(f"{LESSON.format('photo')}.frame.step") == 0


def test_the_playground_reveal_question_answers_from_the_widget(page, server_url):
    open_lesson(page, server_url, "two-d-convolution")
    q = page.locator("[data-question='horizontal-edge-corner']")
    q.locator("input").fill("-7")
    q.get_by_role("button", name="Reveal").click()
    page.wait_for_function(
        "/right|wrong/.test(document.querySelector("
        "\"[data-question='horizontal-edge-corner'] .question-feedback\").className)"
    )
    assert "Right." in q.locator(".question-feedback").inner_text()
    grid = LESSON.format("grid")
    assert page.evaluate(f"{grid}.state.kernelPreset") == "horizontal_edge"
    assert (
        page.evaluate(f"{grid}.lastResult.output.data[0]") == -7
    )  # the value the reveal read (lastResult.output.data.0)
    page.wait_for_function("() => document.querySelector('#widget-grid .output-view td').textContent === '\u22127'")
    expected = reference_output(SEED003, HORIZONTAL_EDGE)[0]  # (4, 4)
    assert expected[0, 0] == -7  # (3 + 0 + 1) − (2 + 7 + 2), as the lesson explains
    assert_output_shows(page, expected, scope="#widget-grid")
