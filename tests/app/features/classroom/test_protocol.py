"""The class.* messages through a real server: joining, following, polls of every kind, results, the end."""

from __future__ import annotations

import csv
import io

import numpy as np

from app.lessons.course import load_course
from engine import shapes, xo_train
from engine.xo_data import CLASSES, draw
from tests.engine.reference import conv2d as reference_conv2d

from .conftest import device, nothing_pushed, push


def test_a_student_joins_with_the_code_in_any_case_and_hears_what_is_on_stage(classroom):
    teacher = classroom.teacher()
    assert len(teacher.code) == 5 and teacher.code.isupper()
    staged = teacher.ask("class.stage", {"path": "/playground", "query": "s=2&p=1", "state": {"stride": 2}})
    student = classroom.student(teacher.code.lower())
    stage = student.joined.meta["stage"]
    assert (stage["path"], stage["query"], stage["state"], stage["seq"]) == (
        "/playground",
        "s=2&p=1",
        {"stride": 2},
        staged.meta["seq"],
    )
    assert student.joined.meta["code"] == teacher.code and student.joined.meta["poll"] is None


def test_every_student_follows_each_change_in_order(classroom):
    teacher = classroom.teacher()
    students = [classroom.student(teacher.code) for _ in range(6)]
    seqs = [teacher.ask("class.stage", {"path": "/layers", "query": f"ps={n}"}).meta["seq"] for n in (2, 3)]
    for student in students:
        got = [push(student, "class.follow").meta for _ in seqs]
        assert [(m["query"], m["seq"]) for m in got] == [("ps=2", seqs[0]), ("ps=3", seqs[1])]


def test_the_projector_counts_devices_not_tabs(classroom):
    teacher = classroom.teacher()
    phone = device()
    classroom.student(teacher.code, phone)
    classroom.student(teacher.code, phone)  # the same phone, a second tab
    other = classroom.student(teacher.code)
    counts = [push(teacher.page, "class.count").meta["count"]]
    while counts[-1] != 2:
        counts.append(push(teacher.page, "class.count").meta["count"])
    other.ask("class.leave")
    assert push(teacher.page, "class.count").meta["count"] == 1


def test_a_choice_poll_counts_each_device_once_and_reveals_to_everyone(classroom):
    teacher = classroom.teacher()
    phones = [device() for _ in range(5)]
    students = [classroom.student(teacher.code, phone) for phone in phones]
    polled = teacher.poll(kind="choice", prompt="Which is wider?", options=["3", "5", "7"], answer=1)
    poll = polled.meta["poll"]["id"]
    for student in students:
        question = push(student, "class.question").meta["poll"]
        assert question == {
            "id": poll,
            "kind": "choice",
            "form": "choice",
            "prompt": "Which is wider?",
            "options": ["3", "5", "7"],
            "revealed": False,
        }  # no answer in it
    for student, choice in zip(students, [1, 1, 0, 2, 0]):
        assert student.ask("class.answer", {"poll": poll, "choice": choice}).meta["answer"]["label"] == "357"[choice]
    students[2].ask("class.answer", {"poll": poll, "choice": 1})  # changes its mind: moved, not added
    again = classroom.student(teacher.code, phones[3])  # the fourth phone joins again and answers again
    assert again.joined.meta["mine"] == {"key": "2", "label": "7"}
    again.ask("class.answer", {"poll": poll, "choice": 2})
    revealed = teacher.ask("class.reveal", {"poll": poll}).meta
    tally = revealed["tally"]
    assert (tally["total"], tally["right"]) == (5, 3)
    assert [(b["label"], b["count"], b["right"]) for b in tally["bars"]] == [
        ("3", 1, False),
        ("5", 3, True),
        ("7", 1, False),
    ]
    assert tally["share_right"] == 3 / 5 and tally["wrong"] == [{"label": "3", "count": 1}, {"label": "7", "count": 1}]
    for student in students:
        result = push(student, "class.result").meta
        assert result["poll"]["answer_text"] == "5" and result["tally"] == tally
    late = students[0].ask("class.answer", {"poll": poll, "choice": 0})
    assert (late.type, late.header["field"]) == ("error", "poll") and "closed" in late.header["message"]


def test_the_projector_sees_answers_arrive(classroom):
    teacher = classroom.teacher()
    students = [classroom.student(teacher.code) for _ in range(3)]
    poll = teacher.poll(kind="number", prompt="7 − 3?", value=4, tolerance=0).meta["poll"]["id"]
    for n, student in enumerate(students, 1):
        student.ask("class.answer", {"poll": poll, "value": 4 if n < 3 else 5})
    totals = [push(teacher.page, "class.tally").meta["tally"]]
    while totals[-1]["total"] < 3:
        totals.append(push(teacher.page, "class.tally").meta["tally"])
    last = totals[-1]
    assert (last["right"], [(b["label"], b["count"]) for b in last["bars"]]) == (2, [("4", 2), ("5", 1)])


def test_a_number_poll_takes_its_tolerance(classroom):
    teacher = classroom.teacher()
    student, other = classroom.student(teacher.code), classroom.student(teacher.code)
    poll = teacher.poll(kind="number", prompt="One third?", value=0.3333, tolerance=0.01).meta["poll"]["id"]
    student.ask("class.answer", {"poll": poll, "value": 0.33})
    other.ask("class.answer", {"poll": poll, "value": 0.3})
    tally = teacher.ask("class.reveal", {"poll": poll}).meta["tally"]
    assert (tally["total"], tally["right"], tally["wrong"]) == (2, 1, [{"label": "0.3", "count": 1}])


def test_predicting_the_output_width_is_answered_by_the_engine(classroom):
    teacher = classroom.teacher()
    student = classroom.student(teacher.code)
    predict = {"output_size": {"n": 11, "k": 3, "s": 2, "p": 1, "d": 2}}
    poll = teacher.poll(kind="predict", predict=predict).meta["poll"]
    expected = shapes.axis(11, 3, 2, 1, 1, 2).size
    assert poll["answer"] == expected and poll["form"] == "value"
    seen = push(student, "class.question").meta["poll"]
    assert seen.keys() == {"id", "kind", "form", "prompt", "options", "revealed"}  # no answer, no working
    student.ask("class.answer", {"poll": poll["id"], "value": expected})
    revealed = teacher.ask("class.reveal", {"poll": poll["id"]}).meta
    assert revealed["tally"]["right"] == 1 and str(expected) in revealed["poll"]["working"]


def test_predicting_the_next_cell_is_the_convolution_at_that_cell(classroom):
    rng = np.random.default_rng(4)
    x = rng.integers(-3, 4, (2, 6, 7)).astype(np.float32)  # (C, H, W)
    w = rng.integers(-2, 3, (2, 2, 3, 3)).astype(np.float32)  # (F, C, KH, KW)
    b = np.array([0.5, -1], np.float32)  # (F,)
    conv = {
        "input": {"channels": 2, "height": 6, "width": 7, "values": x.ravel().tolist()},
        "kernels": {"filters": 2, "height": 3, "width": 3, "values": w.ravel().tolist()},
        "bias": b.tolist(),
        "stride": [1, 2],
        "padding": [1, 1, 1, 1],
    }
    teacher = classroom.teacher()
    poll = teacher.poll(kind="predict", predict={"next_value": {"conv": conv, "filter": 1, "cell": 5}}).meta["poll"]
    y = reference_conv2d(x[None], w, b, (1, 2), (1, 1, 1, 1), (1, 1), False)[0]  # (F, OH, OW)
    row, col = divmod(5, y.shape[2])
    assert abs(poll["answer"] - float(y[1, row, col])) < 1e-4
    assert f"row {row + 1}, column {col + 1}" in poll["prompt"] and poll["working"].count("×") == 18


def test_predicting_the_networks_pick_is_the_hand_designed_networks(classroom):
    teacher = classroom.teacher()
    grid = draw(1, 9)  # (9, 9) the lectures' O
    poll = teacher.poll(kind="predict", predict={"network_pick": {"grid": grid.ravel().tolist()}}).meta["poll"]
    probs = xo_train.Trainer(xo_train.make_config({"size": 9})).maps(grid, "hand")["probs"]
    assert poll["options"] == list(CLASSES) and poll["answer"] == int(np.argmax(probs))


def test_a_lesson_question_is_pushed_with_the_lessons_own_answer(classroom):
    lesson = next(x for x in load_course().lessons if any(q["kind"] == "choice" for q in x.questions))
    question = next(q for q in lesson.questions if q["kind"] == "choice")
    teacher = classroom.teacher()
    poll = teacher.poll(kind="lesson", lesson={"slug": lesson.slug, "question": question["id"]}).meta["poll"]
    assert poll["answer"] == question["answer"] and len(poll["options"]) == len(question["choices"])
    assert "<" not in poll["prompt"] + "".join(poll["options"])  # text for a phone, never markup

    numeric = next(q for x in load_course().lessons for q in x.questions if q["kind"] == "numeric")
    slug = next(x.slug for x in load_course().lessons if numeric in x.questions)
    poll = teacher.poll(kind="lesson", lesson={"slug": slug, "question": numeric["id"]}).meta["poll"]
    assert poll["answer"] == numeric["answer"]


def test_results_download_as_csv_with_the_instructors_key_only(classroom):
    teacher = classroom.teacher()
    students = [classroom.student(teacher.code, nickname=name) for name in ("ada", "=cmd()", "")]
    poll = teacher.poll(kind="choice", prompt="Pick", options=["a", "b"], answer=0).meta["poll"]["id"]
    for student, choice in zip(students, (0, 1, 0)):
        student.ask("class.answer", {"poll": poll, "choice": choice})
    path = f"class/{teacher.code}/results.csv"
    assert classroom.get(path)[0] == 403
    assert classroom.get(path, {"X-Class-Key": "x" * 32})[0] == 403
    status, body, headers = classroom.get(path, {"X-Class-Key": teacher.key})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert sorted((r["nickname"], r["answer"], r["right"]) for r in rows) == [
        ("", "a", "yes"),
        ("'=cmd()", "b", "no"),  # a spreadsheet shows it as text, never runs it
        ("ada", "a", "yes"),
    ]
    assert all(r["poll"] == str(poll) and len(r["student"]) == 10 for r in rows)


def test_the_qr_code_is_an_svg_of_the_classes_join_address(classroom):
    teacher = classroom.teacher()
    status, svg, headers = classroom.get(f"class/{teacher.code}/qr.svg")
    assert status == 200 and headers["content-type"] == "image/svg+xml" and svg.startswith(b"<svg")
    other = classroom.teacher()
    assert classroom.get(f"class/{other.code}/qr.svg")[1] != svg  # each class's own address
    assert classroom.get("class/ZZZZZ/qr.svg")[0] == 404


def test_a_class_that_ends_loses_its_code(classroom):
    teacher = classroom.teacher()
    student = classroom.student(teacher.code)
    assert teacher.ask("class.end").type == "class.ended"
    assert push(student, "class.closed").meta == {"code": teacher.code}
    again = classroom.page().ask("class.join", {"code": teacher.code, "device": device()})
    assert (again.type, again.header["field"]) == ("error", "code")
    assert teacher.ask("class.stage", {"path": "/"}).header["field"] == "code"
    assert classroom.get(f"class/{teacher.code}/qr.svg")[0] == 404


def test_leaving_stops_the_class_frames(classroom):
    teacher = classroom.teacher()
    student = classroom.student(teacher.code)
    assert student.ask("class.leave").meta == {"left": teacher.code}
    teacher.ask("class.stage", {"path": "/xo"})
    assert "class.follow" not in nothing_pushed(student)
