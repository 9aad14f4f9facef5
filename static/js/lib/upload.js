// An "Upload image…" control that keeps the picture's shape: the file, a size field (cells on
// the picture's longer side, up to the server's limit) and a line saying what the upload
// became, "600×400 photo → 42×28 grid (aspect kept)". Changing the size asks again for the
// same file. The pixels come from image.upload (lib/pictures.js createUploader).
//
// mountUpload(container, {socket, limits, id, size, min, channels(), onPicture(picture)})
//   min: the smallest longer side the page takes (the server's is 1)
//   -> {destroy(), inspect() -> {size, note}}
//   picture: {channels, height, width, values: Float32Array (C·H·W), meta, note}

import { createUploader } from "./pictures.js";

const DEFAULT_SIZE = 32; // cells on the longer side: a photo still reads, the numbers still fit on a projector

function addStyleSheet() {
  if (document.querySelector("link[data-upload-css]")) return;
  const link = Object.assign(document.createElement("link"), { rel: "stylesheet" });
  link.href = new URL("../../css/upload.css", import.meta.url).href;
  link.dataset.uploadCss = "";
  document.head.append(link);
}

export function mountUpload(
  container,
  { socket, limits, id = "upload", size = DEFAULT_SIZE, min = 1, channels = () => 1, onPicture = () => {} },
) {
  addStyleSheet();
  const most = limits?.size ?? 256;
  const least = Math.max(1, Math.min(most, min));
  const start = Math.max(least, Math.min(most, size));
  container.insertAdjacentHTML(
    "beforeend",
    `<div class="upload-control">
      <input type="file" id="${id}" accept="image/png,image/jpeg" class="visually-hidden upload">
      <label for="${id}" class="chip upload-label">Upload image…</label>
      <label class="upload-size">Grid size
        <input type="number" class="upload-size-input" min="${least}" max="${most}" step="1" value="${start}"
          inputmode="numeric" aria-describedby="${id}-size-hint">
      </label>
      <span id="${id}-size-hint" class="upload-hint">
        cells on the longer side (${least} to ${most}); the shape is kept</span>
      <p class="upload-note" role="status" aria-live="polite"></p>
    </div>`,
  );
  const root = container.lastElementChild;
  const file = root.querySelector(".upload");
  const sizeInput = root.querySelector(".upload-size-input");
  const note = root.querySelector(".upload-note");
  const uploader = createUploader(socket);
  let token = 0;

  function chosenSize() {
    const n = Number(sizeInput.value);
    return Number.isInteger(n) && n >= least && n <= most ? n : null;
  }

  async function show(asking) {
    const mine = ++token;
    note.classList.remove("upload-error");
    note.textContent = "Reading the picture…";
    try {
      const picture = await asking;
      if (mine !== token || !picture) return;
      note.textContent = picture.note;
      onPicture(picture);
    } catch (error) {
      if (mine !== token || error.quiet) return;
      note.classList.add("upload-error");
      note.textContent = error.message;
    }
  }

  const onFile = () => {
    const chosen = file.files?.[0];
    file.value = ""; // choosing the same file again still uploads it
    if (!chosen) return;
    const n = chosenSize() ?? start;
    show(uploader.load(chosen, { size: n, channels: channels() }));
  };
  const onSize = () => {
    const n = chosenSize();
    if (n === null) {
      note.classList.add("upload-error");
      note.textContent = `Grid size must be a whole number from ${least} to ${most}.`;
      return;
    }
    if (uploader.loaded) show(uploader.resize(n));
  };
  file.addEventListener("change", onFile);
  sizeInput.addEventListener("change", onSize);

  return {
    destroy() {
      file.removeEventListener("change", onFile);
      sizeInput.removeEventListener("change", onSize);
      root.remove();
    },
    inspect: () => ({ size: chosenSize(), note: note.textContent }),
  };
}
