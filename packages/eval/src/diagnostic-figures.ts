/**
 * Figures that need no grid, so they work for data of any width (two moons, a CSV, IDX images):
 * a histogram of the default uncertainty score in-domain vs OOD, the ROC curves of OOD detection,
 * and a reliability diagram (in-domain calibration). Vega-Lite specs, rendered like the surfaces
 * (figures.ts: Vega headless to SVG, resvg to PNG). The binning and thinning here are pure.
 */
import type { CalibrationBin, RiskCoverageCurve } from '@sngp/core';
import type { TopLevelSpec } from 'vega-lite';
import { FIGURE_CONFIG, VEGA_LITE_SCHEMA } from './figures.js';

/** Colours of the in-domain and OOD series: the surfaces' class-0 blue and OOD red (figures.ts, web demo). */
const SET_COLOURS = ['#377eb8', '#e41a1c'];
const SETS = ['in-domain test', 'OOD'];

/** Columns of a per-model grid of panels. */
const columnsFor = (panels: number) => Math.min(panels, 2);

/** One model's scores for the histogram. */
export interface ScoreHistogramInput {
  /** Panel title: the model. */
  name: string;
  /** The score of every in-domain test row. */
  test: ArrayLike<number>;
  /** The score of every OOD row. */
  ood: ArrayLike<number>;
  /** AUROC of this score, shown in the title. */
  auroc: number;
}

/** Shared histogram bins of several series: edges and, per series, the fraction of its rows per bin. */
export interface Histogram {
  /** Bin edges, [bins + 1], increasing. */
  edges: number[];
  /** Per series, [bins]: the fraction of that series' finite values in each bin (sums to 1). */
  fractions: number[][];
  /** Values below `edges[0]` that were counted in the first bin (the long tail cut off). */
  clipped: number;
}

/**
 * Bin several series on common equal-width edges; each series is normalised to fractions of its
 * own rows, so sets of different sizes compare. The range runs from the `lowQuantile` quantile of
 * all finite values to their maximum: a few extreme rows (e.g. log(1 - max p) = -220 for a
 * network extrapolating linearly) would otherwise squeeze every other row into one bin; values
 * below it go into the first bin and are counted in `clipped`. Non-finite values are left out. A
 * single value everywhere gets one unit-wide bin around it.
 * @param series - the values of each series.
 * @param bins - number of bins.
 * @param lowQuantile - quantile of the joint values where the range starts (0 = the minimum).
 * @returns the edges, each series' fractions and the clipped count.
 */
export function histogram(series: ArrayLike<number>[], bins = 40, lowQuantile = 0.01): Histogram {
  const all: number[] = [];
  for (const s of series) for (let i = 0; i < s.length; i++) if (Number.isFinite(s[i])) all.push(s[i]);
  if (all.length === 0) return { edges: [0, 1], fractions: series.map(() => [0]), clipped: 0 };
  all.sort((a, b) => a - b);
  let lo = all[Math.min(all.length - 1, Math.floor(lowQuantile * all.length))];
  let hi = all[all.length - 1];
  if (hi === lo) lo = all[0];
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
    bins = 1;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, b) => lo + b * width);
  let clipped = 0;
  const fractions = series.map((s) => {
    const counts = new Array<number>(bins).fill(0);
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      if (!Number.isFinite(s[i])) continue;
      if (s[i] < lo) clipped++;
      counts[Math.min(bins - 1, Math.max(0, Math.floor((s[i] - lo) / width)))]++;
      n++;
    }
    return counts.map((c) => (n > 0 ? c / n : 0));
  });
  return { edges, fractions, clipped };
}

/**
 * Histograms of one uncertainty score per model, in-domain vs OOD (fractions of each set's rows).
 * @param inputs - one per model.
 * @param scoreTitle - the x-axis title (what the score is).
 * @returns the Vega-Lite spec.
 */
export function scoreHistogramSpec(inputs: ScoreHistogramInput[], scoreTitle: string): TopLevelSpec {
  const panels = inputs.map((input) => {
    const h = histogram([input.test, input.ood]);
    const values = h.fractions.flatMap((fr, s) =>
      fr.map((f, b) => ({ x: h.edges[b], x2: h.edges[b + 1], y: f, y0: 0, set: SETS[s] })),
    );
    return {
      width: 320,
      height: 190,
      title: {
        text: `${input.name}: OOD AUROC ${input.auroc.toFixed(4)}`,
        ...(h.clipped > 0 ? { subtitle: `${h.clipped} rows below ${h.edges[0].toPrecision(3)} counted in the first bin` } : {}),
        fontSize: 13,
      },
      data: { values },
      mark: { type: 'rect', opacity: 0.55 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: scoreTitle, scale: { zero: false, nice: false } },
        x2: { field: 'x2' },
        y: { field: 'y', type: 'quantitative', title: 'fraction of rows' },
        y2: { field: 'y0' },
        color: { field: 'set', type: 'nominal', scale: { domain: SETS, range: SET_COLOURS }, legend: { title: null, orient: 'bottom', direction: 'horizontal' } },
      },
    };
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: FIGURE_CONFIG,
    title: { text: `Uncertainty score, in-domain test vs OOD rows`, fontSize: 15 },
    concat: panels,
    columns: columnsFor(panels.length),
    resolve: { scale: { color: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** One ROC curve of the figure. */
export interface RocInput {
  /** Legend label, e.g. "sngp: log(1 - max p)". */
  label: string;
  /** False-positive rates, non-decreasing (core's rocCurve). */
  fpr: ArrayLike<number>;
  /** True-positive rates, non-decreasing. */
  tpr: ArrayLike<number>;
  /** The curve's AUROC, shown in the legend. */
  auroc: number;
  /** Draw dashed (a secondary score). */
  dashed?: boolean;
}

/**
 * Thin a curve for plotting: keep a point when it moved at least `step` (in either coordinate)
 * from the last kept one, and always the first and last points. A curve with one point per row
 * (10,000 rows) becomes a few hundred points that draw the same line.
 * @param fpr - x values.
 * @param tpr - y values.
 * @param step - the smallest move kept.
 * @returns the kept points' indices.
 */
export function thinCurve(fpr: ArrayLike<number>, tpr: ArrayLike<number>, step = 0.002): number[] {
  const keep = [0];
  for (let i = 1; i < fpr.length - 1; i++) {
    const last = keep[keep.length - 1];
    if (Math.abs(fpr[i] - fpr[last]) >= step || Math.abs(tpr[i] - tpr[last]) >= step) keep.push(i);
  }
  if (fpr.length > 1) keep.push(fpr.length - 1);
  return keep;
}

/** One line of {@link curvesSpec}. */
interface Curve {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dashed?: boolean;
}

/**
 * Several curves in one chart (thinned to what a figure can show), optionally over a dashed
 * reference line from (0, 0) to (1, 1); `yMax` caps the y axis (default 1).
 */
function curvesSpec(title: string, xTitle: string, yTitle: string, curves: Curve[], opts: { diagonal?: boolean; yMax?: number } = {}): TopLevelSpec {
  const labels = curves.map((c) => c.label);
  const values = curves.flatMap((c) => thinCurve(c.x, c.y).map((i, order) => ({ x: c.x[i], y: c.y[i], curve: c.label, order, dash: c.dashed ? 'secondary' : 'default' })));
  const axis = (field: 'x' | 'y', text: string, max = 1) => ({ field, type: 'quantitative', title: text, scale: { domain: [0, max] } });
  const diagonal = {
    data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
    mark: { type: 'line', color: '#999', strokeDash: [4, 4], strokeWidth: 1 },
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
  };
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: FIGURE_CONFIG,
    width: 420,
    height: 380,
    title: { text: title, fontSize: 15 },
    layer: [
      ...(opts.diagonal ? [diagonal] : []),
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 2, clip: true },
        encoding: {
          x: axis('x', xTitle),
          y: axis('y', yTitle, opts.yMax ?? 1),
          color: { field: 'curve', type: 'nominal', scale: { domain: labels, scheme: 'category10' }, legend: { title: null, orient: 'bottom', direction: 'vertical', labelLimit: 400 } },
          strokeDash: { field: 'dash', type: 'nominal', scale: { domain: ['default', 'secondary'], range: [[1, 0], [6, 3]] }, legend: null },
          order: { field: 'order', type: 'quantitative' },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

/**
 * ROC curves of OOD detection (OOD rows positive), all models in one chart, with the chance diagonal.
 * @param curves - the curves.
 * @returns the Vega-Lite spec.
 */
export function rocSpec(curves: RocInput[]): TopLevelSpec {
  return curvesSpec(
    'OOD detection: ROC curves',
    'false-positive rate (in-domain rows flagged)',
    'true-positive rate (OOD rows flagged)',
    curves.map((c) => ({ label: `${c.label} (AUROC ${c.auroc.toFixed(4)})`, x: c.fpr, y: c.tpr, dashed: c.dashed })),
    { diagonal: true },
  );
}

/** One risk-coverage curve of {@link riskCoverageSpec}. */
export interface RiskCoverageInput {
  /** Legend label (with the AURC). */
  label: string;
  /** The curve (core's riskCoverageCurve). */
  curve: RiskCoverageCurve;
  /** Draw dashed (OOD rows mixed in). */
  dashed?: boolean;
}

/**
 * Risk-coverage curves: the error rate among the answered rows against the share answered (least
 * uncertain first); lower is better, and a curve that stays low until high coverage means the
 * score puts the errors last. The y axis ends just above the highest risk drawn.
 * @param inputs - the curves.
 * @returns the Vega-Lite spec.
 */
export function riskCoverageSpec(inputs: RiskCoverageInput[]): TopLevelSpec {
  // Skip the first few points (risk over 1-2 rows is 0 or 1 and says nothing) when scaling the axis.
  let top = 0;
  for (const { curve } of inputs) for (let i = Math.floor(curve.risk.length / 20); i < curve.risk.length; i++) top = Math.max(top, curve.risk[i]);
  const yMax = Math.min(1, Math.max(0.02, Math.ceil(top * 1.1 * 50) / 50));
  return curvesSpec(
    'Selective prediction: risk-coverage curves',
    'coverage (share of rows answered, least uncertain first)',
    'risk (error rate among answered rows)',
    inputs.map((c) => ({ label: c.label, x: c.curve.coverage, y: c.curve.risk, dashed: c.dashed })),
    { yMax },
  );
}

/** One model's conformal set sizes by uncertainty (eval's setSizeByUncertainty). */
export interface SetSizeInput {
  /** Legend label (with the coverage and mean size). */
  label: string;
  /** Middle of each bin as a share of the test rows, least uncertain first. */
  x: number[];
  /** Mean set size in the bin. */
  y: number[];
}

/**
 * Conformal set size against uncertainty: test rows in equal-count bins of the default score, the
 * mean set size per bin. A useful rule answers confident rows with one class and widens (or, with
 * LAC, empties) the sets where the model is unsure.
 * @param inputs - one per model with a conformal rule.
 * @param k - classes (the largest set).
 * @returns the Vega-Lite spec.
 */
export function setSizeSpec(inputs: SetSizeInput[], k: number): TopLevelSpec {
  return curvesSpec(
    'Conformal prediction sets: size against uncertainty',
    'test rows by uncertainty (share of rows less uncertain)',
    'mean set size (classes)',
    inputs.map((c) => ({ label: c.label, x: c.x, y: c.y })),
    { yMax: k },
  );
}

/** One model's reliability diagram. */
export interface ReliabilityInput {
  /** Panel title: the model. */
  name: string;
  /** Confidence bins (core's calibrationBins); empty bins are not drawn. */
  bins: CalibrationBin[];
  /** The model's ECE, shown in the title. */
  ece: number;
}

/**
 * Reliability diagrams (in-domain test set): per confidence bin, the accuracy as a bar (labelled
 * with its row count) and the mean confidence as a point; a calibrated model's bars reach the
 * diagonal.
 * @param inputs - one per model.
 * @returns the Vega-Lite spec.
 */
export function reliabilitySpec(inputs: ReliabilityInput[]): TopLevelSpec {
  const panels = inputs.map((input) => {
    const bins = input.bins.filter((b) => b.count > 0);
    const bars = bins.map((b) => ({ lo: b.lo, hi: b.hi, accuracy: b.accuracy, zero: 0, confidence: b.confidence, count: b.count }));
    const x = { type: 'quantitative', scale: { domain: [0, 1], nice: false } };
    const y = { type: 'quantitative', scale: { domain: [0, 1] } };
    return {
      width: 300,
      height: 240,
      title: { text: `${input.name}: ECE ${input.ece.toFixed(4)}`, fontSize: 13 },
      layer: [
        {
          data: { values: bars },
          mark: { type: 'rect', color: '#377eb8', opacity: 0.75, stroke: 'white', strokeWidth: 0.5 },
          encoding: {
            x: { field: 'lo', ...x, title: 'confidence (max p)' },
            x2: { field: 'hi' },
            y: { field: 'accuracy', ...y, title: 'accuracy' },
            y2: { field: 'zero' },
          },
        },
        {
          data: { values: bars },
          mark: { type: 'point', filled: true, color: '#d62728', size: 30 },
          encoding: { x: { field: 'confidence', ...x }, y: { field: 'accuracy', ...y } },
        },
        {
          data: { values: [{ a: 0 }, { a: 1 }] },
          mark: { type: 'line', color: '#555', strokeDash: [4, 4], strokeWidth: 1 },
          encoding: { x: { field: 'a', ...x }, y: { field: 'a', ...y } },
        },
        {
          // Rows per bin: a bar of 3 rows says little, one of 900 a lot.
          data: { values: bars.map((b) => ({ ...b, mid: (b.lo + b.hi) / 2, label: String(b.count) })) },
          mark: { type: 'text', fontSize: 8, dy: -6, color: '#333' },
          encoding: { x: { field: 'mid', ...x }, y: { field: 'accuracy', ...y }, text: { field: 'label', type: 'nominal' } },
        },
      ],
    };
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: FIGURE_CONFIG,
    title: {
      text: 'Reliability (in-domain test set): accuracy per confidence bin',
      subtitle: 'bars: accuracy (numbers: rows in the bin); red points: mean confidence of the bin; dashed: perfect calibration',
      fontSize: 15,
    },
    concat: panels,
    columns: columnsFor(panels.length),
  } as unknown as TopLevelSpec;
}
