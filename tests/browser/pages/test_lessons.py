"""Lessons in real Chromium: walking a lesson (answers wrong then right, kept across a reload,
shown on the index, previous/next), a predict-then-reveal question on a live widget, and every
lesson of the course opening with its widgets ready and no console error.

The walk and the reveal run on the fixture course (tests/fixtures/lessons), served by a second
server started with CONVSCOPE_LESSONS; the last test runs on the real course in lessons/.
Expected answers and working are recomputed here with the engine (app.lesson_checks, engine.shapes);
the real course's numbers (minutes, question counts, predicted answers) are read from its Markdown.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from app.lessons.checks import conv_params, output_size
from app.lessons.course import FILE_NAME, lesson_files
from engine import shapes

from ...conftest import running_server
from ..conftest import SCREENSHOTS, screenshot
from ..helpers import MINUS, fmt

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "lessons"
COURSE = lesson_files(ROOT / "lessons")
WIDGET_WAIT_MS = 60_000  # a cold engine compiles its kernels on the first request


@pytest.fixture(scope="module")
def fixture_url():
    """A server whose course is the fixture lessons (as tests/conftest.py starts the real one)."""
    with running_server(0, CONVSCOPE_LESSONS=str(FIXTURES)) as url:
        yield url


def shot(page, name: str):
    """What the window shows (not the whole page): the view an instructor projects."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def show_above(page, selector: str, px: int):
    """Scroll so that `selector` starts `px` below the top of the window (what comes before it shows too)."""
    page.evaluate(
        "([s, px]) => window.scrollTo(0, document.querySelector(s).getBoundingClientRect().top + scrollY - px)",
        [selector, px],
    )


def badge(page, slug: str) -> str:
    return page.locator(f'.course-item[data-slug="{slug}"] .badge').inner_text()


def question(page, qid: str):
    return page.locator(f'section.question[data-question="{qid}"]')


def written(path: Path) -> tuple[dict, list[dict]]:
    """A lesson file as its author wrote it: the front matter and each question block, as YAML."""
    text = path.read_text()
    front = yaml.safe_load(text.split("---", 2)[1])
    blocks = re.findall(r"^::: question\n(.*?)^:::$", text, flags=re.M | re.S)
    return front, [yaml.safe_load(b) for b in blocks]


def shown_value(value) -> str:
    """An engine value as a lesson's feedback writes it: a whole number as it is, others to 4 decimals."""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value)).replace("-", MINUS)
    return fmt(value, 4)


def wait_widgets_ready(page, timeout: int = WIDGET_WAIT_MS):
    page.wait_for_function(
        "[...document.querySelectorAll('figure.lesson-widget')].every(f => f.dataset.ready)", timeout=timeout
    )


def test_walk_a_lesson_answers_kept_across_a_reload(page, fixture_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(fixture_url + "lessons")
    assert badge(page, "sliding-a-filter") == "Not started"
    assert page.locator(".course-item").count() == 2
    page.locator(".course-link").first.click()
    page.wait_for_url("**/lessons/sliding-a-filter")
    assert page.locator("h1").inner_text() == "Sliding a filter"

    # Numeric, wrong: "not quite", the explanation with the number typed and the engine's working.
    answer, work = output_size(7, 3, 2)
    q = question(page, "seven-by-seven")
    q.locator("input").fill(str(answer + 1))
    q.locator("input").press("Enter")
    feedback = q.locator(".question-feedback")
    assert "Not quite" in feedback.inner_text()
    assert f"You answered {answer + 1}" in feedback.inner_text()
    assert work in feedback.inner_text()
    assert "Hint" in feedback.inner_text()
    assert q.locator(".question-done").is_hidden()
    assert page.locator("#progress-label").inner_text() == "0 of 4 questions done"
    wait_widgets_ready(page)
    show_above(page, "#q-seven-by-seven", 260)
    shot(page, "lesson-1280-wrong")

    # Then right.
    q.locator("input").fill(str(answer))
    q.get_by_role("button", name="Check").click()
    assert "Right." in feedback.inner_text()
    assert f"the output is {answer} wide" in feedback.inner_text()
    assert "Hint" not in feedback.inner_text()
    assert q.locator(".question-done").is_visible()

    # A choice question, answered with the keyboard: the right choice is the engine's count.
    params, params_work = conv_params(3, 3, 16)
    c = question(page, "how-many-weights")
    labels = c.locator(".question-choice").all_inner_texts()
    right = [t.strip() for t in labels].index(str(params))
    c.locator("input[type=radio]").first.focus()
    for _ in range(right):
        page.keyboard.press("ArrowDown")
    c.get_by_role("button", name="Check").click()
    assert "Right." in c.locator(".question-feedback").inner_text()
    assert params_work in c.locator(".question-feedback").inner_text()
    assert page.locator("#progress-label").inner_text() == "2 of 4 questions done"
    assert page.locator("#progress-bar").get_attribute("value") is not None
    assert page.evaluate("document.querySelector('#progress-bar').value") == 2

    show_above(page, "#q-seven-by-seven", 260)
    shot(page, "lesson-1280-right")
    screenshot(page, "lesson-1280-full")

    # Reload: the answers, the feedback, the done marks and the progress are as they were left.
    page.reload()
    q = question(page, "seven-by-seven")
    assert q.locator("input").input_value() == str(answer)
    assert "Right." in q.locator(".question-feedback").inner_text()
    assert q.locator(".question-done").is_visible()
    c = question(page, "how-many-weights")
    assert c.locator("input[type=radio]").nth(right).is_checked()
    assert c.locator(".question-done").is_visible()
    assert page.locator("#progress-label").inner_text() == "2 of 4 questions done"
    assert question(page, "stride-two-reveal").locator(".question-done").is_hidden()

    # Next and previous, top and bottom.
    page.locator(".lesson-pager-bottom .lesson-next").click()
    page.wait_for_url("**/lessons/after-the-filter")
    assert page.locator("h1").inner_text() == "After the filter"
    assert page.locator(".lesson-prerequisites a").get_attribute("href") == "/lessons/sliding-a-filter"
    page.locator(".lesson-pager-top .lesson-prev").click()
    page.wait_for_url("**/lessons/sliding-a-filter")

    # The index shows where the learner stands.
    page.goto(fixture_url + "lessons")
    assert badge(page, "sliding-a-filter") == "In progress (2 of 4 questions)"
    assert badge(page, "after-the-filter") == "In progress (0 of 1 question)"
    screenshot(page, "lessons-index-1280")
    page.set_viewport_size({"width": 1920, "height": 1080})
    screenshot(page, "lessons-index-1920")

    # Reset, after a confirmation.
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Reset my progress").click()
    assert badge(page, "sliding-a-filter") == "Not started"
    assert page.evaluate("localStorage.getItem('convscope.progress.v1')") is None


def test_predict_then_reveal_on_a_live_widget(page, fixture_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(fixture_url + "lessons/sliding-a-filter")
    wait_widgets_ready(page)

    # The pooling widget: stride 2 → 1 over its 8×8 picture; the engine's rows shown and compared.
    pool = "window.convscopeLesson.widgets.get('pool-demo').inspect()"
    assert page.evaluate(f"{pool}.output.shape") == [1, 4, 4]
    rows = shapes.window_output((8, 8), (2, 2), (1, 1), what="window").shape[0]
    q = question(page, "pool-stride-one")
    q.locator("input").fill(str(rows))
    q.get_by_role("button", name="Reveal").click()
    page.wait_for_function(
        "document.querySelector('[data-question=pool-stride-one] .question-feedback').classList.contains('right')"
    )
    assert page.evaluate(f"{pool}.output.shape") == [1, rows, rows]
    assert page.locator('#widget-pool-demo [data-shape="output"]').inner_text() == f"{rows} × {rows} × 1"
    assert f"The engine computed {rows}" in q.locator(".question-feedback").inner_text()
    assert q.locator(".question-done").is_visible()

    # The playground in the page (no frame): a wrong prediction, then the engine's output height.
    height, work = output_size(7, 3, 2)
    p = question(page, "stride-two-reveal")
    p.locator("input").fill(str(height + 2))
    p.get_by_role("button", name="Reveal").click()
    page.wait_for_function(
        "document.querySelector('[data-question=stride-two-reveal] .question-feedback').classList.contains('wrong')"
    )
    assert page.locator("#widget-stride-demo .output-shape").inner_text().startswith(f"{height} × {height}")
    playground = "window.convscopeLesson.widgets.get('stride-demo').inspect()"
    assert page.evaluate(f"{playground}.state.stride") == 2
    assert page.evaluate(f"{playground}.lastResult.meta.output_shape") == [1, height, height]
    text = p.locator(".question-feedback").inner_text()
    assert "Not quite" in text and f"The engine computed {height}" in text and work in text
    assert f"You predicted {height + 2}" in text
    show_above(page, "#q-stride-two-reveal", 120)
    shot(page, "lesson-1280-predict")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.evaluate("document.querySelector('#widget-stride-demo').scrollIntoView()")
    shot(page, "lesson-1920-widget")


def test_the_course_index_lists_every_lesson_in_order(page, server_url):
    page.goto(server_url + "lessons")
    slugs = page.locator(".course-item").evaluate_all("items => items.map(i => i.dataset.slug)")
    assert slugs == [FILE_NAME.match(p.name).group(2) for p in COURSE]
    assert page.locator(".badge").all_inner_texts() == ["Not started"] * len(COURSE)
    # Each lesson's numbers: its place, its minutes and its count of questions, as its file has them.
    for i, path in enumerate(COURSE):
        front, questions = written(path)
        item = page.locator(".course-item").nth(i)
        assert item.locator(".course-number").inner_text() == str(i + 1)
        assert item.locator(".course-minutes").inner_text() == f"{front['minutes']} min"
        n = len(questions)
        assert item.locator(".course-count").inner_text() == f"{n} question{'s' if n != 1 else ''}", path.name
    shot(page, "lessons-course-1280")
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "lessons-course-1920")


@pytest.mark.parametrize("path", COURSE or [None], ids=[p.stem for p in COURSE] or ["no-lessons"])
def test_every_lesson_opens_with_its_widgets_ready(page, server_url, path):
    assert path is not None, "the course has no lessons: lessons/NN-slug.md files are missing"
    slug = FILE_NAME.match(path.name).group(2)
    page.emulate_media(reduced_motion="reduce")
    response = page.goto(f"{server_url}lessons/{slug}")
    assert response.status == 200, page.locator("main").inner_text()
    failed = page.locator("figure.lesson-widget[data-failed]")
    # Every widget draws its first answer (a widget whose module is missing never does).
    page.wait_for_function(
        "[...document.querySelectorAll('figure.lesson-widget')].every(f => f.dataset.ready || f.dataset.failed)",
        timeout=WIDGET_WAIT_MS,
    )
    assert failed.count() == 0, (
        f"widgets that could not be loaded: {failed.evaluate_all('fs => fs.map(f => f.dataset.widget)')}"
    )
    assert page.locator(".lesson-widget-problems").count() == 0, page.locator(
        ".lesson-widget-problems"
    ).all_inner_texts()
    shot(page, f"lesson-course-{path.stem}")
    # Every predict question, answered in order with the answer its author wrote: its reveal sets
    # the widget, the widget's own value agrees, and the page shows that number.
    predicts = [(q["id"], q["answer"]) for q in written(path)[1] if q["kind"] == "predict"]
    assert [qid for qid, _ in predicts] == page.evaluate(
        "window.convscopeLesson.data.questions.filter(q => q.kind === 'predict').map(q => q.id)"
    )
    for qid, answer in predicts:
        q = question(page, qid)
        q.locator("input").fill(str(answer))
        q.get_by_role("button", name="Reveal").click()
        page.wait_for_function(
            "id => /right|wrong/.test(document.querySelector(`[data-question='${id}'] .question-feedback`).className)",
            arg=qid,
            timeout=WIDGET_WAIT_MS,
        )
        feedback = q.locator(".question-feedback").inner_text()
        assert "Right." in feedback, f"{qid}: {feedback}"
        assert f"The engine computed {shown_value(answer)};" in feedback, f"{qid}: {feedback}"
