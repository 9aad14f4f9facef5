"""A class in Chromium: the instructor's page at 1024×768, students on phone-sized pages following it,
polling, revealing, leaving to explore and coming back."""

from __future__ import annotations

import csv
import io

import numpy as np
from playwright.sync_api import expect

from app.lessons.course import load_course
from engine import conv_transpose2d, shapes

from ..helpers import set_slider
from .conftest import headcount, join, no_sideways_scroll, shot, start_class

STORE = "window.convscope.store.get()"


def test_a_class_starts_from_a_page_and_phones_join_with_the_code(pages, class_server):
    teacher = pages.instructor()
    code = start_class(teacher, class_server)
    screen = teacher.locator(".class-screen")  # starting shows the join screen to the room
    assert screen.is_visible() and screen.locator(".class-screen-code").inner_text() == code
    assert teacher.evaluate("document.querySelector('.class-screen-qr').complete")
    assert teacher.evaluate("document.querySelector('.class-screen-qr').naturalWidth") > 0  # segno's SVG
    key = teacher.evaluate("JSON.parse(localStorage.getItem('convscope.class.teach')).key")
    assert key not in teacher.content() and key not in teacher.url  # never on the projector
    teacher.keyboard.press("Escape")

    typed = pages.phone()
    typed.goto(class_server + "join")
    typed.locator("#class-code").fill(code.lower())
    typed.locator("#class-nickname").fill("ada")
    typed.locator(".class-join-form button").tap()
    typed.wait_for_url(class_server + "playground*")
    scanned = pages.phone()
    join(scanned, class_server, code)
    headcount(teacher, 2)
    assert teacher.locator(".class-chip").inner_text() == f"Class {code} · 2"
    for phone in (typed, scanned):
        assert phone.locator(".class-student-mode").inner_text() == "Following your instructor"
        assert phone.locator(".class-chip").count() == 0  # a student has no panel to drive the class from


def test_students_follow_the_settings_the_step_and_the_page(pages, class_server):
    teacher = pages.instructor()
    code = start_class(teacher, class_server)
    teacher.keyboard.press("Escape")
    phones = [pages.phone() for _ in range(3)]
    for phone in phones:
        join(phone, class_server, code)
        phone.evaluate("window.stayed = true")  # gone if the page were loaded again
    set_slider(teacher, "#content input[type=range]", 2)  # the first slider: the stride
    teacher.locator("#stage").focus()
    for _ in range(3):
        teacher.keyboard.press("PageDown")  # a clicker steps the sliding filter
    teacher.wait_for_function(f"{STORE}.step === 2")
    want = teacher.evaluate(f"(({{stride, step}}) => ({{stride, step}}))({STORE})")
    assert want == {"stride": 2, "step": 2}
    for phone in phones:
        phone.wait_for_function(
            f"(w) => {STORE}.stride === w.stride && {STORE}.step === w.step", arg=want, timeout=10_000
        )
        assert phone.evaluate("window.stayed") is True  # taken in place: no reload
    teacher.goto(class_server + "layers?present=1")
    for phone in phones:
        phone.wait_for_url(class_server + "layers*")
        assert "present" not in phone.url  # presenter mode stays the instructor's own
    lesson = "lessons/output-size-formula"
    teacher.goto(class_server + lesson)
    heading = teacher.evaluate("[...document.querySelectorAll('.lesson-prose h2[id]')].at(-1).id")
    teacher.evaluate(f"document.getElementById('{heading}').scrollIntoView({{block: 'start'}})")
    teacher.wait_for_timeout(300)  # the scroll settles
    section = teacher.evaluate("import('/static/js/classroom/stage.js').then((m) => m.sectionInView())")
    assert section
    for phone in phones:
        phone.wait_for_url(class_server + lesson)
        phone.wait_for_function(
            f"(() => {{ const r = document.getElementById('{section}').getBoundingClientRect(); "
            "return r.top >= -2 && r.top < innerHeight / 3; })()",
            timeout=10_000,
        )


def test_a_slow_phone_loads_the_next_page_once_while_the_instructor_scrolls_through_it(pages, class_server):
    """While a phone on a slow network is still loading the page the instructor went to, the instructor
    scrolls on and each section goes on stage. Each used to send the phone to the page again, aborting
    the load under way; the page, once loaded, takes the newest stage instead."""
    teacher = pages.instructor()
    code = start_class(teacher, class_server)
    teacher.keyboard.press("Escape")
    phone = pages.phone()
    join(phone, class_server, code)
    lesson = "lessons/output-size-formula"
    loads = []
    phone.on("request", lambda r: loads.append(r.url) if r.resource_type == "document" else None)
    network = phone.context.new_cdp_session(phone)  # every request takes 0.8 s more: the hall's busy wifi
    network.send("Network.enable")
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 800, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    teacher.goto(class_server + lesson)
    headings = teacher.evaluate("[...document.querySelectorAll('.lesson-prose h2[id]')].map((h) => h.id)")
    for heading in headings[1:5]:  # the instructor reads on while the phone loads
        teacher.evaluate(f"document.getElementById('{heading}').scrollIntoView({{block: 'start'}})")
        teacher.wait_for_timeout(350)
    phone.wait_for_url(class_server + lesson, timeout=30_000)
    # the newest stage reached the loaded page, which shows its section (another test checks that it is the
    # one in view on the instructor's page)
    phone.wait_for_function(
        "(() => { const s = window.convscopeClass?.state?.stage; if (!s?.section) return false; "
        "const r = document.getElementById(s.section)?.getBoundingClientRect(); "
        "return r && r.top >= -2 && r.top < innerHeight / 3; })()",
        timeout=30_000,
    )
    assert [url for url in loads if lesson in url] == [class_server + lesson]  # loaded once, never restarted


def test_students_lesson_widgets_follow_the_instructors(pages, class_server):
    """On a lesson, every widget's state goes on stage: a student's widget shows the instructor's setting
    and the engine's numbers for it, a widget still loading on the phone included."""
    lesson = "lessons/transposed-convolution"
    widget = "window.convscopeLesson.widgets.get('stamp')"
    teacher = pages.instructor()
    code = start_class(teacher, class_server, lesson)
    teacher.keyboard.press("Escape")
    phone = pages.phone()
    join(phone, class_server, code)
    phone.wait_for_url(class_server + lesson)
    phone.evaluate("window.stayed = true")
    teacher.wait_for_function(f"{widget}.store !== null")
    set_slider(teacher, "figure[data-widget='stamp'] input[type=range][data-key='stride']", 3)
    teacher.wait_for_function(f"{widget}.store.get().tpStride === 3 && {widget}.inspect()?.meta?.rows?.s === 3")
    want = teacher.evaluate(f"{widget}.inspect().output")
    x = np.array([[[[1.0, 2], [3, 4]]]], np.float32)  # (1, 1, 2, 2) the lesson's input, under 3×3 ones
    expected = conv_transpose2d(x, np.ones((1, 1, 3, 3), np.float32), stride=3)[0, 0]  # (7, 7)
    np.testing.assert_array_equal(np.reshape(want["values"], want["shape"]), expected)
    phone.wait_for_function(f"{widget}.inspect()?.meta?.rows?.s === 3", timeout=10_000)
    assert phone.evaluate(f"{widget}.inspect().output") == want
    assert phone.evaluate("window.stayed") is True  # taken in place: no reload
    shot(phone, "class-phone-lesson-widget")


def test_a_prediction_is_answered_on_phones_and_revealed_with_the_engines_working(pages, class_server):
    teacher = pages.instructor()
    code = start_class(teacher, class_server, "playground?s=2&p=1&k=3&h=9&w=9")
    teacher.keyboard.press("Escape")
    phones = [pages.phone() for _ in range(3)]
    for phone in phones:
        join(phone, class_server, code)
    right = shapes.axis(9, 3, 2, 1).size  # what the engine says the output's width is
    teacher.click(".class-chip")
    teacher.get_by_role("button", name="The output's width").click()
    for phone in phones:
        phone.wait_for_selector(".class-card:not([hidden])")
        assert phone.evaluate("document.body.classList.contains('class-veiled')")  # the page's formula is hidden
        assert str(right) not in phone.locator(".class-card").inner_text().split("?")[-1]
    for phone, given in zip(phones, (right, right, right + 1)):
        phone.locator("#class-number-input").fill(str(given))
        phone.locator(".class-number button").tap()
        phone.wait_for_function("window.convscopeClass.state.mine")
        assert not phone.evaluate("document.body.classList.contains('class-veiled')")
    teacher.wait_for_function("window.convscopeClass.state.tally?.total === 3", timeout=10_000)
    assert "3 answers so far" in teacher.locator(".class-poll").inner_text()
    teacher.get_by_role("button", name="Reveal the answer").click()
    poll = teacher.locator(".class-poll")
    poll.locator(".class-working").wait_for()
    text = poll.inner_text()
    assert "67% right" in text and f"Most common wrong answers: {right + 1} (1)" in text
    assert f"= {right}" in poll.locator(".class-working").inner_text()
    verdicts = [phone.locator(".class-verdict").inner_text() for phone in phones]
    assert verdicts == ["Right!", "Right!", "Not this time."]

    rows = teacher.evaluate(
        """async () => {
          const {key} = JSON.parse(localStorage.getItem('convscope.class.teach'));
          const r = await fetch(`/class/${window.convscopeClass.state.code}/results.csv`,
            {headers: {'X-Class-Key': key}});
          return await r.text();
        }"""
    )
    given = sorted(r["answer"] for r in csv.DictReader(io.StringIO(rows)))
    assert given == sorted([str(right), str(right), str(right + 1)])


def test_a_multiple_choice_of_the_instructors_own(pages, class_server):
    teacher = pages.instructor()
    code = start_class(teacher, class_server, "")
    teacher.keyboard.press("Escape")
    phones = [pages.phone() for _ in range(4)]
    for phone in phones:
        join(phone, class_server, code)
    teacher.click(".class-chip")
    teacher.locator(".class-compose-own summary").click()
    form = teacher.locator('form[data-form="choice"]')
    form.locator('input[name="prompt"]').fill("Which filter finds vertical edges?")
    options = form.locator('input[name="option"]')
    for i, text in enumerate(["Sobel x", "Sobel y", "Blur", "Identity", "Sharpen"]):
        options.nth(i).fill(text)  # a fifth field shows once four are filled
    form.locator('input[name="right"]').nth(0).check()
    form.get_by_role("button", name="Ask multiple choice").click()
    for phone, pick in zip(phones, ("Sobel x", "Blur", "Sobel x", "Sharpen")):
        phone.get_by_role("button", name=pick).tap()
        phone.wait_for_function("window.convscopeClass.state.mine")
        assert phone.get_by_role("button", name=pick).get_attribute("aria-pressed") == "true"
    phones[1].get_by_role("button", name="Sobel x").tap()  # a change of mind: moved, not added
    phones[1].wait_for_function("window.convscopeClass.state.mine.label === 'Sobel x'")
    counted = (
        "(() => { const t = window.convscopeClass.state.tally; return t?.total === 4 && t.bars[0].count === 3; })()"
    )
    teacher.wait_for_function(counted, timeout=10_000)
    counts = teacher.locator(".class-poll .class-bar-count").all_inner_texts()
    assert counts == ["3", "0", "0", "0", "1"]


def test_a_student_explores_and_comes_back_with_one_tap(pages, class_server):
    teacher = pages.instructor()
    code = start_class(teacher, class_server)
    teacher.keyboard.press("Escape")
    phone = pages.phone()
    join(phone, class_server, code)
    phone.get_by_role("button", name="Explore on my own").tap()
    assert phone.locator(".class-student-mode").inner_text() == "Exploring on your own"
    teacher.evaluate("window.convscope.store.set({stride: 3})")
    teacher.wait_for_timeout(800)  # time for the change to reach the phone, which must not take it
    assert phone.evaluate(f"{STORE}.stride") == 1
    phone.get_by_role("button", name="Back to class").tap()
    phone.wait_for_function(f"{STORE}.stride === 3")
    assert phone.locator(".class-student-mode").inner_text() == "Following your instructor"

    phone.goto(class_server + "lessons")  # a link of their own: exploring, until they tap back
    phone.wait_for_function("window.convscopeClass?.state?.seq > 0")
    assert phone.locator(".class-student-mode").inner_text() == "Exploring on your own"
    assert phone.url == class_server + "lessons"
    phone.get_by_role("button", name="Back to class").tap()
    phone.wait_for_url(class_server + "playground*")


def test_a_student_page_cannot_drive_the_class(pages, class_server):
    teacher = pages.instructor()
    code = start_class(teacher, class_server)
    rogue, other = pages.phone(), pages.phone()
    join(rogue, class_server, code)
    join(other, class_server, code)
    other.evaluate("window.stayed = true")
    refused = rogue.evaluate(
        """(code) => window.convscope.socket.request('class.stage', {code, key: 'x'.repeat(32), path: '/xo'})
             .then(() => 'accepted', (e) => e.field)""",
        code,
    )
    assert refused == "key"
    other.wait_for_timeout(500)
    assert other.url.startswith(class_server + "playground") and other.evaluate("window.stayed") is True


def test_the_projector_and_the_phone_fit_their_screens(pages, class_server):
    teacher = pages.instructor()
    code = start_class(teacher, class_server, "playground")
    shot(teacher, "classroom-join-screen-1024")
    teacher.keyboard.press("Escape")
    phone = pages.phone()
    join(phone, class_server, code)
    teacher.click(".class-chip")
    teacher.get_by_role("button", name="The next output cell's value").click()
    phone.wait_for_selector(".class-card:not([hidden])")
    shot(teacher, "classroom-panel-1024")
    shot(phone, "classroom-poll-390")
    assert no_sideways_scroll(teacher) <= 0 and no_sideways_scroll(phone) <= 0
    card = phone.locator(".class-card").bounding_box()
    bar = phone.locator(".class-student").bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= 390 and card["y"] + card["height"] <= bar["y"] + 1
    for target in phone.locator(".class-card button, .class-student button").all():
        if target.is_visible():
            box = target.bounding_box()
            assert box["height"] >= 44, target.inner_text()  # a thumb's target
    phone.locator("#class-number-input").fill("0")
    phone.locator(".class-number button").tap()
    teacher.get_by_role("button", name="Reveal the answer").click()
    phone.locator(".class-verdict").wait_for()
    teacher.get_by_role("button", name="Show on screen").click()
    shot(teacher, "classroom-poll-screen-1024")
    shot(phone, "classroom-result-390")
    assert no_sideways_scroll(teacher) <= 0 and no_sideways_scroll(phone) <= 0


def test_the_current_lessons_question_is_pushed_with_the_lessons_answer(pages, class_server):
    lesson = next(x for x in load_course().lessons if any(q["kind"] == "choice" for q in x.questions))
    question = next(q for q in lesson.questions if q["kind"] == "choice")
    teacher = pages.instructor()
    code = start_class(teacher, class_server, f"lessons/{lesson.slug}")
    teacher.keyboard.press("Escape")
    phone = pages.phone()
    join(phone, class_server, code)
    teacher.keyboard.press("c")
    teacher.locator('.class-compose select[name="question"]').select_option(question["id"])
    teacher.get_by_role("button", name="Ask it").click()
    phone.wait_for_selector(".class-card:not([hidden])")
    options = phone.locator(".class-option")
    assert options.count() == len(question["choices"])
    options.nth(question["answer"]).tap()
    phone.wait_for_function("window.convscopeClass.state.mine")
    teacher.wait_for_function("window.convscopeClass.state.tally?.total === 1", timeout=10_000)
    teacher.get_by_role("button", name="Reveal the answer").click()
    assert phone.locator(".class-verdict").inner_text() == "Right!"
    # the phone and the projector hear of the reveal separately: wait for the projector's own result
    expect(teacher.locator(".class-poll")).to_contain_text("100% right", timeout=10_000)
