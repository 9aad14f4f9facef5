// A widget's input picture from the engine (input.preset): the X, the digit, a seeded random
// grid, the photo. A refusal is said in the widget's "input" alert region, beside its picture
// controls; a request that was replaced or lost says nothing (the next update asks again).
// Uploads (image.upload) keep the picture's shape at a size the user chooses, and say what
// they became ("600×400 photo → 42×28 grid (aspect kept)").

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

// ---------------------------------------------------------------- uploads

/**
 * What an upload became, as the page says it: "600×400 photo → 42×28 grid (aspect kept)"
 * (width × height both times). `meta` is image.upload's answer meta.
 */
export function uploadNote(meta) {
  const how = meta.aspect_kept ? "aspect kept" : "stretched: aspect not kept";
  return `${meta.source_width}×${meta.source_height} photo → ${meta.width}×${meta.height} grid (${how})`;
}

/** A file as base64 (no data: prefix), as image.upload takes it. */
export function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(Object.assign(new Error("the file could not be read"), { quiet: false }));
    reader.readAsDataURL(file);
  });
}

/**
 * Uploads that keep their picture's shape. load(file, {size, channels}) sends the file with
 * `size` cells on its longer side (1 to the server's limit, limits.size); resize(size) asks
 * again for the same file at another size, so a size control can follow the user's choice.
 * Each resolves to {channels, height, width, values: Float32Array (C·H·W), meta, note}, where
 * note is uploadNote(meta); a refusal rejects with the server's error (field "size" or "data").
 */
export function createUploader(socket) {
  let data = null;
  let channels = 1;

  async function ask(size) {
    const answer = await socket.request("image.upload", { data, size, channels });
    const { meta } = answer;
    return {
      channels: meta.channels,
      height: meta.height,
      width: meta.width,
      values: Float32Array.from(answer.arrays.values.data),
      meta,
      note: uploadNote(meta),
    };
  }

  return {
    async load(file, { size, channels: wanted = 1 }) {
      data = await readBase64(file);
      channels = wanted === 3 ? 3 : 1;
      return ask(size);
    },
    /** The last file at another size; null when nothing was uploaded yet. */
    resize: (size) => (data === null ? null : ask(size)),
    get loaded() {
      return data !== null;
    },
  };
}
