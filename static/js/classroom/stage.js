// What is on stage, read on the instructor's page and applied on a student's: the page (its path),
// its settings as the address bar holds them, the same settings as the page's store holds them
// (so a student's page takes a change in place, without a reload: a step of the sliding filter
// is one store.set), and on a lesson the section in view.
//
// A page's store is the one its entry script exposes (window.convscope on /playground,
// convscopeWidget on /widget/<type>, convscopeLayers, convscopeXO, and on a lesson convscopeLesson:
// every widget's state by its id), so a student's lesson widgets show what the instructor's show.

const SHELL_KEYS = ["present", "theme"]; // presenter mode and the palette stay each device's own
const READING_LINE = 1 / 3; // a lesson's section in view: the last landmark above a third of the window

/** The page's state store, or null (the front page, the course index). */
export function pageStore() {
  const handles = [window.convscope, window.convscopeWidget, window.convscopeLayers, window.convscopeXO];
  for (const handle of [...handles, window.convscopeLesson]) {
    if (handle?.store?.get && handle.store.set) return handle.store;
  }
  return null;
}

/** The store once the page's script has made it (it may still be loading its widget), or null. */
export async function storeSoon(ms = 3000) {
  const deadline = performance.now() + ms;
  while (!pageStore() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return pageStore();
}

/** The query of an address without the keys each device keeps for itself. */
export function cleanQuery(search) {
  const params = new URLSearchParams(search);
  for (const key of SHELL_KEYS) params.delete(key);
  return params.toString();
}

/** A state as JSON values: typed arrays as plain lists (the store turns them back, lib/state.js asTyped). */
function plain(state) {
  return JSON.parse(JSON.stringify(state, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)));
}

/** The id of the lesson section in view, or null. */
export function sectionInView() {
  const landmarks = document.querySelectorAll(
    ".lesson-prose :is(h2[id], h3[id], figure.lesson-widget, section.question)",
  );
  let last = null;
  for (const el of landmarks) {
    if (el.getBoundingClientRect().top < innerHeight * READING_LINE) last = el;
  }
  return last?.id || null;
}

/** What the instructor's page puts on stage now. */
export function readStage() {
  const store = pageStore();
  return {
    path: location.pathname,
    query: cleanQuery(location.search),
    section: sectionInView(),
    state: store ? plain(store.get()) : null,
  };
}

let leavingFor = null; // the path this page is navigating to, once it has set off
// Back to this page from the browser's cache: it is going nowhere now.
addEventListener("pageshow", (e) => e.persisted && (leavingFor = null));

const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Take a student's page to `stage`. Another page: navigate (the class code on the next page carries on).
 * The same page: its store takes the state in place, or the address changes when the page has none.
 * Returns "navigating" or "applied". `onNavigate(path)` is told before the page goes.
 */
export async function applyStage(stage, { onNavigate = () => {} } = {}) {
  const target = `${stage.path}${stage.query ? `?${stage.query}` : ""}`;
  const keep = new URLSearchParams(location.search);
  const shell = SHELL_KEYS.filter((k) => keep.has(k)).map((k) => `${k}=${encodeURIComponent(keep.get(k))}`);
  const withShell = shell.length ? `${target}${stage.query ? "&" : "?"}${shell.join("&")}` : target;
  // Already on the way: going again would abort the load under way. An instructor scrolling through
  // a lesson or dragging a slider puts a stage on every few hundred ms, so a slow phone would start
  // the page over and over. The page, once loaded, joins and takes the newest stage.
  const go = (how) => {
    if (leavingFor !== stage.path) {
      leavingFor = stage.path;
      onNavigate(stage.path);
      how(withShell);
    }
    return "navigating";
  };
  if (stage.path !== location.pathname) return go((to) => location.assign(to));
  const store = stage.state ? await storeSoon() : null;
  if (store) {
    if (!sameJson(plain(store.get()), stage.state)) store.set(stage.state);
  } else if (cleanQuery(location.search) !== cleanQuery(stage.query)) {
    return go((to) => location.replace(to));
  }
  if (stage.section) {
    const reduce = matchMedia("(prefers-reduced-motion: reduce)").matches;
    document.getElementById(stage.section)?.scrollIntoView({ block: "start", behavior: reduce ? "auto" : "smooth" });
  }
  return "applied";
}

/**
 * Call `fn()` whenever what is on stage may have changed: the store changed, the address changed,
 * the lesson scrolled. Returns a stop.
 */
export function watchStage(fn) {
  let unsubscribe = null;
  let last = `${location.pathname}${location.search}`;
  const timer = setInterval(() => {
    const now = `${location.pathname}${location.search}`;
    if (now !== last) {
      last = now;
      fn();
    }
    if (!unsubscribe && pageStore()) unsubscribe = pageStore().subscribe(() => fn());
  }, 300);
  let scrollTimer = 0;
  const onScroll = () => {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(fn, 250);
  };
  addEventListener("scroll", onScroll, { passive: true });
  return () => {
    clearInterval(timer);
    unsubscribe?.();
    removeEventListener("scroll", onScroll);
  };
}
