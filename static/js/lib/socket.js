// The page's one websocket to /ws (PROTOCOL.md). Each request gets an id and a promise.
// Which requests exist, the answer each expects and which are carried out in order come
// from the server (context.protocol), so the page keeps no list of its own.
// Binary answers are decoded into typed-array views; JSON error frames reject the promise
// with a RequestError carrying the server's code, field and sentence. The socket
// reconnects by itself with backoff and tells the page, which re-sends its state.

import { decodeFrame } from "./frames.js";

/** An answer of type "error", or a request that ended without one (superseded, disconnected). */
export class RequestError extends Error {
  constructor({ code, field = null, message, id = null }) {
    super(message);
    this.code = code;
    this.field = field;
    this.id = id;
  }

  /** True when nothing is wrong with the request itself: the page need not show anything. */
  get quiet() {
    return this.code === "superseded" || this.code === "disconnected";
  }
}

// The server closes a socket sending more than 200 requests a second; stay well under.
const MAX_PER_SECOND = 120;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
// A full server (close 1013, "try again later") is asked again less often: a hall of pages
// retrying every quarter second would keep it full.
const FULL_RETRY_MS = 8000;

/**
 * Open the page's socket. `protocol`: {requestType: {answer, ordered}} as the server lists it;
 * ordered requests (training controls) are carried out in turn by the server, never replaced
 * by a newer one (a double-clicked "step" steps twice), so the page never gives up on them.
 */
export function connect({ protocol, path = "/ws", onStatus = () => {}, onOpen = () => {}, onStrayError = () => {} }) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";

  let ws = null;
  let nextId = 1;
  let attempts = 0;
  let opened = 0; // connections made so far: a widget that ran on an older one sends its state again
  let closed = false;
  let retryTimer = 0;
  const pending = new Map(); // id -> {type, key, resolve, reject}
  const sentAt = []; // timestamps of recent sends, for the rate guard
  const held = new Map(); // type|lane -> {message, id} waiting for the rate guard (newest only)
  let heldTimer = 0;
  const listeners = new Map(); // pushed frame type -> Set of callbacks
  const watchers = new Set(); // fn(status) for every change of the connection
  let status = "connecting";
  let refusal = null; // the server's sentence when it turned this connection away (a "busy" frame, id null)

  function setStatus(kind, detail) {
    status = kind;
    onStatus(kind, detail);
    for (const fn of watchers) fn(kind, detail);
  }

  function open() {
    ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      const wasReconnect = attempts > 0;
      attempts = 0;
      opened += 1;
      setStatus("open");
      onOpen({ reconnected: wasReconnect });
    };
    ws.onmessage = (event) => receive(event.data);
    ws.onclose = (event) => {
      failAll("disconnected", "the connection to the server was lost");
      if (closed) return;
      const full = event.code === 1013;
      const wait = full ? FULL_RETRY_MS : BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length - 1)];
      const delay = wait * (0.75 + 0.5 * Math.random());
      attempts += 1;
      setStatus(full ? "full" : "reconnecting", { attempts, delay, message: full ? refusal : null });
      refusal = null;
      retryTimer = setTimeout(open, delay);
    };
    // An error is always followed by close, which does the work.
    ws.onerror = () => {};
  }

  function receive(data) {
    let answer;
    if (typeof data === "string") {
      answer = JSON.parse(data);
    } else {
      answer = decodeFrame(data);
    }
    if (answer.id == null && answer.type !== "error") {
      for (const fn of listeners.get(answer.type) ?? []) fn(answer); // a push (a training snapshot)
      return;
    }
    const entry = answer.id == null ? null : pending.get(answer.id);
    if (answer.type === "error" && answer.id == null && answer.code === "busy") {
      refusal = answer.message; // the close that follows shows it (status "full")
      return;
    }
    if (answer.type === "error") {
      const error = new RequestError(answer);
      if (entry) {
        pending.delete(answer.id);
        entry.reject(error);
      } else {
        onStrayError(error);
      }
      return;
    }
    if (!entry) return; // an answer to a request the page already gave up on
    pending.delete(answer.id);
    const expected = protocol[entry.type].answer;
    if (answer.type !== expected) {
      const message = `expected ${expected}, got ${answer.type}`;
      entry.reject(new RequestError({ code: "internal", message, id: answer.id }));
      return;
    }
    entry.resolve(answer);
  }

  function failAll(code, message) {
    for (const [id, entry] of pending) entry.reject(new RequestError({ code, message, id }));
    pending.clear();
    for (const [, item] of held) item.reject(new RequestError({ code, message, id: item.id }));
    held.clear();
  }

  /** Settle older requests of this type and lane: the server drops them unanswered (it supersedes). */
  function supersede(key) {
    for (const [id, entry] of pending) {
      if (entry.key === key) {
        pending.delete(id);
        entry.reject(new RequestError({ code: "superseded", message: "a newer request replaced this one", id }));
      }
    }
  }

  function allowedNow(now) {
    while (sentAt.length && now - sentAt[0] > 1000) sentAt.shift();
    return sentAt.length < MAX_PER_SECOND;
  }

  function flushHeld() {
    heldTimer = 0;
    for (const [key, item] of held) {
      if (!allowedNow(performance.now())) break;
      held.delete(key);
      transmit(item);
    }
    if (held.size) heldTimer = setTimeout(flushHeld, 20);
  }

  function transmit(item) {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      item.reject(new RequestError({ code: "disconnected", message: "not connected to the server", id: item.id }));
      return;
    }
    sentAt.push(performance.now());
    pending.set(item.id, item);
    ws.send(item.message);
  }

  /**
   * Send `{id, type, params, lane}`; resolves with the decoded answer, rejects with RequestError.
   * A newer request of the same type and lane supersedes an older one (PROTOCOL.md), so each
   * widget on a page passes its own lane (see `scoped`).
   */
  function request(type, params, lane = null) {
    if (!(type in protocol)) {
      return Promise.reject(new RequestError({ code: "unknown_type", message: `unknown request ${type}` }));
    }
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const key = protocol[type].ordered ? `${type}#${id}` : lane == null ? type : `${type}|${lane}`;
      supersede(key);
      const prior = held.get(key);
      if (prior)
        prior.reject(
          new RequestError({ code: "superseded", message: "a newer request replaced this one", id: prior.id }),
        );
      const envelope = lane == null ? { id, type, params } : { id, type, params, lane };
      const item = { id, type, key, resolve, reject, message: JSON.stringify(envelope) };
      if (allowedNow(performance.now()) && !held.size) {
        transmit(item);
      } else {
        held.set(key, item);
        if (!heldTimer) heldTimer = setTimeout(flushHeld, 20);
      }
    });
  }

  function close() {
    closed = true;
    clearTimeout(retryTimer);
    clearTimeout(heldTimer);
    ws?.close();
  }

  /** Call `fn(frame)` for every frame of `type` the server pushes (id null); returns an unsubscribe. */
  function on(type, fn) {
    if (!listeners.has(type)) listeners.set(type, new Set());
    listeners.get(type).add(fn);
    return () => listeners.get(type).delete(fn);
  }

  /** Call `fn(status, detail)` on every change: "open", or "reconnecting" with {attempts, delay}; returns a stop. */
  function watch(fn) {
    watchers.add(fn);
    return () => watchers.delete(fn);
  }

  open();
  return {
    request,
    on,
    watch,
    close,
    /** "connecting" (the first time), "open" or "reconnecting". */
    get status() {
      return status;
    },
    get connected() {
      return ws?.readyState === WebSocket.OPEN;
    },
    get opened() {
      return opened;
    },
    /** The request table this client was given (tests compare it with the server's). */
    protocol,
  };
}

/** The socket as one widget sees it: every request goes in the widget's own lane. */
export function scoped(socket, lane) {
  return {
    request: (type, params) => socket.request(type, params, lane),
    on: socket.on,
    watch: socket.watch,
    get connected() {
      return socket.connected;
    },
    get opened() {
      return socket.opened;
    },
  };
}
