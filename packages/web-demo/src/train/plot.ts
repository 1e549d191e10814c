/**
 * One small plot of the training panel: a field over the two-moons window (viridis, upscaled
 * smoothly from the panel's grid), the training points in the tutorial's class colours, axes with
 * integer ticks and a colour bar over [0, 1]. Before training it shows the empty axes and points.
 */
import { colormapTable, viridis } from '../colormap.js';
import { type Frame, dataToPixel, surfacePixels } from '../surface.js';

/** The tutorial's class colours (blue, orange), as the demo's panels draw them. */
const CLASS_COLOURS = ['#377eb8', '#ff7f00'];
const LUT = colormapTable(viridis);
const WIDTH = 300;
const HEIGHT = 230;
const FRAME: Frame = { left: 30, top: 6, width: 224, height: 200 };
const BAR = { left: 264, width: 10 };
const X_TICKS = [-3, -2, -1, 0, 1, 2, 3];
const Y_TICKS = [-2, -1, 0, 1, 2];

/** Labelled 2-D points drawn over a plot. */
export interface PlotPoints {
  /** Row-major (x, y) pairs. */
  x: Float32Array;
  /** Class index per point (0 or 1). */
  y: Int32Array;
  /** Points. */
  n: number;
}

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser gives no 2-D canvas context');
  return ctx;
}

/** A titled canvas plot of one field. */
export class TrainPlot {
  /** The plot's root element (a figure with a caption). */
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;

  /**
   * @param title - the caption shown above the plot.
   * @param description - the canvas' accessible name (the caption plus the model's name).
   * @param kind - what the field is (set as `data-kind` for styling and tests).
   */
  constructor(title: string, description: string, kind: 'probability' | 'uncertainty') {
    this.element = document.createElement('figure');
    this.element.className = 'train-plot';
    this.element.dataset.kind = kind;
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    this.canvas = document.createElement('canvas');
    const dpr = Math.max(1, Math.min(2, globalThis.devicePixelRatio || 1));
    this.canvas.width = Math.round(WIDTH * dpr);
    this.canvas.height = Math.round(HEIGHT * dpr);
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', description);
    context(this.canvas).scale(dpr, dpr);
    this.element.append(caption, this.canvas);
  }

  /**
   * Draw a field (moonsGrid order, `size` x `size`, values in [0, 1]) under the points, or the empty
   * axes and points when `values` is null.
   * @param values - the field, or null before a model exists.
   * @param size - grid points per axis.
   * @param points - the training points.
   */
  draw(values: ArrayLike<number> | null, size: number, points: PlotPoints): void {
    const ctx = context(this.canvas);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    if (values) {
      const tile = document.createElement('canvas');
      tile.width = tile.height = size;
      context(tile).putImageData(new ImageData(surfacePixels(values, size, LUT), size, size), 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(tile, FRAME.left, FRAME.top, FRAME.width, FRAME.height);
    } else {
      ctx.fillStyle = '#eef0f3';
      ctx.fillRect(FRAME.left, FRAME.top, FRAME.width, FRAME.height);
    }
    this.drawPoints(ctx, points);
    this.drawAxes(ctx);
    this.drawColourBar(ctx);
    this.canvas.dataset.drawn = values ? 'true' : 'empty';
  }

  private drawPoints(ctx: CanvasRenderingContext2D, p: PlotPoints): void {
    ctx.save();
    ctx.beginPath();
    ctx.rect(FRAME.left, FRAME.top, FRAME.width, FRAME.height);
    ctx.clip();
    ctx.lineWidth = 0.6;
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
    for (let i = 0; i < p.n; i++) {
      const [px, py] = dataToPixel(FRAME, p.x[2 * i], p.x[2 * i + 1]);
      ctx.fillStyle = CLASS_COLOURS[p.y[i]] ?? '#888';
      ctx.beginPath();
      ctx.arc(px, py, 2.2, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
  }

  private drawAxes(ctx: CanvasRenderingContext2D): void {
    ctx.strokeStyle = '#444';
    ctx.lineWidth = 1;
    ctx.strokeRect(FRAME.left + 0.5, FRAME.top + 0.5, FRAME.width - 1, FRAME.height - 1);
    ctx.fillStyle = '#333';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of X_TICKS) {
      const [px] = dataToPixel(FRAME, t, 0);
      ctx.fillRect(px, FRAME.top + FRAME.height, 1, 4);
      ctx.fillText(String(t), px, FRAME.top + FRAME.height + 5);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of Y_TICKS) {
      const [, py] = dataToPixel(FRAME, 0, t);
      ctx.fillRect(FRAME.left - 4, py, 4, 1);
      ctx.fillText(String(t), FRAME.left - 6, py);
    }
  }

  private drawColourBar(ctx: CanvasRenderingContext2D): void {
    const grad = ctx.createLinearGradient(0, FRAME.top + FRAME.height, 0, FRAME.top);
    for (let i = 0; i <= 8; i++) {
      const [r, g, b] = viridis(i / 8);
      grad.addColorStop(i / 8, `rgb(${r}, ${g}, ${b})`);
    }
    ctx.fillStyle = grad;
    ctx.fillRect(BAR.left, FRAME.top, BAR.width, FRAME.height);
    ctx.fillStyle = '#333';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText('1', BAR.left + BAR.width + 3, FRAME.top + 4);
    ctx.fillText('0', BAR.left + BAR.width + 3, FRAME.top + FRAME.height - 4);
  }
}
