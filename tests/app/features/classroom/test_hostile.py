"""Students trying to drive the class: every message answered, none of theirs changes the class or another's answer."""

from __future__ import annotations

import pytest

from app.features import TABLE

from .conftest import device, nothing_pushed, push

CONTROL = {
    "class.stage": {"path": "/xo"},
    "class.poll": {"kind": "number", "prompt": "?", "value": 1},
    "class.reveal": {"poll": 1},
    "class.end": {},
    "class.teach": {},
}


@pytest.mark.parametrize("type_name", sorted(CONTROL))
def test_control_messages_without_the_secret_are_refused_and_change_nothing(classroom, type_name):
    teacher = classroom.teacher()
    teacher.ask("class.stage", {"path": "/playground", "query": "s=2"})
    poll = teacher.poll(kind="choice", prompt="?", options=["a", "b"], answer=0).meta["poll"]["id"]
    student, bystander = classroom.student(teacher.code), classroom.student(teacher.code)
    params = {**CONTROL[type_name], "code": teacher.code}
    if type_name == "class.reveal":
        params["poll"] = poll
    missing = student.ask(type_name, params)
    assert (missing.type, missing.header["field"]) == ("error", "key") and "required" in missing.header["message"]
    for key in ("x" * 32, teacher.key[:-1] + ("A" if teacher.key[-1] != "A" else "B")):
        refused = student.ask(type_name, {**params, "key": key})
        assert (refused.type, refused.header["code"], refused.header["field"]) == ("error", "invalid", "key")
    assert nothing_pushed(bystander) == []  # no stage, poll, result or end reached the class
    later = classroom.student(teacher.code)
    assert later.joined.meta["stage"]["query"] == "s=2" and later.joined.meta["poll"]["id"] == poll
    assert later.joined.meta["poll"]["revealed"] is False


def test_a_student_answers_for_their_own_device_only(classroom):
    teacher = classroom.teacher()
    alice, bob = device(), device()
    a, b = classroom.student(teacher.code, alice), classroom.student(teacher.code, bob)
    poll = teacher.poll(kind="choice", prompt="?", options=["a", "b", "c"], answer=2).meta["poll"]["id"]
    a.ask("class.answer", {"poll": poll, "choice": 0})
    b.ask("class.answer", {"poll": poll, "choice": 1})
    forged = a.ask("class.answer", {"poll": poll, "choice": 2, "device": bob})
    assert (forged.header["field"], forged.header["code"]) == ("device", "invalid")
    a.ask("class.join", {"code": teacher.code, "device": alice})  # joining again does not add a voice
    a.ask("class.answer", {"poll": poll, "choice": 2})
    tally = teacher.ask("class.reveal", {"poll": poll}).meta["tally"]
    assert [bar["count"] for bar in tally["bars"]] == [0, 1, 1]  # bob's answer is bob's; alice's moved


def test_answers_of_the_wrong_kind_or_out_of_range_name_their_field(classroom):
    teacher = classroom.teacher()
    student = classroom.student(teacher.code)
    poll = teacher.poll(kind="choice", prompt="?", options=["a", "b"], answer=0).meta["poll"]["id"]
    cases = [
        ({"poll": poll, "choice": 5}, "choice", "from 0 to 1"),
        ({"poll": poll, "value": 3}, "value", "takes a choice"),
        ({"poll": poll, "choice": 0, "value": 1}, "choice", "exactly one"),
        ({"poll": poll}, "choice", "exactly one"),
        ({"poll": poll + 1, "choice": 0}, "poll", f"the open poll is {poll}"),
        ({"poll": poll, "choice": True}, "choice", "whole number"),
        ({"poll": 0, "choice": 0}, "poll", "from 1"),
    ]
    for params, field, words in cases:
        answer = student.ask("class.answer", params)
        assert (answer.type, answer.header["field"]) == ("error", field), (params, answer.header)
        assert words in answer.header["message"], answer.header["message"]
    assert student.ask("class.answer", {"poll": poll, "choice": 1}).type == "class.answered"  # still served


def test_answering_before_joining_is_refused(classroom):
    teacher = classroom.teacher()
    poll = teacher.poll(kind="number", prompt="?", value=1).meta["poll"]["id"]
    stranger = classroom.page()
    refused = stranger.ask("class.answer", {"poll": poll, "value": 1})
    assert (refused.header["field"], "join a class first" in refused.header["message"]) == ("poll", True)


def test_a_flood_of_answers_is_refused_as_busy_and_counted_once(classroom):
    teacher = classroom.teacher()
    student = classroom.student(teacher.code)
    poll = teacher.poll(kind="number", prompt="?", value=1).meta["poll"]["id"]
    ids = [student.send("class.answer", {"poll": poll, "value": n}) for n in range(30)]
    answers = {}
    while len(answers) < len(ids):
        frame = student.recv(10)
        if frame.id is not None:
            answers[frame.id] = frame.header
    busy = [h for h in answers.values() if h["type"] == "error"]
    assert busy and all((h["code"], h["field"]) == ("busy", "type") for h in busy)
    assert "4 answers a second" in busy[0]["message"]
    counted = max(n for i, n in zip(ids, range(30)) if answers[i]["type"] == "class.answered")
    tally = teacher.ask("class.reveal", {"poll": poll}).meta["tally"]
    assert tally["total"] == 1 and tally["bars"][0]["label"] == str(counted)


def test_guessing_class_codes_is_rationed(classroom):
    teacher = classroom.teacher()
    guesser = classroom.page()
    wrong = [c for c in ("AAAAA", "BBBBB", "CCCCC", "DDDDD", "EEEEE", "FFFFF", "GGGGG") if c != teacher.code]
    codes = [guesser.ask("class.join", {"code": c, "device": device()}).header["code"] for c in wrong]
    assert codes[:5] == ["invalid"] * 5 and codes[5:] == ["busy"] * (len(wrong) - 5)
    right = guesser.ask("class.join", {"code": teacher.code, "device": device()})
    assert right.type == "class.joined"  # the right code still works: the ration is for wrong ones


def test_every_class_message_names_an_unknown_setting(classroom):
    page = classroom.page()
    for type_name in (t for t in TABLE.messages if t.startswith("class.")):
        answer = page.ask(type_name, {"not_a_setting": 1})
        assert (answer.header["code"], answer.header["field"]) == ("invalid", "not_a_setting"), type_name


@pytest.mark.parametrize("path", ["//evil.example/x", "javascript:alert(1)", "/a//b", "http://evil.example/", "/a b"])
def test_the_stage_stays_on_this_server(classroom, path):
    teacher = classroom.teacher()
    student = classroom.student(teacher.code)
    refused = teacher.ask("class.stage", {"path": path})
    assert (refused.type, refused.header["field"]) == ("error", "path")
    assert "class.follow" not in nothing_pushed(student)


def test_the_poll_reaches_students_without_its_answer_until_the_reveal(classroom):
    teacher = classroom.teacher()
    student = classroom.student(teacher.code)
    teacher.poll(kind="number", prompt="How many?", value=1234.5, tolerance=0)
    question = push(student, "class.question")
    assert b"1234" not in question.header.__repr__().encode()
    rejoined = classroom.student(teacher.code)
    assert "answer" not in rejoined.joined.meta["poll"] and "working" not in rejoined.joined.meta["poll"]
