"""Bad settings in the playground: a readable sentence near the control, the last good
picture kept, the user's edits kept, and the page still working."""

from __future__ import annotations

import numpy as np

from .playground_helpers import (
    DIAGONAL_DOWN,
    X7,
    assert_output_shows,
    open_playground,
    output_cells,
    reference_output,
    wait_shape,
)


def test_a_kernel_too_large_from_a_link_is_explained_and_fixable(page, server_url):
    open_playground(page, server_url, "?k=11")  # 11×11 on the default 7×7 input: no position for it
    alert = page.locator('[data-alert="kernel"]')
    alert.wait_for(state="visible")
    assert alert.inner_text() == "an 11×11 filter is larger than the 7×7 input, so there is no position for it"
    assert alert.get_attribute("aria-live") == "polite"
    assert page.locator("#output-shape").inner_text() == ""
    # The page still works: bring the kernel down with its slider.
    slider = page.locator("#ctl-kernel")
    slider.focus()
    for _ in range(8):
        slider.press("ArrowLeft")
    wait_shape(page, "5 × 5")
    assert alert.inner_text() == ""
    assert_output_shows(page, reference_output(X7, DIAGONAL_DOWN)[0])  # the default kernel at 3×3 again


def test_a_non_number_in_a_kernel_cell_is_explained_and_nothing_is_lost(page, server_url):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    before = output_cells(page)
    cell = page.get_by_label("Filter 1, row 1, column 1")
    cell.fill("abc")
    cell.press("Enter")
    alert = page.locator('[data-alert="kernelValues"]')
    alert.wait_for(state="visible")
    assert alert.inner_text() == "“abc” is not a number: type a value such as 0.5 or −1."
    assert cell.get_attribute("aria-invalid") == "true"
    assert cell.input_value() == "abc"  # what was typed stays, to be fixed
    assert output_cells(page) == before


def test_a_huge_kernel_value_gets_the_servers_sentence_and_the_page_keeps_working(page, server_url):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    before = output_cells(page)
    cell = page.get_by_label("Filter 1, row 1, column 2")
    cell.fill("1e9")
    alert = page.locator('[data-alert="kernelValues"]')
    alert.wait_for(state="visible")
    text = alert.inner_text()
    assert text.startswith("kernels.values must hold finite numbers from -1000000 to 1000000"), text
    assert output_cells(page) == before  # the last good picture stays
    page.locator("#stale-note").wait_for(state="visible")
    assert cell.input_value() == "1e9"  # the edit is kept, to be fixed
    assert cell.get_attribute("aria-invalid") == "true"

    # Other controls still answer; fixing the value brings everything back.
    cell.fill("0.5")
    page.wait_for_function("() => document.querySelector('[data-alert=\"kernelValues\"]').textContent === ''")
    page.wait_for_function("() => window.convscope.lastResult.params.kernels.values[1] === 0.5")
    assert page.locator("#stale-note").is_hidden()
    assert cell.get_attribute("aria-invalid") == "false"
    kernel = DIAGONAL_DOWN.copy()  # (3, 3)
    kernel[0, 1] = 0.5
    assert_output_shows(page, reference_output(X7, kernel)[0])
    assert output_cells(page) != before


def test_an_even_size_for_a_centred_preset_is_explained(page, server_url):
    open_playground(page, server_url, "?kp=identity")
    wait_shape(page, "5 × 5")
    slider = page.locator("#ctl-kernel")
    slider.focus()
    slider.press("ArrowRight")  # identity at 4×4 has no centre cell
    alert = page.locator('[data-alert="kernel"]')
    alert.wait_for(state="visible")
    assert "odd" in alert.inner_text()
    assert page.locator("#output-shape").inner_text() == "5 × 5"  # the last good kernel stays in use
    assert page.get_by_label("Filter 1, row 3, column 3").is_visible()
    slider.press("ArrowRight")  # one more step: 5×5 identity is fine
    wait_shape(page, "3 × 3")
    assert alert.inner_text() == ""
    identity = np.zeros((5, 5), np.float32)  # (5, 5)
    identity[2, 2] = 1
    assert_output_shows(page, reference_output(X7, identity)[0])  # the picture's middle 3×3
