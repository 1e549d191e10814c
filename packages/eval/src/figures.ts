/**
 * The tutorial's figures, drawn with Vega-Lite (compiled to Vega, rendered headless to SVG) and
 * rasterised by resvg: per method the class-probability and predictive-uncertainty surfaces over
 * the grid with training and OOD points on top, and an overview of all methods.
 */
import { type Dataset, gridSurfaces, maxPlotUncertainty } from '@sngp/core';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface SurfaceInput {
  /** Panel title prefix, e.g. the method. */
  title: string;
  size: number;
  xRange: readonly [number, number];
  yRange: readonly [number, number];
  /** Grid probabilities [size*size, K], x fastest (core's moonsGrid order). */
  probs: Float32Array;
  numClasses: number;
  train: Dataset | null;
  ood: Dataset | null;
}

/** The font of every figure (Debian's fonts-dejavu, which resvg finds among the system fonts). */
export const FONT = 'DejaVu Sans';
const POINT_KINDS = ['train: class 0', 'train: class 1', 'OOD'];
const POINT_FILLS = ['#ff9d00', '#00c2a8', '#ffffff'];
type Row = Record<string, number | string>;

/** One rectangle per grid cell, a touch larger than the cell so no hairline gaps show after rasterising. */
function cells(input: SurfaceInput, values: Float32Array): Row[] {
  const { size: n, xRange, yRange } = input;
  const hx = ((xRange[1] - xRange[0]) / (n - 1)) * 0.51;
  const hy = ((yRange[1] - yRange[0]) / (n - 1)) * 0.51;
  const rows: Row[] = new Array(n * n);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) {
      const x = xRange[0] + ((xRange[1] - xRange[0]) * c) / (n - 1);
      const y = yRange[0] + ((yRange[1] - yRange[0]) * r) / (n - 1);
      const i = r * n + c;
      rows[i] = { x: x - hx, x2: x + hx, y: y - hy, y2: y + hy, v: values[i], s: values[i] };
    }
  return rows;
}

function points(input: SurfaceInput): Row[] {
  const out: Row[] = [];
  const { train, ood } = input;
  if (train)
    for (let i = 0; i < train.n; i++)
      out.push({ x: train.x[2 * i], y: train.x[2 * i + 1], kind: POINT_KINDS[Math.min(train.y?.[i] ?? 0, 1)] });
  if (ood) for (let i = 0; i < ood.n; i++) out.push({ x: ood.x[2 * i], y: ood.x[2 * i + 1], kind: POINT_KINDS[2] });
  // Points outside the plotted window would stretch it; drop them.
  return out.filter((p) => inRange(+p.x, input.xRange) && inRange(+p.y, input.yRange));
}

const inRange = (v: number, r: readonly [number, number]) => v >= r[0] && v <= r[1];

interface PanelOptions {
  width: number;
  height: number;
  showColorLegend: boolean;
}

function panel(input: SurfaceInput, kind: 'probability' | 'uncertainty', o: PanelOptions): Record<string, unknown> {
  const { probability, uncertainty } = gridSurfaces(input.probs, input.numClasses);
  const binary = input.numClasses === 2;
  const isProb = kind === 'probability';
  const values = isProb ? probability : uncertainty;
  const colorTitle = isProb ? 'p(class 0)' : binary ? 'p(1 - p)' : '1 - max p';
  const domain = [0, isProb ? 1 : maxPlotUncertainty(input.numClasses)];
  const colorLegend = o.showColorLegend ? { type: 'gradient', title: colorTitle, gradientLength: o.height - 20, format: '.2f' } : null;
  const axis = (title: string) => ({ title, grid: false, tickCount: 7 });
  const xEnc = { field: 'x', type: 'quantitative', scale: { domain: [...input.xRange], nice: false, zero: false }, axis: axis('x') };
  const yEnc = { field: 'y', type: 'quantitative', scale: { domain: [...input.yRange], nice: false, zero: false }, axis: axis('y') };
  return {
    width: o.width,
    height: o.height,
    title: { text: `${input.title}: ${isProb ? 'class probability' : 'predictive uncertainty'}`, fontSize: 13 },
    layer: [
      {
        data: { values: cells(input, values) },
        mark: { type: 'rect', clip: true, strokeWidth: 0.5 },
        encoding: {
          x: xEnc,
          x2: { field: 'x2' },
          y: yEnc,
          y2: { field: 'y2' },
          color: {
            field: 'v',
            type: 'quantitative',
            // redblue: p(class 0) = 1 is blue, 0 red, 0.5 white ("don't know"); viridis as the tutorial.
            scale: { scheme: isProb ? 'redblue' : 'viridis', domain, clamp: true },
            legend: colorLegend,
          },
          // A same-coloured outline hides the anti-aliasing seams between neighbouring cells (its own
          // field 's' so Vega-Lite does not merge it into the colour bar).
          stroke: { field: 's', type: 'quantitative', scale: { scheme: isProb ? 'redblue' : 'viridis', domain, clamp: true }, legend: null },
        },
      },
      {
        data: { values: points(input) },
        mark: { type: 'point', filled: true, size: 14, opacity: 0.9, stroke: '#222', strokeWidth: 0.4 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          fill: {
            field: 'kind',
            type: 'nominal',
            scale: { domain: POINT_KINDS, range: POINT_FILLS },
            // Shared across panels, so one legend for the whole figure.
            legend: { title: null, orient: 'bottom', direction: 'horizontal' },
          },
          shape: {
            field: 'kind',
            type: 'nominal',
            scale: { domain: POINT_KINDS, range: ['circle', 'circle', 'diamond'] },
            legend: { title: null, orient: 'bottom', direction: 'horizontal' },
          },
        },
      },
    ],
    resolve: { scale: { color: 'independent', stroke: 'independent' } },
  };
}

/** Vega-Lite schema every spec declares. */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Shared look of every figure (white background, DejaVu Sans as resvg has it). */
export const FIGURE_CONFIG = {
  background: 'white',
  font: FONT,
  view: { stroke: '#888' },
  concat: { spacing: 24 },
  legend: { labelFontSize: 11, titleFontSize: 11 },
};

/** Probability and uncertainty side by side for one method. */
export function methodFigureSpec(input: SurfaceInput): TopLevelSpec {
  const o = { width: 380, height: 270, showColorLegend: true };
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: FIGURE_CONFIG,
    hconcat: [panel(input, 'probability', o), panel(input, 'uncertainty', o)],
    resolve: { scale: { color: 'independent', stroke: 'independent', fill: 'shared', shape: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** All methods: one row per method, probability left, uncertainty right. */
export function overviewFigureSpec(inputs: SurfaceInput[]): TopLevelSpec {
  const rows = inputs.map((input) => {
    const o = { width: 300, height: 214, showColorLegend: true };
    return {
      hconcat: [panel(input, 'probability', o), panel(input, 'uncertainty', o)],
      resolve: { scale: { color: 'independent', stroke: 'independent' } },
    };
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: FIGURE_CONFIG,
    title: { text: 'Two moons: class probability and predictive uncertainty per method', fontSize: 15 },
    vconcat: rows,
    resolve: { scale: { color: 'independent', stroke: 'independent', fill: 'shared', shape: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** Vega-Lite -> Vega -> SVG, headless (no canvas: the 'none' renderer). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG -> PNG with resvg, at `scale` x the chart's CSS size. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return new Uint8Array(resvg.render().asPng());
}

export async function renderPng(spec: TopLevelSpec, scale = 2): Promise<Uint8Array> {
  return svgToPng(await renderSvg(spec), scale);
}
