// Where the stage's parts go and how big their cells are, from the room the page measured.
// A projector needs big cells and a phone needs everything in its width, so the stage picks
// one of three arrangements:
//   "row":   input | kernel | output         (a small kernel beside the maps)
//   "pair":  input | output, the kernel under (a large kernel, or several channels)
//   "stack": input, then output, then kernel (a phone held upright)
// Cell sizes: while the maps are small enough for numbers, input and output share one cell
// size, so a window and its output cell line up by eye. Large grids (a 227×227 photo, a stride
// of 4) get no numbers anyway, so the input and the output are drawn at comparable SCALE
// instead: each map (every input channel and the output) gets an equal share of the width,
// and the magnifier shows the current window and its output cell with their numbers.
// Cells may be fractional (a 237-cell padded input in 350 px): the maps are pictures then.

const MAX_CELL = 84; // a 7×7 input fills a 1920×1080 projector without looking sparse
const NUMBERS_CELL = 33; // numbers at 18 px (readable-grid.js: 0.56 of a cell)
// px kept under the grids for the transport bar and a 3×3 window's arithmetic: part fixed, part
// type that grows with presenter mode's scale (measured at 1024×768 and 1920×1080 presenting).
const BELOW_FIXED = 17;
const BELOW_SCALED = 175;
const CORNERS = 52; // px: presenting, the Class and presenter buttons sit in the window's bottom corners
const CHANNEL_GAP = 14; // px between channel grids (CSS .grids gap)
const CHANNEL_LABEL = 28; // px of a channel's caption
const CAPTION = 34; // px of a pane's caption
const SLACK = 10; // px for borders and rounding
const NARROW = 560; // px of stage: below this the parts stack
const THUMB = 60; // px: a filter's thumbnail map
const THUMB_MANY = 40; // px: one of 5 to 16 thumbnails (two rows at 1024 px)
const KCELL_GAP = 3; // px between kernel fields (CSS .kgrid gap)
const MIN_MAP = 220; // px: a map is never squeezed below this height to fit a short window

/**
 * Kernel field size (px) for `k`×`k` weights in `channels` groups within `width` px: the
 * channels side by side while their fields stay 26 px or more, else they wrap (CSS).
 */
function kernelCell(k, channels, width) {
  const natural = channels > 1 ? 48 : k <= 3 ? 68 : k <= 5 ? 60 : 56;
  let fit = 0;
  for (let across = channels; across >= 1; across--) {
    fit = Math.floor((width - 16 - 12 * (across - 1)) / (across * k) - KCELL_GAP);
    if (fit >= 26) break;
  }
  return Math.max(20, Math.min(natural, fit));
}

const clampCell = (c) => Math.min(MAX_CELL, c);

/**
 * sizes({room, input: {channels, rows, cols}, output: {filters, rows, cols} | null, kernel: {size, channels}})
 *   -> {arrangement, cellIn, cellOut, columns, thumbCell, kcell}
 * room: {stageWidth (content px), stageTop (page coordinates), gap, viewHeight, scale (presenter mode's type
 * scale), corners (buttons in the window's bottom corners)} measured by the page.
 */
export function sizes({ room, input, output, kernel }) {
  const { gap } = room;
  const W = room.stageWidth - SLACK;
  const C = input.channels;
  const outCols = output?.cols ?? input.cols;
  const outRows = output?.rows ?? input.rows;
  const k = kernel?.size ?? 3;
  const kC = kernel?.channels ?? C;
  const thumb = output?.filters > 4 ? THUMB_MANY : THUMB;
  const thumbCell = output ? thumb / Math.max(output.rows, output.cols) : 4;
  const channelGaps = CHANNEL_GAP * (C - 1);
  const labels = C > 1 ? CHANNEL_LABEL : 0;
  // Under the grids: the transport and the step's arithmetic, whose type grows with presenter mode's
  // scale, and while presenting the band of the corner buttons, which would cover the arithmetic.
  const below = BELOW_FIXED + BELOW_SCALED * (room.scale ?? 1) + (room.corners ? CORNERS : 0);
  const height = room.viewHeight - room.stageTop - CAPTION - below - labels;

  let arrangement;
  let kcell = kernelCell(k, kC, W);
  const widthOf = (field) => kC * k * (field + KCELL_GAP) + 12 * (kC - 1) + 16;
  // Beside the maps, a small kernel gives up field width (down to 48 px) before the maps'
  // numbers drop under 18 px.
  const mapsCols = C * input.cols + outCols;
  const roomFor = (field) => (W - 2 * gap - widthOf(field) - CHANNEL_GAP * (C - 1)) / mapsCols;
  while (kcell > 48 && roomFor(kcell) < NUMBERS_CELL && roomFor(48) >= NUMBERS_CELL) kcell -= 2;
  const kernelWidth = widthOf(kcell);
  const kernelHeight = k * (kcell + KCELL_GAP) + 100; // legend, tabs, bias
  if (room.stageWidth < NARROW) arrangement = "stack";
  else if (C > 1 || k > 5 || kernelWidth > 0.4 * W) arrangement = "pair";
  else arrangement = "row";

  // Width for the maps, and the same-cell size the arrangement allows.
  let same;
  let mapsWidth;
  if (arrangement === "stack") {
    mapsWidth = W;
    same = Math.min((W - channelGaps) / (C * input.cols), W / outCols);
  } else {
    mapsWidth = W - gap - (arrangement === "row" ? kernelWidth + gap : 0);
    same = (mapsWidth - channelGaps) / (C * input.cols + outCols);
  }
  // The height budget: on a tall page the transport and arithmetic stay in view. Where the
  // width allows numbers, the height never takes them away (the page scrolls a little instead).
  const kernelBelow = arrangement === "pair" && k <= 5 ? kernelHeight : 0;
  // Thumbnails take a row under the maps, except beside a volume's kernel (CSS arr-pair.volume).
  const thumbsBelow = output?.filters > 1 && !(arrangement === "pair" && C > 1) ? thumb + 40 : 0;
  const byHeight = (rows) => (height - kernelBelow - thumbsBelow) / rows;
  const fitHeight = (cell, rows) => {
    const floor = cell >= NUMBERS_CELL ? NUMBERS_CELL : MIN_MAP / rows; // a short window scrolls instead
    return Math.max(Math.min(cell, byHeight(rows)), Math.min(cell, floor));
  };

  let cellIn;
  let cellOut;
  if (same >= NUMBERS_CELL || input.cols <= outCols * 1.5) {
    const rows = arrangement === "stack" ? input.rows : Math.max(input.rows, outRows);
    cellIn = cellOut = clampCell(fitHeight(same, rows));
  } else {
    // Comparable scale: each input channel and the output get an equal share of the width.
    const share = arrangement === "stack" ? W : (mapsWidth - channelGaps) / (C + 1);
    const perChannel = arrangement === "stack" ? (W - channelGaps) / C : share;
    cellIn = clampCell(fitHeight(perChannel / input.cols, input.rows));
    cellOut = clampCell(fitHeight(share / outCols, outRows));
    // The output map is never drawn larger than the input it came from.
    cellOut = Math.min(cellOut, (cellIn * input.cols) / outCols);
  }
  cellIn = Math.max(0.25, round(cellIn));
  cellOut = Math.max(0.25, round(cellOut));
  // Under the maps the kernel has the width; a volume's kernel has the input channels' width.
  if (arrangement === "stack") kcell = kernelCell(k, kC, W);
  else if (arrangement === "pair") kcell = kernelCell(k, kC, C > 1 ? C * input.cols * cellIn + channelGaps : W);
  return { arrangement, cellIn, cellOut, columns: C, thumbCell, kcell };
}

// Whole pixels while a cell is big enough to show its lines; finer below.
const round = (cell) => (cell >= 4 ? Math.floor(cell) : Math.floor(cell * 8) / 8);
