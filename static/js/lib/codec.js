// Compact URL encodings for edited values: float32 arrays as base64url of their
// little-endian bytes (a 7×7 drawing is 262 characters), short lists as "1,0,-0.5".

export function encodeFloats(values) {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Float32Array, or null when the text is not base64url of whole float32 values. */
export function decodeFloats(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  let binary;
  try {
    binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  if (binary.length % 4 !== 0) return null;
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float32Array(binary.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

export function encodeList(values) {
  return Array.from(values, (v) => String(Number(v.toPrecision(7)))).join(",");
}

/** Float32Array, or null when any item is not a finite number. */
export function decodeList(text) {
  if (typeof text !== "string" || text === "") return null;
  const items = text.split(",").map(Number);
  return items.every(Number.isFinite) ? Float32Array.from(items) : null;
}
