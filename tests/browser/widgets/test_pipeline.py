"""The layer pipeline on /layers in real Chromium, as a student uses it: the default X/O block, pooling
settings, added blocks, expanded stacks, drawing, a stage that does not fit, a link. Expectations come
from the engine, run on the data the page itself sent (window.convscopeLayers.pipeline.inspect())."""

from __future__ import annotations

import numpy as np

from app.features import pictures as presets
from engine import conv2d, shapes
from engine.activations import activation
from engine.pool import avg_pool2d, max_pool2d

from ..conftest import SCREENSHOTS, screenshot
from ..helpers import number

PL = "window.convscopeLayers.pipeline.inspect()"


def open_pipeline(page, server_url: str, query: str = ""):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}layers{query}")
    page.wait_for_function("document.querySelector('#pipeline-widget').dataset.ready === '1'")


def data(page) -> dict:
    return page.evaluate(
        f"(() => {{ const d = {PL}; "
        "return {params: d.params, meta: d.meta, maps: d.maps, error: d.error, open: d.open}; })()"
    )


def wait_stages(page, n: int):
    page.wait_for_function(
        f"{PL}.meta && {PL}.meta.stages.length === {n} && "
        f"document.querySelectorAll('.pl-card[data-stage]').length === {n}"
    )


def set_slider(page, key: str, value: int):
    page.eval_on_selector(
        f"#pl-{key}", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value
    )


def shape_shown(page, stage: int) -> str:
    return page.locator(f'#pipeline-widget [data-shape="{stage}"]').inner_text()


def wait_shape(page, stage: int, text: str):
    page.wait_for_function(
        '([i, t]) => document.querySelector(`#pipeline-widget [data-shape="${i}"]`).textContent === t',
        arg=[stage, text],
    )


def engine_maps(params: dict) -> list[np.ndarray]:
    """The page's own request, recomputed stage by stage with the engine: [x, y1, ..., yN], each (C, H, W)."""
    x = params["input"]
    y = np.array(x["values"], np.float32).reshape(1, x["channels"], x["height"], x["width"])  # (1, C, H, W)
    maps = [y[0]]
    for s in params["stages"]:
        if s["kind"] == "conv":
            k = s["kernels"]
            w = np.array(k["values"], np.float32).reshape(
                k["filters"], y.shape[1], k["height"], k["width"]
            )  # (F, C, KH, KW)
            y = conv2d(
                y, w, np.zeros(k["filters"], np.float32), stride=tuple(s["stride"]), padding=tuple(s["padding"])
            )  # (1, F, OH, OW)
        elif s["kind"] == "act":
            y = activation(s["name"], y)  # (1, C, H, W)
        elif s["mode"] == "max":
            y = max_pool2d(y, tuple(s["kernel"]), tuple(s["stride"]))[0]  # (1, C, OH, OW)
        else:
            y = avg_pool2d(y, tuple(s["kernel"]), tuple(s["stride"]))  # (1, C, OH, OW)
        maps.append(y[0])
    return maps


def table(params: dict) -> list:
    """engine.shapes.layer_table for the page's request: the oracle for shapes and parameter counts."""
    layers = []
    for s in params["stages"]:
        if s["kind"] == "conv":
            k = s["kernels"]
            layers.append(
                {
                    "type": "conv",
                    "filters": k["filters"],
                    "kernel": (k["height"], k["width"]),
                    "stride": tuple(s["stride"]),
                    "padding": tuple(s["padding"]),
                }
            )
        elif s["kind"] == "act":
            layers.append({"type": "activation"})
        else:
            layers.append({"type": f"{s['mode']}pool", "kernel": tuple(s["kernel"]), "stride": tuple(s["stride"])})
    x = params["input"]
    return shapes.layer_table((x["channels"], x["height"], x["width"]), layers)


def check_page(page) -> dict:
    """Maps equal the engine's recomputation; the cards show meta's shapes and parameter counts, which are
    engine.shapes'.
    """
    d = data(page)
    expected = engine_maps(d["params"])
    assert len(d["maps"]) == len(expected) == len(d["params"]["stages"]) + 1
    for i, (m, e) in enumerate(zip(d["maps"], expected)):
        assert m["shape"] == list(e.shape), i
        np.testing.assert_array_equal(np.array(m["values"], np.float32).reshape(m["shape"]), e, err_msg=f"map{i}")
    for i, (stage, row) in enumerate(zip(d["meta"]["stages"], table(d["params"])), 1):
        assert stage["shape"] == [row.shape[2], row.shape[0], row.shape[1]] == d["maps"][i]["shape"]
        assert stage["params"] == row.params
        assert shape_shown(page, i) == " × ".join(map(str, stage["shape"]))
        params_text = page.locator(f'#pipeline-widget [data-params="{i}"]').inner_text()
        assert params_text.startswith(f"{row.params:,} parameter"), params_text
    total = sum(r.params for r in table(d["params"]))
    assert page.locator(".pl-total").inner_text() == f"Total: {total:,} learned parameter{'s' if total != 1 else ''}"
    return d


def shot(page, name: str):
    """The whole page (conftest) and the widget alone, to look at."""
    screenshot(page, name)
    page.locator("#pipeline-widget").screenshot(path=str(SCREENSHOTS / f"{name}-widget.png"))


# ---------------------------------------------------------------- the default block


def test_the_default_x_through_the_xo_block(page, server_url):
    open_pipeline(page, server_url)
    d = check_page(page)
    x = d["params"]["input"]
    np.testing.assert_array_equal(np.array(x["values"], np.float32), presets.input_image("x", 9, 9, 1).ravel())
    conv = d["params"]["stages"][0]["kernels"]
    np.testing.assert_array_equal(np.array(conv["values"], np.float32), presets.kernel("xo_set", 3, 1, 3)[0].ravel())
    assert [s["kind"] for s in d["params"]["stages"]] == ["conv", "act", "pool"]
    assert [shape_shown(page, i) for i in range(4)] == ["1 × 9 × 9", "3 × 7 × 7", "3 × 7 × 7", "3 × 3 × 3"]
    assert page.locator('#pipeline-widget [data-params="1"]').inner_text() == "30 parameters = (3×3×1 + 1)×3"
    # Labels and arrows name each op; the pool's floored size comes with the engine's sentence.
    assert page.locator('[data-stage="1"] .pl-label').inner_text() == "conv 3×3, 3 filters, stride 1"
    assert [page.locator(f'[data-stage="{i}"] .pl-op').inner_text() for i in (1, 2, 3)] == ["conv", "ReLU", "max pool"]
    # The default fits: a 3×3 window at stride 2 over 7×7, (7 − 3)/2 + 1 = 3, so no warning opens the page.
    assert shapes.window_output((7, 7), (3, 3), (2, 2), what="window").problem() is None
    assert page.locator('[data-note="3"]').inner_text() == ""
    assert page.locator('[data-stage="3"] .pl-label').inner_text().startswith("max pool 3×3, stride 2")
    # Slider ranges are the engine's: a window fits a 7×7 map up to 7.
    assert page.get_attribute("#pl-pl1Window", "max") == "7" and page.get_attribute("#pl-pl1Size", "max") == "9"
    assert page.locator("#pl-pl1Filters").is_disabled()  # the X/O set is three filters
    shot(page, "pipeline-default-1280")


def test_pool_window_and_stride_change_the_shape(page, server_url):
    open_pipeline(page, server_url)
    set_slider(page, "pl1Window", 2)
    set_slider(page, "pl1PoolStride", 1)
    wait_shape(page, 3, "3 × 6 × 6")
    check_page(page)
    assert page.locator('[data-note="3"]').inner_text() == ""  # (7 − 2)/1 + 1 = 6: whole
    assert page.locator('[data-formula="3"]').inner_text() == "(7 − 2)/1 + 1 = 6"
    set_slider(page, "pl1Window", 3)
    wait_shape(page, 3, "3 × 5 × 5")
    set_slider(page, "pl1PoolStride", 3)
    wait_shape(page, 3, "3 × 2 × 2")  # (7 − 3)/3 + 1 = 2.33, floored
    assert "does not fit a 7×7 input" in page.locator('[data-note="3"]').inner_text()
    d = check_page(page)
    assert d["params"]["stages"][2] == {"kind": "pool", "mode": "max", "kernel": [3, 3], "stride": [3, 3]}
    page.locator('[data-block="1"][data-mode="avg"]').click()
    page.wait_for_function(f"{PL}.params.stages[2].mode === 'avg'")
    check_page(page)
    page.evaluate("window.convscopeLayers.store.flush()")
    assert all(part in page.url for part in ("plps1=3", "plm1=avg")) and "plw1" not in page.url  # 3: the default


# ---------------------------------------------------------------- stacks of blocks


def test_adding_blocks_adds_cards_with_the_engines_shapes_and_parameters(page, server_url):
    open_pipeline(page, server_url)
    page.locator('[data-action="add"]').click()
    wait_stages(page, 6)
    d = check_page(page)
    assert [shape_shown(page, i) for i in (4, 5, 6)] == ["4 × 3 × 3", "4 × 3 × 3", "4 × 1 × 1"]
    assert page.locator('#pipeline-widget [data-params="4"]').inner_text() == "112 parameters = (3×3×3 + 1)×4"
    assert "142 learned parameters" in page.locator(".pl-total").inner_text()
    # The new block's kernels: kernel.preset "random", seeded, spanning the 3 maps of block 1.
    k2 = d["params"]["stages"][3]["kernels"]
    np.testing.assert_array_equal(
        np.array(k2["values"], np.float32), presets.kernel("random", 3, 3, 4, seed=20)[0].ravel()
    )
    # A third block gets 4 channels, more than kernel.preset makes at once: two seeded draws, channels side by side.
    page.locator('[data-action="add"]').click()
    wait_stages(page, 9)
    d = check_page(page)
    k3 = d["params"]["stages"][6]["kernels"]
    both = np.concatenate(
        [presets.kernel("random", 3, 3, 4, seed=30)[0], presets.kernel("random", 3, 1, 4, seed=31)[0]], axis=1
    )  # (4, 4, 3, 3)
    np.testing.assert_array_equal(np.array(k3["values"], np.float32), both.ravel())
    assert d["meta"]["stages"][6]["params"] == shapes.conv_params((3, 3), 4, 4) == 148
    # Its pooling window was chosen to fit the 1×1 map it gets.
    assert d["params"]["stages"][8]["kernel"] == [1, 1] and shape_shown(page, 9) == "4 × 1 × 1"
    # More filters in block 2: the parameter counts of block 2 and of block 3 (its channels) follow.
    set_slider(page, "pl2Filters", 6)
    page.wait_for_function(f"{PL}.meta.stages[3].shape[0] === 6")
    d = check_page(page)
    assert [d["meta"]["stages"][i]["params"] for i in (3, 6)] == [(9 * 3 + 1) * 6, (9 * 6 + 1) * 4]
    page.locator('[data-action="remove"]').click()
    wait_stages(page, 6)
    check_page(page)
    page.evaluate("window.convscopeLayers.store.flush()")
    assert "plb=2" in page.url and "plf3" not in page.url


def test_two_blocks_at_1920(page, server_url):
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_pipeline(page, server_url, "?plb=2&plo=2")
    wait_stages(page, 6)
    check_page(page)
    # One row on a 1920 projector: every card's top edge at the same height.
    tops = page.eval_on_selector_all(
        ".pl-row > .pl-card", "cards => cards.map(c => Math.round(c.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, tops
    shot(page, "pipeline-two-blocks-1920")


# ---------------------------------------------------------------- expanding, keyboard, drawing


def test_a_stack_expands_to_every_channel_with_readable_numbers(page, server_url):
    open_pipeline(page, server_url)
    page.locator('[data-stack="1"]').click()
    page.wait_for_function(f"{PL}.open === 1 && {PL}.openLabels.length === 3")
    assert page.locator(".pl-open").is_visible()
    assert page.locator('[data-stack="1"]').get_attribute("aria-expanded") == "true"
    d = data(page)
    conv = np.array(d["maps"][1]["values"], np.float32).reshape(3, 7, 7)  # (3, 7, 7)
    labels = page.evaluate(f"{PL}.openLabels")
    assert len(labels) == 3 == page.locator(".pl-channels canvas").count()
    for c in range(3):  # every channel, every cell, with its number
        shown = np.array([[number(t) for t in row] for row in labels[c]])
        np.testing.assert_allclose(shown, conv[c], atol=0.006)
    cell = page.eval_on_selector(".pl-channels canvas", "c => c.getBoundingClientRect().width / 7")
    assert cell >= 34  # numbers at 17px or more
    assert "(9 − 3)/1 + 1 = 7" in page.locator(".pl-open-formula").inner_text()
    shot(page, "pipeline-expanded-1280")
    # Keyboard and clicker: arrows move between stacks (the open view follows), Page Down opens the next.
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{PL}.open === 2")
    assert page.evaluate("document.activeElement.dataset.stack") == "2"
    page.keyboard.press("PageDown")
    page.wait_for_function(f"{PL}.open === 3 && {PL}.openLabels.length === 3")
    assert page.locator(".pl-open-title").inner_text().startswith("Stage 3 · max pool 3×3, stride 2 · 3 × 3 × 3")
    page.keyboard.press("Escape")
    page.wait_for_function(f"{PL}.open === 0")
    assert page.locator(".pl-open").is_hidden()
    page.keyboard.press("Enter")
    page.wait_for_function(f"{PL}.open === 3")
    # The pooling widget above did not step while the keys walked the pipeline.
    assert page.evaluate("window.convscopeLayers.pool.inspect().step") is None


def cell_point(page, r: int, c: int) -> tuple[float, float]:
    """Viewport coordinates of an input cell's centre (the grid scrolled into view)."""
    page.locator(".pl-draw").scroll_into_view_if_needed()
    box = page.locator(".pl-draw").bounding_box()
    n = data(page)["params"]["input"]["height"]
    size = (box["width"] - 1) / n
    return box["x"] + (c + 0.5) * size, box["y"] + (r + 0.5) * size


def test_drawing_on_the_input_changes_every_map(page, server_url):
    open_pipeline(page, server_url)
    before = data(page)
    x0 = np.array(before["params"]["input"]["values"]).reshape(9, 9)
    assert x0[4, 0] == -1
    page.mouse.click(*cell_point(page, 4, 0))  # a −1 cell becomes +1
    page.wait_for_function(f"{PL}.params.input.values[36] === 1")
    after = check_page(page)
    assert after["maps"][1]["values"] != before["maps"][1]["values"]
    # A drag paints the value of the first cell it flipped across the cells it crosses.
    page.mouse.move(*cell_point(page, 0, 2))
    page.mouse.down()
    page.mouse.move(*cell_point(page, 0, 6), steps=8)
    page.mouse.up()
    page.wait_for_function(f"[2, 3, 4, 5, 6].every(c => {PL}.params.input.values[c] === 1)")
    d = check_page(page)
    x = np.array(d["params"]["input"]["values"]).reshape(9, 9)
    assert (
        (x[0, 2:7] == 1).all()
        and x[4, 0] == 1
        and (np.delete(x.ravel(), [36, 2, 3, 4, 5, 6]) == np.delete(x0.ravel(), [36, 2, 3, 4, 5, 6])).all()
    )
    assert x0[2, 2] == 1  # on the X's stroke
    # Without a mouse: arrows move a ringed cell, Space flips it.
    page.locator(".pl-draw").focus()
    for key in ("ArrowDown", "ArrowDown", "ArrowRight", "ArrowRight", " "):
        page.keyboard.press(key)
    page.wait_for_function(f"{PL}.params.input.values[2 * 9 + 2] === -1")  # the stroke cell (2, 2) flipped to −1
    d = check_page(page)
    assert page.evaluate("window.convscopeLayers.pool.inspect().step") is None  # the pooling widget did not step
    page.evaluate("window.convscopeLayers.store.flush()")
    assert "pli=custom" in page.url and "plx=" in page.url
    # The drawing is in the link: opening it gives the same maps.
    url = page.url
    page.goto(url)
    page.wait_for_function("document.querySelector('#pipeline-widget').dataset.ready === '1'")
    assert data(page)["maps"] == d["maps"]


def test_input_presets(page, server_url):
    open_pipeline(page, server_url)
    for name in ("o", "checkerboard", "digit", "random"):
        page.locator(f'[data-input="{name}"]').click()
        page.wait_for_function(
            f"document.querySelector('[data-input=\"{name}\"]').getAttribute('aria-pressed') === 'true'"
        )
        expected = presets.input_image(name, 9, 9, 1, decimals=1 if name == "random" else None)  # (1, 9, 9)
        page.wait_for_function(
            f"v => {PL}.params.input.values.every((x, i) => x === v[i])", arg=expected.ravel().tolist()
        )
        check_page(page)
    set_slider(page, "plSize", 16)
    wait_shape(page, 3, "3 × 6 × 6")  # (16 − 3)/1 + 1 = 14, pooled by 3×3 at stride 2 to 6 (floored from 6.5)
    check_page(page)


# ---------------------------------------------------------------- refusals and links


def test_a_stage_that_does_not_fit_is_explained_beside_it_and_the_last_maps_stay(page, server_url):
    open_pipeline(page, server_url)
    good = data(page)
    set_slider(page, "pl1Stride", 8)  # (9 − 3)/8 + 1 → a 1×1 map: no room for the 3×3 pooling window
    page.wait_for_function(f"{PL}.error !== null")
    sentence = shapes.window_output((1, 1), (3, 3), (2, 2), what="window").problem()
    alert = page.locator('[data-alert="stage-3"]')
    assert alert.inner_text() == f"stage 3 (pool): {sentence}"
    assert data(page)["error"]["field"] == "stages[2].kernel"
    assert data(page)["maps"] == good["maps"]  # the last good maps stay on screen
    assert shape_shown(page, 3) == "3 × 3 × 3"
    assert "last pipeline that worked" in page.locator(".pl-stale").inner_text()
    shot(page, "pipeline-does-not-fit-1280")
    set_slider(page, "pl1Window", 1)  # a 1×1 window fits
    wait_shape(page, 3, "3 × 1 × 1")
    assert alert.inner_text() == "" and page.locator(".pl-stale").inner_text() == ""
    check_page(page)


def test_a_link_restores_the_whole_pipeline(page, server_url):
    open_pipeline(page, server_url, "?pli=o&plb=2&plf2=6&plk2=1&plp2=0&pla2=tanh&plm2=avg&plo=4")
    wait_stages(page, 6)
    d = check_page(page)
    np.testing.assert_array_equal(
        np.array(d["params"]["input"]["values"], np.float32), presets.input_image("o", 9, 9, 1).ravel()
    )
    assert d["meta"]["stages"][3]["label"] == "conv 1×1, 6 filters, stride 1"
    assert [d["meta"]["stages"][i]["op"] for i in (4, 5)] == ["tanh", "average pool"]
    assert d["meta"]["stages"][3]["params"] == (1 * 1 * 3 + 1) * 6
    assert d["open"] == 4 and page.locator(".pl-channels canvas").count() == 6
    assert page.locator("#pl-pl2Act").input_value() == "tanh"
