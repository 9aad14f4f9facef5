// The order a learner sees a lesson's choices in: shuffled per learner, the same on every visit, and
// with the right answer spread evenly over the positions across the whole course. A learner's seed
// is drawn once and kept in this browser; from it and the course's list of choice questions, each
// gets a position for its right answer and an order for the others. The page keeps each choice's own
// index as its value, so saved answers and the engine's check do not depend on the order shown.

export const SEED_KEY = "convscope.learner.v1";

/** This browser's learner seed (an unsigned 32-bit number), drawn on first use and kept. */
export function learnerSeed() {
  try {
    const kept = Number(localStorage.getItem(SEED_KEY));
    if (Number.isInteger(kept) && kept > 0 && kept < 2 ** 32) return kept;
    const seed = crypto.getRandomValues(new Uint32Array(1))[0] || 1;
    localStorage.setItem(SEED_KEY, String(seed));
    return seed;
  } catch {
    return 1 + Math.floor(Math.random() * (2 ** 32 - 1)); // storage blocked: an order for this visit
  }
}

/** A string's 32-bit FNV-1a hash: mixes the lesson into the learner's seed. */
function hash(text, start = 0x811c9dc5) {
  let h = start >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function shuffled(items, random) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * The order to show each choice question's choices in, for one learner. `plan` lists every choice
 * question of the course in order, as [key, number of choices] (the server's course.choice_plan());
 * `answers` maps the keys of the questions on this page to their right choice's index. The right
 * answer of each question in the plan goes to the position least used so far in the course (ties
 * drawn at random), so a learner meets it at every position about equally often; the other
 * choices, in their own order, take the remaining positions in a random order. Returns, for each
 * key of `answers`, the choices' indices by position. Same seed and course, same orders.
 */
export function choiceOrders(plan, answers, seed) {
  const random = generator(hash("course", seed));
  const used = []; // how often each position held the right answer so far in the course
  const orders = new Map();
  for (const [key, n] of plan) {
    while (used.length < n) used.push(0);
    const least = Math.min(...used.slice(0, n));
    const free = [...Array(n).keys()].filter((p) => used[p] === least);
    const spot = free[Math.floor(random() * free.length)];
    used[spot]++;
    const slots = shuffled(
      [...Array(n).keys()].filter((p) => p !== spot),
      random,
    ); // where the wrong choices go, in their own order
    if (!answers.has(key)) continue;
    const answer = answers.get(key);
    const order = Array(n);
    order[spot] = answer;
    [...Array(n).keys()].filter((i) => i !== answer).forEach((i, j) => (order[slots[j]] = i));
    orders.set(key, order);
  }
  return orders;
}
