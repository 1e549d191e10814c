import { createPlotCanvas, type DecisionField, drawDecisionPlot, drawPlot, MOONS_TICKS, type OodPoints, type PlotLayout, type PlotOverlay, plotContext } from './plot-canvas.js';
import { dataToPixel, EXTENT, pixelToData } from './surface.js';

/** Points drawn on every plot of the page: training data by class and the OOD cluster. */
export interface Overlay extends PlotOverlay {
  /** The out-of-domain cluster (red diamonds). */
  ood: OodPoints;
}

// The plot's drawing coordinates (CSS px at full size; the canvas scales down with its column):
// axes and their labels on the left/bottom, colour bar on the right.
const LAYOUT: PlotLayout = { width: 380, height: 280, frame: { left: 46, top: 8, width: 256, height: 228 }, bar: { left: 316, width: 14 }, ticks: MOONS_TICKS };

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
    this.base = createPlotCanvas(LAYOUT);
    this.cross = createPlotCanvas(LAYOUT);
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
    drawPlot(this.base, LAYOUT, { values, size: EXTENT.size, max }, overlay);
  }

  /**
   * Draw the decisions view instead of a field: set size per cell and the abstain region.
   * @param field - set sizes and abstain flags of the grid.
   * @param overlay - training and OOD points.
   */
  drawDecisions(field: DecisionField, overlay: Overlay): void {
    drawDecisionPlot(this.base, LAYOUT, field, overlay);
  }

  /** Mark the probed spot (null clears it). */
  mark(point: [number, number] | null): void {
    const ctx = plotContext(this.cross, LAYOUT);
    ctx.clearRect(0, 0, LAYOUT.width, LAYOUT.height);
    if (!point) return;
    const [px, py] = dataToPixel(LAYOUT.frame, point[0], point[1]);
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
    return pixelToData(LAYOUT.frame, ((ev.clientX - r.left) * LAYOUT.width) / r.width, ((ev.clientY - r.top) * LAYOUT.height) / r.height);
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
  /** The uncertainty plot's decisions toggle (set size and abstain region instead of p(1 - p)). */
  readonly decisions: HTMLInputElement;
  /** The decision rules in words (alpha, quantile, threshold), under the toggle. */
  readonly decisionsNote: HTMLElement;

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
    const toggle = document.createElement('label');
    toggle.className = 'decisions-toggle';
    this.decisions = document.createElement('input');
    this.decisions.type = 'checkbox';
    this.decisions.name = `decisions-${method}`;
    toggle.append(this.decisions, ' decisions: prediction-set size and abstain region');
    this.decisionsNote = document.createElement('p');
    this.decisionsNote.className = 'decisions-note';
    this.decisionsNote.hidden = true;
    this.uncertainty.element.append(toggle, this.decisionsNote);
    const plots = document.createElement('div');
    plots.className = 'plots';
    plots.append(this.probability.element, this.uncertainty.element);
    const look = document.createElement('p');
    look.className = 'caption';
    look.textContent = caption;
    this.element.append(head, this.error, plots, look);
  }

  /** Title the uncertainty plot as the tutorial does for the chosen scale, or as the decisions view. */
  setScale(normalized: boolean): void {
    this.uncertainty.setTitle(
      this.decisions.checked ? `Set Size and Abstain, ${this.label}` : `${normalized ? '(Normalized) ' : ''}Predictive Uncertainty, ${this.label}`,
    );
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
