// Cell sizes for the stage: as large as the room allows (a projector needs big cells),
// the same for input and output so a window and its output cell line up by eye.
// One channel: input | kernel | output in a row. Several ("volume"): the channels side
// by side with the kernel's channels underneath, the output to the right.
// Height is budgeted so the transport and arithmetic stay on screen, except that small
// grids never shrink below the size where their numbers are readable.

const MAX_CELL = 84; // a 7×7 input fills a 1920×1080 projector without looking sparse
const NUMBERS_CELL = 28; // grid.js prints numbers from this cell size (half the cell, 14 px)
const READABLE_CELL = 34; // numbers at 17px and up (grid.js prints them from 28px cells, at half the cell)
const BELOW_GRIDS = 200; // px kept under the grids for the transport bar and the arithmetic
const CHANNEL_GAP = 14; // px between channel grids (CSS .grids gap)
const CHANNEL_LABEL = 28; // px of a channel's caption
const OUTPUT_MIN_WIDTH = 180; // px: the output caption and two filter thumbnails
const THUMBS_HEIGHT = 100; // px under the output when there are several filters
const SLACK = 8; // px for borders and rounding

/** Largest cell for `cells` columns in `room` px, leaving the output its own width. */
function byWidth(room, cells, outputCols) {
  const shared = Math.floor(room / (cells + outputCols));
  return outputCols * shared >= OUTPUT_MIN_WIDTH ? shared : Math.floor((room - OUTPUT_MIN_WIDTH) / cells);
}

// Fit the room; but where the width allows numbers in the cells, do not let the height
// budget take them away (the page then scrolls a little, the numbers stay readable).
function pick(widthCell, heightCell) {
  const floor = widthCell >= NUMBERS_CELL ? Math.min(widthCell, READABLE_CELL) : 0;
  return Math.max(2, Math.min(MAX_CELL, widthCell, Math.max(heightCell, floor)));
}

/**
 * sizes({room, input: {channels, rows, cols}, output: {filters, rows, cols} | null}) -> {cell, columns, thumbCell}
 * room: {stageWidth, stageTop (page coordinates), kernelWidth, kernelHeight, gap} in px, measured by the page.
 */
export function sizes({ room, input, output }) {
  const { gap } = room;
  const top = room.stageTop + 30; // under the pane captions
  const height = window.innerHeight - top - BELOW_GRIDS;
  const outCols = output?.cols ?? 0;
  const outHeight = (room) =>
    output ? Math.floor((room - (output.filters > 1 ? THUMBS_HEIGHT : 0)) / output.rows) : Infinity;
  const thumbCell = output ? Math.max(2, Math.min(14, Math.floor(72 / Math.max(output.rows, output.cols)))) : 4;
  const C = input.channels;

  if (C > 1) {
    const width = room.stageWidth - gap - SLACK - CHANNEL_GAP * (C - 1);
    const inputHeight = height - room.kernelHeight - CHANNEL_LABEL - gap;
    const h = Math.min(Math.floor(inputHeight / input.rows), outHeight(height));
    return { cell: pick(byWidth(width, C * input.cols, outCols), h), columns: C, thumbCell };
  }
  const width = room.stageWidth - room.kernelWidth - 2 * gap - SLACK;
  const h = Math.min(Math.floor(height / input.rows), outHeight(height));
  return { cell: pick(byWidth(width, input.cols, outCols), h), columns: 1, thumbCell };
}
