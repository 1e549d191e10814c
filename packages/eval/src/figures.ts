/**
 * The tutorial's figures, drawn with Vega-Lite (compiled to Vega, rendered headless to SVG) and
 * rasterised by resvg: per method the class-probability and (normalised) predictive-uncertainty
 * surfaces over the grid, both viridis with colour bars, as smooth images (raster.ts) with the
 * training and OOD points on top, and an overview of all methods. Same look as the web demo.
 */
import { type Dataset, gridSurfaces } from '@sngp/core';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { fieldDataUrl, lookupTable, parseCssColour } from './raster.js';

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
/**
 * Point kinds and their look, shared with the web demo: the tutorial's blue / orange classes and an
 * opaque red diamond for the OOD cluster (red at 10% opacity, as the tutorial has it, reads as grey).
 */
export const POINT_STYLE = {
  kinds: ['training, class 0', 'training, class 1', 'out-of-domain'],
  fills: ['#377eb8', '#ff7f00', '#e41a1c'],
  shapes: ['circle', 'circle', 'diamond'],
} as const;
type Row = Record<string, number | string>;

let viridisLut: Uint8ClampedArray | null = null;
/** viridis as Vega draws it in the colour bars, so image and bar agree exactly. */
function viridis(): Uint8ClampedArray {
  if (!viridisLut) {
    const interpolate = vega.scheme('viridis') as (t: number) => string;
    viridisLut = lookupTable((t) => parseCssColour(interpolate(t)));
  }
  return viridisLut;
}

function points(input: SurfaceInput): Row[] {
  const out: Row[] = [];
  const { train, ood } = input;
  const { kinds } = POINT_STYLE;
  if (train)
    for (let i = 0; i < train.n; i++)
      out.push({ x: train.x[2 * i], y: train.x[2 * i + 1], kind: kinds[Math.min(train.y?.[i] ?? 0, 1)] });
  if (ood) for (let i = 0; i < ood.n; i++) out.push({ x: ood.x[2 * i], y: ood.x[2 * i + 1], kind: kinds[2] });
  // Points outside the plotted window would stretch it; drop them.
  return out.filter((p) => inRange(+p.x, input.xRange) && inRange(+p.y, input.yRange));
}

const inRange = (v: number, r: readonly [number, number]) => v >= r[0] && v <= r[1];

interface PanelOptions {
  width: number;
  height: number;
}

/**
 * The tutorial's titles: "Class Probability, <model>" and "(Normalized) Predictive Uncertainty, <model>".
 * @param kind - which panel.
 * @param model - the model's display name.
 * @returns the title.
 */
export function surfaceTitle(kind: 'probability' | 'uncertainty', model: string): string {
  return kind === 'probability' ? `Class Probability, ${model}` : `(Normalized) Predictive Uncertainty, ${model}`;
}

function panel(input: SurfaceInput, kind: 'probability' | 'uncertainty', o: PanelOptions): Record<string, unknown> {
  // The tutorial's panels: p(class 0), and p(1 - p) divided by its maximum over the grid.
  const { probability, uncertainty } = gridSurfaces(input.probs, input.numClasses, { normalize: true });
  const binary = input.numClasses === 2;
  const isProb = kind === 'probability';
  const values = isProb ? probability : uncertainty;
  const colorTitle = isProb ? 'p(class 0)' : binary ? 'p(1-p) / max' : '(1 - max p) / max';
  const image = fieldDataUrl(values, input.size, viridis(), 1);
  const axis = (title: string) => ({ title, grid: false, tickCount: 7 });
  const xEnc = { field: 'x', type: 'quantitative', scale: { domain: [...input.xRange], nice: false, zero: false }, axis: axis('x₁') };
  const yEnc = { field: 'y', type: 'quantitative', scale: { domain: [...input.yRange], nice: false, zero: false }, axis: axis('x₂') };
  const { kinds, fills, shapes } = POINT_STYLE;
  return {
    width: o.width,
    height: o.height,
    title: { text: surfaceTitle(kind, input.title), fontSize: 13 },
    layer: [
      {
        data: { values: [{ url: image, x: input.xRange[0], x2: input.xRange[1], y: input.yRange[0], y2: input.yRange[1] }] },
        mark: { type: 'image', aspect: false, clip: true },
        encoding: { x: xEnc, x2: { field: 'x2' }, y: yEnc, y2: { field: 'y2' }, url: { field: 'url', type: 'nominal' } },
      },
      {
        // An invisible mark that only carries the colour bar (the image itself has no scale).
        data: { values: [{ v: 0 }, { v: 1 }] },
        mark: { type: 'point', opacity: 0 },
        encoding: {
          color: {
            field: 'v',
            type: 'quantitative',
            scale: { scheme: 'viridis', domain: [0, 1], clamp: true },
            legend: { type: 'gradient', title: colorTitle, gradientLength: o.height - 20, format: '.1f' },
          },
        },
      },
      {
        data: { values: points(input) },
        mark: { type: 'point', filled: true, size: 14, opacity: 0.85, stroke: 'white', strokeWidth: 0.4 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          fill: {
            field: 'kind',
            type: 'nominal',
            scale: { domain: [...kinds], range: [...fills] },
            // Shared across panels, so one legend for the whole figure.
            legend: { title: null, orient: 'bottom', direction: 'horizontal', symbolOpacity: 1 },
          },
          shape: {
            field: 'kind',
            type: 'nominal',
            scale: { domain: [...kinds], range: [...shapes] },
            legend: { title: null, orient: 'bottom', direction: 'horizontal', symbolOpacity: 1 },
          },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
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
  const o = { width: 380, height: 270 };
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: FIGURE_CONFIG,
    hconcat: [panel(input, 'probability', o), panel(input, 'uncertainty', o)],
    resolve: { scale: { color: 'independent', fill: 'shared', shape: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** All methods: one row per method, probability left, uncertainty right. */
export function overviewFigureSpec(inputs: SurfaceInput[]): TopLevelSpec {
  const rows = inputs.map((input) => {
    const o = { width: 300, height: 214 };
    return {
      hconcat: [panel(input, 'probability', o), panel(input, 'uncertainty', o)],
      resolve: { scale: { color: 'independent' } },
    };
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: FIGURE_CONFIG,
    title: { text: 'Two moons: class probability and predictive uncertainty per method', fontSize: 15 },
    vconcat: rows,
    resolve: { scale: { color: 'independent', fill: 'shared', shape: 'shared' } },
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
