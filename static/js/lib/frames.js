// Binary result frames (PROTOCOL.md, "Binary frames"): a uint32 header length, a JSON
// header, zero padding to a multiple of 8, then raw little-endian arrays. Arrays become
// typed-array *views* on the received buffer, so a 64×64 map is never copied.

const DTYPES = {
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder();

/** A named array: `data` (typed array, row-major) and its `shape`. */
export class Tensor {
  constructor(data, shape) {
    this.data = data;
    this.shape = shape;
  }

  get size() {
    return this.data.length;
  }

  /** Flat offset of a full index (row-major); used by views that walk one axis at a time. */
  offset(...index) {
    let flat = 0;
    for (let axis = 0; axis < this.shape.length; axis++) flat = flat * this.shape[axis] + (index[axis] ?? 0);
    return flat;
  }

  at(...index) {
    return this.data[this.offset(...index)];
  }
}

/** Decode one binary frame into `{id, type, meta, arrays: {name: Tensor}}`. */
export function decodeFrame(buffer) {
  const view = new DataView(buffer);
  const headerLength = view.getUint32(0, true);
  const header = JSON.parse(utf8.decode(new Uint8Array(buffer, 4, headerLength)));
  const dataStart = Math.ceil((4 + headerLength) / 8) * 8;
  const arrays = {};
  for (const spec of header.arrays ?? []) {
    arrays[spec.name] = readArray(buffer, view, dataStart + spec.offset, spec);
  }
  return { id: header.id, type: header.type, meta: header.meta ?? {}, arrays };
}

function readArray(buffer, view, start, spec) {
  const Kind = DTYPES[spec.dtype];
  if (!Kind) throw new Error(`unknown dtype ${spec.dtype} for array ${spec.name}`);
  const length = spec.nbytes / Kind.BYTES_PER_ELEMENT;
  if (LITTLE_ENDIAN || Kind === Uint8Array) return new Tensor(new Kind(buffer, start, length), spec.shape);
  // A big-endian machine cannot view little-endian data directly: read it through the DataView.
  const out = new Kind(length);
  const get =
    Kind === Float32Array ? (i) => view.getFloat32(start + 4 * i, true) : (i) => view.getInt32(start + 4 * i, true);
  for (let i = 0; i < length; i++) out[i] = get(i);
  return new Tensor(out, spec.shape);
}
