"""The course: every lesson in lessons/ validates, names widgets and settings that exist and
asks questions whose answers the engine agrees with; each check function against torch or
the formula; lesson files with a mistake say which file and field; the pages answer."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml

from app.features import TABLE
from app.lessons import checks as lc
from app.lessons.course import FILE_NAME, LessonError, check_course, lesson_files, load_course, parse_lesson

ROOT = Path(__file__).resolve().parents[3]
LESSONS = ROOT / "lessons"
COURSE = lesson_files(LESSONS)
FIXTURES = ROOT / "tests" / "fixtures" / "lessons"
IDS = [p.stem for p in COURSE] or ["no-lessons"]
PATHS = COURSE or [None]
QUESTION_BLOCK = re.compile(r"^::: question[ \t]*\n(.*?)^:::[ \t]*$", re.MULTILINE | re.DOTALL)


def need(path):
    assert path is not None, "the course has no lessons: lessons/NN-slug.md files are missing"
    return path


def raw_questions(path: Path) -> list[dict]:
    """The question blocks of a lesson as the author wrote them (read here without the app's parser)."""
    return [yaml.safe_load(body) for body in QUESTION_BLOCK.findall(path.read_text(encoding="utf-8"))]


def bare(text: str) -> str:
    """Text as compared with the engine's: no spaces or emphasis marks, x and * as ×, any case."""
    return re.sub(r"[\s_`]", "", text).replace("*", "×").replace("x", "×").lower()


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("\n---", 1)[0].removeprefix("---\n"))


def _module_text(first: Path) -> str:
    """A module's source and that of every local module it imports (fields may be declared in a part)."""
    seen, todo, text = set(), [first], ""
    while todo:
        path = todo.pop().resolve()
        if path in seen:
            continue
        seen.add(path)
        source = path.read_text(encoding="utf-8")
        text += source
        todo += [path.parent / name for name in re.findall(r'from "(\.{1,2}/[\w./-]+\.js)"', source)]
    return text


def field_patterns(widget_type: str) -> list[re.Pattern]:
    """The state keys a widget module declares in fields(), read from its source; `${…}` parts match any text."""
    spec = TABLE.widgets[widget_type]
    source = ROOT / "static" / spec.module
    assert source.is_file(), f"{widget_type}: {source.relative_to(ROOT)} does not exist"
    keys = re.findall(r'\bkey: (?:"(\w+)"|`([^`]+)`)', _module_text(source))
    return [
        re.compile(re.escape(plain) if plain else re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(tmpl)) + "$")
        for plain, tmpl in keys
    ]


# ---------------------------------------------------------------- the real course


def test_the_course_validates_as_a_whole():
    course = check_course(LESSONS)  # raises the first mistake, naming its file
    assert [lesson.path for lesson in course.lessons] == COURSE
    assert len({lesson.slug for lesson in course.lessons}) == len(COURSE)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_lesson_front_matter_widgets_and_prerequisites(path):
    lesson = parse_lesson(need(path))
    slugs = [FILE_NAME.match(p.name).group(2) for p in COURSE]
    for slug in lesson.meta.prerequisites:
        assert slugs.index(slug) < slugs.index(lesson.slug), f"{path.name}: prerequisite {slug} is not earlier"
    mounted = re.findall(r'data-widget="([\w-]+)"', lesson.html)
    assert sorted(mounted) == sorted(lesson.meta.widgets), "every declared widget has one mount point"
    for q in lesson.questions:
        if q["kind"] == "predict":
            assert q["widget"] in lesson.meta.widgets


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_widget_and_setting_a_lesson_names_exists(path):
    """Types are in the widget table, modules exist, and state (and reveal) keys are fields of the widget."""
    meta = front_matter(need(path))
    for wid, use in meta["widgets"].items():
        assert use["type"] in TABLE.widgets, f"{path.name}: widget {wid} has unknown type {use['type']}"
        patterns = field_patterns(use["type"])
        named = list((use.get("state") or {}).keys())
        named += [
            k
            for q in raw_questions(path)
            if q.get("kind") == "predict" and q.get("widget") == wid
            for k in (q.get("set") or {})
        ]
        unknown = [k for k in named if not any(p.match(k) for p in patterns)]
        assert not unknown, f"{path.name}: widget {wid} ({use['type']}) has no settings {unknown}"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_answer_is_the_engines(path):
    """The author's answer against the check function, run here on the block as written."""
    questions = raw_questions(need(path))
    rendered = {q["id"]: q for q in parse_lesson(path).questions}
    assert [q["id"] for q in questions] == list(rendered)
    for q in questions:
        if q["kind"] in ("numeric", "predict"):
            assert "check" in q, f"{path.name}: question {q['id']} has no check"
        if "check" not in q:
            continue
        engine, work = lc.run_check(q["check"])
        assert work, f"{path.name}: question {q['id']}: no working"
        if q["kind"] == "choice":
            assert q["answer"] in range(len(q["choices"])), f"{path.name}: question {q['id']}: answer is not a choice"
            chosen = q["choices"][q["answer"]]
            assert bare(chosen) == bare(str(engine)), f"{path.name}: question {q['id']}: {chosen!r} vs {engine!r}"
        elif isinstance(engine, str):
            assert bare(str(q["answer"])) == bare(engine), (
                f"{path.name}: question {q['id']}: {q['answer']!r} vs {engine!r}"
            )
        elif isinstance(engine, int):  # whole answers are graded exactly, so they must be exact
            assert q["answer"] == engine, f"{path.name}: question {q['id']}: {q['answer']} vs {engine} ({work})"
            assert rendered[q["id"]]["answer"] == engine  # the page gets the engine's number
        else:  # others within the tolerance the question states
            assert q.get("tolerance", 0) > 0, f"{path.name}: question {q['id']}: {engine} needs a tolerance"
            assert abs(q["answer"] - engine) <= q["tolerance"], f"{path.name}: question {q['id']}: {q['answer']}"
            assert rendered[q["id"]]["answer"] == engine


# ---------------------------------------------------------------- check functions


@pytest.mark.parametrize(
    "n, k, s, p, d",
    [
        (7, 3, 1, 0, 1),
        (7, 3, 2, 0, 1),
        (7, 3, 3, 0, 1),
        (32, 5, 1, 2, 1),
        (28, 5, 1, 0, 1),
        (227, 11, 4, 0, 1),
        (9, 3, 2, 1, 2),
        (5, 5, 1, 0, 1),
        (4, 3, 3, 0, 1),
    ],
)
def test_output_size_is_the_formula_and_torchs(n, k, s, p, d):
    answer, work = lc.output_size(n, k, s, p, d)
    assert answer == (n + 2 * p - d * (k - 1) - 1) // s + 1
    y = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
    assert y.shape[-1] == answer
    assert work.split(" = ")[0].startswith(f"({n}")
    assert ("floored" in work) == ((n + 2 * p - d * (k - 1) - 1) % s != 0)


@pytest.mark.parametrize("k, d", [(1, 1), (3, 1), (5, 1), (7, 1), (3, 2), (5, 3)])
def test_same_padding_keeps_torchs_size(k, d):
    p, _ = lc.same_padding(k, d)
    assert p == d * (k - 1) // 2
    for n in (k * d, 13, 28):
        assert F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), padding=p, dilation=d).shape[-1] == n


def test_same_padding_refuses_an_even_window():
    with pytest.raises(ValueError, match="^k: "):
        lc.same_padding(4)


@pytest.mark.parametrize(
    "k, c_in, c_out, bias",
    [(3, 3, 16, True), (5, 1, 6, True), (5, 6, 16, True), (11, 3, 96, True), (3, 64, 64, False), ([3, 5], 2, 4, True)],
)
def test_conv_params_are_torchs(k, c_in, c_out, bias):
    layer = torch.nn.Conv2d(c_in, c_out, k if isinstance(k, int) else tuple(k), bias=bias)
    answer, work = lc.conv_params(k, c_in, c_out, bias)
    assert answer == sum(t.numel() for t in layer.parameters())
    assert work.endswith(f"= {answer}")


@pytest.mark.parametrize(
    "n_in, n_out, bias", [(400, 120, True), (120, 84, True), (40000, 40000, False), (9216, 4096, True)]
)
def test_dense_params_are_torchs(n_in, n_out, bias):
    layer = torch.nn.Linear(n_in, n_out, bias=bias)
    assert lc.dense_params(n_in, n_out, bias)[0] == sum(t.numel() for t in layer.parameters())


@pytest.mark.parametrize("units, window, channels", [(40000, 10, 1), (100, 3, 3), (1, 1, 1), (49, 5, 2)])
def test_local_and_shared_params(units, window, channels):
    assert lc.local_params(units, window, channels)[0] == units * window * window * channels
    shared = torch.nn.Conv2d(channels, units, window, bias=False)
    assert lc.shared_params(units, window, channels)[0] == shared.weight.numel()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("flip", [False, True])
def test_conv1d_value_is_torchs(seed, flip):
    rng = np.random.default_rng(seed)
    signal = rng.integers(-5, 6, rng.integers(4, 12)).tolist()
    kernel = rng.integers(-3, 4, rng.integers(1, 4)).tolist()
    w = torch.tensor(kernel[::-1] if flip else kernel, dtype=torch.float32)
    y = F.conv1d(torch.tensor(signal, dtype=torch.float32)[None, None], w[None, None])[0, 0]  # (L_out,)
    for index in range(len(y)):
        answer, work = lc.conv1d_value(signal, kernel, index, flip)
        assert answer == pytest.approx(y[index].item())
        assert work.endswith(f"= {str(answer).replace('-', '−')}")


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("flip", [False, True])
def test_conv2d_value_is_torchs(seed, flip):
    rng = np.random.default_rng(seed)
    h, w, k = int(rng.integers(3, 8)), int(rng.integers(3, 8)), int(rng.integers(1, 4))
    stride, padding = int(rng.integers(1, 3)), int(rng.integers(0, 2))
    x = np.round(rng.normal(size=(h, w)), 2).tolist()
    kern = np.round(rng.normal(size=(k, k)), 2).tolist()
    wt = torch.tensor(kern, dtype=torch.float32)
    wt = torch.flip(wt, (0, 1)) if flip else wt
    y = F.conv2d(torch.tensor(x, dtype=torch.float32)[None, None], wt[None, None], stride=stride, padding=padding)[0, 0]
    for r in range(y.shape[0]):
        for c in range(y.shape[1]):
            answer, _ = lc.conv2d_value(x, kern, r, c, stride, padding, flip)
            assert answer == pytest.approx(y[r, c].item(), abs=1e-5)


def test_conv2d_value_reproduces_seed_001():
    x = [[0, 80, 40], [20, 40, 0], [0, 0, 40]]
    k = [[0, 0.25], [0.5, 1]]
    assert [[lc.conv2d_value(x, k, r, c, flip=True)[0] for c in range(2)] for r in range(2)] == [[45, 110], [40, 40]]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_value_is_torchs(seed, mode):
    rng = np.random.default_rng(seed)
    n, window, stride = int(rng.integers(4, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    x = rng.integers(0, 10, (n, n)).astype(float).tolist()
    t = torch.tensor(x, dtype=torch.float32)[None, None]
    y = (F.max_pool2d if mode == "max" else F.avg_pool2d)(t, window, stride)[0, 0]
    for r in range(y.shape[0]):
        for c in range(y.shape[1]):
            assert lc.pool_value(x, window, stride, r, c, mode)[0] == pytest.approx(y[r, c].item(), abs=1e-5)


@pytest.mark.parametrize(
    "layers",
    [[(3, 1)], [(3, 1)] * 3, [(3, 2), (3, 1)], [(7, 2), (3, 2), (3, 1), (3, 1)], [(5, 1), (2, 2), (5, 1), (2, 2)]],
)
def test_receptive_field_is_the_formula(layers):
    expected, jump = 1, 1
    for k, s in layers:
        expected += (k - 1) * jump
        jump *= s
    answer, work = lc.receptive_field([{"kernel": k, "stride": s} for k, s in layers])
    assert answer == expected and work.endswith(f"= {expected}")


def test_output_shape_is_torchs():
    layers = [
        {"type": "conv", "filters": 16, "kernel": 3, "padding": 1},
        {"type": "maxpool", "kernel": 2},
        {"type": "conv", "filters": 8, "kernel": 5, "stride": 2},
    ]
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.MaxPool2d(2), torch.nn.Conv2d(16, 8, 5, stride=2)
    )
    _, c, h, w = net(torch.zeros(1, 3, 32, 32)).shape
    answer, work = lc.output_shape([3, 32, 32], layers)
    assert answer == f"{h} × {w} × {c}" and work.startswith("32 × 32 × 3 → ")


def test_layer_table_is_lenet5_in_torch():
    convs = {
        "conv1": torch.nn.Conv2d(1, 6, 5),
        "conv2": torch.nn.Conv2d(6, 16, 5),
        "fc1": torch.nn.Linear(256, 120),
        "fc2": torch.nn.Linear(120, 84),
        "softmax": torch.nn.Linear(84, 10),
    }
    for name, layer in convs.items():
        assert lc.layer_table("lenet5", name, "params")[0] == sum(t.numel() for t in layer.parameters())
    x = torch.zeros(1, 1, 28, 28)
    x = F.max_pool2d(convs["conv1"](x), 2)
    assert lc.layer_table("lenet5", "Pool1", "shape")[0] == f"{x.shape[2]} × {x.shape[3]} × {x.shape[1]}"
    assert lc.layer_table("lenet5", "Pool1", "size")[0] == x.numel()


@pytest.mark.parametrize(
    "spec, name",
    [
        ({"fn": "output_size", "n": 0, "k": 3}, "n"),
        ({"fn": "output_size", "n": 7, "k": 3, "s": 0}, "s"),
        ({"fn": "conv_params", "k": 3, "c_in": 1.5, "c_out": 2}, "c_in"),
        ({"fn": "conv2d_value", "input": [[1, 2], [3, 4]], "kernel": [[1]], "row": 2, "col": 0}, "row"),
        ({"fn": "conv2d_value", "input": [[1, 2], [3]], "kernel": [[1]], "row": 0, "col": 0}, "input"),
        ({"fn": "conv1d_value", "signal": [1, 2], "kernel": [1, 2, 3], "index": 0}, "kernel"),
        (
            {
                "fn": "pool_value",
                "input": [[1, 2], [3, 4]],
                "window": 2,
                "stride": 2,
                "row": 0,
                "col": 0,
                "mode": "min",
            },
            "mode",
        ),
        ({"fn": "layer_table", "net": "lenet5", "layer": "Conv9", "column": "params"}, "layer"),
        ({"fn": "layer_table", "net": "lenet6", "layer": "Conv1", "column": "params"}, "net"),
        ({"fn": "receptive_field", "layers": [{"kernel": 3, "strid": 1}]}, "layers[0]"),
        ({"fn": "nothing"}, "fn"),
        ({"fn": "output_size", "k": 3}, "'n'"),
    ],
)
def test_bad_check_arguments_are_named(spec, name):
    with pytest.raises(ValueError) as error:
        lc.run_check(spec)
    assert name in str(error.value), str(error.value)


# ---------------------------------------------------------------- lesson files with mistakes

GOOD = """---
title: A lesson
summary: One line.
objectives: [Do a thing]
widgets:
  demo: {type: pool, state: {poolStride: 2}}
---

Some prose.

::: widget demo
:::

::: question
id: width
kind: numeric
prompt: How wide?
answer: 3
check: {fn: output_size, n: 7, k: 3, s: 2}
explain: "{work}"
:::
"""


def write(tmp_path: Path, text: str, name: str = "01-a-lesson.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_good_fixture_parses(tmp_path):
    lesson = parse_lesson(write(tmp_path, GOOD))
    assert lesson.slug == "a-lesson" and lesson.number == 1
    assert lesson.questions[0]["answer"] == 3 and lesson.questions[0]["work"] == lc.output_size(7, 3, 2)[1]
    assert '<figure class="lesson-widget" data-widget="demo"' in lesson.html
    assert '<section class="question" data-question="width"' in lesson.html


@pytest.mark.parametrize(
    "old, new, field, words",
    [
        ("title: A lesson\n", "", "title", "required"),
        ("type: pool", "type: pooling", "widgets.demo.type", "not a widget type"),
        ("::: widget demo", "::: widget other", "widget", "'other'"),
        ("answer: 3", "answer: 4", "question width, answer", "output_size gives 3"),
        ("kind: numeric", "kind: essay", "question width, kind", "numeric, choice or predict"),
        (
            "check: {fn: output_size, n: 7, k: 3, s: 2}",
            "check: {fn: output_size, n: 7, k: 30, s: 2}",
            "question width, answer",
            "gives 0",
        ),
        (
            "check: {fn: output_size, n: 7, k: 3, s: 2}",
            "check: {fn: output_sise, n: 7}",
            "question width, check",
            "fn must be one of",
        ),
        ('explain: "{work}"', 'explain: "{worked}"', "question width, explain", "{worked}"),
        ("objectives: [Do a thing]", "objectives: []", "objectives", "at least 1"),
        ("::: widget demo\n:::\n", "", "widgets.demo", "no mount point"),
        ("Some prose.", "::: note\nSome prose.", "block", "::: note"),
    ],
)
def test_a_mistake_names_the_file_and_the_field(tmp_path, old, new, field, words):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(LessonError) as error:
        parse_lesson(path)
    message = str(error.value)
    assert message.startswith(path.name) and f", {field}: " in message and words in message, message
    assert error.value.field == field


def test_a_duplicate_question_id_is_named(tmp_path):
    block = GOOD[GOOD.index("::: question") :]
    path = write(tmp_path, GOOD + "\n" + block)
    with pytest.raises(LessonError, match=r"^01-a-lesson\.md, line \d+, id: question id 'width' is used twice"):
        parse_lesson(path)


def test_a_predict_on_an_undeclared_widget_is_named(tmp_path):
    block = (
        "\n::: question\nid: p\nkind: predict\nwidget: ghost\nset: {poolStride: 1}\nprompt: Rows?\nanswer: 7\n"
        "check: {fn: output_size, n: 8, k: 2, s: 1}\nexplain: ok\n:::\n"
    )
    with pytest.raises(LessonError, match=r"question p, widget: 'ghost' is not one of the lesson's widgets"):
        parse_lesson(write(tmp_path, GOOD + block))


def test_yaml_mistakes_give_the_line(tmp_path):
    text = GOOD.replace('explain: "{work}"', "explain: {work}: more")
    with pytest.raises(LessonError) as error:
        parse_lesson(write(tmp_path, text))
    line = text.splitlines().index("explain: {work}: more") + 1
    assert error.value.line == line and "not valid YAML" in str(error.value)


def test_prerequisites_must_be_earlier_lessons(tmp_path):
    write(tmp_path, GOOD.replace("objectives:", "prerequisites: [second]\nobjectives:"), "01-first.md")
    write(tmp_path, GOOD, "02-second.md")
    write(tmp_path, GOOD.replace("objectives:", "prerequisites: [nowhere]\nobjectives:"), "03-third.md")
    course = load_course(tmp_path)
    assert [lesson.slug for lesson in course.lessons] == ["second"]
    messages = sorted(str(e) for e in course.errors)
    assert messages[0].startswith("01-first.md, prerequisites: 'second' comes later")
    assert messages[1].startswith("03-third.md, prerequisites: 'nowhere' is not a lesson")
    with pytest.raises(LessonError, match="^01-first.md"):
        check_course(tmp_path)


def test_an_edited_file_is_read_again(tmp_path):
    path = write(tmp_path, GOOD)
    assert load_course(tmp_path).lessons[0].meta.title == "A lesson"
    assert load_course(tmp_path) is load_course(tmp_path)  # kept while nothing changes
    path.write_text(GOOD.replace("title: A lesson", "title: Renamed"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert load_course(tmp_path).lessons[0].meta.title == "Renamed"


def test_the_fixture_course_validates():
    course = check_course(FIXTURES)
    assert [lesson.slug for lesson in course.lessons] == ["sliding-a-filter", "after-the-filter"]
    kinds = {q["kind"] for lesson in course.lessons for q in lesson.questions}
    assert kinds == {"numeric", "choice", "predict"}


# ---------------------------------------------------------------- pages


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_the_index_lists_every_lesson(server_url):
    status, html = fetch(server_url + "lessons")
    assert status == 200
    course = load_course(LESSONS)
    for lesson in course.lessons:
        assert f'href="/lessons/{lesson.slug}"' in html
        assert lesson.meta.title.replace("'", "&#39;") in html
    assert 'href="/lessons"' in fetch(server_url)[1]  # the landing page links the course


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_lesson_page_answers(server_url, path):
    lesson = parse_lesson(need(path))
    status, html = fetch(f"{server_url}lessons/{lesson.slug}")
    assert status == 200
    assert f"<h1>{lesson.meta.title}</h1>".replace("'", "&#39;") in html
    assert html.count('class="lesson-widget"') == len(lesson.meta.widgets)
    assert html.count('<section class="question"') == len(lesson.questions)


def test_an_unknown_lesson_is_a_friendly_404(server_url):
    status, html = fetch(server_url + "lessons/no-such-lesson")
    assert status == 404
    assert "No lesson called" in html and "no-such-lesson" in html
    for lesson in load_course(LESSONS).lessons:
        assert f'href="/lessons/{lesson.slug}"' in html


@pytest.mark.filterwarnings(
    "ignore:Using `httpx` with `starlette.testclient`"
)  # a notice about its future, not a problem
def test_a_lesson_with_a_mistake_shows_it_and_the_rest_of_the_course_stays(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from app.pages import create_app

    write(tmp_path, GOOD.replace("answer: 3", "answer: 4"), "01-broken.md")
    write(tmp_path, GOOD.replace("title: A lesson", "title: Still here"), "02-fine.md")
    monkeypatch.setenv("CONVSCOPE_LESSONS", str(tmp_path))
    client = TestClient(create_app(warm=False), base_url="http://127.0.0.1")
    broken = client.get("/lessons/broken")
    assert broken.status_code == 500
    assert re.search(r"01-broken\.md, line \d+, question width, answer: the author&#39;s answer is 4", broken.text)
    index = client.get("/lessons")
    assert index.status_code == 200 and "Still here" in index.text and "01-broken.md" in index.text
    assert client.get("/lessons/fine").status_code == 200
