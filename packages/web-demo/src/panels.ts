import { colormapTable, rgbCss, viridis } from './colormap.js';
import { dataToPixel, EXTENT, type Frame, pixelToData, surfacePixels } from './surface.js';

/** Points drawn on every plot: training data by class and the OOD cluster. */
export interface Overlay {
  train: { x: Float32Array; y: Int32Array; n: number };
  ood: { x: Float32Array; n: number };
}

// Tutorial colours: class 0 blue, class 1 orange (DEFAULT_CMAP), OOD red.
const CLASS_COLOURS = ['#377eb8', '#ff7f00'];
const OOD_COLOUR = 'rgba(255, 0, 0, 0.25)';
const LUT = colormapTable(viridis);

// CSS pixel layout of one plot: axes on the left/bottom, colour bar on the right.
const WIDTH = 380;
const HEIGHT = 272;
const FRAME: Frame = { left: 34, top: 8, width: 266, height: 238 };
const BAR = { left: 312, width: 14 };

/** One plot (a surface with axes, points and colour bar) and its crosshair layer. */
export class Plot {
  readonly element: HTMLElement;
  private readonly base: HTMLCanvasElement;
  private readonly cross: HTMLCanvasElement;

  constructor(title: string, kind: 'probability' | 'uncertainty') {
    this.element = document.createElement('figure');
    this.element.className = 'plot';
    this.element.dataset.kind = kind;
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    const stack = document.createElement('div');
    stack.className = 'stack';
    this.base = makeCanvas();
    this.cross = makeCanvas();
    this.cross.className = 'cross';
    stack.append(this.base, this.cross);
    this.element.append(caption, stack);
  }

  /** Draw a field (grid order of moonsGrid, values in [0, 1]) with points and colour bar. */
  draw(values: ArrayLike<number>, overlay: Overlay): void {
    const ctx = context(this.base);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    const img = new ImageData(surfacePixels(values, EXTENT.size, LUT), EXTENT.size, EXTENT.size);
    const tile = document.createElement('canvas');
    tile.width = tile.height = EXTENT.size;
    context(tile, 1).putImageData(img, 0, 0);
    // Smooth upscaling, close to the tutorial's bicubic imshow.
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(tile, FRAME.left, FRAME.top, FRAME.width, FRAME.height);
    drawPoints(ctx, overlay);
    drawAxes(ctx);
    drawColourBar(ctx);
    this.base.dataset.drawn = 'true';
  }

  /** Mark the pointed-at spot (null clears it). */
  mark(point: [number, number] | null): void {
    const ctx = context(this.cross);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    if (!point) return;
    const [px, py] = dataToPixel(FRAME, point[0], point[1]);
    ctx.strokeStyle = 'white';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(px, py, 5, 0, 2 * Math.PI);
    ctx.moveTo(px - 9, py);
    ctx.lineTo(px + 9, py);
    ctx.moveTo(px, py - 9);
    ctx.lineTo(px, py + 9);
    ctx.stroke();
  }

  /** Data coordinates under a pointer event, or null outside the plot area. */
  locate(ev: PointerEvent): [number, number] | null {
    const r = this.cross.getBoundingClientRect();
    return pixelToData(FRAME, ((ev.clientX - r.left) * WIDTH) / r.width, ((ev.clientY - r.top) * HEIGHT) / r.height);
  }

  onPointer(handler: (point: [number, number] | null) => void): void {
    this.cross.addEventListener('pointermove', (ev) => handler(this.locate(ev)));
    this.cross.addEventListener('pointerleave', () => handler(null));
  }
}

/** One method's row: title, status line, two plots, or an error box instead of the plots. */
export class MethodPanel {
  readonly element: HTMLElement;
  readonly probability: Plot;
  readonly uncertainty: Plot;
  private readonly status: HTMLElement;
  private readonly error: HTMLElement;
  readonly extra: HTMLElement;

  constructor(readonly method: string, label: string) {
    this.element = document.createElement('section');
    this.element.className = 'panel';
    this.element.dataset.method = method;
    this.element.dataset.state = 'loading';
    const head = document.createElement('header');
    const h2 = document.createElement('h2');
    h2.textContent = label;
    this.status = document.createElement('span');
    this.status.className = 'status';
    this.status.textContent = 'loading...';
    this.extra = document.createElement('div');
    this.extra.className = 'extra';
    head.append(h2, this.status, this.extra);
    this.error = document.createElement('div');
    this.error.className = 'error';
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    this.probability = new Plot(`Class Probability, ${label}`, 'probability');
    this.uncertainty = new Plot(`(Normalized) Predictive Uncertainty, ${label}`, 'uncertainty');
    const plots = document.createElement('div');
    plots.className = 'plots';
    plots.append(this.probability.element, this.uncertainty.element);
    this.element.append(head, this.error, plots);
  }

  loading(what: string): void {
    this.element.dataset.state = 'loading';
    this.error.hidden = true;
    this.status.textContent = what;
  }

  ready(provider: string, loadMs: number, gridMs: number): void {
    this.element.dataset.state = 'ok';
    this.element.dataset.provider = provider;
    this.element.dataset.gridMs = gridMs.toFixed(1);
    this.error.hidden = true;
    this.status.textContent = `${provider} · load ${loadMs.toFixed(0)} ms · 100×100 grid ${gridMs.toFixed(1)} ms`;
  }

  failed(message: string): void {
    this.element.dataset.state = 'error';
    this.error.hidden = false;
    this.error.textContent = `Could not run this model: ${message}`;
    this.status.textContent = 'failed';
  }

  mark(point: [number, number] | null): void {
    this.probability.mark(point);
    this.uncertainty.mark(point);
  }
}

function makeCanvas(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
  c.width = Math.round(WIDTH * dpr);
  c.height = Math.round(HEIGHT * dpr);
  c.style.width = `${WIDTH}px`;
  c.style.height = `${HEIGHT}px`;
  return c;
}

/** 2D context drawing in CSS pixels (scaled for the device pixel ratio). */
function context(c: HTMLCanvasElement, scale = c.width / WIDTH): CanvasRenderingContext2D {
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('canvas 2D context unavailable');
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  return ctx;
}

function drawPoints(ctx: CanvasRenderingContext2D, o: Overlay): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(FRAME.left, FRAME.top, FRAME.width, FRAME.height);
  ctx.clip();
  const dot = (x: number, y: number, r: number) => {
    const [px, py] = dataToPixel(FRAME, x, y);
    ctx.moveTo(px + r, py);
    ctx.arc(px, py, r, 0, 2 * Math.PI);
  };
  for (let cls = 0; cls < CLASS_COLOURS.length; cls++) {
    ctx.beginPath();
    for (let i = 0; i < o.train.n; i++) if (o.train.y[i] === cls) dot(o.train.x[2 * i], o.train.x[2 * i + 1], 1.6);
    ctx.fillStyle = CLASS_COLOURS[cls];
    ctx.globalAlpha = 0.6;
    ctx.fill();
  }
  ctx.beginPath();
  for (let i = 0; i < o.ood.n; i++) dot(o.ood.x[2 * i], o.ood.x[2 * i + 1], 1.6);
  ctx.globalAlpha = 1;
  ctx.fillStyle = OOD_COLOUR;
  ctx.fill();
  ctx.restore();
}

function drawAxes(ctx: CanvasRenderingContext2D): void {
  ctx.strokeStyle = '#333';
  ctx.lineWidth = 1;
  ctx.strokeRect(FRAME.left, FRAME.top, FRAME.width, FRAME.height);
  ctx.fillStyle = '#333';
  ctx.font = '10px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let x = -3; x <= 3; x++) {
    const [px] = dataToPixel(FRAME, x, 0);
    ctx.fillRect(px, FRAME.top + FRAME.height, 1, 4);
    ctx.fillText(String(x), px, FRAME.top + FRAME.height + 6);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let y = -2; y <= 2; y++) {
    const [, py] = dataToPixel(FRAME, 0, y);
    ctx.fillRect(FRAME.left - 4, py, 4, 1);
    ctx.fillText(String(y), FRAME.left - 6, py);
  }
}

function drawColourBar(ctx: CanvasRenderingContext2D): void {
  const { top, height } = FRAME;
  for (let i = 0; i < height; i++) {
    ctx.fillStyle = rgbCss(viridis(1 - i / (height - 1)));
    ctx.fillRect(BAR.left, top + i, BAR.width, 1.5);
  }
  ctx.strokeStyle = '#333';
  ctx.strokeRect(BAR.left, top, BAR.width, height);
  ctx.fillStyle = '#333';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (let t = 0; t <= 5; t++) {
    const py = top + (1 - t / 5) * height;
    ctx.fillRect(BAR.left + BAR.width, py, 3, 1);
    ctx.fillText((t / 5).toFixed(1), BAR.left + BAR.width + 5, py);
  }
}
