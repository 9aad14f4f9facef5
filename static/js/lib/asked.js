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

/**
 * A widget's request, asked once (`asked`) and shown: an answer clears the widget's alert
 * (`region`), a refusal shows the server's message where `where(field)` says (default "general");
 * either marks `element` ready, since either is what the widget draws. Resolves with what to draw:
 * the answer's {meta, arrays}, null for a refusal, or undefined when the drawing on screen stands
 * (the same params, or a newer request took over).
 */
export async function askShown(asked, { socket, type, params, alerts, region, element, where = () => "general" }) {
  const { answer, error, quiet } = await asked.ask(params, () => socket.request(type, params));
  if (quiet || (!answer && !error)) return undefined;
  if (answer) alerts.clear(region);
  else alerts.show(error.field, error.message, region, where(error.field));
  element.dataset.ready = "true";
  return answer ? { meta: answer.meta, arrays: answer.arrays } : null;
}
