"""The grouped widget in a browser: the maps it draws are torch's grouped and separable convolutions of
the same seeded input and weights (drawn here from the seed as the feature draws them), the diagram
has a line for every connection torch's filter shape makes and lights the inputs of the output in
focus, pointing and the arrow keys move that focus, the table's counts are torch modules' numel and
H_out·W_out times it, impossible groups are lowered to a legal one, and it reads at 1024×768, in
presenter mode, in the dark theme and at 390×844 without sideways scroll; in its lesson a predict
question reads the weights the widget counts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ..conftest import screenshot
from ..helpers import assert_shows, open_widget

INSPECT = "window.convscopeWidget.widget.inspect()"


def drawn(seed: int, c_in: int, c_out: int, size: int, k: int, mode: str, groups: int):
    """The feature's seeded input and weights (its draws, in its order) and torch's output of them."""
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.integers(0, 4, (1, c_in, size, size)), dtype=torch.float32)  # (1, C_in, H, W)
    pad = (k - 1) // 2  # the widget keeps an odd kernel's maps their size
    if mode == "separable":
        wd = torch.tensor(rng.integers(-1, 2, (c_in, 1, k, k)), dtype=torch.float32)  # (C_in, 1, k, k)
        wp = torch.tensor(rng.integers(-1, 2, (c_out, c_in, 1, 1)), dtype=torch.float32)  # (C_out, C_in, 1, 1)
        return F.conv2d(F.conv2d(x, wd, padding=pad, groups=c_in), wp)[0]  # (C_out, H, W)
    w = torch.tensor(rng.integers(-1, 2, (c_out, c_in // groups, k, k)), dtype=torch.float32)
    return F.conv2d(x, w, padding=pad, groups=groups)[0]  # (C_out, H, W)


def lit(page, column: str) -> list[int]:
    return page.eval_on_selector_all(
        f'[data-col="{column}"] .gr-map', "fs => fs.flatMap((f, i) => f.classList.contains('lit') ? [i] : [])"
    )


def wait_focus(page, channel: int):
    page.wait_for_function(f"{INSPECT}.focus === {channel}")


def test_the_grouped_layer_is_torchs_and_its_lines_are_its_filters(page, server_url):
    open_widget(page, server_url, "grouped", "?grm=grouped&gri=6&gro=6&grg=3&grk=3&grs=5")
    y = drawn(1, 6, 6, 5, 3, "grouped", 3)
    assert_shows(page.evaluate(f"{INSPECT}.focusLabels"), y[0].numpy(), what="output channel 1")
    # One line per (output, input) pair a filter of shape (6, 6/3, 3, 3) joins; those of output 1 lit.
    assert page.locator(".gr-line").count() == 6 * (6 // 3)
    assert page.locator(".gr-line.lit").count() == 6 // 3
    assert lit(page, "input") == [0, 1] and lit(page, "output") == [0]
    assert page.locator("[data-reads]").inner_text() == "Output channel 1 of 6 reads input channels 1, 2."


def test_pointing_and_the_arrow_keys_move_the_output_in_focus(page, server_url):
    open_widget(page, server_url, "grouped", "?grm=grouped&gri=8&gro=4&grg=2")
    y = drawn(1, 8, 4, 5, 3, "grouped", 2)
    page.locator('[data-output="2"] canvas').hover()
    wait_focus(page, 2)
    assert page.evaluate(f"{INSPECT}.reads") == [5, 6, 7, 8]
    assert lit(page, "input") == [4, 5, 6, 7]
    assert_shows(page.evaluate(f"{INSPECT}.focusLabels"), y[2].numpy(), what="output channel 3")
    # The keyboard: Tab marks keyboard navigation, then the stage takes the arrows, Home and End.
    page.keyboard.press("Tab")
    page.locator(".gr-stage").focus()
    outline = page.eval_on_selector(".gr-stage", "e => getComputedStyle(e).outlineStyle")
    assert outline != "none", "the focused diagram shows a focus ring"
    page.keyboard.press("ArrowRight")
    wait_focus(page, 3)
    assert lit(page, "input") == [4, 5, 6, 7] and lit(page, "output") == [3]
    page.keyboard.press("Home")
    wait_focus(page, 0)
    assert lit(page, "input") == [0, 1, 2, 3]
    page.keyboard.press("ArrowLeft")  # already the first: stays
    page.keyboard.press("End")
    wait_focus(page, 3)
    page.wait_for_function("location.search.includes('grc=3')")  # the focus is part of the link an instructor shares


def test_separable_maps_lines_and_counts_are_torchs(page, server_url):
    open_widget(page, server_url, "grouped", "?grm=separable&gri=3&gro=5&grk=3&grs=6&grr=this&grc=4")
    y = drawn(1, 3, 5, 6, 3, "separable", 1)
    assert_shows(page.evaluate(f"{INSPECT}.focusLabels"), y[4].numpy(), what="output channel 5")
    assert page.locator('[data-col="middle"] .gr-map').count() == 3
    assert page.locator(".gr-line").count() == 3 + 5 * 3  # one per channel, then every channel to every output
    assert lit(page, "input") == [0, 1, 2] and lit(page, "middle") == [0, 1, 2]
    modules = {
        "ordinary": [nn.Conv2d(3, 5, 3)],
        "grouped": [nn.Conv2d(3, 5, 3, groups=1)],  # 3 and 5 share only one group
        "depthwise": [nn.Conv2d(3, 3, 3, groups=3)],
        "pointwise": [nn.Conv2d(3, 5, 1)],
        "separable": [nn.Conv2d(3, 3, 3, groups=3), nn.Conv2d(3, 5, 1)],
    }
    for mode, mods in modules.items():
        weights = sum(m.weight.numel() for m in mods)
        assert page.locator(f'[data-weights="{mode}"]').inner_text() == f"{weights:,}", mode
        assert page.locator(f'[data-madds="{mode}"]').inner_text() == f"{6 * 6 * weights:,}", mode
    assert page.locator("[data-ratio]").inner_text().startswith("Separable ÷ ordinary = 1/5 + 1/3²")
    assert page.evaluate(f"{INSPECT}.state.grGroups") == 1


def test_groups_that_do_not_divide_are_lowered_and_only_divisors_are_offered(page, server_url):
    open_widget(page, server_url, "grouped", "?grm=grouped&gri=6&gro=4&grg=3")
    assert page.evaluate(f"{INSPECT}.state.grGroups") == 2  # 3 does not divide 4: the next lower that fits
    offered = page.eval_on_selector_all("[data-groups] .chip", "cs => cs.map(c => Number(c.dataset.group))")
    assert offered == [1, 2]
    page.locator('[data-group="1"]').click()
    page.wait_for_function(f"{INSPECT}.meta.groups === 1")
    assert page.locator(".gr-line").count() == 4 * 6


@pytest.mark.parametrize(
    "name, query, size",
    [
        ("grouped-1024", "?grm=grouped&gri=8&gro=8&grg=4&grc=5", (1024, 768)),
        ("grouped-1024-wide", "?grm=ordinary&gri=8&gro=8&grk=5&grs=8", (1024, 768)),
        ("grouped-present", "?present=1&grm=separable&gri=4&gro=6", (1024, 768)),
        ("grouped-dark", "?theme=dark&grm=depthwise&gri=6", (1024, 768)),
        ("grouped-phone", "?grm=separable&gri=8&gro=8", (390, 844)),
    ],
)
def test_it_reads_on_a_projector_and_fits_a_phone(page, server_url, name, query, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_widget(page, server_url, "grouped", query)
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0], "no sideways scroll"
    # The table's numbers are never cut: each cell is as wide as its text.
    clipped = page.eval_on_selector_all(
        ".gr-table td.gr-num", "cs => cs.filter(c => c.scrollWidth > c.clientWidth).length"
    )
    assert clipped == 0
    # Every map of the diagram stays on screen, and the focused output's numbers are at least 14 px.
    right = page.eval_on_selector_all(
        ".gr-map canvas", "cs => Math.max(...cs.map(c => c.getBoundingClientRect().right))"
    )
    assert right <= size[0]
    labels = page.evaluate(f"{INSPECT}.focusLabels")
    assert all(text is not None for row in labels for text in row), "every cell of the focused map shows its number"
    said = page.locator("[data-said]").inner_text()
    assert said.startswith(page.locator("[data-summary]").inner_text())  # the screen reader hears the same
    screenshot(page, name)


def reveal(page, qid: str, typed: str) -> str:
    q = page.locator(f'section.question[data-question="{qid}"]')
    q.locator("input.question-input").fill(typed)
    q.get_by_role("button", name="Reveal").click()
    feedback = f"document.querySelector(\"[data-question='{qid}'] .question-feedback\")"
    page.wait_for_function(f"/right|wrong/.test({feedback}.className)")
    return q.locator(".question-feedback").inner_text()


def test_in_its_lesson_the_predictions_read_what_the_widget_counts(page, server_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}lessons/grouped-and-separable")
    page.wait_for_function("document.querySelector('#widget-channels').dataset.ready", timeout=60_000)
    counts = "window.convscopeLesson.widgets.get('channels').inspect().counts.layer"
    grouped = nn.Conv2d(6, 6, 3, groups=3, bias=False).weight.numel()
    assert "Right." in reveal(page, "widget-grouped-weights", str(grouped))
    assert page.evaluate(f"{counts}.grouped.weights") == grouped
    screenshot(page, "grouped-lesson")
    separable = nn.Conv2d(8, 8, 3, groups=8).weight.numel() + nn.Conv2d(8, 8, 1).weight.numel()
    feedback = reveal(page, "widget-separable-madds", str(5 * 5 * separable + 1))  # a near miss is wrong
    assert feedback.startswith("Not quite.") and f"The engine computed {5 * 5 * separable}" in feedback
    assert page.evaluate(f"{counts}.separable.madds") == 5 * 5 * separable
