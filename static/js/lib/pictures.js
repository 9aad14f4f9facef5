// A widget's input picture from the engine (input.preset): the X, the digit, a seeded random
// grid, the photo. A refusal is said in the widget's "input" alert region, beside its picture
// controls; a request that was replaced or lost says nothing (the next update asks again).

/**
 * The picture for `params` as {height, width, values: Float32Array (H·W)}, or null when it
 * was refused or lost. `alerts` is the widget's (alerts.js).
 */
export async function loadPicture(socket, params, alerts) {
  try {
    const answer = await socket.request("input.preset", params);
    alerts.clear("input");
    const { height, width } = answer.meta;
    return { height, width, values: Float32Array.from(answer.arrays.values.data) };
  } catch (e) {
    if (!e.quiet) alerts.show(e.field, e.message, "input", "input");
    return null;
  }
}
