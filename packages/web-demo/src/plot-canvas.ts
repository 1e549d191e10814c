/**
 * The canvas drawing of every surface plot on the page (the method panels and the training panel),
 * so both speak one visual language: a field in viridis, upscaled smoothly (the tutorial's imshow
 * look); the training points in the tutorial's class colours; the OOD cluster as red diamonds; axes
 * with integer ticks and labels; a colour bar over [0, max]. Each plot brings its own
 * {@link PlotLayout}; its DOM, interaction and accessibility stay with the plot's class.
 */
import { colormapTable, rgbCss, viridis } from './colormap.js';
import { ABSTAIN_COLOUR, abstainOutline, SET_SIZE_COLOURS, setSizePixels } from './decision-map.js';
import { dataToPixel, type Frame, surfacePixels } from './surface.js';

/** Tutorial colours: class 0 blue, class 1 orange (its DEFAULT_CMAP). */
export const CLASS_COLOURS = ['#377eb8', '#ff7f00'];
/** The OOD marker's fill; opaque with a white edge so it reads as red on every viridis shade. */
export const OOD_COLOUR = '#e41a1c';
/** The placeholder inside the axes before a field exists. */
const EMPTY_FILL = '#eef0f3';
const INK = '#333';
const FONT = '11px system-ui, sans-serif';
const LUT = colormapTable(viridis);

/** Where a plot draws, in its drawing coordinates (CSS px at full size; the canvas scales with its column). */
export interface PlotLayout {
  /** Drawing width. */
  width: number;
  /** Drawing height. */
  height: number;
  /** The axes' rectangle, where the field and points go; ticks and labels sit left of and below it. */
  frame: Frame;
  /** The colour bar, right of the axes and as tall as they are; its tick labels follow on its right. */
  bar: { left: number; width: number };
  /** Tick positions in data units along x and y. */
  ticks: { x: readonly number[]; y: readonly number[] };
}

/** Labelled 2-D points. */
export interface PlotPoints {
  /** Row-major (x, y) pairs. */
  x: Float32Array;
  /** Class index per point (0 or 1). */
  y: Int32Array;
  /** Points. */
  n: number;
}

/** Integer ticks of the two-moons window (x in [-3.5, 3.5], y in [-2.5, 2.5]), as the tutorial's axes. */
export const MOONS_TICKS: PlotLayout['ticks'] = { x: [-3, -2, -1, 0, 1, 2, 3], y: [-2, -1, 0, 1, 2] };

/** Unlabelled 2-D points (the out-of-domain cluster). */
export interface OodPoints {
  /** Row-major (x, y) pairs. */
  x: Float32Array;
  /** Points. */
  n: number;
}

/** The points drawn over a field: the training data by class and, where a plot has one, the OOD cluster. */
export interface PlotOverlay {
  /** Training points, drawn as class-coloured dots. */
  train: PlotPoints;
  /** Out-of-domain points, drawn as red diamonds. */
  ood?: OodPoints;
}

/** A field to draw: `size` x `size` values in moonsGrid order, coloured over [0, max]. */
export interface PlotField {
  /** The values (NaN draws as the colour of 0), or null for the empty axes (before a model ran). */
  values: ArrayLike<number> | null;
  /** Grid points per axis. */
  size: number;
  /** The colour bar's top value (1 for probabilities, 0.25 for raw p(1 - p)). */
  max: number;
}

/**
 * A canvas sized for a layout at the device pixel ratio (1 to 3), so lines and text stay sharp.
 * @param layout - the plot's drawing coordinates.
 * @returns the canvas, not yet in the document.
 */
export function createPlotCanvas(layout: PlotLayout): HTMLCanvasElement {
  const c = document.createElement('canvas');
  const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
  c.width = Math.round(layout.width * dpr);
  c.height = Math.round(layout.height * dpr);
  return c;
}

/**
 * The 2D context of a canvas, its transform reset to a uniform scale.
 * @param canvas - the canvas.
 * @param scale - device pixels per drawing unit (1 for an offscreen tile; {@link plotContext} for a plot).
 * @returns the context with its transform reset to that scale.
 * @throws Error if the browser gives no 2D context.
 */
export function canvasContext(canvas: HTMLCanvasElement, scale: number): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('canvas 2D context unavailable');
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  return ctx;
}

/**
 * The 2D context of a plot canvas, drawing in its layout's coordinates.
 * @param canvas - a canvas from {@link createPlotCanvas}.
 * @param layout - the layout it was made for.
 * @returns the context, scaled for the device pixel ratio.
 */
export function plotContext(canvas: HTMLCanvasElement, layout: PlotLayout): CanvasRenderingContext2D {
  return canvasContext(canvas, canvas.width / layout.width);
}

/**
 * Draw a whole plot: the field (or the empty axes before one exists), points, axes and colour bar.
 * Sets the canvas' `data-drawn` to `true` or `empty` (the tests and the page wait on it).
 * @param canvas - a canvas from {@link createPlotCanvas}.
 * @param layout - its layout.
 * @param field - the field (its values null for the empty axes) and the colour bar's range.
 * @param overlay - the points.
 */
export function drawPlot(canvas: HTMLCanvasElement, layout: PlotLayout, field: PlotField, overlay: PlotOverlay): void {
  const ctx = plotContext(canvas, layout);
  ctx.clearRect(0, 0, layout.width, layout.height);
  drawSurface(ctx, layout.frame, field);
  drawPoints(ctx, layout.frame, overlay);
  drawAxes(ctx, layout);
  drawColourBar(ctx, layout, field.max);
  canvas.dataset.drawn = field.values ? 'true' : 'empty';
}

/** A decisions view: conformal set size per grid cell and the abstain flags. */
export interface DecisionField {
  /** [size * size] set sizes, moonsGrid order. */
  setSize: ArrayLike<number>;
  /** [size * size] abstain flags (1 = hand over). */
  abstain: ArrayLike<number>;
  /** Grid points per axis. */
  size: number;
}

/**
 * Draw a decisions plot: set sizes as flat categories (no smoothing: a size is not a level), the
 * abstain region outlined and lightly shaded, the points, the axes and a legend where the colour
 * bar goes. Sets the canvas' `data-drawn` to `decisions`.
 * @param canvas - a canvas from {@link createPlotCanvas}.
 * @param layout - its layout.
 * @param field - set sizes and abstain flags.
 * @param overlay - the points.
 */
export function drawDecisionPlot(canvas: HTMLCanvasElement, layout: PlotLayout, field: DecisionField, overlay: PlotOverlay): void {
  const ctx = plotContext(canvas, layout);
  const { frame } = layout;
  const { size } = field;
  ctx.clearRect(0, 0, layout.width, layout.height);
  const tile = document.createElement('canvas');
  tile.width = tile.height = size;
  canvasContext(tile, 1).putImageData(new ImageData(setSizePixels(field.setSize, size), size, size), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile, frame.left, frame.top, frame.width, frame.height);
  // Abstain: a light shade and the region's outline, so the set sizes stay readable under it.
  const cellW = frame.width / size;
  const cellH = frame.height / size;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.18)';
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++)
      if (field.abstain[r * size + c] === 1) ctx.fillRect(frame.left + c * cellW, frame.top + (size - 1 - r) * cellH, cellW, cellH);
  ctx.beginPath();
  for (const [x0, y0, x1, y1] of abstainOutline(field.abstain, size)) {
    ctx.moveTo(frame.left + x0 * cellW, frame.top + frame.height - y0 * cellH);
    ctx.lineTo(frame.left + x1 * cellW, frame.top + frame.height - y1 * cellH);
  }
  ctx.strokeStyle = ABSTAIN_COLOUR;
  ctx.lineWidth = 1.5;
  ctx.stroke();
  drawPoints(ctx, frame, overlay);
  drawAxes(ctx, layout);
  drawDecisionLegend(ctx, layout);
  canvas.dataset.drawn = 'decisions';
}

/** The decisions legend, right of the axes: set sizes 0 / 1 / 2 and the abstain outline. */
function drawDecisionLegend(ctx: CanvasRenderingContext2D, layout: PlotLayout): void {
  const { frame: { top }, bar } = layout;
  textStyle(ctx, 'left', 'middle');
  const items = SET_SIZE_COLOURS.map((c, i) => [rgbCss(c), `set ${i}`] as const);
  items.forEach(([colour, label], i) => {
    const y = top + 4 + i * 22;
    ctx.fillStyle = colour;
    ctx.fillRect(bar.left, y, bar.width, 14);
    ctx.strokeStyle = INK;
    ctx.strokeRect(bar.left, y, bar.width, 14);
    ctx.fillStyle = INK;
    ctx.fillText(label, bar.left + bar.width + 4, y + 7);
  });
  const y = top + 4 + items.length * 22;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.18)';
  ctx.fillRect(bar.left, y, bar.width, 14);
  ctx.strokeStyle = ABSTAIN_COLOUR;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(bar.left, y, bar.width, 14);
  ctx.lineWidth = 1;
  ctx.fillStyle = INK;
  ctx.fillText('abstain', bar.left + bar.width + 4, y + 7);
}

/**
 * Fill the axes with a field through viridis, upscaled bilinearly (smooth, no seams), or with a
 * light placeholder when its values are null.
 * @param ctx - a context in the plot's coordinates.
 * @param frame - the axes' rectangle.
 * @param field - the field.
 */
export function drawSurface(ctx: CanvasRenderingContext2D, frame: Frame, field: PlotField): void {
  const { values, size, max } = field;
  if (!values) {
    ctx.fillStyle = EMPTY_FILL;
    ctx.fillRect(frame.left, frame.top, frame.width, frame.height);
    return;
  }
  const scaled = max === 1 ? values : Float32Array.from(values, (v) => v / max);
  const tile = document.createElement('canvas');
  tile.width = tile.height = size;
  canvasContext(tile, 1).putImageData(new ImageData(surfacePixels(scaled, size, LUT), size, size), 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(tile, frame.left, frame.top, frame.width, frame.height);
}

/**
 * Draw the training points (class-coloured dots) and the OOD cluster (white-edged red diamonds),
 * clipped to the axes.
 * @param ctx - a context in the plot's coordinates.
 * @param frame - the axes' rectangle.
 * @param overlay - the points.
 */
export function drawPoints(ctx: CanvasRenderingContext2D, frame: Frame, overlay: PlotOverlay): void {
  const { train, ood } = overlay;
  ctx.save();
  ctx.beginPath();
  ctx.rect(frame.left, frame.top, frame.width, frame.height);
  ctx.clip();
  const dot = (x: number, y: number, r: number) => {
    const [px, py] = dataToPixel(frame, x, y);
    ctx.moveTo(px + r, py);
    ctx.arc(px, py, r, 0, 2 * Math.PI);
  };
  for (let cls = 0; cls < CLASS_COLOURS.length; cls++) {
    ctx.beginPath();
    for (let i = 0; i < train.n; i++) if (train.y[i] === cls) dot(train.x[2 * i], train.x[2 * i + 1], 1.8);
    ctx.fillStyle = CLASS_COLOURS[cls];
    ctx.globalAlpha = 0.7;
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  if (ood) {
    ctx.beginPath();
    const d = 2.6;
    for (let i = 0; i < ood.n; i++) {
      const [px, py] = dataToPixel(frame, ood.x[2 * i], ood.x[2 * i + 1]);
      ctx.moveTo(px, py - d);
      ctx.lineTo(px + d, py);
      ctx.lineTo(px, py + d);
      ctx.lineTo(px - d, py);
      ctx.closePath();
    }
    ctx.strokeStyle = 'white';
    ctx.lineWidth = 0.6;
    ctx.stroke();
    ctx.fillStyle = OOD_COLOUR;
    ctx.fill();
  }
  ctx.restore();
}

/**
 * Draw the axes' box, the layout's ticks with their values, and the axis labels x₁ (below) and x₂
 * (rotated, at the canvas' left edge).
 * @param ctx - a context in the plot's coordinates.
 * @param layout - the plot's layout.
 */
export function drawAxes(ctx: CanvasRenderingContext2D, layout: PlotLayout): void {
  const { frame, ticks } = layout;
  ctx.strokeStyle = INK;
  ctx.lineWidth = 1;
  ctx.strokeRect(frame.left, frame.top, frame.width, frame.height);
  textStyle(ctx, 'center', 'top');
  const bottom = frame.top + frame.height;
  for (const x of ticks.x) {
    const [px] = dataToPixel(frame, x, 0);
    ctx.fillRect(px, bottom, 1, 4);
    ctx.fillText(String(x), px, bottom + 6);
  }
  ctx.fillText('x₁', frame.left + frame.width / 2, bottom + 22);
  textStyle(ctx, 'right', 'middle');
  for (const y of ticks.y) {
    const [, py] = dataToPixel(frame, 0, y);
    ctx.fillRect(frame.left - 4, py, 4, 1);
    ctx.fillText(String(y), frame.left - 6, py);
  }
  ctx.save();
  ctx.translate(12, frame.top + frame.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('x₂', 0, 0);
  ctx.restore();
}

/**
 * Draw the viridis colour bar over [0, max] with six labelled ticks.
 * @param ctx - a context in the plot's coordinates.
 * @param layout - the plot's layout.
 * @param max - the top value (labels get two decimals below 1, one otherwise).
 */
export function drawColourBar(ctx: CanvasRenderingContext2D, layout: PlotLayout, max: number): void {
  const { frame: { top, height }, bar } = layout;
  const grad = ctx.createLinearGradient(0, top + height, 0, top);
  for (let t = 0; t <= 16; t++) grad.addColorStop(t / 16, rgbCss(viridis(t / 16)));
  ctx.fillStyle = grad;
  ctx.fillRect(bar.left, top, bar.width, height);
  ctx.strokeStyle = INK;
  ctx.strokeRect(bar.left, top, bar.width, height);
  textStyle(ctx, 'left', 'middle');
  const digits = max < 1 ? 2 : 1;
  for (let t = 0; t <= 5; t++) {
    const py = top + (1 - t / 5) * height;
    ctx.fillRect(bar.left + bar.width, py, 3, 1);
    ctx.fillText(((t / 5) * max).toFixed(digits), bar.left + bar.width + 5, py);
  }
}

/** Labels are dark 11 px text, aligned as given. */
function textStyle(ctx: CanvasRenderingContext2D, align: CanvasTextAlign, baseline: CanvasTextBaseline): void {
  ctx.fillStyle = INK;
  ctx.font = FONT;
  ctx.textAlign = align;
  ctx.textBaseline = baseline;
}
