"""The /xo page in real Chromium: train X vs O live, pause, step, reset, the keyboard, the URL,
and "Classify your own". Each test states the run its link asks for (the page's defaults written
out below, changed by the link's settings); the page must have started exactly that run, and the
expected numbers come from the engine's Trainer run here on that config for the number of batches
the page shows: the server's run must be that very run, however its chunks fell."""

from __future__ import annotations

import copy
import math

import numpy as np

from engine import xo_train
from engine.xo_data import NAMED_SAMPLES

from ..conftest import screenshot
from ..helpers import fmt

XO = "window.convscopeXO"
TRAIN = f"{XO}.train.inspect()"
DRAW = f"{XO}.draw.inspect()"
WAIT = 60_000  # ms: the first run may wait for the engine to compile


def open_xo(page, server_url: str, query: str = "", size=(1280, 800)):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}xo{query}")
    page.wait_for_function(
        f"{XO} && {XO}.meta !== null && document.querySelector('#train-widget').dataset.ready"
        " && document.querySelector('#draw-widget').dataset.ready",
        timeout=WAIT,
    )


def meta(page) -> dict:
    return page.evaluate(f"{XO}.meta")


# The run a link without run settings starts.
DEFAULT_RUN = {
    "size": 9,
    "filters": 3,
    "kernel": 3,
    "pool": 2,
    "init": "random",
    "lr": 0.1,
    "momentum": 0.9,
    "batch": 8,
    "seed": 0,
    "n_train": 128,
    "n_test": 32,
    "variations": {"shift": 1, "scale": 0.1, "rotation": 10, "thickness": 2, "noise": 0, "distorted": False},
}


def run(variations: dict | None = None, **settings) -> dict:
    """The default run with some settings changed (a link's)."""
    config = copy.deepcopy(DEFAULT_RUN)
    config.update(settings)
    config["variations"].update(variations or {})
    return config


def run_config(page, expected: dict) -> dict:
    """The run the page started, which must be the one the test's link asks for."""
    assert page.evaluate(f"{XO}.run.ready.meta.config") == expected
    return expected


def percent(p: float) -> str:
    """A probability or an accuracy as the page writes it (widgets/xo/net-view.js percent())."""
    if p in (0, 1):
        return f"{int(p * 100)}%"
    return "> 99.9%" if p > 0.999 else "< 0.1%" if p < 0.001 else f"{fmt(p * 100, 1)}%"


def assert_stats_shown(page, e):
    """The numbers under the curves are the engine's evaluation ``e`` of the run, as the page writes them."""
    shown = {
        k: page.locator(f'[data-stat="{k}"]').inner_text() for k in ("train_loss", "test_loss", "train_acc", "test_acc")
    }
    assert shown == {
        "train_loss": fmt(e.train_loss, 3),
        "test_loss": fmt(e.test_loss, 3),
        "train_acc": percent(e.train_acc),
        "test_acc": percent(e.test_acc),
    }


def assert_probs_shown(page, net: str, maps: dict):
    """A network's verdict table: each class's probability (3 decimals) and score (2), as the engine gives them."""
    rows = page.locator(f'[data-net="{net}"] .xo-probs tbody tr')
    probs = rows.locator(".xo-p").all_inner_texts()
    assert probs == [fmt(p, 3) for p in maps["probs"]], net
    scores = rows.locator(".xo-score-col").all_inner_texts()
    assert scores == [fmt(v, 2) for v in maps["scores"]], net


def trained(config: dict, batches: int) -> xo_train.Trainer:
    """The engine's run of this config for this many batches (no live changes)."""
    t = xo_train.Trainer(xo_train.make_config(config))
    t.train(batches)
    return t


def wait_drawn(page):
    """Until the page shows the newest snapshot it holds (drawing happens once per frame)."""
    page.wait_for_function(f"{TRAIN}.shown.step === String({XO}.meta?.step)", timeout=WAIT)


def play_until_perfect(page):
    page.locator(".xo-play").click()
    page.wait_for_function("document.querySelector('[data-stat=\"test_acc\"]').textContent === '100%'", timeout=WAIT)
    page.locator(".xo-play").click()
    page.wait_for_function(f"{XO}.meta?.playing === false && !{TRAIN}.playing", timeout=WAIT)
    wait_drawn(page)
    return meta(page)


def test_play_trains_until_every_test_example_is_right(page, server_url):
    open_xo(page, server_url)
    assert meta(page)["step"] == 0 and page.locator('[data-stat="step"]').inner_text() == "0"
    page.locator(".xo-play").click()
    page.wait_for_function(f"{XO}.meta?.step >= 3 && {XO}.meta?.test_acc < 1", timeout=WAIT)
    early = page.evaluate(f"({{step: {XO}.meta?.step, history: {TRAIN}.history}})")
    screenshot(page, "xo-training-1280")
    page.wait_for_function("document.querySelector('[data-stat=\"test_acc\"]').textContent === '100%'", timeout=WAIT)
    assert meta(page)["test_acc"] == 1.0
    page.locator(".xo-play").click()  # pause
    page.wait_for_function(f"{XO}.meta?.playing === false", timeout=WAIT)
    wait_drawn(page)
    m = meta(page)
    late = page.evaluate(TRAIN)
    assert m["step"] > early["step"] and late["history"] > early["history"]  # the curves moved
    # The run is the engine's run of the default config for the same number of batches.
    config = run_config(page, DEFAULT_RUN)
    expected = trained(config, m["step"]).evaluate()
    assert_stats_shown(page, expected)
    assert (m["train_loss"], m["test_loss"], m["test_acc"]) == (
        expected.train_loss,
        expected.test_loss,
        expected.test_acc,
    )
    gallery = late["gallery"]
    assert gallery["predictions"] == expected.test_pred.tolist()
    assert gallery["rightCount"] == gallery["total"] == config["n_test"] and gallery["wrongCount"] == 0
    assert late["shown"]["right"] == f"{config['n_test']} of {config['n_test']} right"
    first = m["first_perfect_step"]
    assert late["shown"]["perfect"] == f"100% test accuracy at step {first}"
    assert trained(config, first).evaluate().test_acc == 1.0
    screenshot(page, "xo-trained-1280")
    # Paused, the step holds; "Step one batch" trains exactly one.
    page.wait_for_timeout(300)
    assert meta(page)["step"] == m["step"]
    page.get_by_role("button", name="Step one batch").click()
    page.wait_for_function(f"{XO}.meta?.step === {m['step'] + 1}", timeout=WAIT)
    assert meta(page)["train_loss"] == trained(config, m["step"] + 1).evaluate().train_loss


def test_reset_repeats_the_run_exactly(page, server_url):
    open_xo(page, server_url, "?seed=5&speed=100")
    page.locator(".xo-play").click()
    page.wait_for_function(f"{XO}.meta?.step >= 25", timeout=WAIT)
    page.locator(".xo-play").click()
    page.wait_for_function(f"{XO}.meta?.playing === false", timeout=WAIT)
    played = meta(page)
    filters = page.evaluate(f"Array.from({XO}.run.latest.arrays.filters.data)")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(f"{XO}.meta?.step === 0 && {XO}.meta?.run > {played['run']}", timeout=WAIT)
    wait_drawn(page)
    assert page.locator('[data-stat="step"]').inner_text() == "0"
    # The same seed, the same batches in one go instead of the play loop's chunks: the same numbers.
    again = page.evaluate(f"{XO}.run.command('train.step', {{batches: {played['step']}}}).then(a => a.meta)")
    for key in ("step", "train_loss", "test_loss", "train_acc", "test_acc"):
        assert again[key] == played[key], key
    assert page.evaluate(f"Array.from({XO}.run.latest.arrays.filters.data)") == filters
    config = run_config(page, run(seed=5))
    assert played["train_loss"] == trained(config, played["step"]).evaluate().train_loss


def test_the_keyboard_plays_pauses_steps_and_resets(page, server_url):
    open_xo(page, server_url, "?speed=5")
    page.locator(".xo-stage").focus()
    page.keyboard.press("Space")
    page.wait_for_function(f"{XO}.meta?.playing === true", timeout=WAIT)
    page.keyboard.press("Space")
    page.wait_for_function(f"{XO}.meta?.playing === false", timeout=WAIT)
    step = meta(page)["step"]
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{XO}.meta?.step === {step + 1}", timeout=WAIT)
    page.keyboard.press("PageDown")  # what a presentation clicker sends
    page.wait_for_function(f"{XO}.meta?.step === {step + 2}", timeout=WAIT)
    page.keyboard.press("r")
    page.wait_for_function(f"{XO}.meta?.step === 0", timeout=WAIT)
    # Every control is reachable with Tab: the play button takes Enter like a click.
    page.locator(".xo-play").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"{XO}.meta?.playing === true", timeout=WAIT)
    page.keyboard.press("Enter")
    page.wait_for_function(f"{XO}.meta?.playing === false", timeout=WAIT)


def draw_ring(page, size: int):
    """An O: one mouse stroke round a circle on the drawing grid."""
    box = page.locator(".xo-pad").bounding_box()
    cell = (box["width"] - 1) / size
    centre, radius = (size - 1) / 2, size / 2 - 1.5
    points = [(centre + radius * math.sin(a), centre + radius * math.cos(a)) for a in np.linspace(0, 2 * math.pi, 41)]
    xy = [(box["x"] + (c + 0.5) * cell, box["y"] + (r + 0.5) * cell) for r, c in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y)
    page.mouse.up()


def classified(page) -> dict:
    """Until the maps shown are of the drawing on the grid and of the network the page holds."""
    page.wait_for_function(
        f"(() => {{ const d = {DRAW}; return d.meta && d.meta.step === {XO}.meta?.step"
        " && d.mapsGrid && d.mapsGrid.join(',') === d.grid.join(','); })()",
        timeout=WAIT,
    )
    return page.evaluate(DRAW)


def grid_of(d: dict) -> np.ndarray:
    return np.array(d["grid"], np.float32).reshape(d["size"], d["size"])  # (S, S)


def test_k_pauses_training_on_the_server(page, server_url):
    open_xo(page, server_url, "?speed=5")
    page.locator(".xo-stage").focus()
    page.keyboard.press("Space")
    page.wait_for_function(f"{XO}.meta?.playing === true", timeout=WAIT)
    page.wait_for_function(f"{XO}.meta?.step > 0", timeout=WAIT)
    page.keyboard.press("k")  # the presenter's global pause
    page.wait_for_function(f"{XO}.meta?.playing === false && !{TRAIN}.playing", timeout=WAIT)
    assert page.locator(".xo-play").inner_text() == "Play"
    assert page.evaluate("document.documentElement.dataset.motion") == "paused"
    step = meta(page)["step"]
    page.wait_for_timeout(1500)  # the server's run has stopped: no batch after the pause
    assert meta(page)["step"] == step
    assert not meta(page)["playing"]


def test_drawing_an_O_turns_the_prediction_from_X_to_O(page, server_url):
    open_xo(page, server_url, "?speed=100")
    m = play_until_perfect(page)
    config = run_config(page, DEFAULT_RUN)
    size = config["size"]
    d = classified(page)
    np.testing.assert_array_equal(grid_of(d), NAMED_SAMPLES["seed_x"])  # the default drawing: the seed's X
    assert d["trained"]["label"] == "X" and d["hand"]["label"] == "X"
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function(f"{DRAW}.grid.every(v => v === -1)", timeout=WAIT)
    draw_ring(page, size)
    page.wait_for_function(f"{DRAW}.grid.filter(v => v === 1).length >= 12", timeout=WAIT)
    d = classified(page)
    assert d["trained"]["label"] == "O"
    t = trained(config, m["step"])
    for net in ("trained", "hand"):
        maps = t.maps(grid_of(d), net)
        np.testing.assert_array_equal(np.array(d[net]["probs"], np.float32), maps["probs"])
        np.testing.assert_array_equal(np.array(d[net]["scores"], np.float32), maps["scores"])
        assert_probs_shown(page, net, maps)
    assert page.locator('[data-net="trained"] [data-verdict="label"]').inner_text() == "O"
    assert page.locator('[data-net="trained"]').get_attribute("data-label") == "O"
    screenshot(page, "xo-classify-1280")
    page.evaluate(f"{XO}.store.flush()")
    assert "ds=custom" in page.url and "dx=" in page.url  # the drawing is in the link


def test_the_seed_distorted_x_is_one_click_away(page, server_url):
    open_xo(page, server_url)
    page.get_by_role("button", name="Would you classify this as an X?").click()
    expected = NAMED_SAMPLES["seed_distorted_x"]
    d = classified(page)
    np.testing.assert_array_equal(grid_of(d), expected)
    t = trained(run_config(page, DEFAULT_RUN), d["meta"]["step"])
    hand = t.maps(expected, "hand")
    np.testing.assert_array_equal(np.array(d["hand"]["probs"], np.float32), hand["probs"])
    assert_probs_shown(page, "hand", hand)
    assert d["hand"]["label"] == "XO"[int(np.argmax(hand["probs"]))]
    page.evaluate(f"{XO}.store.flush()")
    assert "ds=seed_distorted_x" in page.url
    # Keyboard drawing: arrows move the cursor, space flips the pixel under it.
    page.locator(".xo-pad").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    flipped = expected.copy()
    flipped[1, 1] *= -1
    page.wait_for_function(f"{DRAW}.grid.join(',') === {flipped.ravel().tolist()!r}.join(',')", timeout=WAIT)


def test_a_link_reproduces_the_setup(page, server_url):
    query = "?seed=3&init=hand&f=4&lr=0.05&mom=0.5&bs=4&rot=20&dist=1&speed=5&ex=4"
    open_xo(page, server_url, query)
    config = run_config(
        page,
        run(
            seed=3,
            init="hand",
            filters=4,
            lr=0.05,
            momentum=0.5,
            batch=4,
            variations={"rotation": 20, "distorted": True},
        ),
    )
    page.wait_for_function(f"{XO}.meta?.sample === 4 && {XO}.meta?.speed === 5", timeout=WAIT)
    wait_drawn(page)
    assert page.locator('[data-speed="5"]').get_attribute("aria-pressed") == "true"
    assert page.locator('[data-init="hand"]').get_attribute("aria-pressed") == "true"
    assert page.locator('.xo-thumb[data-index="4"]').get_attribute("aria-pressed") == "true"
    # The hand start: the first three filters are the lecture's (the engine's), the fourth seeded random.
    filters = np.array(page.evaluate(f"Array.from({XO}.run.latest.arrays.filters.data)"), np.float32).reshape(4, 3, 3)
    np.testing.assert_array_equal(filters[:3], xo_train.hand_filters(3)[:, 0])
    np.testing.assert_array_equal(filters, trained(config, 0).filters()[:, 0])
    # Picking another test example writes it to the link.
    page.locator('.xo-thumb[data-index="7"]').click()
    page.wait_for_function(f"{XO}.meta?.sample === 7", timeout=WAIT)
    page.evaluate(f"{XO}.store.flush()")
    assert "ex=7" in page.url and "seed=3" in page.url and "lr=0.05" in page.url


def test_a_setting_the_engine_refuses_is_named_beside_its_control(page, server_url):
    open_xo(page, server_url, "?k=5&n=5")  # a 5×5 filter leaves a 1×1 map: no 2×2 pooling window fits
    page.wait_for_function("document.querySelector('[data-alert=\"pool\"]').textContent !== ''", timeout=WAIT)
    message = page.locator('[data-alert="pool"]').inner_text()
    assert "pool must be" in message, message
    run_config(page, DEFAULT_RUN)  # the page fell back to its default run, which the engine accepts
    # A live setting out of range: the learning rate field is refused by name, the run goes on.
    page.evaluate(f"{XO}.store.set({{xoLr: 5}})")
    page.wait_for_function("document.querySelector('[data-alert=\"lr\"]').textContent !== ''", timeout=WAIT)
    assert "lr must be" in page.locator('[data-alert="lr"]').inner_text()
    page.wait_for_function(f"{XO}.store.get().xoLr === null", timeout=WAIT)


def test_screens_at_1920(page, server_url):
    open_xo(page, server_url, "?speed=5", size=(1920, 1080))
    page.locator(".xo-play").click()
    page.wait_for_function(f"{XO}.meta?.step >= 3", timeout=WAIT)
    screenshot(page, "xo-training-1920")
    page.get_by_role("button", name="Max").click()
    page.wait_for_function("document.querySelector('[data-stat=\"test_acc\"]').textContent === '100%'", timeout=WAIT)
    page.locator(".xo-play").click()
    page.wait_for_function(f"{XO}.meta?.playing === false", timeout=WAIT)
    wait_drawn(page)
    t = trained(run_config(page, DEFAULT_RUN), meta(page)["step"])
    assert_stats_shown(page, t.evaluate())
    screenshot(page, "xo-trained-1920")
    page.get_by_role("button", name="An O").click()
    d = classified(page)
    np.testing.assert_array_equal(grid_of(d), NAMED_SAMPLES["o"])
    for net in ("trained", "hand"):  # the verdicts on the projector: the engine's, for this network and drawing
        assert_probs_shown(page, net, t.maps(NAMED_SAMPLES["o"], net))
    page.locator("#draw-widget").scroll_into_view_if_needed()
    screenshot(page, "xo-classify-1920")


def test_a_run_setting_starts_a_new_run_and_the_drawing_follows_its_size(page, server_url):
    from engine.xo_data import named_samples

    open_xo(page, server_url)
    first = page.evaluate(f"{XO}.run.ready.meta.run")
    slider = page.locator("#xo-size")
    slider.focus()
    page.keyboard.press("ArrowRight")  # 9 → 10: a new run, paused at step 0
    page.wait_for_function(f"{XO}.run.ready.meta.run > {first} && {XO}.run.ready.meta.config.size === 10", timeout=WAIT)
    wait_drawn(page)
    config = run_config(page, run(size=10))
    assert page.locator('[data-value="size"]').inner_text() == "10 × 10"
    d = classified(page)
    assert d["size"] == 10
    np.testing.assert_array_equal(grid_of(d), named_samples(10)["seed_x"])
    x = np.array(page.evaluate(f"Array.from({XO}.run.ready.arrays.test_x.data)"), np.float32).reshape(-1, 10, 10)
    np.testing.assert_array_equal(x, trained(config, 0).dataset.test_x[:, 0])
    # A variation switched on: its amount goes into the next run's config.
    page.locator('[data-toggle="xoNoise"]').check()
    page.wait_for_function(f"{XO}.run.ready.meta.config.variations.noise > 0", timeout=WAIT)
    assert page.locator('[data-value="noise"]').inner_text() != "off"
    page.evaluate(f"{XO}.store.flush()")
    assert "n=10" in page.url and "noise=" in page.url
