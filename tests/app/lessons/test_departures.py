"""Where the course departs from a lecture it says so, and the engine backs what it says.

Seed 002's 7×7×3 volume: the lecture prints outputs that its own inputs cannot give. Lesson 05
shows the printed output beside the computed one; here the engine computes the second from the
printed inputs, and no plausible misreading of those inputs (transposed, channels reordered,
filters turned or mirrored, either reading of the garbled padding cell) gives more than half of
the first. The other notes: padding grows the output by 2p (a slide says P), and a convolution is
equivariant where a slide says invariant.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.features.pictures import SEED002_B, SEED002_INPUT, SEED002_W
from app.lessons.course import parse_lesson
from engine import conv2d, shapes

ROOT = Path(__file__).resolve().parents[3]
LESSONS = ROOT / "lessons"

# As the slide prints them: o[:, :, 0] and o[:, :, 1], row by row.
PRINTED = np.array([[[7, 8, 3], [-3, -8, -5], [7, 6, -2]], [[-3, -5, 1], [-4, 2, 0], [0, -1, -4]]])  # (2, 3, 3)
COMPUTED = np.array([[[5, 4, 0], [-3, -8, -4], [7, 6, -2]], [[-3, -5, 1], [-6, 1, -1], [-2, -2, -4]]])  # (2, 3, 3)
# The slide's padded input has one 2 in its zero border: channel 1, row 2, last column.
GARBLED = (1, 2, 6)


def text_of(path: Path) -> str:
    """A lesson's prose as a reader sees it: tags dropped, one kind of minus."""
    return re.sub(r"<[^>]+>", " ", parse_lesson(path).html).replace("−", "-")


def rows(grid) -> str:
    return " / ".join(" ".join(str(int(v)) for v in row) for row in grid)


def test_the_printed_inputs_give_the_computed_output():
    x = SEED002_INPUT[None]  # (1, 3, 5, 5) the volume inside its ring of zeros
    y = conv2d(x, SEED002_W, SEED002_B, stride=2, padding=1)[0]  # (2, 3, 3)
    np.testing.assert_array_equal(y, COMPUTED)
    expected = F.conv2d(torch.tensor(x), torch.tensor(SEED002_W), torch.tensor(SEED002_B), stride=2, padding=1)
    np.testing.assert_array_equal(expected[0].numpy(), COMPUTED)
    assert (y == PRINTED).sum() == 9  # 9 of 18 agree; the printed output is another one


def misreadings():
    """Every reading of the slide's inputs tried: the garbled cell as 0 or 2, the channels in any
    order, the volume and the filters transposed or not, the filters as printed, turned or mirrored."""
    flips = {"as printed": lambda w: w, "turned": lambda w: w[:, :, ::-1, ::-1]}
    flips |= {"mirrored left-right": lambda w: w[:, :, :, ::-1], "mirrored up-down": lambda w: w[:, :, ::-1, :]}
    for cell, order, tx, tw, flip in itertools.product(
        (0, 2), itertools.permutations(range(3)), *[(False, True)] * 2, flips
    ):
        padded = np.pad(SEED002_INPUT, ((0, 0), (1, 1), (1, 1)))  # (3, 7, 7) the slide's zero ring
        padded[GARBLED] = cell
        x = padded[list(order)]  # (3, 7, 7)
        x = x.transpose(0, 2, 1) if tx else x
        w = SEED002_W.transpose(0, 1, 3, 2) if tw else SEED002_W  # (2, 3, 3, 3)
        yield np.ascontiguousarray(x), np.ascontiguousarray(flips[flip](w))


def test_no_misreading_of_the_inputs_gives_the_printed_output():
    best = 0
    for x, w in misreadings():
        y = conv2d(x[None], w, SEED002_B, stride=2)[0]  # (2, 3, 3) x is already padded
        best = max(best, int((y == PRINTED).sum()))
    assert best == 9 < PRINTED.size


def test_lesson_05_shows_both_outputs_and_says_the_printed_one_cannot_come_from_the_inputs():
    text = text_of(LESSONS / "05-channels-and-filters.md")
    for grid in (*PRINTED, *COMPUTED):
        assert rows(grid) in text, rows(grid)
    assert "cannot come from the printed inputs" in text
    assert "more than 9 of the 18 printed numbers" in text


def test_padding_grows_the_output_by_two_p_and_lesson_06_says_so():
    for n, k, p in [(5, 3, 1), (7, 3, 2), (32, 5, 2)]:
        assert shapes.axis(n, k, 1, p).size - shapes.axis(n, k).size == 2 * p
    text = text_of(LESSONS / "06-padding-and-stride.md")
    assert re.search(r"says padding extends the output by \s*P\b", text) and "by 2p" in text


@pytest.mark.parametrize("shift", [1, 2, 3])
def test_a_convolution_moves_with_its_input_and_the_lessons_call_it_equivariant(shift):
    rng = np.random.default_rng(shift)
    x = rng.normal(size=(1, 1, 8, 12)).astype(np.float32)  # (1, 1, H, W)
    w = rng.normal(size=(1, 1, 3, 3)).astype(np.float32)  # (1, 1, 3, 3)
    moved = np.roll(x, shift, axis=3)  # (1, 1, H, W) the picture moved right, wrapped round
    y, y_moved = conv2d(x, w)[0, 0], conv2d(moved, w)[0, 0]  # (6, 10)
    assert not np.allclose(y, y_moved)  # not invariant: the map changes...
    np.testing.assert_allclose(y_moved[:, shift:], y[:, :-shift], rtol=1e-5, atol=1e-5)  # ...it moves along
    for lesson in ("01-images-as-vectors.md", "10-pooling.md"):
        text = text_of(LESSONS / lesson)
        assert "equivariant" in text and "invarian" in text  # the lecture's word named, and ours
