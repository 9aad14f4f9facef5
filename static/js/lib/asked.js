// A widget asks the engine again only when what it would send has changed: the same
// parameters mean the answer on screen is still the right one, so it is drawn, not fetched.

/**
 * fresh(params) -> true (and remembered) when params differ from the last fresh ones; forget()
 * clears; ask(params, send) sends only fresh params and says how it went.
 */
export function askedOnce() {
  let last = "";
  const asked = {
    fresh(params) {
      const key = JSON.stringify(params);
      if (key === last) return false;
      last = key;
      return true;
    },
    /** The last request failed or was lost: the same parameters must be sent again. */
    forget() {
      last = "";
    },
    /**
     * `send(params)` when the params are fresh. Resolves with {answer} when it was answered,
     * {error} when the server refused it (the params are forgotten, so a retry sends them),
     * {quiet: true} when a newer request replaced it or the connection dropped (a dropped one
     * is forgotten too: the reconnection's update sends it again), and {} for params already
     * answered (the answer on screen stands).
     */
    async ask(params, send) {
      if (!asked.fresh(params)) return {};
      try {
        return { answer: await send(params) };
      } catch (error) {
        if (error.code !== "superseded") asked.forget();
        return error.quiet ? { quiet: true } : { error };
      }
    },
  };
  return asked;
}
