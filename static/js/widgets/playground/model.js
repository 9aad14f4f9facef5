// The page's own data: the input picture and the kernels as the user set them. These
// are user edits, not math: painting a cell, growing or cropping a grid when a slider
// changes its size, and writing the conv.run request. Shapes are in comments.

/** An input {channels, height, width, values (C·H·W, (C, H, W) order)}. */
export function makeInput(channels, height, width, values) {
  return { channels, height, width, values: values ?? new Float32Array(channels * height * width) };
}

/** The same picture at another size: keeps the top-left, new cells 0, new channels copy channel 1. */
export function resizeInput(input, channels, height, width) {
  const out = makeInput(channels, height, width);
  if (!input) return out;
  for (let c = 0; c < channels; c++) {
    const src = Math.min(c, input.channels - 1);
    for (let r = 0; r < Math.min(height, input.height); r++) {
      for (let col = 0; col < Math.min(width, input.width); col++) {
        out.values[(c * height + r) * width + col] = input.values[(src * input.height + r) * input.width + col];
      }
    }
  }
  return out;
}

/** A copy of the input with `cells` of one channel set to `value`. */
export function paint(input, channel, cells, value) {
  const values = Float32Array.from(input.values); // (C, H, W) copy: the old one may be a view on a frame
  for (const { r, c } of cells) values[(channel * input.height + r) * input.width + c] = value;
  return { ...input, values };
}

/** Kernels {filters, channels, height, width, values (F·C·KH·KW, (F, C, KH, KW) order)}. */
export function makeKernel(filters, channels, height, width, values) {
  return { filters, channels, height, width, values: values ?? new Float32Array(filters * channels * height * width) };
}

/**
 * The same kernels at another size: centred, so an identity or a blur stays one; new
 * filters are zeros, new channels copy channel 1.
 */
export function resizeKernel(kernel, filters, channels, size) {
  const out = makeKernel(filters, channels, size, size);
  if (!kernel) return out;
  const dr = Math.floor((size - kernel.height) / 2);
  const dc = Math.floor((size - kernel.width) / 2);
  for (let f = 0; f < Math.min(filters, kernel.filters); f++) {
    for (let c = 0; c < channels; c++) {
      const src = Math.min(c, kernel.channels - 1);
      for (let r = 0; r < size; r++) {
        for (let col = 0; col < size; col++) {
          const sr = r - dr;
          const sc = col - dc;
          if (sr < 0 || sc < 0 || sr >= kernel.height || sc >= kernel.width) continue;
          out.values[((f * channels + c) * size + r) * size + col] =
            kernel.values[((f * kernel.channels + src) * kernel.height + sr) * kernel.width + sc];
        }
      }
    }
  }
  return out;
}

/** A copy of the kernels with one value changed (flat (F, C, KH, KW) offset). */
export function setWeight(kernel, offset, value) {
  const values = Float32Array.from(kernel.values); // (F, C, KH, KW)
  values[offset] = value;
  return { ...kernel, values };
}

/** Biases for `filters` filters: existing ones kept, new ones 0. */
export function resizeBias(bias, filters) {
  const out = new Float32Array(filters); // (F,)
  if (bias) out.set(bias.subarray(0, filters));
  return out;
}

// A float32 array as JSON numbers, cached per array (the same input goes with every run).
// Each number is the shortest decimal that gives back the same float32 (7 significant digits
// for most, 9 at most): a 227×227 photo's request is ~10% shorter than at 9 digits everywhere,
// and the server reads it the faster (its JSON parse is most of a large setup's round trip).
const asListCache = new WeakMap();
function shortest(v) {
  for (let digits = 6; digits < 9; digits++) {
    const n = Number(v.toPrecision(digits));
    if (Math.fround(n) === v) return n;
  }
  return Number(v.toPrecision(9));
}
function asList(values) {
  let list = asListCache.get(values);
  if (!list) {
    list = Array.from(values, (v) => (Number.isInteger(v) ? v : shortest(v)));
    asListCache.set(values, list);
  }
  return list;
}

/**
 * The large inputs the server holds for this page (conv.run's `input_ref`, PROTOCOL.md), by the
 * list of numbers a request carries (asList's, one per picture): a picture's numbers travel once
 * per connection, then its name does. A new connection may be a restarted server: it starts empty.
 */
export function createHeldInputs(socket) {
  const refs = new WeakMap(); // input.values list -> {ref, opened}
  return {
    refOf(values) {
      const held = refs.get(values);
      return held && held.opened === socket.opened ? held.ref : null;
    },
    keep(values, ref) {
      refs.set(values, { ref, opened: socket.opened });
    },
    forget(values) {
      refs.delete(values);
    },
  };
}

/**
 * The conv.run params (PROTOCOL.md) for the page's data and settings. With `held`
 * (createHeldInputs), an input the server already holds goes by its name instead of its numbers.
 */
export function runParams(state, input, kernel, bias, held = null) {
  const { stride: s, padding: p, dilation: d } = state;
  const params = {
    input: { channels: input.channels, height: input.height, width: input.width, values: asList(input.values) },
    kernels: {
      filters: kernel.filters,
      channels: kernel.channels,
      height: kernel.height,
      width: kernel.width,
      values: asList(kernel.values),
    },
    bias: asList(bias),
    stride: [s, s],
    padding: [p, p, p, p],
    dilation: [d, d],
    flip: state.flip,
    pad_mode: state.padMode,
  };
  // The page reads input.values; the wire carries the name when the server holds the input. The
  // choice is made as the request is written (JSON.stringify calls toJSON, `this` being the object
  // written), so a copy of these params made later (a trace's) carries it too, and a request sent
  // after a reconnect carries the numbers.
  if (held) {
    params.toJSON = function () {
      const ref = held.refOf(this.input.values);
      return ref ? { ...this, input: { ...this.input, values: [] }, input_ref: ref } : this;
    };
  }
  return params;
}
