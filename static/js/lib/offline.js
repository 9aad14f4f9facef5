// While the server is unreachable the page says so, big enough to read from the back of a
// lecture hall and wrapped to fit a phone, and every control that needs the server is
// switched off (a press would only fail); the socket reconnects by itself (socket.js) and
// the controls come back with it. Controls that work from what the page already holds (a
// backprop animation's steps) carry data-offline-ok and stay on.

const CONTROLS = "button, input, select, textarea";
const details = new Set(); // what widgets say will come back (addAwayDetail)

/** A sentence a widget adds to the note while away (fn() -> text, "" for none); returns a stop. */
export function addAwayDetail(fn) {
  details.add(fn);
  return () => details.delete(fn);
}

/**
 * The note and the switch for the controls inside `scope` (a selector: the page's widgets).
 * away() shows the note, with what the widgets say will come back; back() hides it and gives
 * the controls back.
 */
export function createOfflineNote({ scope = "#content" } = {}) {
  let note = null;
  let off = new Set(); // the controls this switched off (never one a widget had switched off itself)
  // While away, a widget that redraws may switch a control on, or build new ones: they go off
  // too. A control a widget switches off itself stays off when the server is back.
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") settle(r.target);
      else for (const node of r.addedNodes) if (node instanceof Element) controlsIn(node).forEach(settle);
    }
    observer.takeRecords(); // what settle() itself just switched off
  });

  const controlsIn = (root) => [...(root.matches(CONTROLS) ? [root] : []), ...root.querySelectorAll(CONTROLS)];

  function settle(el) {
    if (!el.matches(CONTROLS) || el.closest("[data-offline-ok]")) return;
    if (!el.disabled) {
      el.disabled = true;
      off.add(el);
    } else if (!el.hasAttribute("data-offline")) return;
    else off.delete(el); // switched off by its widget, as well as by this
    el.toggleAttribute("data-offline", off.has(el));
  }

  function build() {
    note = document.createElement("div");
    note.className = "offline-note";
    note.setAttribute("role", "alert");
    note.innerHTML =
      `<p class="offline-title">The server is unreachable. Reconnecting…</p>` +
      `<p class="offline-detail"></p>` +
      `<p class="offline-why">Controls that need the server are switched off until it answers again.</p>`;
    document.body.prepend(note);
  }

  /** Show the note; `full`: the server's sentence when it is up but turned the page away. */
  function away(full = null) {
    if (!note) build();
    note.querySelector(".offline-title").textContent = full
      ? "The server is full. Trying again in a few seconds…"
      : "The server is unreachable. Reconnecting…";
    const said = [...details].map((fn) => fn()).filter(Boolean);
    note.querySelector(".offline-detail").textContent = [full && `It says: ${full}.`, ...said]
      .filter(Boolean)
      .join(" ");
    if (!note.hidden && document.body.classList.contains("server-away")) return; // already away
    note.hidden = false;
    document.body.classList.add("server-away");
    for (const root of document.querySelectorAll(scope)) {
      controlsIn(root).forEach(settle);
      observer.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["disabled"] });
    }
    observer.takeRecords();
  }

  function back() {
    observer.disconnect();
    if (note) note.hidden = true;
    document.body.classList.remove("server-away");
    for (const el of off) {
      el.removeAttribute("data-offline");
      el.disabled = false;
    }
    off = new Set();
  }

  return {
    away,
    back,
    /** True while the note is up. */
    get shown() {
      return Boolean(note && !note.hidden);
    },
  };
}
