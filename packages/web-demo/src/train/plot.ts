/**
 * One small plot of the training panel, in the demo's visual language (src/plot-canvas.ts): a field
 * over the two-moons window (viridis, upscaled smoothly from the panel's grid), the training points
 * in the tutorial's class colours, labelled axes and a colour bar over [0, 1]. Before training it
 * shows the empty axes and points.
 */
import { createPlotCanvas, drawPlot, MOONS_TICKS, type PlotLayout, type PlotPoints } from '../plot-canvas.js';

// The demo's layout shrunk to the panel's 300 px columns: room on the left for x₂ and the y ticks,
// below for x₁, on the right for the colour bar's labels ("1.0").
const LAYOUT: PlotLayout = { width: 300, height: 230, frame: { left: 44, top: 8, width: 204, height: 182 }, bar: { left: 262, width: 12 }, ticks: MOONS_TICKS };

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
    this.canvas = createPlotCanvas(LAYOUT);
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', description);
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
    drawPlot(this.canvas, LAYOUT, { values, size, max: 1 }, { train: points });
  }
}
