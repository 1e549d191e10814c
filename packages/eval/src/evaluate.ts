/**
 * Evaluation of one loaded model through the runtime: in-domain calibration metrics, OOD
 * detection, grid probabilities and latency. The metric math itself is core's.
 */
import {
  DEFAULT_UNCERTAINTY_SCORE,
  type UncertaintyScoreName,
  type UncertaintyScores,
  accuracy,
  aupr,
  auroc,
  brier,
  calibrationBins,
  calibratedEceFloor,
  ece,
  nll,
} from '@sngp/core';
import { checkDataFitsModel, type EvalData } from './data.js';
import { decisionResult } from './decisions.js';
import { distanceAwareness } from './distance-awareness.js';
import { selectivePrediction } from './selective.js';
import type { ClassificationMetrics, EvalModel, LatencyResult, ModelResult, OodMetrics, OodResult } from './types.js';

/** ECE bins (the tutorial's and Uncertainty Baselines' 15). */
export const ECE_BINS = 15;

export function classificationMetrics(probs: Float32Array, labels: Int32Array, k: number): ClassificationMetrics {
  return {
    accuracy: accuracy(probs, labels, k),
    nll: nll(probs, labels, k),
    brier: brier(probs, labels, k),
    ece: ece(probs, labels, k, ECE_BINS),
    eceFloor: calibratedEceFloor(probs, k, 200, ECE_BINS).median,
  };
}

/**
 * AUROC and AUPR of one score: OOD rows are the positives, so a higher score should mean "more
 * likely OOD". Tied scores are handled as ties (core's metrics), never broken by order.
 * @param inDomainScores - the score of every in-domain test row.
 * @param oodScores - the score of every OOD row.
 * @returns AUROC and AUPR.
 */
export function oodMetrics(inDomainScores: ArrayLike<number>, oodScores: ArrayLike<number>): OodMetrics {
  const scores = new Float64Array(inDomainScores.length + oodScores.length);
  scores.set(inDomainScores);
  scores.set(oodScores, inDomainScores.length);
  const positive = new Uint8Array(scores.length);
  positive.fill(1, inDomainScores.length);
  return { auroc: auroc(scores, positive), aupr: aupr(scores, positive) };
}

/** Report order of the scores (the default first). */
export const SCORE_ORDER: readonly UncertaintyScoreName[] = ['logNonMax', 'entropy', 'variance'];

/**
 * OOD detection by every score the model has; `auroc` / `aupr` are the default score's.
 * @param test - the runtime's scores of the in-domain test rows.
 * @param ood - the runtime's scores of the OOD rows.
 * @returns per-score metrics and the default score's.
 */
export function oodDetection(test: UncertaintyScores, ood: UncertaintyScores): OodResult {
  const byScore: OodResult['byScore'] = {};
  for (const name of SCORE_ORDER) {
    const a = test[name];
    const b = ood[name];
    if (a && b) byScore[name] = oodMetrics(a, b);
  }
  const score = DEFAULT_UNCERTAINTY_SCORE;
  const main = byScore[score] as OodMetrics;
  return { auroc: main.auroc, aupr: main.aupr, rows: ood.logNonMax.length, score, byScore };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Wall time of `predict` on `x`: one warm-up run first (session and kernel set-up at this batch
 * size are not latency), unless `warm` says these rows were just predicted.
 * @param model - the model to time.
 * @param x - the rows, row-major [n, inputDim].
 * @param runs - timed runs (default 5; the median is reported).
 * @param warm - true when `x` was just predicted, so no warm-up run is needed (default false).
 * @returns rows, runs, median and minimum wall time in ms.
 */
export async function measureLatency(model: EvalModel, x: Float32Array, runs = 5, warm = false): Promise<LatencyResult> {
  const rows = x.length / model.info.inputDim;
  if (!warm) await model.predict(x, { seed: 0 });
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await model.predict(x, { seed: r + 1 });
    times.push(performance.now() - t0);
  }
  return { rows, runs, medianMs: median(times), minMs: Math.min(...times) };
}

export interface EvaluateOptions {
  /** Display name (default: the method). */
  name?: string;
  /** Model file, for the report. */
  file?: string;
  /** Timed latency runs (median reported). */
  latencyRuns?: number;
}

/** SNGP with a calibration fit in its card: the test ECE as it was before the fit (lambda before, T = 1). */
async function uncalibratedEce(model: EvalModel, x: Float32Array, y: Int32Array, k: number): Promise<{ eceUncalibrated?: number }> {
  const before = model.info.card?.calibration?.meanFieldFactorBefore;
  if (model.info.method !== 'sngp' || typeof before !== 'number') return {};
  const p = await model.predict(x, { seed: 0, meanFieldFactor: before, temperature: 1 });
  return { eceUncalibrated: ece(p.probs, y, k, ECE_BINS) };
}

export async function evaluateModel(model: EvalModel, data: EvalData, opts: EvaluateOptions = {}): Promise<ModelResult> {
  const { info } = model;
  const label = opts.file ?? opts.name ?? info.method;
  checkDataFitsModel(data.name, data.test, info, label);
  const k = info.classes.length;
  // Fixed seed: MC dropout's noise is drawn from it, so a report is reproducible.
  const test = await model.predict(data.test.x, { seed: 0 });
  if (!data.test.y) throw new Error(`${data.name}: evaluation data has no labels`);
  const ood = data.ood ? await model.predict(data.ood.x, { seed: 0 }) : null;
  const selective = selectivePrediction(test.predicted, data.test.y, test.scores, ood?.scores ?? null);
  const result: ModelResult = {
    name: opts.name ?? info.method,
    file: opts.file ?? '',
    method: info.method,
    provider: info.provider,
    classes: info.classes,
    test: { ...classificationMetrics(test.probs, data.test.y, k), ...(await uncalibratedEce(model, data.test.x, data.test.y, k)), rows: data.test.n },
    reliability: calibrationBins(test.probs, data.test.y, k, ECE_BINS),
    ood: ood && oodDetection(test.scores, ood.scores),
    latency: { rows: 0, runs: 0, medianMs: NaN, minMs: NaN },
    grid: null,
    distanceAwareness: null,
    selective: selective.result,
    selectiveCurves: selective.curves,
    decisions: decisionResult(info.card, test, data.test.y, ood),
    scores: { test: test.scores, ood: ood?.scores ?? null },
  };
  if (data.grid) {
    const g = await model.predict(data.grid.dataset.x, { seed: 0 });
    result.grid = { size: data.grid.size, probs: g.probs };
    if (data.train) result.distanceAwareness = distanceAwareness(g.scores, data.grid.dataset, data.train);
  }
  // Two moons times the grid it has just predicted: that was the warm-up.
  result.latency = await measureLatency(model, data.latency, opts.latencyRuns ?? 5, data.grid !== null && data.latency === data.grid.dataset.x);
  return result;
}

/** p(class 0) at the grid's four corners (order: bottom-left, bottom-right, top-left, top-right). */
export function cornerProbabilities(grid: { size: number; probs: Float32Array }, k: number): number[] {
  const n = grid.size;
  return [0, n - 1, n * (n - 1), n * n - 1].map((i) => grid.probs[i * k]);
}
