// A learner's progress through the course, kept in this browser (localStorage), so they come
// back where they stopped. One key for the whole course; per lesson slug:
//   { answers: {questionId: {given, right, value?}}, done: [questionId, ...],
//     visited: ISO time of the last visit, section: id of the last section read, scroll: px }
// Every write re-reads the stored course first, so two open lessons never erase each other.

export const KEY = "convscope.progress.v1";

/** The stored course, or {} when there is none (or it cannot be read: private mode, a damaged value). */
export function readAll() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY));
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

function writeAll(all) {
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
    return true;
  } catch {
    return false; // storage full or blocked: progress lasts for this visit only
  }
}

function entry(all, slug) {
  const e = all[slug] && typeof all[slug] === "object" ? all[slug] : {};
  return {
    answers: e.answers && typeof e.answers === "object" ? e.answers : {},
    done: Array.isArray(e.done) ? e.done : [],
    visited: e.visited ?? null,
    section: typeof e.section === "string" ? e.section : null,
    scroll: Number.isFinite(e.scroll) ? e.scroll : null,
  };
}

/** One lesson's progress: read it, record answers and the place reached. */
export function lessonProgress(slug) {
  function update(fn) {
    const all = readAll();
    const e = entry(all, slug);
    fn(e);
    all[slug] = e;
    writeAll(all);
    return e;
  }
  return {
    get: () => entry(readAll(), slug),
    visit: () => update((e) => (e.visited = new Date().toISOString())),
    /** An answer given: kept as the last one; once right, the question stays done. */
    answer(id, given, right, value) {
      return update((e) => {
        e.answers[id] = value === undefined ? { given, right } : { given, right, value };
        if (right && !e.done.includes(id)) e.done.push(id);
      });
    },
    place: (section, scroll) => update((e) => Object.assign(e, { section, scroll: Math.round(scroll) })),
  };
}

/**
 * Where a learner stands in a lesson of `total` questions:
 * {kind: "not-started" | "in-progress" | "done", text, done}.
 */
export function standing(e, total) {
  const done = e ? Math.min(e.done.length, total) : 0;
  const started = e && (e.visited || Object.keys(e.answers).length);
  if (!started) return { kind: "not-started", text: "Not started", done };
  if (done >= total) return { kind: "done", text: total ? "Done" : "Read", done };
  return { kind: "in-progress", text: `In progress (${done} of ${total} question${total === 1 ? "" : "s"})`, done };
}

export function progressOf(slug) {
  const all = readAll();
  return slug in all ? entry(all, slug) : null;
}

export function resetAll() {
  try {
    localStorage.removeItem(KEY);
    return true;
  } catch {
    return false;
  }
}
