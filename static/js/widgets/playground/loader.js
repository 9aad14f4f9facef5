// Getting the input picture and the kernels: presets and uploads from the server, the
// user's own edits from the state. Each kind keeps a token so only its newest load is
// applied. A load resolves to true when it changed the page's data. And running them:
// a large picture goes to the server once, later runs name it (`held`, model.js).

import { createHeldInputs, makeInput, makeKernel, resizeBias, resizeInput, resizeKernel } from "./model.js";

const SIZE_KEYS = new Set(["height", "width", "channels"]);
const KEPT_PRESETS = 8; // kernel presets kept: at most 16·3·11·11 numbers each

export function createLoader({ socket, store, data, alerts }) {
  let inputToken = 0;
  let kernelToken = 0;
  const held = createHeldInputs(socket);

  function failed(error, region, source) {
    if (error.quiet) return false;
    alerts.show(null, error.message, source, region);
    return false;
  }

  /** The input for the current state; `keys` are the settings that changed. */
  async function loadInput(keys) {
    const token = ++inputToken;
    const s = store.get();
    if (s.input === "custom") {
      if (s.inputValues?.length === s.channels * s.height * s.width) {
        data.input = makeInput(s.channels, s.height, s.width, s.inputValues);
      } else {
        data.input = resizeInput(data.input, s.channels, s.height, s.width);
        store.set({ inputValues: data.input.values });
      }
      alerts.clear("input");
      return true;
    }
    const params = { name: s.input, height: s.height, width: s.width, channels: s.channels };
    if (s.input === "random") params.seed = s.seed;
    let answer;
    try {
      answer = await socket.request("input.preset", params);
    } catch (error) {
      // The sliders stay where the user put them, beside the sentence; the picture stays too.
      return failed(error, "input", "input");
    }
    if (token !== inputToken) return false;
    alerts.clear("input");
    const { meta } = answer;
    const forced = meta.height !== s.height || meta.width !== s.width || meta.channels !== s.channels;
    const resizing = keys.some((k) => SIZE_KEYS.has(k)) && !keys.includes("input");
    if (forced && resizing && data.input) {
      // A fixed-size example (seed001, …) asked for at another size: keep its numbers,
      // grow or crop them, and call the result the user's own picture.
      data.input = resizeInput(data.input, s.channels, s.height, s.width);
      store.set({ input: "custom", inputValues: data.input.values });
      return true;
    }
    data.input = makeInput(meta.channels, meta.height, meta.width, answer.arrays.values.data);
    if (forced) store.set({ height: meta.height, width: meta.width, channels: meta.channels });
    return true;
  }

  /** The kernels for the current state, with as many channels as the input has. */
  async function loadKernel(keys) {
    const token = ++kernelToken;
    const s = store.get();
    const channels = data.input?.channels ?? s.channels;
    if (s.kernelPreset === "custom") {
      if (s.kernelValues?.length === s.filters * channels * s.kernel * s.kernel) {
        data.kernel = makeKernel(s.filters, channels, s.kernel, s.kernel, s.kernelValues);
      } else {
        data.kernel = resizeKernel(data.kernel, s.filters, channels, s.kernel);
        store.set({ kernelValues: data.kernel.values });
      }
      data.bias = s.bias?.length === s.filters ? s.bias : resizeBias(data.bias, s.filters);
      alerts.clear("kernel");
      return true;
    }
    let answer;
    try {
      answer = await kernelPreset({ name: s.kernelPreset, size: s.kernel, channels, filters: s.filters });
    } catch (error) {
      // E.g. an even size for a kernel that needs a centre: the slider stays (one more
      // step reaches an odd size), the sentence explains, the last kernel stays in use.
      return failed(error, "kernel", "kernel");
    }
    if (token !== kernelToken) return false;
    alerts.clear("kernel");
    const { meta } = answer;
    data.kernel = makeKernel(meta.filters, meta.channels, meta.height, meta.width, answer.arrays.values.data);
    // The user's biases survive a size change; choosing a preset brings the preset's own.
    const keepBias = s.bias?.length === meta.filters && !keys.includes("kernelPreset");
    data.bias = keepBias ? s.bias : Float32Array.from(answer.arrays.bias.data);
    if (!keepBias && s.bias) store.set({ bias: null });
    if (meta.height !== s.kernel || meta.filters !== s.filters)
      store.set({ kernel: meta.height, filters: meta.filters });
    return true;
  }

  // The last few kernel presets the server sent on this connection, by their params, newest last:
  // a kernel slider moved back and forth then costs one round trip (the run), not two. Presets
  // are fixed by the server; a new connection (perhaps a new server) starts afresh.
  const presets = new Map(); // JSON of params -> kernel.preset answer
  let presetsOn = -1;
  async function kernelPreset(params) {
    if (presetsOn !== socket.opened) {
      presets.clear();
      presetsOn = socket.opened;
    }
    const key = JSON.stringify(params);
    let answer = presets.get(key);
    if (answer) presets.delete(key);
    else answer = await socket.request("kernel.preset", params);
    presets.set(key, answer);
    if (presets.size > KEPT_PRESETS) presets.delete(presets.keys().next().value);
    return answer;
  }

  /** An uploaded picture, at the input size on screen (1 or 3 channels). */
  async function upload(file) {
    const s = store.get();
    let answer;
    try {
      const base64 = await readBase64(file);
      answer = await socket.request("image.upload", {
        data: base64,
        height: s.height,
        width: s.width,
        channels: s.channels === 3 ? 3 : 1,
      });
    } catch (error) {
      return failed(error, "input", "input");
    }
    alerts.clear("input");
    inputToken++; // an upload replaces any preset still on its way
    const { meta } = answer;
    data.input = makeInput(meta.channels, meta.height, meta.width, Float32Array.from(answer.arrays.values.data));
    store.set({
      input: "custom",
      inputValues: data.input.values,
      height: meta.height,
      width: meta.width,
      channels: meta.channels,
    });
    return true;
  }

  /**
   * A request whose params name their input (runParams with `held`: conv.run, conv.trace). An
   * input the server no longer holds (it keeps recent ones only; another server process) is sent
   * again with its numbers, at once.
   */
  async function ask(type, params) {
    try {
      return await socket.request(type, params);
    } catch (error) {
      if (error.field !== "input_ref") throw error;
      held.forget(params.input.values);
      return socket.request(type, params);
    }
  }

  /** conv.run for `params`; the server's name for a large input is kept for the next run. */
  async function run(params) {
    const answer = await ask("conv.run", params);
    if (answer.meta.input_ref) held.keep(params.input.values, answer.meta.input_ref);
    return answer;
  }

  return { loadInput, loadKernel, upload, run, ask, held };
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(Object.assign(new Error("the file could not be read"), { quiet: false }));
    reader.readAsDataURL(file);
  });
}
