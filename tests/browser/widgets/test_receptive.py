"""The receptive-field widget in real Chromium, alone and in lessons 11 and 12. The numbers it shows
are compared with PyTorch's autograd of the focused unit (the same stack with every weight 1, in
float64), worked out here from the stack each test chose; the pointer and the keyboard move the
focus; screenshots at a projector's 1024×768, in presenter mode, in the dark theme and on a phone."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ..conftest import screenshot
from ..helpers import assert_shows, open_widget
from ..pages.test_every_screen import PROBLEMS

INSPECT = "window.convscopeWidget.widget.inspect()"
THREE = [{"k": 3}, {"k": 3}, {"k": 3}]
SEED000 = [{"k": 2}, {"k": 2}]


def expected_paths(n: int, layers: list[dict], level: int, row: int, col: int, on: int = 0) -> np.ndarray:
    """d(unit (row, col) of ``level``)/d(map ``on``), every weight 1: the path counts, by autograd."""
    maps = [torch.zeros(1, 1, n, n, dtype=torch.float64, requires_grad=True)]
    for layer in layers[:level]:
        ones = torch.ones(1, 1, layer["k"], layer["k"], dtype=torch.float64)
        s, p, d = layer.get("s", 1), layer.get("p", 0), layer.get("d", 1)
        maps.append(F.conv2d(maps[-1], ones, stride=s, padding=p, dilation=d))
        maps[-1].retain_grad()
    maps[-1][0, 0, row, col].backward()
    return maps[on].grad[0, 0].numpy()


def focus(page) -> tuple[int, int, int]:
    f = page.evaluate(f"{INSPECT}.focus")
    return f["level"], f["row"], f["col"]


def wait_focus(page, level: int, row: int, col: int):
    page.wait_for_function(
        f"(() => {{ const f = {INSPECT}.focus; return f && f.level === {level} && f.row === {row} "
        f"&& f.col === {col}; }})()"
    )


def labels(page, level: int, size: int) -> list[list[str | None]]:
    return page.evaluate(
        f"Array.from({{length: {size}}}, (_, r) => "
        f"Array.from({{length: {size}}}, (_, c) => {INSPECT}.label({level}, r, c)))"
    )


def cell_centre(page, level: int, r: int, c: int) -> tuple[float, float]:
    """Where on the screen the centre of cell (r, c) of map ``level`` is drawn (its padding margin included)."""
    before, after = page.evaluate(f"{INSPECT}.margin({level})")
    size = page.evaluate(f"{INSPECT}.sides")[level]
    box = page.locator(f'canvas[data-map="{level}"]').bounding_box()
    cell = (box["width"] - 1) / (size + before + after)
    return box["x"] + (before + c + 0.5) * cell, box["y"] + (before + r + 0.5) * cell


def test_the_default_stack_shows_torchs_path_counts_and_the_growth(page, server_url):
    open_widget(page, server_url, "receptive")
    assert focus(page) == (3, 4, 4)  # 16 → 14 → 12 → 10: the centre unit of the last map
    np.testing.assert_array_equal(page.evaluate(f"{INSPECT}.paths(0)"), expected_paths(16, THREE, 3, 4, 4))
    np.testing.assert_array_equal(page.evaluate(f"{INSPECT}.paths(2)"), expected_paths(16, THREE, 3, 4, 4, on=2))
    growth = 1 + sum((layer["k"] - 1) for layer in THREE)
    assert page.locator('[data-formula="growth"]').inner_text() == f"r₃ = 1 + 2 + 2 + 2 = {growth}"
    assert page.evaluate(f"{INSPECT}.box(0)") == [4, 10, 4, 10]
    text = page.locator(".rf-focus").inner_text()
    assert f"sees input rows 4 to 10 and columns 4 to 10: a {growth} × {growth} patch" in text
    assert f"the busiest cell has {int(expected_paths(16, THREE, 3, 4, 4).max())}" in text
    rows = page.locator(".rf-table tbody tr").all_inner_texts()
    assert [r.split("\t")[-2:] for r in rows] == [["1", "1"], ["3", "1"], ["5", "1"], ["7", "1"]]


def test_seed_000s_counts_are_written_in_the_cells_of_the_patch(page, server_url):
    open_widget(page, server_url, "receptive", "?rfp=seed000&rfn=8")
    assert page.evaluate(f"{INSPECT}.sides") == [8, 7, 6]
    assert focus(page) == (2, 2, 2)
    expected = expected_paths(8, SEED000, 2, 2, 2)  # (8, 8): 1 2 1 / 2 4 2 / 1 2 1 at input rows and columns 2–4
    shown = np.array(labels(page, 0, 8), dtype=object)
    assert_shows(shown[2:5, 2:5], expected[2:5, 2:5], decimals=0, what="input path counts")
    assert (shown == None).sum() == 64 - 9  # noqa: E711 (outside the patch every cell is 0: no number drawn)
    below = expected_paths(8, SEED000, 2, 2, 2, on=1)  # (7, 7): the four layer-1 units the unit reads
    assert_shows(np.array(labels(page, 1, 7), dtype=object)[2:4, 2:4], below[2:4, 2:4], decimals=0, what="layer 1")
    assert labels(page, 2, 6)[2][2] is None  # the map in focus marks its unit; it has no counts


def test_hovering_a_unit_moves_its_patch_and_counts(page, server_url):
    layers = [{"k": 3}, {"kind": "maxpool", "k": 2, "s": 2}, {"k": 3}]
    open_widget(page, server_url, "receptive", "?rfp=pooled&rfn=16")
    page.mouse.move(*cell_centre(page, 3, 0, 4))
    wait_focus(page, 3, 0, 4)
    page.wait_for_function(
        "['rfv=3', 'rfr=0', 'rfc=4'].every((p) => location.search.includes(p))"
    )  # written soon after
    np.testing.assert_array_equal(page.evaluate(f"{INSPECT}.paths(0)"), expected_paths(16, layers, 3, 0, 4))
    assert page.evaluate(f"{INSPECT}.box(0)") == [0, 7, 8, 15]  # r = 1 + 2 + 1 + 4 = 8, units 2 input cells apart
    assert page.evaluate(f"{INSPECT}.box(2)") == [0, 2, 4, 6]
    assert page.locator('[data-formula="growth"]').inner_text() == "r₃ = 1 + 2 + 1 + 4 = 8"
    # A unit of a lower layer: its own, smaller patch, and the growth up to its layer.
    page.mouse.move(*cell_centre(page, 1, 5, 6))
    wait_focus(page, 1, 5, 6)
    np.testing.assert_array_equal(page.evaluate(f"{INSPECT}.paths(0)"), expected_paths(16, layers, 1, 5, 6))
    assert page.locator('[data-formula="growth"]').inner_text() == "r₁ = 1 + 2 = 3"
    # Over the input, the pointer reads one cell's count.
    page.mouse.move(*cell_centre(page, 0, 6, 7))
    assert page.locator(".rf-probe").inner_text() == "Input cell (6, 7): 1 path to unit (5, 6) of layer 1."
    screenshot(page, "receptive-hover")


def test_the_keyboard_reaches_every_map_and_moves_the_unit(page, server_url):
    open_widget(page, server_url, "receptive", "?rfp=dilated&rfn=16")
    layers = [{"k": 3, "p": 1}, {"k": 3, "d": 2, "p": 2}, {"k": 3, "d": 4, "p": 4}]
    page.locator('canvas[data-map="3"]').focus()
    page.keyboard.press("ArrowRight")
    wait_focus(page, 3, 7, 8)
    page.keyboard.press("ArrowUp")
    wait_focus(page, 3, 6, 8)
    assert page.evaluate("document.activeElement.dataset.map") == "3"  # the focus ring stays on the map
    np.testing.assert_array_equal(page.evaluate(f"{INSPECT}.paths(0)"), expected_paths(16, layers, 3, 6, 8))
    page.keyboard.press("PageDown")  # a clicker's next: the next unit in reading order
    wait_focus(page, 3, 6, 9)
    # Tab to the map of layer 2: the unit in focus moves to that map's centre.
    page.keyboard.press("Shift+Tab")
    wait_focus(page, 2, 7, 7)
    assert page.locator('[data-formula="growth"]').inner_text() == "r₂ = 1 + 2 + 4 = 7"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # Every cell of the 15 × 15 patch of the last layer reaches it: 1, 2, 4 leaves no holes.
    page.keyboard.press("Escape")
    wait_focus(page, 3, 7, 7)
    got = np.array(page.evaluate(f"{INSPECT}.paths(0)"))
    np.testing.assert_array_equal(got, expected_paths(16, layers, 3, 7, 7))
    assert np.count_nonzero(got) == 15 * 15


def test_equal_dilations_leave_holes_the_widget_counts(page, server_url):
    open_widget(page, server_url, "receptive", "?rfp=gridding&rfn=16")
    layers = [{"k": 3, "d": 2, "p": 2}] * 2
    expected = expected_paths(16, layers, 2, 7, 7)
    got = np.array(page.evaluate(f"{INSPECT}.paths(0)"))
    np.testing.assert_array_equal(got, expected)
    assert page.evaluate(f"{INSPECT}.focus.reached") == np.count_nonzero(expected) == 25
    assert "25 of the 81 image cells in it reach the unit (56 holes)" in page.locator(".rf-focus").inner_text()


def test_editing_a_layer_asks_the_engine_and_keeps_the_stack_in_the_url(page, server_url):
    open_widget(page, server_url, "receptive")
    page.locator('.rf-layer[data-index="1"] input[data-field="d"]').fill("3")
    page.locator('.rf-layer[data-index="1"] input[data-field="d"]').press("Enter")
    layers = [{"k": 3}, {"k": 3, "d": 3}, {"k": 3}]
    page.wait_for_function(f"{INSPECT}.sides.join() === '16,14,8,6'")
    page.wait_for_function("location.search.includes('rfp=custom')")
    assert "rfl=0%2C3%2C1%2C0%2C1%2C0%2C3%2C1%2C0%2C3" in page.url
    assert page.evaluate(f"{INSPECT}.field") == 1 + 2 + 6 + 2
    np.testing.assert_array_equal(page.evaluate(f"{INSPECT}.paths(0)"), expected_paths(16, layers, 3, 2, 2))
    page.get_by_role("button", name="Add a layer").click()
    page.wait_for_function(f"{INSPECT}.sides.length === 5")
    page.get_by_role("button", name="Remove layer 1").click()
    page.wait_for_function(f"{INSPECT}.sides.join() === '16,10,8,6'")
    # The link holds the edited stack: a reload draws it again.
    page.wait_for_function("location.search.includes('rfl=0%2C3%2C1%2C0%2C3%2C0%2C3%2C1%2C0%2C1%2C0%2C3')")
    page.reload()
    page.wait_for_function("document.querySelector('#widget').dataset.ready === 'true'")
    assert page.evaluate(f"{INSPECT}.sides") == [16, 10, 8, 6]


def test_a_stack_whose_map_vanishes_is_refused_with_the_layer_and_reason(page, server_url):
    open_widget(page, server_url, "receptive", "?rfp=custom&rfl=0,3,1,0,1,0,7,1,0,4&rfn=12")
    assert page.locator(".rf-stage").is_hidden()
    alert = page.locator('[data-alert="general"]').inner_text()
    assert alert.startswith("layer 2 (conv 7×7 d=4): its output vanishes")


@pytest.mark.parametrize(
    "name, query, size",
    [
        ("1024", "?rfp=pooled&rfn=16", (1024, 768)),
        ("present", "?rfp=gridding&rfn=16&present=1", (1024, 768)),
        ("dark", "?rfp=seed000&rfn=8&theme=dark", (1024, 768)),
        ("wavenet-1024", "?rfp=wavenet&rfn=32", (1024, 768)),
        ("phone", "?rfp=dilated&rfn=16", (390, 844)),
    ],
)
def test_screens(browser, server_url, name, query, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, is_mobile=size[0] < 600)
    page = context.new_page()
    open_widget(page, server_url, "receptive", query)
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    assert page.evaluate(PROBLEMS, size[0]) == []
    box = page.locator('canvas[data-map="0"]').bounding_box()
    assert box["width"] >= min(300, size[0] - 60)  # the input is the largest map: readable from the back
    screenshot(page, f"receptive-{name}")
    context.close()


def test_lesson_11_mounts_the_widget_and_a_reveal_reads_it(page, server_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}lessons/receptive-fields")
    page.wait_for_function("document.querySelector('#widget-stack').dataset.ready", timeout=60_000)
    widget = "window.convscopeLesson.widgets.get('stack').inspect()"
    np.testing.assert_array_equal(page.evaluate(f"{widget}.paths(0)"), expected_paths(16, THREE, 3, 4, 4))
    assert page.evaluate(f"{widget}.field") == 7
    q = page.locator('section.question[data-question="strided-field"]')
    q.locator("input.question-input").fill("7")  # a wrong prediction: the page reads the widget and says so
    q.get_by_role("button", name="Reveal").click()
    page.wait_for_function(
        "/right|wrong/.test(document.querySelector(\"[data-question='strided-field'] .question-feedback\").className)"
    )
    assert q.locator(".question-feedback").inner_text().startswith("Not quite.")
    got = page.evaluate(f"({{state: {widget}.state, sides: {widget}.sides, field: {widget}.field}})")
    assert got["state"]["rfPreset"] == "strided" and got["sides"] == [17, 7, 5] and got["field"] == 1 + 4 + 2 * 2
    screenshot(page, "lesson-receptive-fields")


def test_lesson_12_mounts_both_widgets(page, server_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}lessons/dilated-convolution")
    page.wait_for_function(
        "document.querySelector('#widget-towers').dataset.ready && "
        "document.querySelector('#widget-spread').dataset.ready",
        timeout=60_000,
    )
    towers = "window.convscopeLesson.widgets.get('towers').inspect()"
    assert page.evaluate(f"{towers}.field") == 15 and page.evaluate(f"{towers}.focus.reached") == 15 * 15
    q = page.locator('section.question[data-question="gridding-count"]')
    q.locator("input.question-input").fill("25")
    q.get_by_role("button", name="Reveal").click()
    page.wait_for_function(
        "/right|wrong/.test(document.querySelector(\"[data-question='gridding-count'] .question-feedback\").className)"
    )
    assert q.locator(".question-feedback").inner_text().startswith("Right.")
    screenshot(page, "lesson-dilated-convolution")
