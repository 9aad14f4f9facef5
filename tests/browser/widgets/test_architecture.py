"""The architecture widget alone at /widget/architecture in real Chromium: choose a network, freeze
layers, build a pattern. Expected tables are the engine's."""

from __future__ import annotations

import pytest

from engine import architectures as arch

from ..helpers import open_widget, shots, store_state

W = "window.convscopeWidget"


def inspect(page) -> dict:
    return page.evaluate(f"{W}.widget.inspect()")


def state(page) -> dict:
    return store_state(page, W)


def table_shown(page) -> list[tuple[str, str, str]]:
    return [(r["name"].replace(" ★", ""), r["shape"], r["params"]) for r in inspect(page)["rows"]]


def engine_rows(rows) -> list[tuple[str, str, str]]:
    def chw(r):
        return [r.shape[2], r.shape[0], r.shape[1]] if len(r.shape) == 3 else list(r.shape)

    return [(r.name, " × ".join(f"{v:,}" for v in chw(r)), f"{r.params:,}") for r in rows]


def test_architecture_lenet5_is_seed003s_table(page, server_url):
    open_widget(page, server_url, "architecture")
    rows = arch.table("lenet5")
    assert table_shown(page) == engine_rows(rows)
    assert inspect(page)["total"] == f"{sum(r.params for r in rows):,}" == "44,426"
    shots(page, "architecture-lenet5")


def test_architecture_vgg16_total_and_its_fc_layers(page, server_url):
    open_widget(page, server_url, "architecture")
    page.click('[data-view="vgg16"]')
    page.wait_for_function(f"{W}.widget.inspect().params.net === 'vgg16'")
    rows = arch.table("vgg16")
    assert inspect(page)["total"] == f"{sum(r.params for r in rows):,}" == "138,357,544"
    assert table_shown(page) == engine_rows(rows)
    assert page.locator("tr.largest th").inner_text().startswith("FC6")
    assert "fully connected layers hold 89%" in page.locator(".ar-where").inner_text()
    shots(page, "architecture-vgg16")


def test_architecture_transfer_learning_freezes_all_but_the_last_layer(page, server_url):
    open_widget(page, server_url, "architecture", "?arv=resnet18")
    page.click('[data-freeze="head"]')
    page.wait_for_function(f"{W}.widget.inspect().meta.totals.frozen > 0")
    rows = arch.table("resnet18")
    fc = rows[-1]
    assert fc.name == "fc"
    assert (
        page.locator(".ar-train").inner_text()
        == f"Trainable {fc.params:,} · frozen {sum(r.params for r in rows) - fc.params:,}"
    )
    assert page.locator("tr.frozen").count() == sum(1 for r in rows if r.params) - 1
    page.locator('input[data-row="0"]').uncheck()  # fine-tune the first convolution too
    page.wait_for_function(f"{W}.widget.inspect().meta.rows[0].frozen === false")
    assert inspect(page)["meta"]["totals"]["trainable"] == fc.params + rows[0].params
    shots(page, "architecture-resnet18-frozen")


def test_architecture_pattern_builder(page, server_url):
    open_widget(page, server_url, "architecture")
    page.click('[data-view="pattern"]')
    page.wait_for_function(f"{W}.widget.inspect().meta.mode === 'pattern'")
    assert page.locator("#ar-arM").get_attribute("max") == str(arch.pattern_max_m(2, 1, size=32, filters=16))
    page.eval_on_selector("#ar-arN", "el => { el.value = 3; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_function(f"{W}.widget.inspect().params.pattern.n === 3")
    p = inspect(page)["params"]["pattern"]
    rows = arch.layer_table(
        *arch.pattern_layers(p["n"], p["m"], p["k"], size=p["size"], filters=p["filters"], pool=p["pool"])
    )
    assert table_shown(page) == engine_rows(rows)
    assert page.locator(".ar-title").inner_text() == "[(CONV-RELU)×3-POOL]×3-(FC-RELU)×1-FC, SOFTMAX"
    shots(page, "architecture-pattern")


def test_architecture_pattern_that_pools_the_map_away_is_explained(page, server_url):
    open_widget(page, server_url, "architecture", "?arv=lenet5")
    page.goto(f"{server_url}widget/architecture?arv=pattern&arm=6&arsz=32")
    page.wait_for_function("document.querySelector('[data-alert=\"arM\"]').textContent.length > 0")
    assert (
        page.locator('[data-alert="arM"]')
        .inner_text()
        .startswith("layer 30 (pool6): a 2×2 window is larger than the 1×1 input")
    )


@pytest.mark.parametrize("k, n", [(3, 3), (5, 2)])
def test_architecture_stack_vs_single(page, server_url, k, n):
    open_widget(page, server_url, "architecture", f"?arv=compare&arck={k}&arcn={n}")
    cmp = arch.stack_vs_single(k, n, 64)
    cards = page.locator(".ar-card").all_inner_texts()
    field = cmp.single.receptive_field
    assert cards[0].split("\n")[-1] == f"{field}×{field} = {field}×{field}"
    assert f"{cmp.stack.params:,} vs {cmp.single.params:,}" in cards[1]
    assert f"{cmp.stack.per_c2}C² vs {cmp.single.per_c2}C²" in cards[1]
    assert cards[2].split("\n")[-1] == f"{n} vs 1"
    if (k, n) == (3, 3):
        shots(page, "architecture-compare")
