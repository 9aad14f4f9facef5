// A widget asks the engine again only when what it would send has changed: the same
// parameters mean the answer on screen is still the right one, so it is drawn, not fetched.

/** fresh(params) -> true (and remembered) when params differ from the last fresh ones; forget() clears. */
export function askedOnce() {
  let last = "";
  return {
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
  };
}
