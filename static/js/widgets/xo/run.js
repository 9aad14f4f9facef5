// The page's X-vs-O training job (PROTOCOL.md, "Training (X vs O)"): the shared training run
// (lib/training-run.js) on the `train.*` messages, replayed request by request after a reload
// or a restart; its classify sends a drawn grid through both networks.

import { createTrainingRun, sharedRun } from "../../lib/training-run.js";

/** The page's run for this socket (made on first use): a lesson's training and drawing widgets share it. */
export function runFor(socket, { schemas = {} } = {}) {
  return sharedRun(socket, () => createTrainingRun(socket, { prefix: "train", schemas, classifyField: "grid" }));
}
