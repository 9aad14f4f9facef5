// A student's side of the class, on every page: a bar along the bottom (the class, following or
// exploring, one tap to switch) and the poll card with big targets for a thumb. The page follows
// what the instructor puts on stage unless the student chose to explore; they come back with one
// tap. After a drop (a phone that slept, a server restarted) the socket reconnects by itself and
// the page joins again, which brings it the stage and the poll it missed.

import { element, escapeHtml, minus } from "./dom.js";
import { applyStage } from "./stage.js";
import { deviceId, followed, member, setFollowed, setMember } from "./storage.js";
import { answerHtml, tallyHtml } from "./tally.js";

const RETRY_MS = 3000;

export function startStudent(socket) {
  const me = member();
  const device = deviceId();
  // Came here by a link of their own, not the class's: they are exploring.
  if (!me.exploring && followed() && followed() !== location.pathname) setMember({ ...me, exploring: true });

  let stage = null;
  let seq = 0;
  let poll = null;
  let mine = null;
  let result = null;
  let cardHidden = false;
  let joining = null;

  const bar = element(`
    <div class="class-student" role="region" aria-label="Your class" data-offline-ok>
      <p class="class-student-status">
        <span class="class-student-code">Class <strong></strong> ·
          <button type="button" class="class-link-button" data-class="leave">Leave</button></span>
        <span class="class-student-mode" role="status" aria-live="polite"></span>
      </p>
      <button type="button" class="class-chip-button" data-class="show-poll" hidden>Poll</button>
      <button type="button" class="class-big-button" data-class="toggle"></button>
    </div>`);
  const card = element(`
    <section class="class-card" role="dialog" aria-modal="false" aria-labelledby="class-card-prompt" hidden
      data-offline-ok>
      <p class="class-card-kicker">Poll</p>
      <h2 id="class-card-prompt" class="class-card-prompt"></h2>
      <div class="class-card-answer"></div>
      <p class="class-card-status" role="status" aria-live="polite"></p>
      <div class="class-card-result"></div>
      <button type="button" class="class-quiet-button class-card-hide" data-class="hide-poll">Hide</button>
    </section>`);
  document.body.append(card, bar);
  document.body.classList.add("class-student-page");
  // The card and the page's end keep clear of the bar, however many lines it wraps to.
  new ResizeObserver(() => document.body.style.setProperty("--class-bar", `${bar.offsetHeight}px`)).observe(bar);
  const $ = (selector) => bar.querySelector(selector) ?? card.querySelector(selector);

  function exploring() {
    return Boolean(member()?.exploring);
  }

  function showBar(text) {
    $(".class-student-code strong").textContent = me.code;
    const mode = exploring() ? "Exploring on your own" : "Following your instructor";
    $(".class-student-mode").textContent = text ?? mode;
    $('[data-class="toggle"]').textContent = exploring() ? "Back to class" : "Explore on my own";
    bar.dataset.mode = exploring() ? "exploring" : "following";
    $('[data-class="show-poll"]').hidden = !(poll && cardHidden);
  }

  async function follow(next) {
    if (!next || exploring()) return;
    setFollowed(next.path);
    await applyStage(next, { onNavigate: (path) => setFollowed(path) });
  }

  function takeStage(next) {
    if (!next || next.seq <= seq) return;
    seq = next.seq;
    stage = next;
    follow(stage);
  }

  // ------------------------------------------------------------------ the poll card

  function answerMarkup() {
    if (poll.form === "choice") {
      return `<div class="class-options">${poll.options
        .map(
          (text, i) => `<button type="button" class="class-option" data-choice="${i}"
            aria-pressed="${mine?.key === String(i)}">${escapeHtml(text)}</button>`,
        )
        .join("")}</div>`;
    }
    const numeric = poll.form === "value";
    return `<form class="class-number">
      <label for="class-number-input" class="visually-hidden">Your answer</label>
      <input id="class-number-input" name="answer" autocomplete="off" ${numeric ? 'inputmode="decimal"' : ""}
        maxlength="40" placeholder="${numeric ? "A number" : "e.g. 16 × 16 × 16"}">
      <button type="submit" class="class-big-button">Send</button>
    </form>`;
  }

  function showPoll() {
    if (!poll) {
      card.hidden = true;
      document.body.classList.remove("class-veiled");
      showBar();
      return;
    }
    card.dataset.poll = String(poll.id);
    card.dataset.revealed = String(Boolean(poll.revealed));
    $(".class-card-prompt").textContent = poll.prompt;
    $(".class-card-answer").innerHTML = poll.revealed ? "" : answerMarkup();
    $(".class-card-status").textContent = mine
      ? poll.revealed
        ? `You answered ${minus(mine.label)}.`
        : `Sent: ${minus(mine.label)}. You can change it until the answer is shown.`
      : poll.revealed
        ? "You did not answer this one."
        : "";
    const right = result && mine ? result.bars.find((b) => b.key === mine.key)?.right : null;
    const said = right ? "Right!" : "Not this time.";
    const verdict = right == null ? "" : `<p class="class-verdict ${right ? "right" : "wrong"}">${said}</p>`;
    $(".class-card-result").innerHTML = poll.revealed
      ? `${verdict}${answerHtml(poll)}${tallyHtml(result, { revealed: true })}`
      : "";
    card.hidden = cardHidden;
    // Until they answer, the page behind an open poll is veiled: the widget on stage may show the answer.
    document.body.classList.toggle("class-veiled", !cardHidden && !poll.revealed && !mine);
    showBar();
  }

  function setPoll(next, nextMine = null, nextResult = null) {
    if (next && poll && next.id < poll.id) return; // an older poll's frame, overtaken
    if (!poll || next?.id !== poll.id) cardHidden = false; // a new poll comes up
    poll = next;
    mine = nextMine;
    result = nextResult;
    showPoll();
  }

  async function send(params) {
    const status = $(".class-card-status");
    try {
      const answer = await socket.request("class.answer", { poll: poll.id, ...params });
      mine = answer.meta.answer;
      showPoll();
    } catch (e) {
      status.textContent = e.quiet ? "Not connected: send it again in a moment." : e.message;
    }
  }

  card.addEventListener("click", (e) => {
    const option = e.target.closest("[data-choice]");
    if (option && poll && !poll.revealed) send({ choice: Number(option.dataset.choice) });
    if (e.target.closest('[data-class="hide-poll"]')) {
      cardHidden = true;
      showPoll();
    }
  });
  card.addEventListener("submit", (e) => {
    e.preventDefault();
    const raw = e.target.elements.answer.value.trim();
    if (!raw || !poll) return;
    if (poll.form === "text") return send({ text: raw });
    const value = Number(raw.replace("\u2212", "-").replace(",", "."));
    if (!Number.isFinite(value)) {
      $(".class-card-status").textContent = "Type a number, such as 3 or −0.5";
      return;
    }
    send({ value });
  });

  // ------------------------------------------------------------------ joining, again after a drop

  async function join() {
    if (joining) return joining;
    joining = (async () => {
      try {
        const nickname = me.nickname || undefined;
        const answer = await socket.request("class.join", { code: me.code, device, nickname });
        const m = answer.meta;
        setPoll(m.poll, m.mine, m.result);
        takeStage(m.stage);
        showBar();
      } catch (e) {
        if (e.field === "code") return ended("This class has ended (or its code is no longer in use).");
        if (!e.quiet) showBar(e.message);
        setTimeout(join, RETRY_MS);
      } finally {
        joining = null;
      }
    })();
    return joining;
  }

  function ended(text) {
    setMember(null);
    setFollowed(null);
    card.remove();
    document.body.classList.remove("class-veiled");
    bar.querySelector(".class-student-mode").textContent = text;
    for (const button of bar.querySelectorAll("button")) button.remove();
    bar.dataset.mode = "ended";
    setTimeout(() => {
      bar.remove();
      document.body.classList.remove("class-student-page");
    }, 8000);
  }

  bar.addEventListener("click", (e) => {
    const action = e.target.closest("[data-class]")?.dataset.class;
    if (action === "toggle") {
      setMember({ ...member(), exploring: !exploring() });
      showBar();
      if (exploring()) return;
      if (stage) follow(stage);
      else join();
    } else if (action === "show-poll") {
      cardHidden = false;
      showPoll();
    } else if (action === "leave") {
      socket.request("class.leave", {}).catch(() => {});
      ended("You left the class.");
    }
  });

  socket.on("class.follow", (frame) => takeStage(frame.meta));
  socket.on("class.question", (frame) => setPoll(frame.meta.poll));
  socket.on("class.result", (frame) => {
    const same = poll?.id === frame.meta.poll.id;
    setPoll(frame.meta.poll, same ? mine : null, frame.meta.tally);
  });
  socket.on("class.closed", () => ended("The class has ended. Thank you!"));
  socket.watch((status) => {
    if (status === "open") join();
    else showBar("Reconnecting to the class…");
  });
  // A phone back from sleep or from another network: ask again rather than wait for the socket to notice.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && socket.connected) join();
  });
  addEventListener("online", () => socket.connected && join());
  showBar();
  if (socket.connected) join();

  return {
    get state() {
      return { code: me.code, exploring: exploring(), seq, stage, poll, mine, result, cardHidden };
    },
  };
}
