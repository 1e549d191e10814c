import { colormapTable, rgbCss, viridis } from './colormap.js';
import { dataToPixel, EXTENT, type Frame, pixelToData, surfacePixels } from './surface.js';

/** Points drawn on every plot: training data by class and the OOD cluster. */
export interface Overlay {
  train: { x: Float32Array; y: Int32Array; n: number };
  ood: { x: Float32Array; n: number };
}

/** Tutorial colours: class 0 blue, class 1 orange (its DEFAULT_CMAP); OOD red, drawn as diamonds. */
export const CLASS_COLOURS = ['#377eb8', '#ff7f00'];
/** The OOD marker's fill; opaque with a white edge so it reads as red on every viridis shade. */
export const OOD_COLOUR = '#e41a1c';
const LUT = colormapTable(viridis);

// The plot's drawing coordinates (CSS px at full size; the canvas scales down with its column):
// axes and their labels on the left/bottom, colour bar on the right.
const WIDTH = 380;
const HEIGHT = 280;
const FRAME: Frame = { left: 46, top: 8, width: 256, height: 228 };
const BAR = { left: 316, width: 14 };
/** Arrow-key step in data units (Shift: 5x). */
const STEP = 0.1;

/** Everything a plot reports to the page's probe controller. */
export interface PlotEvents {
  /** A mouse or pen moved over the plot; null outside the axes. */
  hover(point: [number, number] | null): void;
  /** The pointer left the plot. */
  leave(): void;
  /** A finger tapped the plot (pins the readout); null outside the axes. */
  tap(point: [number, number] | null): void;
  /** Keyboard focus arrived. */
  focus(): void;
  /** Keyboard focus left. */
  blur(): void;
  /** An arrow key: move the probe by (dx, dy) data units. */
  step(dx: number, dy: number): void;
  /** Escape: clear the probe. */
  clear(): void;
}

/** One plot (a surface with axes, points and colour bar) and its crosshair layer. */
export class Plot {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly base: HTMLCanvasElement;
  private readonly cross: HTMLCanvasElement;
  private readonly stack: HTMLElement;

  constructor(title: string, kind: 'probability' | 'uncertainty') {
    this.element = document.createElement('figure');
    this.element.className = 'plot';
    this.element.dataset.kind = kind;
    this.title = document.createElement('figcaption');
    this.title.textContent = title;
    this.stack = document.createElement('div');
    this.stack.className = 'stack';
    this.stack.tabIndex = 0;
    this.stack.setAttribute('role', 'application');
    this.stack.setAttribute('aria-roledescription', 'plot');
    this.base = makeCanvas();
    this.cross = makeCanvas();
    this.cross.className = 'cross';
    this.stack.append(this.base, this.cross);
    this.element.append(this.title, this.stack);
    this.setTitle(title);
  }

  /** Change the title (and the plot's accessible name). */
  setTitle(title: string): void {
    this.title.textContent = title;
    this.stack.setAttribute('aria-label', `${title}. Arrow keys move a probe, the readout shows every method there; Escape clears.`);
  }

  /**
   * Draw a field (grid order of moonsGrid) with points, axes and a colour bar over [0, max].
   * @param values - the field; null draws the empty axes and points (first view, before a model ran).
   * @param overlay - training and OOD points.
   * @param max - the colour bar's top value (1 for probabilities, 0.25 for raw p(1 - p)).
   */
  draw(values: ArrayLike<number> | null, overlay: Overlay, max = 1): void {
    const ctx = context(this.base);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    if (values) {
      const scaled = max === 1 ? values : Float32Array.from(values as ArrayLike<number>, (v) => v / max);
      const img = new ImageData(surfacePixels(scaled, EXTENT.size, LUT), EXTENT.size, EXTENT.size);
      const tile = document.createElement('canvas');
      tile.width = tile.height = EXTENT.size;
      context(tile, 1).putImageData(img, 0, 0);
      // Bilinear upscaling of the 100 x 100 field: smooth, no seams (the tutorial's imshow look).
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(tile, FRAME.left, FRAME.top, FRAME.width, FRAME.height);
    } else {
      ctx.fillStyle = '#eef0f3';
      ctx.fillRect(FRAME.left, FRAME.top, FRAME.width, FRAME.height);
    }
    drawPoints(ctx, overlay);
    drawAxes(ctx);
    drawColourBar(ctx, max);
    this.base.dataset.drawn = values ? 'true' : 'empty';
  }

  /** Mark the probed spot (null clears it). */
  mark(point: [number, number] | null): void {
    const ctx = context(this.cross);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    if (!point) return;
    const [px, py] = dataToPixel(FRAME, point[0], point[1]);
    for (const [colour, width] of [['rgba(0, 0, 0, 0.6)', 3], ['white', 1.5]] as const) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.arc(px, py, 5, 0, 2 * Math.PI);
      ctx.moveTo(px - 10, py);
      ctx.lineTo(px - 5, py);
      ctx.moveTo(px + 5, py);
      ctx.lineTo(px + 10, py);
      ctx.moveTo(px, py - 10);
      ctx.lineTo(px, py - 5);
      ctx.moveTo(px, py + 5);
      ctx.lineTo(px, py + 10);
      ctx.stroke();
    }
  }

  /** Data coordinates under a pointer event, or null outside the plot area. */
  locate(ev: PointerEvent): [number, number] | null {
    const r = this.cross.getBoundingClientRect();
    return pixelToData(FRAME, ((ev.clientX - r.left) * WIDTH) / r.width, ((ev.clientY - r.top) * HEIGHT) / r.height);
  }

  /** Route this plot's pointer, touch and keyboard input to the page. */
  bind(events: PlotEvents): void {
    this.cross.addEventListener('pointermove', (ev) => {
      if (ev.pointerType !== 'touch') events.hover(this.locate(ev));
    });
    this.cross.addEventListener('pointerdown', (ev) => {
      if (ev.pointerType === 'touch') events.tap(this.locate(ev));
    });
    this.cross.addEventListener('pointerleave', (ev) => {
      // A finger lifting also "leaves": a tap pins the readout instead.
      if (ev.pointerType !== 'touch') events.leave();
    });
    this.stack.addEventListener('focus', () => events.focus());
    this.stack.addEventListener('blur', () => events.blur());
    this.stack.addEventListener('keydown', (ev) => {
      const k = ev.shiftKey ? 5 * STEP : STEP;
      const moves: Record<string, [number, number]> = { ArrowLeft: [-k, 0], ArrowRight: [k, 0], ArrowUp: [0, k], ArrowDown: [0, -k] };
      if (moves[ev.key]) {
        ev.preventDefault();
        events.step(...moves[ev.key]);
      } else if (ev.key === 'Escape') events.clear();
    });
  }
}

/** One method's section: title, status line, two plots and a caption, or an error box instead of the plots. */
export class MethodPanel {
  readonly element: HTMLElement;
  readonly probability: Plot;
  readonly uncertainty: Plot;
  private readonly status: HTMLElement;
  private readonly error: HTMLElement;
  readonly extra: HTMLElement;

  constructor(readonly method: string, private readonly label: string, caption: string) {
    this.element = document.createElement('section');
    this.element.className = 'panel';
    this.element.id = `panel-${method}`;
    this.element.dataset.method = method;
    this.element.dataset.state = 'waiting';
    const head = document.createElement('header');
    const h2 = document.createElement('h2');
    h2.textContent = label;
    this.status = document.createElement('span');
    this.status.className = 'status';
    this.status.textContent = 'waiting';
    this.extra = document.createElement('div');
    this.extra.className = 'extra';
    head.append(h2, this.status, this.extra);
    this.error = document.createElement('div');
    this.error.className = 'error';
    this.error.hidden = true;
    this.probability = new Plot(`Class Probability, ${label}`, 'probability');
    this.uncertainty = new Plot(`(Normalized) Predictive Uncertainty, ${label}`, 'uncertainty');
    const plots = document.createElement('div');
    plots.className = 'plots';
    plots.append(this.probability.element, this.uncertainty.element);
    const look = document.createElement('p');
    look.className = 'caption';
    look.textContent = caption;
    this.element.append(head, this.error, plots, look);
  }

  /** Title the uncertainty plot as the tutorial does for the chosen scale. */
  setScale(normalized: boolean): void {
    this.uncertainty.setTitle(`${normalized ? '(Normalized) ' : ''}Predictive Uncertainty, ${this.label}`);
  }

  /** Waiting for or running this model; `what` is the status line. */
  loading(what: string, state: 'waiting' | 'loading' = 'loading'): void {
    this.element.dataset.state = state;
    this.error.hidden = true;
    this.error.removeAttribute('role');
    this.status.textContent = what;
  }

  /** The surfaces are drawn. */
  ready(provider: string, loadMs: number, gridMs: number): void {
    this.element.dataset.state = 'ok';
    this.element.dataset.provider = provider;
    this.element.dataset.gridMs = gridMs.toFixed(1);
    this.error.hidden = true;
    this.status.textContent = `${provider} · load ${loadMs.toFixed(0)} ms · 100×100 grid ${gridMs.toFixed(1)} ms`;
  }

  /**
   * This model could not run.
   * @param message - the error shown in the panel.
   * @param alert - announce it (false when the page-level error already says it).
   */
  failed(message: string, alert = true): void {
    this.element.dataset.state = 'error';
    this.error.hidden = false;
    if (alert) this.error.setAttribute('role', 'alert');
    this.error.textContent = message;
    this.status.textContent = 'failed';
  }

  /** Mark the probed spot on both plots. */
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
  return c;
}

/** 2D context drawing in the plot's coordinates (scaled for the device pixel ratio). */
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
    for (let i = 0; i < o.train.n; i++) if (o.train.y[i] === cls) dot(o.train.x[2 * i], o.train.x[2 * i + 1], 1.8);
    ctx.fillStyle = CLASS_COLOURS[cls];
    ctx.globalAlpha = 0.7;
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  ctx.beginPath();
  const d = 2.6;
  for (let i = 0; i < o.ood.n; i++) {
    const [px, py] = dataToPixel(FRAME, o.ood.x[2 * i], o.ood.x[2 * i + 1]);
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
  ctx.restore();
}

function drawAxes(ctx: CanvasRenderingContext2D): void {
  ctx.strokeStyle = '#333';
  ctx.lineWidth = 1;
  ctx.strokeRect(FRAME.left, FRAME.top, FRAME.width, FRAME.height);
  ctx.fillStyle = '#333';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const bottom = FRAME.top + FRAME.height;
  for (let x = -3; x <= 3; x++) {
    const [px] = dataToPixel(FRAME, x, 0);
    ctx.fillRect(px, bottom, 1, 4);
    ctx.fillText(String(x), px, bottom + 6);
  }
  ctx.fillText('x₁', FRAME.left + FRAME.width / 2, bottom + 22);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let y = -2; y <= 2; y++) {
    const [, py] = dataToPixel(FRAME, 0, y);
    ctx.fillRect(FRAME.left - 4, py, 4, 1);
    ctx.fillText(String(y), FRAME.left - 6, py);
  }
  ctx.save();
  ctx.translate(12, FRAME.top + FRAME.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('x₂', 0, 0);
  ctx.restore();
}

function drawColourBar(ctx: CanvasRenderingContext2D, max: number): void {
  const { top, height } = FRAME;
  const grad = ctx.createLinearGradient(0, top + height, 0, top);
  for (let t = 0; t <= 16; t++) grad.addColorStop(t / 16, rgbCss(viridis(t / 16)));
  ctx.fillStyle = grad;
  ctx.fillRect(BAR.left, top, BAR.width, height);
  ctx.strokeStyle = '#333';
  ctx.strokeRect(BAR.left, top, BAR.width, height);
  ctx.fillStyle = '#333';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const digits = max < 1 ? 2 : 1;
  for (let t = 0; t <= 5; t++) {
    const py = top + (1 - t / 5) * height;
    ctx.fillRect(BAR.left + BAR.width, py, 3, 1);
    ctx.fillText(((t / 5) * max).toFixed(digits), BAR.left + BAR.width + 5, py);
  }
}
