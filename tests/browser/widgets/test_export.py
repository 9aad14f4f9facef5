"""Export for slides: a widget as a PNG at 2× its size on screen, its steps as an animated GIF,
and an embed snippet whose link opens the widget as it was. Files are saved through the
browser's download, as a user gets them, and opened with Pillow."""

from __future__ import annotations

import re
from contextlib import contextmanager
from html import unescape

import pytest
from PIL import Image, ImageChops

from ..conftest import SCREENSHOTS, open_page, screenshot
from ..helpers import open_widget, store_state


def css_size(page, selector: str) -> tuple[int, int]:
    """The element's box in whole CSS pixels, as export.js measures it (rounded up)."""
    return tuple(
        page.evaluate(
            "s => { const r = document.querySelector(s).getBoundingClientRect(); "
            "return [Math.ceil(r.width), Math.ceil(r.height)]; }",
            selector,
        )
    )


def download(page, button: str, timeout: float = 120_000):
    """Click a menu item and return the downloaded file's (suggested name, path)."""
    with page.expect_download(timeout=timeout) as info:
        page.click(button)
    return info.value.suggested_filename, info.value.path()


@contextmanager
def sized_page(browser, width: int, height: int):
    with open_page(browser) as pg:
        pg.set_viewport_size({"width": width, "height": height})
        yield pg


def test_a_widget_saves_a_png_twice_its_size_on_screen(page, server_url):
    open_widget(page, server_url, "pool", "?pm=avg&pk=3&ps=1")
    page.click("#widget .export-toggle")
    name, path = download(page, "#widget .export-png")
    width, height = css_size(page, "#widget")
    img = Image.open(path)
    assert img.format == "PNG" and re.fullmatch(r"convscope-pool-[\d-]+\.png", name), name
    assert img.size == (2 * width, 2 * height)
    assert len(img.convert("RGB").getcolors(1 << 20)) > 20  # the grids' colours, not a blank page
    assert page.inner_text("#widget .export-status") == f"Saved {name} ({2 * width}×{2 * height} pixels)."
    # Its canvases were drawn at 2× for the file, and are back at the screen's 1× after it.
    assert page.evaluate("window.devicePixelRatio") == 1
    canvas = page.evaluate(
        "(() => { const c = document.querySelector('#widget canvas'); "
        "return [c.width, Math.round(c.getBoundingClientRect().width)]; })()"
    )
    assert abs(canvas[0] - canvas[1]) <= 1


def test_a_table_with_a_caption_keeps_its_height_in_the_png_and_the_gif(page, server_url):
    """A table's computed height counts its caption; copied onto the drawn table as it was, it stretched
    the rows by the caption's height over the note below (the im2col widget's output maps)."""
    open_widget(page, server_url, "im2col")
    box = page.evaluate(
        """() => { const w = document.querySelector('#widget').getBoundingClientRect();
          const t = document.querySelector('#widget .ic-out').getBoundingClientRect();
          const td = document.querySelector('#widget .ic-out tr:last-child td');
          return { left: t.left - w.left, bottom: t.bottom - w.top, width: w.width,
                   fill: getComputedStyle(td).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number) }; }"""
    )
    page.click("#widget .export-toggle")
    _, png = download(page, "#widget .export-png")
    if not page.locator("#widget .export-gif").is_visible():
        page.click("#widget .export-toggle")
    _, gif = download(page, "#widget .export-gif")

    def near(colour) -> bool:
        return max(abs(a - b) for a, b in zip(colour, box["fill"])) <= 24

    for path in (png, gif):
        img = Image.open(path).convert("RGB")
        scale = img.size[0] / box["width"]
        x = round((box["left"] + 6) * scale)
        last_row, below = (img.getpixel((x, round((box["bottom"] + dy) * scale))) for dy in (-6, 4))
        assert near(last_row), (path, last_row, box["fill"])  # the last row's cell, where the page has it
        assert not near(below), (path, below, box["fill"])  # and under it, the page, not a stretched row


def test_the_playground_saves_one_gif_frame_per_step_and_comes_back_to_its_step(browser, server_url):
    with sized_page(browser, 1024, 768) as page:
        open_widget(page, server_url, "playground", "?t=3")  # the default 7×7 input and 3×3 kernel
        # Its menu sits in the settings panel, clear of the formula.
        menu = page.locator("#widget .export-menu").bounding_box()
        formula = page.locator("#widget .formula").bounding_box()
        assert (
            menu["x"] + menu["width"] <= formula["x"]
            or formula["x"] + formula["width"] <= menu["x"]
            or menu["y"] + menu["height"] <= formula["y"]
            or formula["y"] + formula["height"] <= menu["y"]
        )
        assert page.evaluate("window.convscopeWidget.widget.inspect().frame.total") == 25
        page.click("#widget .export-toggle")
        name, path = download(page, "#widget .export-gif")
        gif = Image.open(path)
        assert gif.format == "GIF" and name.endswith(".gif")
        assert gif.n_frames == 25  # 5 × 5 output cells, one step each
        assert gif.info.get("loop") == 0  # loops for a slide
        frames = []
        for i in (0, 1, 24):
            gif.seek(i)
            frames.append(gif.convert("RGB"))
        assert ImageChops.difference(frames[0], frames[1]).getbbox() is not None  # the window moved
        assert ImageChops.difference(frames[1], frames[2]).getbbox() is not None
        width, height = css_size(page, "#widget")
        scale = min(2, (1_200_000 / (width * height)) ** 0.5)
        assert abs(gif.size[0] - width * scale) <= 2 and abs(gif.size[1] - height * scale) <= 2
        assert page.evaluate("window.convscopeWidget.widget.inspect().frame.step") == 3  # back where it was
        assert "(25 frames)" in page.inner_text("#widget .export-status")
        _, path = download(page, "#widget .export-png")
        assert Image.open(path).size == (2 * width, 2 * height)


STEP_COUNTS = {
    "pool": "(() => { const i = window.convscopeWidget.widget.inspect(); return i.output.values.length; })()",
    "conv1d": "window.convscopeWidget.widget.inspect().meta.steps",
    "backprop": "window.convscopeWidget.widget.inspect().total",
}
STEP_NOW = {
    "pool": "window.convscopeWidget.store.get().poolStep",
    "conv1d": "window.convscopeWidget.store.get().c1Step",
    "backprop": "window.convscopeWidget.widget.inspect().step",
}


@pytest.mark.parametrize("type_", ["pool", "conv1d", "backprop"])
def test_a_stepping_widget_saves_one_gif_frame_per_step(page, server_url, type_):
    open_widget(page, server_url, type_)
    steps = page.evaluate(STEP_COUNTS[type_])
    before = page.evaluate(STEP_NOW[type_])
    assert steps > 1
    page.click("#widget .export-toggle")
    name, path = download(page, "#widget .export-gif")
    gif = Image.open(path)
    assert gif.format == "GIF" and name.startswith(f"convscope-{type_}-") and name.endswith(".gif")
    assert gif.n_frames == min(steps, 100)  # one frame a step (a hundred spread over more)
    assert f"({gif.n_frames} frames)" in page.inner_text("#widget .export-status")
    page.wait_for_function(f"{STEP_NOW[type_]} === {before}")  # back at the step it showed


def embed_src(page, scope: str) -> str:
    page.click(f"{scope} .export-toggle")
    page.click(f"{scope} .export-embed")
    page.wait_for_function("s => document.querySelector(s + ' .export-code').value !== ''", arg=scope)
    code = page.input_value(f"{scope} .export-code")
    assert code.startswith("<iframe ") and code.endswith("></iframe>")
    assert 'title="Pooling · Convscope"' in code and 'loading="lazy"' in code
    return unescape(re.search(r'src="([^"]+)"', code).group(1))


def test_the_embed_snippet_opens_the_widget_in_the_same_state(page, browser, server_url):
    open_widget(page, server_url, "pool", "?pm=avg&pk=3&ps=1&pin=random&pseed=4")
    page.click("#widget button:has-text('Max')")  # a change made on the page is in the link too
    page.wait_for_function("window.convscopeWidget.store.get().poolMode === 'max'")
    src = embed_src(page, "#widget")
    assert src.startswith(f"{server_url}widget/pool?")
    before = store_state(page, "window.convscopeWidget")
    with open_page(browser) as other:
        other.emulate_media(reduced_motion="reduce")
        other.goto(src)
        other.wait_for_function("document.querySelector('#widget').dataset.ready === 'true'")
        assert store_state(other, "window.convscopeWidget") == before


def test_an_embed_from_the_layers_page_carries_only_that_widgets_state(page, browser, server_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}layers?pm=avg&pk=3&pn=9")
    page.wait_for_function("document.querySelector('#pool-widget').dataset.ready")
    src = embed_src(page, "#pool-widget")
    assert src.startswith(f"{server_url}widget/pool?")
    query = dict(part.split("=") for part in src.split("?")[1].split("&"))
    assert query == {"pm": "avg", "pk": "3", "pn": "9"}


def test_the_menu_fits_a_projector_and_a_phone(browser, server_url):
    for width, height in ((1024, 768), (390, 844)):
        with sized_page(browser, width, height) as page:
            open_widget(page, server_url, "pool")
            toggle = page.locator("#widget .export-toggle")
            assert toggle.is_visible()
            toggle.click()
            panel = page.locator("#widget .export-items").bounding_box()
            assert panel["x"] >= 0 and panel["x"] + panel["width"] <= width
            for item in ("PNG picture (2×)", "Copy embed code"):
                assert page.locator(f"#widget .export-items button:has-text('{item}')").is_visible()
            assert page.locator("#widget .export-gif").is_visible()  # pooling steps, so it offers a GIF
            screenshot(page, f"export-menu-{width}x{height}")
            page.keyboard.press("Escape")  # closes the menu, and the widget keeps its step
            assert not page.locator("#widget .export-items").is_visible()
            assert store_state(page, "window.convscopeWidget")["poolStep"] == -1


# ---------------------------------------------------------------- uploads (lib/pictures.js)

UPLOAD = """async ({ base64, size }) => {
  const { connect } = await import('/static/js/lib/socket.js');
  const { createUploader } = await import('/static/js/lib/pictures.js');
  const context = JSON.parse(document.getElementById('widget-context').textContent);
  let opened;
  const open = new Promise((resolve) => (opened = resolve));
  const socket = connect({ protocol: context.protocol, onOpen: () => opened() });
  await open;
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const file = new File([bytes], 'photo.png', { type: 'image/png' });
  const uploader = createUploader(socket);
  const first = await uploader.load(file, { size, channels: 1 });
  const smaller = await uploader.resize(12);
  let refused = null;
  try { await uploader.resize(1000); } catch (e) { refused = { field: e.field, message: e.message }; }
  return { first: [first.height, first.width, first.values.length, first.note], smaller: smaller.note, refused };
}"""


def test_an_upload_keeps_its_shape_at_the_chosen_size_and_says_what_it_became(page, server_url):
    import base64
    import io

    buffer = io.BytesIO()
    Image.new("L", (600, 400), 200).save(buffer, "PNG")
    open_widget(page, server_url, "pool")
    got = page.evaluate(UPLOAD, {"base64": base64.b64encode(buffer.getvalue()).decode(), "size": 42})
    assert got["first"] == [28, 42, 28 * 42, "600×400 photo → 42×28 grid (aspect kept)"]
    assert got["smaller"] == "600×400 photo → 12×8 grid (aspect kept)"
    assert got["refused"]["field"] == "size" and "size must be from 1 to 256, got 1000" in got["refused"]["message"]


# A widget as small as widgetFace allows: a canvas showing its step, and the one option a widget
# adds for a GIF (`animation`), as a stepper's total, getStep and setStep.
FAKE_WIDGET = """async () => {
  const { widgetFace } = await import('/static/js/lib/widget.js');
  const element = Object.assign(document.createElement('section'), { id: 'fake-widget' });
  element.style.cssText = 'width: 300px; height: 200px';
  element.innerHTML = '<canvas width="120" height="60" style="display: block; margin: 20px"></canvas>';
  document.querySelector('#content').prepend(element);
  let step = -1;
  const draw = (s) => {
    const ctx = element.querySelector('canvas').getContext('2d');
    ctx.fillStyle = `hsl(${40 * (s.step + 1)} 70% 50%)`;
    ctx.fillRect(0, 0, 120, 60);
  };
  let face;
  const set = (patch) => face.update({ ...patch });  // the page's store calls update()
  face = widgetFace(element, {
    update: async (s) => { step = s.step; await new Promise((r) => setTimeout(r, 20)); draw(s); },
    inspect: () => ({ step }),
    animation: { steps: () => 5, step: () => step, show: (i) => set({ step: i }) },
    exportAs: { type: 'pool' },
  });
  await face.update({ step: 2 });
  window.fakeWidget = face;
}"""


def test_a_widget_that_passes_animation_to_widgetface_gets_a_gif_of_its_steps(page, server_url):
    open_widget(page, server_url, "pool")
    page.evaluate(FAKE_WIDGET)
    page.click("#fake-widget .export-toggle")
    name, path = download(page, "#fake-widget .export-gif")
    gif = Image.open(path)
    assert gif.n_frames == 5 and name.startswith("convscope-pool-")
    colours = set()
    for i in range(5):
        gif.seek(i)
        colours.add(gif.convert("RGB").getpixel((2 * 80, 2 * 50)))  # the canvas's middle, at 2×
    assert len(colours) == 5  # each frame drawn after its own step
    assert page.evaluate("window.fakeWidget.inspect().step") == 2  # back at the step it showed
    gif.seek(0)
    assert gif.size == (600, 400)  # 2× the 300 × 200 px element


MOUNT_UPLOAD = """async () => {
  const { connect } = await import('/static/js/lib/socket.js');
  const { mountUpload } = await import('/static/js/lib/upload.js');
  const context = JSON.parse(document.getElementById('widget-context').textContent);
  let opened;
  const open = new Promise((resolve) => (opened = resolve));
  const socket = connect({ protocol: context.protocol, onOpen: () => opened() });
  await open;
  const box = Object.assign(document.createElement('div'), { id: 'upload-box' });
  document.querySelector('#content').prepend(box);
  window.pictures = [];
  window.uploadControl = mountUpload(box, {
    socket, limits: context.limits, id: 'test-upload', size: 42,
    onPicture: (p) => window.pictures.push([p.height, p.width, p.values.length]),
  });
}"""


def test_the_upload_control_says_what_a_photo_became_and_follows_the_chosen_size(page, server_url, tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (600, 400), (200, 120, 40)).save(path, "JPEG")
    open_widget(page, server_url, "pool")
    page.evaluate(MOUNT_UPLOAD)
    page.set_input_files("#test-upload", str(path))
    note = page.locator("#upload-box .upload-note")
    page.wait_for_function("window.pictures.length === 1")
    assert note.inner_text() == "600×400 photo → 42×28 grid (aspect kept)"
    assert page.evaluate("window.pictures[0]") == [28, 42, 28 * 42]
    page.fill("#upload-box .upload-size-input", "256")
    page.dispatch_event("#upload-box .upload-size-input", "change")
    page.wait_for_function("window.pictures.length === 2")
    assert note.inner_text() == "600×400 photo → 256×171 grid (aspect kept)"
    page.fill("#upload-box .upload-size-input", "300")
    page.dispatch_event("#upload-box .upload-size-input", "change")
    assert note.inner_text() == "Grid size must be a whole number from 1 to 256."
    assert page.evaluate("window.pictures.length") == 2  # nothing asked, the picture kept
    screenshot(page, "upload-note-1280x800")


def test_a_gif_of_thousands_of_steps_shows_a_hundred_spread_from_first_to_last(page, server_url):
    open_widget(page, server_url, "pool")
    steps = page.evaluate(
        "async () => { const { gifSteps } = await import('/static/js/lib/export.js'); "
        "return [gifSteps(25), gifSteps(100), gifSteps(3025)]; }"
    )
    assert steps[0] == list(range(25)) and steps[1] == list(range(100))
    big = steps[2]  # a 227×227 photo under an 11×11 filter at stride 4: 55 × 55 = 3,025 steps
    assert len(big) == 100 and big[0] == 0 and big[-1] == 3024
    assert all(b - a in (30, 31) for a, b in zip(big, big[1:], strict=False))


# ---------------------------------------------------------------- the X-vs-O training as a GIF

TRAIN = "window.convscopeWidget.widget.inspect()"


def trained_to(page, batches: int):
    """Train the run `batches` batches with the widget's own button, one press a batch."""
    for i in range(1, batches + 1):
        page.click("#widget [data-cmd='step']")
        page.wait_for_function(f"document.querySelector('#widget').dataset.step === '{i}'")


@pytest.mark.parametrize("batches", [6, 45])
def test_the_training_saves_a_gif_of_its_curves_and_filters_from_the_start_to_the_step_shown(
    browser, server_url, batches
):
    with sized_page(browser, 1280, 800) as page:
        open_widget(page, server_url, "xo-train")
        trained_to(page, batches)
        before = page.evaluate(f"{TRAIN}.meta")
        width, height = css_size(page, "#widget")  # the GIF's size: the widget's as it was asked for
        page.click("#widget .export-toggle")
        name, path = download(page, "#widget .export-gif")
        gif = Image.open(path)
        assert gif.format == "GIF" and re.fullmatch(r"convscope-xo-train-[\d-]+\.gif", name), name
        # A frame a batch, or 30 spread from the first batch to the last for a longer run.
        frames = min(batches, 30)
        assert gif.n_frames == frames
        assert f"({frames} frames)" in page.inner_text("#widget .export-status")
        assert gif.info.get("loop") == 0
        scale = min(2, (1_200_000 / (width * height)) ** 0.5)
        assert abs(gif.size[0] - width * scale) <= 2 and abs(gif.size[1] - height * scale) <= 2
        shots = []
        for i in (0, frames - 1):
            gif.seek(i)
            shots.append(gif.convert("RGB"))
        shots[-1].save(SCREENSHOTS / f"xo-train-gif-last-{batches}.png")
        assert ImageChops.difference(*shots).getbbox() is not None  # the curves grew, the filters changed
        # The run is the one it was, bit for bit (replayed from its seed), at the same step, paused.
        after = page.evaluate(f"{TRAIN}.meta")
        for key in ("step", "train_loss", "test_loss", "train_acc", "test_acc"):
            assert after[key] == before[key], key
        assert not page.evaluate(f"{TRAIN}.playing")


def test_an_untrained_run_says_to_train_first(page, server_url):
    open_widget(page, server_url, "xo-train")
    page.click("#widget .export-toggle")
    assert page.inner_text("#widget .export-gif") == "Animated GIF of the training so far"
    page.click("#widget .export-gif")
    page.wait_for_function("document.querySelector('#widget .export-status').textContent.includes('train a few')")
