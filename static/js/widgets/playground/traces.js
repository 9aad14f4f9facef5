// Trace chunks for the animation and the arithmetic (conv.trace, PROTOCOL.md): fetched
// on demand in chunks of up to 4096 steps, one request at a time (the server would
// drop an older trace request superseded by a newer one), and dropped as soon as the
// run they belong to is replaced.

const MAX_COUNT = 4096;
const CHUNK_BYTES = 1 << 20; // keep one answer near a megabyte even for 11×11×3 kernels

// `ask(type, params)` sends a request (the loader's: an input the server has dropped is resent).
export function createTraces(ask) {
  let base = null; // the conv.run params of the result on screen
  let total = 0; // steps of one filter: OH·OW
  let size = MAX_COUNT;
  let generation = 0;
  const chunks = new Map(); // "f:k" -> Promise<chunk | null>
  const ready = new Map(); // "f:k" -> chunk
  let queue = Promise.resolve();

  /** A new result: forget every chunk. taps = C·KH·KW numbers per step per array. */
  function reset(params, outputShape, taps) {
    base = params;
    total = outputShape[1] * outputShape[2];
    size = Math.max(16, Math.min(MAX_COUNT, Math.floor(CHUNK_BYTES / (taps * 12 + 48))));
    generation += 1;
    chunks.clear();
    ready.clear();
  }

  function fetchChunk(filter, index) {
    const gen = generation;
    const start = index * size;
    const count = Math.min(size, total - start);
    const params = { ...base, filter, start, count };
    const job = queue.then(() => {
      if (gen !== generation) return null;
      return ask("conv.trace", params).then(
        (answer) => toChunk(answer, start),
        (error) => {
          chunks.delete(`${filter}:${index}`); // let a later look try again
          if (!error.quiet) throw error;
          return null;
        },
      );
    });
    queue = job.catch(() => null);
    return job.then((chunk) => {
      if (chunk && gen === generation) ready.set(`${filter}:${index}`, chunk);
      return chunk;
    });
  }

  /** The step view, from the cache or the server; null if the run changed meanwhile. */
  function get(filter, step) {
    if (!base || step < 0 || step >= total) return Promise.resolve(null);
    const index = Math.floor(step / size);
    const key = `${filter}:${index}`;
    if (!chunks.has(key)) chunks.set(key, fetchChunk(filter, index));
    return chunks.get(key).then((chunk) => (chunk ? stepOf(chunk, step) : null));
  }

  /** The step view if its chunk is already here, else null. */
  function peek(filter, step) {
    const chunk = ready.get(`${filter}:${Math.floor(step / size)}`);
    return chunk ? stepOf(chunk, step) : null;
  }

  return {
    reset,
    get,
    peek,
    get total() {
      return total;
    },
  };
}

function toChunk(answer, start) {
  return { start, count: answer.meta.count, arrays: answer.arrays, views: new Map() };
}

// One step's arrays as subarray views (no copies), memoised so a view keeps its identity.
function stepOf(chunk, step) {
  const i = step - chunk.start;
  if (i < 0 || i >= chunk.count) return null;
  let view = chunk.views.get(i);
  if (view) return view;
  const a = chunk.arrays;
  const per = (name) => {
    const t = a[name];
    const n = t.data.length / chunk.count;
    return t.data.subarray(i * n, (i + 1) * n);
  };
  view = {
    index: step,
    outIndex: Array.from(per("out_index")),
    origin: Array.from(per("origin")),
    window: per("window"),
    isPad: per("is_pad"),
    products: per("products"),
    channelSums: per("channel_sums"),
    runningSum: per("running_sum"),
    bias: a.bias.data[i],
    result: a.result.data[i],
  };
  chunk.views.set(i, view);
  return view;
}
