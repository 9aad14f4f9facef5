"""Steps the browser tests share: open a widget or a page and wait for the engine's first answer,
move a slider as a hand would, read a number as the page writes it."""

from __future__ import annotations

from .conftest import screenshot


def number(text: str) -> float:
    """A number as the page writes it (real minus sign)."""
    return float(text.replace("\u2212", "-"))


def open_widget(page, server_url: str, type_: str, query: str = ""):
    """/widget/<type> with a query string, once its first answer is drawn."""
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}widget/{type_}{query}")
    page.wait_for_function("document.querySelector('#widget').dataset.ready === 'true'")


def open_layers(page, server_url: str, query: str = ""):
    """/layers with a query string, once pooling and the activation have drawn their answers."""
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}layers{query}")
    page.wait_for_function(
        "document.querySelector('#pool-widget').dataset.ready && "
        "document.querySelector('#activation-widget').dataset.ready"
    )


def set_slider(page, selector: str, value: float):
    """Move a range input as a drag would: its value, then an input event."""
    page.eval_on_selector(
        selector, "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value
    )


def shape_text(page) -> str:
    return page.locator('[data-shape="output"]').inner_text()


def wait_output_shape(page, text: str):
    page.wait_for_function("t => document.querySelector('[data-shape=\"output\"]').textContent === t", arg=text)


def shots(page, name: str):
    """The widget at a laptop's 1280×800 and a projector's 1920×1080."""
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(100)  # one frame for the layout to settle (not an assertion)
    screenshot(page, f"{name}-1920")
    page.set_viewport_size({"width": 1280, "height": 800})


def store_state(page, handle: str) -> dict:
    """A widget's state from its store (``handle`` is the page's global), typed arrays as plain lists."""
    return page.evaluate(
        f"(() => {{ const s = {handle}.store.get(); "
        "return JSON.parse(JSON.stringify(s, (k, v) => ArrayBuffer.isView(v) ? Array.from(v) : v)); })()"
    )
