"""The conv1d, params and architecture widgets alone at /widget/<type> in real Chromium, as a student uses
them: step the sliding dot product, pick a preset, type a number, choose a network, freeze layers. Every
expected value is recomputed with the engine from what the page itself sent (its inspect())."""

from __future__ import annotations

import numpy as np
import pytest

from engine import architectures as arch
from engine import conv1d, counts, shapes

from .conftest import screenshot

W = "window.convscopeWidget"


def open_widget(page, server_url: str, type_: str, query: str = ""):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}widget/{type_}{query}")
    page.wait_for_function("document.querySelector('#widget').dataset.ready === 'true'")


def inspect(page) -> dict:
    return page.evaluate(f"{W}.widget.inspect()")


def state(page) -> dict:
    return page.evaluate(f"(() => {{ const s = {W}.store.get(); return JSON.parse(JSON.stringify(s, (k, v) => ArrayBuffer.isView(v) ? Array.from(v) : v)); }})()")


def engine_conv1d(params: dict) -> np.ndarray:
    x = np.array(params["signal"], np.float32)[None, None]  # (1, 1, L)
    w = np.array(params["kernel"], np.float32)[None, None]  # (1, 1, K)
    return conv1d(x, w, None, params["stride"], params["padding"], 1, params["flip"])[0, 0]  # (L_out,)


def shots(page, name: str):
    """The widget at a laptop's 1280×800 and a projector's 1920×1080."""
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(100)  # one frame for the layout to settle (not an assertion)
    screenshot(page, f"{name}-1920")
    page.set_viewport_size({"width": 1280, "height": 800})


# ---------------------------------------------------------------- conv1d


def test_conv1d_steps_to_seed002s_fourth_element(page, server_url):
    open_widget(page, server_url, "conv1d")
    page.focus(".c1-stage")
    for _ in range(4):  # step 0, 1, 2, 3: the 4th output value
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{W}.widget.inspect().step === 3")
    d = inspect(page)
    assert d["params"] == {"signal": [3, 1, 4, 5, 6, 0, 0, 1], "kernel": [5, 1, 2], "stride": 1, "padding": 0, "flip": False}
    y = engine_conv1d(d["params"])
    # Seed 002 asks for "the 4 element of f * g" and answers 5·5 + 1·6 + 0·2: the filter slides as written
    # (cross-correlation, (g * f)[n] = Σ g[n + i] f[i], no flip) and elements count from 1, so it is y[3].
    assert y[3] == 5 * 5 + 1 * 6 + 2 * 0 == 31
    assert d["output"] == y.tolist()
    assert page.locator(".c1-sum").inner_text() == "5·5 + 1·6 + 2·0 = 31"
    assert page.locator('[data-row="output"] .c1-cell.current').inner_text() == "31"
    assert "Step 4 of 6" in page.locator(".step-label").inner_text() and "4th value" in page.locator(".step-label").inner_text()
    ax = shapes.axis(8, 3)
    assert d["meta"]["length"]["formula"] == ax.formula()
    assert page.locator('[data-shape="output"]').inner_text() == f"{ax.size} values"
    shots(page, "conv1d-seed002-step4")


def test_conv1d_true_convolution_turns_the_kernel(page, server_url):
    open_widget(page, server_url, "conv1d", "?c1t=3")
    page.check("#c1-flip")
    page.wait_for_function(f"{W}.widget.inspect().params.flip === true && {W}.widget.inspect().meta.flip === true")
    d = inspect(page)
    y = engine_conv1d(d["params"])
    assert d["weights"] == [2, 1, 5] and d["output"] == y.tolist()
    assert page.locator(".c1-sum").inner_text() == f"2·5 + 1·6 + 5·0 = {y[3]:g}" == "2·5 + 1·6 + 5·0 = 16"
    assert page.locator('[data-label="kernel"]').inner_text() == "Kernel w, turned"


def test_conv1d_impulse_and_padding_and_stride(page, server_url):
    open_widget(page, server_url, "conv1d", "?c1p=impulse&c1pad=2&c1t=4")
    page.eval_on_selector("#c1-stride", "el => { el.value = 2; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_function(f"{W}.widget.inspect().params.stride === 2")
    d = inspect(page)
    ax = shapes.axis(9, 3, 2, 2)
    assert d["meta"]["output_length"] == ax.size and d["output"] == engine_conv1d(d["params"]).tolist()
    assert page.locator('[data-row="signal"] .c1-cell.pad').count() == 4  # two padding zeros at each end
    assert d["step"] == -1  # a new stride shows the whole output again
    shots(page, "conv1d-impulse-stride2-pad2")


def test_conv1d_typed_numbers_go_to_the_engine_and_bad_ones_are_explained(page, server_url):
    open_widget(page, server_url, "conv1d")
    cell = page.locator('[data-edit="signal"] input').nth(0)
    cell.fill("−2.5")  # the real minus sign reads as a number
    cell.press("Enter")
    page.wait_for_function(f"{W}.widget.inspect().params.signal[0] === -2.5")
    d = inspect(page)
    assert d["output"] == engine_conv1d(d["params"]).tolist()
    assert state(page)["c1Preset"] == "custom"
    page.evaluate(f"{W}.store.flush()")
    assert "c1x=" in page.url and "c1k=" in page.url
    bad = page.locator('[data-edit="kernel"] input').nth(1)
    bad.fill("abc")
    bad.press("Enter")
    assert bad.get_attribute("aria-invalid") == "true"
    assert "“abc” is not a number" in page.locator('[data-alert="kernel"]').inner_text()
    assert inspect(page)["params"]["kernel"] == [5, 1, 2]  # nothing was sent


def test_conv1d_server_refusal_sits_by_the_kernel(page, server_url):
    open_widget(page, server_url, "conv1d")
    for _ in range(6):  # shorten the signal to 2 values: the 3-tap kernel no longer fits
        page.click('[data-resize="signal"][data-by="-1"]')
    page.wait_for_function("document.querySelector('[data-alert=\"kernel\"]').textContent.length > 0")
    text = page.locator('[data-alert="kernel"]').inner_text()
    assert text.startswith("kernel must fit the padded input: a filter of 3 taps is longer than the input of 2")
    page.click('[data-resize="kernel"][data-by="-1"]')  # 2 taps fit: the message goes
    page.wait_for_function(f"{W}.widget.inspect().params.kernel.length === 2")
    assert page.locator('[data-alert="kernel"]').inner_text() == ""


# ---------------------------------------------------------------- params


def test_params_seed001_counts(page, server_url):
    open_widget(page, server_url, "params")
    d = inspect(page)
    p = d["params"]
    assert (p["height"], p["width"], p["units"], p["window"], p["filters"]) == (200, 200, 40000, 10, 100)
    expected = {"fully": counts.fully_connected(200, 200, 1, 40000), "local": counts.locally_connected(40000, 10, 1),
                "shared": counts.shared_filters(100, 10, 1)}
    for key, c in expected.items():
        assert page.locator(f'[data-out="{key}-total"]').inner_text() == f"{c.total:,}"
        assert page.locator(f'[data-out="{key}-formula"]').inner_text() == f"{c.formula} ="
    assert page.locator('[data-out="fully-total"]').inner_text() == "1,600,000,000"
    assert page.locator('[data-out="fully-words"]').inner_text() == "≈ 1.6 billion, about 2 billion"
    assert page.locator('[data-out="local-total"]').inner_text() == "4,000,000"
    assert page.locator('[data-out="shared-total"]').inner_text() == "10,000"
    shots(page, "params-seed001")


def test_params_seed000_preset_is_2_to_the_26(page, server_url):
    open_widget(page, server_url, "params")
    page.click('[data-preset="seed000"]')
    page.wait_for_function(f"{W}.widget.inspect().params.units === 1024")
    c = counts.fully_connected(256, 256, 1, 1024)
    assert page.locator('[data-out="fully-total"]').inner_text() == f"{c.total:,}" == "67,108,864"
    assert counts.power_of_two(c.total) == 26
    assert page.locator('[data-out="fully-pow"] math msup').count() == 3  # 2^16 × 2^10 = 2^26
    assert page.locator('[data-out="fully-pow"] msup').nth(2).text_content() == "226"  # 2, then the exponent 26


def test_params_typed_units_and_biases(page, server_url):
    open_widget(page, server_url, "params")
    page.fill("#pc-pcUnits", "1000")
    page.press("#pc-pcUnits", "Enter")
    page.check("#pc-bias")
    page.wait_for_function(f"{W}.widget.inspect().params.units === 1000 && {W}.widget.inspect().params.bias === true")
    c = counts.fully_connected(200, 200, 1, 1000, bias=True)
    assert page.locator('[data-out="fully-total"]').inner_text() == f"{c.total:,}"
    assert state(page)["pcPreset"] == "custom"


def test_params_one_by_one_convolution(page, server_url):
    open_widget(page, server_url, "params")
    p = counts.pointwise(64, 32, 56, 56)
    assert page.locator('[data-out="pw-shape"]').inner_text() == "64 × 56 × 56  →  1×1 conv, 32 filters  →  32 × 56 × 56"
    assert page.locator('[data-out="pw-params"]').inner_text() == f"Parameters: {p.count.formula} = {p.count.total:,}"


def test_params_window_too_large_is_explained_by_the_window(page, server_url):
    open_widget(page, server_url, "params")
    page.fill("#pc-pcWindow", "300")
    page.press("#pc-pcWindow", "Enter")
    page.wait_for_function("document.querySelector('[data-alert=\"pcWindow\"]').textContent.length > 0")
    assert page.locator('[data-alert="pcWindow"]').inner_text() == "window must be from 1 to 64, got 300"


def test_params_url_bounds_are_the_servers(page, server_url):
    open_widget(page, server_url, "params")
    limits = inspect(page)["meta"]["limits"]
    bounds = page.evaluate("import('/static/js/widgets/params/index.js').then((m) => Object.fromEntries(m.fields().filter((f) => f.type === 'int').map((f) => [f.key, f.max])))")
    assert bounds == {"pcHeight": limits["side"], "pcWidth": limits["side"], "pcChannels": limits["channels"], "pcUnits": limits["units"],
                      "pcWindow": limits["window"], "pcFilters": limits["filters"], "pcCin": limits["depth"], "pcCout": limits["depth"],
                      "pcMap": limits["side"]}


# ---------------------------------------------------------------- architecture


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
    assert page.locator(".ar-train").inner_text() == f"Trainable {fc.params:,} · frozen {sum(r.params for r in rows) - fc.params:,}"
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
    rows = arch.layer_table(*arch.pattern_layers(p["n"], p["m"], p["k"], size=p["size"], filters=p["filters"], pool=p["pool"]))
    assert table_shown(page) == engine_rows(rows)
    assert page.locator(".ar-title").inner_text() == "[(CONV-RELU)×3-POOL]×3-(FC-RELU)×1-FC, SOFTMAX"
    shots(page, "architecture-pattern")


def test_architecture_pattern_that_pools_the_map_away_is_explained(page, server_url):
    open_widget(page, server_url, "architecture", "?arv=lenet5")
    page.goto(f"{server_url}widget/architecture?arv=pattern&arm=6&arsz=32")
    page.wait_for_function("document.querySelector('[data-alert=\"arM\"]').textContent.length > 0")
    assert page.locator('[data-alert="arM"]').inner_text().startswith("layer 30 (pool6): a 2×2 window is larger than the 1×1 input")


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
