// The page's LeNet-5 run (PROTOCOL.md, "Training (digits)"): the shared training run
// (lib/training-run.js) on the `digits.*` messages; its classify sends the pad's ink. After a
// reload, or when the server restarted, `digits.start` with `resume` has the server replay the
// run to the step it had reached (thousands of batches: one request, not one per stretch), and
// play goes on if it was playing.

import { createTrainingRun, sharedRun } from "../../lib/training-run.js";

/** The page's run for this socket: the training and drawing widgets share it. */
export function runFor(socket) {
  return sharedRun(socket, () =>
    createTrainingRun(socket, { prefix: "digits", replayOnServer: true, classifyField: "values" }),
  );
}
