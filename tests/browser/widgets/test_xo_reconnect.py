"""/xo survives its server: killed while training, the page says so and switches its controls off;
started again on the same port, the page reconnects by itself and replays its seeded run to the
same step, playing or paused as it was. A reload does the same. The numbers after the replay are
the engine's for that run (the same seed, the same batches, the same live changes), to the bit:
training always runs on the compiled kernels (jit.exact), even while a restarted server is still
warming up."""

from __future__ import annotations

from engine import xo_train

from ..conftest import SCREENSHOTS
from ..restartable import away_page, own_server, wait_engine_ready  # noqa: F401 (fixtures)
from .test_xo import DEFAULT_RUN, TRAIN, WAIT, XO, meta, open_xo, run, run_config, trained

# Every request the page sends, kept in the page (so a test sees what a replay asked for).
RECORD_SENT = """
window.sentRequests = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  try { window.sentRequests.push(JSON.parse(data)); } catch {}
  return send.call(this, data);
};
"""
# Every snapshot the training widget draws: (step, playing, train loss), in order.
RECORD_DRAWN = f"""() => {{
  window.drawn = [];
  {XO}.run.subscribe(({{snapshot}}) => snapshot &&
    window.drawn.push([snapshot.meta.step, snapshot.meta.playing, snapshot.meta.train_loss]));
}}"""
PLAY = ".xo-play"
NUMBERS = ("step", "train_loss", "test_loss", "train_acc", "test_acc", "lr")


def steps_sent(page) -> list[int]:
    return page.evaluate("sentRequests.filter(m => m.type === 'train.step').map(m => m.params.batches)")


def wait_shown_step(page, step: int):
    page.wait_for_function(f"{TRAIN}.shown.step === '{step}' && {XO}.meta?.step === {step}", timeout=WAIT)


def view(page, name: str, width: int, height: int):
    """A screenshot of what the window shows at this size (not the whole page): what a room sees."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(100)  # one frame for the layout to settle (not an assertion)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def note_fits(page) -> dict:
    return page.evaluate(
        """() => {
          const note = document.querySelector('.offline-note');
          const title = note.querySelector('.offline-title');
          return {width: note.getBoundingClientRect().width, overflows: note.scrollWidth > note.clientWidth,
                  font: parseFloat(getComputedStyle(title).fontSize), window: innerWidth};
        }"""
    )


def test_a_killed_server_comes_back_to_the_same_step_playing(away_page, own_server):  # noqa: F811 (fixtures)
    page = away_page
    own_server.wait_warm()  # the run before the kill: the compiled kernels, bit for bit the engine's
    page.add_init_script(RECORD_SENT)
    open_xo(page, own_server.url, "?speed=2")
    page.evaluate(RECORD_DRAWN)
    page.locator(PLAY).click()
    page.wait_for_function(f"{XO}.meta?.step >= 4 && {TRAIN}.playing", timeout=WAIT)
    config = run_config(page, DEFAULT_RUN)

    own_server.kill()
    note = page.locator(".offline-note")
    note.wait_for(state="visible")
    step = meta(page)["step"]
    wait_shown_step(page, step)  # frozen where the last snapshot left it
    lost_at = meta(page)
    saved = page.evaluate(f"{XO}.run.saved")  # what this tab keeps of the run (sessionStorage)
    assert (saved["step"], saved["playing"], saved["changes"]) == (step, True, [])
    # Nothing plays while the server is away: the button says Play, and every control is off.
    play = page.locator(PLAY)
    assert play.inner_text() == "Play" and play.get_attribute("aria-pressed") == "false" and play.is_disabled()
    assert not page.evaluate(f"{TRAIN}.playing")
    still_on = page.evaluate(
        "[...document.querySelectorAll('#content :is(button, input, select, textarea)')]"
        ".filter(e => !e.disabled).map(e => e.outerHTML.slice(0, 80))"
    )
    assert still_on == []
    text = note.inner_text()
    assert "The server is unreachable. Reconnecting" in text
    assert f"the run comes back to step {step} and plays on" in text
    assert "Controls that need the server are switched off" in text
    # Readable from the back of a lecture hall, and whole on a phone.
    view(page, "xo-offline-1024x768", 1024, 768)
    at_projector = note_fits(page)
    view(page, "xo-offline-390x844", 390, 844)
    on_phone = note_fits(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    for fit in (at_projector, on_phone):
        assert fit["width"] <= fit["window"] and not fit["overflows"], fit
    assert at_projector["font"] >= 24 and on_phone["font"] >= 18, (at_projector, on_phone)

    page.evaluate("sentRequests.length = 0; drawn.length = 0")
    own_server.start()
    # Back without a click: the same step, playing again, the note gone, the controls on.
    page.wait_for_function(f"{TRAIN}.playing && {XO}.meta?.step > {step}", timeout=WAIT)
    note.wait_for(state="hidden")
    assert play.inner_text() == "Pause" and play.get_attribute("aria-pressed") == "true" and play.is_enabled()
    assert page.locator("#content button:disabled[data-offline], #content input[data-offline]").count() == 0
    # One train.step brought the run to where it was (not one request a batch), then it played on.
    assert steps_sent(page) == [step]
    types = page.evaluate("sentRequests.map(m => m.type)")
    assert types.index("train.play") > types.index("train.step") > types.index("train.start")
    # The page showed that very step again, with the numbers it showed before the server died.
    assert lost_at["train_loss"] == trained(config, step).evaluate().train_loss  # the engine's, exactly
    drawn = page.evaluate("drawn")
    again = [d for d in drawn if d[0] == step]
    assert again and again[0][2] == lost_at["train_loss"], (drawn, lost_at)
    assert page.evaluate(f"{XO}.run.saved.playing") is True


def test_a_reload_replays_the_run_with_its_live_changes(page, server_url):
    wait_engine_ready(server_url)  # the same kernels before and after the reload: the same numbers, exactly
    page.add_init_script(RECORD_SENT)
    open_xo(page, server_url, "?seed=3&speed=100")
    step_button = page.get_by_role("button", name="Step one batch")
    for n in (1, 2, 3):
        step_button.click()
        page.wait_for_function(f"{XO}.meta?.step === {n}", timeout=WAIT)
    # A live change mid-run: the learning rate two stops down its ladder, from the next batch on.
    lr_before = meta(page)["lr"]
    page.eval_on_selector(
        "#xo-lr", "el => { el.value = Number(el.value) - 2; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.wait_for_function(f"{XO}.meta?.lr !== {lr_before}", timeout=WAIT)
    lr = meta(page)["lr"]
    for n in (4, 5):
        step_button.click()
        page.wait_for_function(f"{XO}.meta?.step === {n}", timeout=WAIT)
    wait_shown_step(page, 5)
    before = meta(page)
    config = run_config(page, run(seed=3))

    page.reload()
    page.wait_for_function(f"{XO} && {XO}.meta?.step === 5 && !{XO}.run.replaying", timeout=WAIT)
    wait_shown_step(page, 5)
    after = meta(page)
    assert {k: after[k] for k in NUMBERS} == {k: before[k] for k in NUMBERS}
    assert after["playing"] is False and page.locator(PLAY).inner_text() == "Play"
    assert page.locator('[data-stat="step"]').inner_text() == "5"
    assert "Back at step 5, paused, as before" in page.locator('#train-widget [data-alert="general"]').inner_text()
    # The replay: three batches, the change, two batches (two train.step requests, not five).
    assert steps_sent(page) == [3, 2]
    sets = page.evaluate("sentRequests.filter(m => m.type === 'train.set' && m.params.lr != null)")
    assert [s["params"]["lr"] for s in sets] == [lr]
    # The engine's run of the same config with the same change at the same step.
    t = xo_train.Trainer(xo_train.make_config(config))
    t.train(3)
    t.set_hyper(lr=lr)
    t.train(2)
    assert after["train_loss"] == t.evaluate().train_loss

    # Playing when reloaded: it comes back playing, from at least where it was.
    page.locator(PLAY).click()
    page.wait_for_function(f"{XO}.meta?.step >= 40 && {TRAIN}.playing", timeout=WAIT)
    page.reload()
    page.wait_for_function(f"{XO} && {TRAIN}.playing && {XO}.meta?.step >= 40", timeout=WAIT)
    assert page.locator(PLAY).inner_text() == "Pause"
    replayed = steps_sent(page)
    assert len(replayed) <= 2 and sum(replayed) >= 40  # the first request after the change resumes it


def test_the_training_widget_alone_comes_back_paused_where_it_was(away_page, own_server):  # noqa: F811 (fixtures)
    """/widget/xo-train (as a lesson mounts it): the same replay, without the /xo page's help."""
    page = away_page
    widget = "window.convscopeWidget.widget.inspect()"
    page.add_init_script(RECORD_SENT)
    page.goto(f"{own_server.url}widget/xo-train")
    page.wait_for_function(f"window.convscopeWidget && {widget}.meta?.step === 0", timeout=WAIT)
    for n in (1, 2):
        page.get_by_role("button", name="Step one batch").click()
        page.wait_for_function(f"{widget}.meta?.step === {n}", timeout=WAIT)
    before = page.evaluate(f"{widget}.meta")

    own_server.kill()
    page.locator(".offline-note").wait_for(state="visible")
    assert "the run comes back to step 2 paused, as it was" in page.locator(".offline-note").inner_text()
    assert page.get_by_role("button", name="Step one batch").is_disabled()
    page.evaluate("sentRequests.length = 0")
    own_server.start()
    page.locator(".offline-note").wait_for(state="hidden", timeout=WAIT)
    back = page.locator('#widget [data-alert="general"]')
    page.wait_for_function("el => el.textContent.startsWith('Back at step 2')", arg=back.element_handle(), timeout=WAIT)
    assert back.inner_text() == "Back at step 2, paused, as before: replayed from its seed."
    assert page.evaluate(f"{widget}.meta.step") == 2 and not page.evaluate(f"{widget}.playing")
    assert steps_sent(page) == [2]
    after = page.evaluate(f"{widget}.meta")
    assert after["train_acc"] == before["train_acc"] and after["test_acc"] == before["test_acc"]
    assert after["train_loss"] == before["train_loss"]
    assert page.get_by_role("button", name="Step one batch").is_enabled()
