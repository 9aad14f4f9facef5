"""The layer pipeline on /layers in real Chromium, as a student uses it: the default X/O block, pooling
settings, added blocks, expanded stacks, drawing, a stage that does not fit, a link. Each test states the
pipeline it set up (pictures and kernels from the presets, every stage's settings written out); the page
must have asked for exactly that, and its maps and numbers must equal the NumPy reference's for it."""

from __future__ import annotations

import numpy as np

from app.features import pictures as presets
from engine import shapes

from ...engine import reference
from ..conftest import SCREENSHOTS, screenshot
from ..helpers import assert_shows
from .playground_helpers import DIAGONAL_DOWN

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


# ---------------------------------------------------------------- the pipeline a test expects

# The X/O set of the first block: seed 002's "\\", "x" and "/" features, one 3×3 filter each.
XO_SET = np.stack([DIAGONAL_DOWN, np.maximum(DIAGONAL_DOWN, DIAGONAL_DOWN[:, ::-1]), DIAGONAL_DOWN[:, ::-1]])[
    :, None
]  # (3, 1, 3, 3)
ACTIVATIONS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}


def random_kernels(filters: int, channels: int, size: int, seed: int) -> np.ndarray:
    """kernel.preset "random": a seeded uniform draw from −1 to 1, (F, C, K, K) float32."""
    return np.random.default_rng(seed).uniform(-1, 1, (filters, channels, size, size)).astype(np.float32)


def block(kernels, stride=1, padding=0, act="relu", mode="max", window=3, pool_stride=2) -> list[dict]:
    """One conv → activation → pool block as the page sends it, kernels (F, C, K, K) as an array."""
    return [
        {"kind": "conv", "kernels": kernels, "stride": [stride] * 2, "padding": [padding] * 4},
        {"kind": "act", "name": act},
        {"kind": "pool", "mode": mode, "kernel": [window] * 2, "stride": [pool_stride] * 2},
    ]


def reference_maps(x: np.ndarray, stages: list[dict]) -> list[np.ndarray]:
    """[x, y1, ..., yN], each (C, H, W) in float64, stage by stage with the NumPy reference."""
    y = np.asarray(x, np.float64)[None]  # (1, C, H, W)
    maps = [y[0]]
    for s in stages:
        if s["kind"] == "conv":
            y = reference.conv2d(y, s["kernels"], stride=tuple(s["stride"]), padding=tuple(s["padding"]))
        elif s["kind"] == "act":
            y = ACTIVATIONS[s["name"]](y)  # (1, C, H, W)
        elif s["mode"] == "max":
            y = reference.max_pool2d(y, tuple(s["kernel"]), tuple(s["stride"]))[0]  # (1, C, OH, OW)
        else:
            y = reference.avg_pool2d(y, tuple(s["kernel"]), tuple(s["stride"]))  # (1, C, OH, OW)
        maps.append(y[0])
    return maps


def table(x: np.ndarray, stages: list[dict]) -> list:
    """engine.shapes.layer_table for the expected pipeline: the oracle for shapes and parameter counts."""
    layers = []
    for s in stages:
        if s["kind"] == "conv":
            f, _, kh, kw = s["kernels"].shape
            layers.append(
                {
                    "type": "conv",
                    "filters": f,
                    "kernel": (kh, kw),
                    "stride": tuple(s["stride"]),
                    "padding": tuple(s["padding"]),
                }
            )
        elif s["kind"] == "act":
            layers.append({"type": "activation"})
        else:
            layers.append({"type": f"{s['mode']}pool", "kernel": tuple(s["kernel"]), "stride": tuple(s["stride"])})
    return shapes.layer_table(x.shape, layers)


def assert_asked_for(params: dict, x: np.ndarray, stages: list[dict]):
    """The page's request is the expected pipeline: its picture, every stage's settings, every weight."""
    i = params["input"]
    assert (i["channels"], i["height"], i["width"]) == x.shape
    np.testing.assert_array_equal(np.array(i["values"], np.float32), x.ravel(), err_msg="input")
    assert len(params["stages"]) == len(stages), [s["kind"] for s in params["stages"]]
    for n, (sent, want) in enumerate(zip(params["stages"], stages), 1):
        if want["kind"] == "conv":
            k, w = sent["kernels"], want["kernels"]
            assert (k["filters"], k["height"], k["width"]) == (w.shape[0], *w.shape[2:]), f"stage {n}"
            np.testing.assert_array_equal(np.array(k["values"], np.float32), w.ravel(), err_msg=f"stage {n}")
            sent, want = {**sent, "kernels": None}, {**want, "kernels": None}
        assert sent == want, f"stage {n}"


def check_page(page, x: np.ndarray, stages: list[dict]) -> dict:
    """The page asked for the expected pipeline; its maps equal the reference's; the cards show
    engine.shapes' shapes and parameter counts."""
    d = data(page)
    assert_asked_for(d["params"], x, stages)
    expected = reference_maps(x, stages)
    assert len(d["maps"]) == len(expected)
    for i, (m, e) in enumerate(zip(d["maps"], expected)):
        assert m["shape"] == list(e.shape), i
        np.testing.assert_allclose(np.reshape(m["values"], m["shape"]), e, rtol=1e-5, atol=1e-5, err_msg=f"map {i}")
    rows = table(x, stages)
    for i, (stage, row) in enumerate(zip(d["meta"]["stages"], rows), 1):
        assert stage["shape"] == [row.shape[2], row.shape[0], row.shape[1]] == d["maps"][i]["shape"]
        assert stage["params"] == row.params
        assert shape_shown(page, i) == " × ".join(map(str, stage["shape"]))
        params_text = page.locator(f'#pipeline-widget [data-params="{i}"]').inner_text()
        assert params_text.startswith(f"{row.params:,} parameter"), params_text
    total = sum(r.params for r in rows)
    assert page.locator(".pl-total").inner_text() == f"Total: {total:,} learned parameter{'s' if total != 1 else ''}"
    return d


def shot(page, name: str):
    """The whole page (conftest) and the widget alone, to look at."""
    screenshot(page, name)
    page.locator("#pipeline-widget").screenshot(path=str(SCREENSHOTS / f"{name}-widget.png"))


# ---------------------------------------------------------------- the default block


X9 = presets.input_image("x", 9, 9, 1)  # (1, 9, 9) the default picture


def test_the_default_x_through_the_xo_block(page, server_url):
    open_pipeline(page, server_url)
    check_page(page, X9, block(XO_SET))
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
    check_page(page, X9, block(XO_SET, window=2, pool_stride=1))
    assert page.locator('[data-note="3"]').inner_text() == ""  # (7 − 2)/1 + 1 = 6: whole
    assert page.locator('[data-formula="3"]').inner_text() == "(7 − 2)/1 + 1 = 6"
    set_slider(page, "pl1Window", 3)
    wait_shape(page, 3, "3 × 5 × 5")
    set_slider(page, "pl1PoolStride", 3)
    wait_shape(page, 3, "3 × 2 × 2")  # (7 − 3)/3 + 1 = 2.33, floored
    assert "does not fit a 7×7 input" in page.locator('[data-note="3"]').inner_text()
    check_page(page, X9, block(XO_SET, window=3, pool_stride=3))
    page.locator('[data-block="1"][data-mode="avg"]').click()
    page.wait_for_function(f"{PL}.params.stages[2].mode === 'avg'")
    check_page(page, X9, block(XO_SET, mode="avg", window=3, pool_stride=3))
    page.evaluate("window.convscopeLayers.store.flush()")
    assert all(part in page.url for part in ("plps1=3", "plm1=avg")) and "plw1" not in page.url  # 3: the default


# ---------------------------------------------------------------- stacks of blocks


def test_adding_blocks_adds_cards_with_the_engines_shapes_and_parameters(page, server_url):
    open_pipeline(page, server_url)
    page.locator('[data-action="add"]').click()
    wait_stages(page, 6)
    # The new block: 4 seeded random 3×3 kernels spanning block 1's 3 maps, padded by 1 so the 3×3 map
    # keeps its size, and a 2×2 pooling window at stride 2.
    block2 = block(random_kernels(4, 3, 3, seed=20), padding=1, window=2, pool_stride=2)
    check_page(page, X9, block(XO_SET) + block2)
    assert [shape_shown(page, i) for i in (4, 5, 6)] == ["4 × 3 × 3", "4 × 3 × 3", "4 × 1 × 1"]
    assert page.locator('#pipeline-widget [data-params="4"]').inner_text() == "112 parameters = (3×3×3 + 1)×4"
    assert "142 learned parameters" in page.locator(".pl-total").inner_text()
    # A third block gets 4 channels, more than kernel.preset makes at once: two seeded draws, channels side by side;
    # its pooling window is chosen to fit the 1×1 map it gets.
    page.locator('[data-action="add"]').click()
    wait_stages(page, 9)
    both = np.concatenate([random_kernels(4, 3, 3, seed=30), random_kernels(4, 1, 3, seed=31)], axis=1)  # (4, 4, 3, 3)
    block3 = block(both, padding=1, window=1, pool_stride=1)
    d = check_page(page, X9, block(XO_SET) + block2 + block3)
    assert d["meta"]["stages"][6]["params"] == shapes.conv_params((3, 3), 4, 4) == 148
    assert shape_shown(page, 9) == "4 × 1 × 1"
    # More filters in block 2: new seeded kernels, and block 3's kernels span 6 channels (two draws of 3).
    set_slider(page, "pl2Filters", 6)
    page.wait_for_function(f"{PL}.meta.stages[3].shape[0] === 6")
    block2 = block(random_kernels(6, 3, 3, seed=20), padding=1, window=2, pool_stride=2)
    both = np.concatenate([random_kernels(4, 3, 3, seed=30), random_kernels(4, 3, 3, seed=31)], axis=1)  # (4, 6, 3, 3)
    d = check_page(page, X9, block(XO_SET) + block2 + block(both, padding=1, window=1, pool_stride=1))
    assert [d["meta"]["stages"][i]["params"] for i in (3, 6)] == [(9 * 3 + 1) * 6, (9 * 6 + 1) * 4]
    page.locator('[data-action="remove"]').click()
    wait_stages(page, 6)
    check_page(page, X9, block(XO_SET) + block2)
    page.evaluate("window.convscopeLayers.store.flush()")
    assert "plb=2" in page.url and "plf3" not in page.url


def test_two_blocks_at_1920(page, server_url):
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_pipeline(page, server_url, "?plb=2&plo=2")
    wait_stages(page, 6)
    check_page(page, X9, block(XO_SET) + block(random_kernels(4, 3, 3, seed=20), padding=1, window=2, pool_stride=2))
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
    conv = reference_maps(X9, block(XO_SET))[1]  # (3, 7, 7)
    labels = page.evaluate(f"{PL}.openLabels")
    assert len(labels) == 3 == page.locator(".pl-channels canvas").count()
    for c in range(3):  # every channel, every cell, with its number
        assert_shows(labels[c], conv[c], what=f"channel {c + 1}")
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
    x = X9.copy()  # (1, 9, 9) what the strokes below must make of the picture
    assert x[0, 4, 0] == -1
    page.mouse.click(*cell_point(page, 4, 0))  # a −1 cell becomes +1
    page.wait_for_function(f"{PL}.params.input.values[36] === 1")
    x[0, 4, 0] = 1
    check_page(page, x, block(XO_SET))
    # A drag paints the value of the first cell it flipped across the cells it crosses.
    page.mouse.move(*cell_point(page, 0, 2))
    page.mouse.down()
    page.mouse.move(*cell_point(page, 0, 6), steps=8)
    page.mouse.up()
    page.wait_for_function(f"[2, 3, 4, 5, 6].every(c => {PL}.params.input.values[c] === 1)")
    x[0, 0, 2:7] = 1
    check_page(page, x, block(XO_SET))
    assert x[0, 2, 2] == 1  # on the X's stroke
    # Without a mouse: arrows move a ringed cell, Space flips it.
    page.locator(".pl-draw").focus()
    for key in ("ArrowDown", "ArrowDown", "ArrowRight", "ArrowRight", " "):
        page.keyboard.press(key)
    page.wait_for_function(f"{PL}.params.input.values[2 * 9 + 2] === -1")  # the stroke cell (2, 2) flipped to −1
    x[0, 2, 2] = -1
    d = check_page(page, x, block(XO_SET))
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
        check_page(page, expected, block(XO_SET))
    set_slider(page, "plSize", 16)
    wait_shape(page, 3, "3 × 6 × 6")  # (16 − 3)/1 + 1 = 14, pooled by 3×3 at stride 2 to 6 (floored from 6.5)
    check_page(page, presets.input_image("random", 16, 16, 1, decimals=1), block(XO_SET))


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
    check_page(page, X9, block(XO_SET, stride=8, window=1))


def test_a_link_restores_the_whole_pipeline(page, server_url):
    open_pipeline(page, server_url, "?pli=o&plb=2&plf2=6&plk2=1&plp2=0&pla2=tanh&plm2=avg&plo=4")
    wait_stages(page, 6)
    block2 = block(random_kernels(6, 3, 1, seed=20), act="tanh", mode="avg", window=2, pool_stride=2)
    d = check_page(page, presets.input_image("o", 9, 9, 1), block(XO_SET) + block2)
    assert d["meta"]["stages"][3]["label"] == "conv 1×1, 6 filters, stride 1"
    assert [d["meta"]["stages"][i]["op"] for i in (4, 5)] == ["tanh", "average pool"]
    assert d["meta"]["stages"][3]["params"] == (1 * 1 * 3 + 1) * 6
    assert d["open"] == 4 and page.locator(".pl-channels canvas").count() == 6
    page.wait_for_function(f"{PL}.openLabels.length === 6")
    conv = reference_maps(presets.input_image("o", 9, 9, 1), block(XO_SET) + block2)[4]  # (6, 3, 3)
    labels = page.evaluate(f"{PL}.openLabels")
    for c in range(6):  # the open stack's numbers: every channel of the 1×1 convolution
        # A channel with a label such as −12.31 has no room for 2 decimals: it reads at 1.
        assert_shows(labels[c], conv[c], decimals="fit", what=f"channel {c + 1}")
    assert page.locator("#pl-pl2Act").input_value() == "tanh"
