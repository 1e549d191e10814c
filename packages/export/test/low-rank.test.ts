/**
 * The low-rank posterior on real data (the main job's 100-epoch two-moons SNGP checkpoint): the
 * default export's variance against the FULL float64 posterior on the grid, test and OOD sets, the
 * proven bound for several tolerances, and graph parity of each op formulation (Cos or polynomial
 * random features, full or low-rank head) with the float64 reference.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import {
  type Checkpoint,
  decodeModelCard,
  encodeModelCard,
  lowRankFactor,
  lowRankVariance,
  type PosteriorSpectrum,
  rankForTolerance,
  truncationBound,
  twoMoons,
} from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { loadModel } from '@sngp/runtime';
import {
  type BakedModel,
  bakeCheckpoint,
  decodeModel,
  DEFAULT_VARIANCE_TOLERANCE,
  encodeModel,
  exportModel,
  MAX_FEATURE_NORM_SQUARED,
  modelCardFor,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  type ReferenceOutput,
  verificationPoints,
  verifyModel,
} from '../src/index.js';
import { referenceFeatures } from '../src/reference.js';
import { sngpGraph, type RandomFeatureOp } from '../src/graphs/sngp.js';
import { PKG_DIR, randomCheckpoint } from './fixtures.js';

const CHECKPOINT = resolve(PKG_DIR, '../../artifacts/checkpoints/sngp');

let ckpt: Checkpoint;
let full: BakedModel; // posterior 'full': the reference's Cholesky factor and the full covariance
let exported: ReturnType<typeof exportModel>; // the auto export
/** The precision's spectrum (the export's, not decomposed again), for the tests that pick their own ranks. */
let spectrum: PosteriorSpectrum;
/** The verification points (grid, test, OOD in that order) and their FULL-posterior float64 reference. */
let points: ReturnType<typeof verificationPoints>;
let reference: ReferenceOutput;
/** Row ranges of the three point sets the acceptance names, inside `points`. */
const SETS = (() => {
  const { grid, test, ood } = twoMoons(0);
  return { grid: [0, grid.n], test: [grid.n, grid.n + test.n], ood: [grid.n + test.n, grid.n + test.n + ood.n] } as const;
})();
/**
 * Every 5th verification point (2,300 rows across grid, test and OOD) for the checks that repeat
 * per tolerance or per formulation: the bound holds for any input, so a spread subset tests it as
 * well as all rows, at a fifth of the float64 cost.
 */
let sub: { x: Float32Array; n: number; rows: number[] };

function maxRel(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1e-12));
  return m;
}

function maxAbs(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - ref[i]));
  return m;
}

/** The reference's rows `rows` (variance [n], logits [n, 2]). */
function referenceRows(rows: number[]): { variance: Float64Array; logits: Float64Array } {
  const variance = Float64Array.from(rows, (r) => reference.variance![r]);
  const logits = new Float64Array(rows.length * 2);
  rows.forEach((r, i) => logits.set(reference.logits.subarray(2 * r, 2 * r + 2), 2 * i));
  return { variance, logits };
}

async function runGraph(bytes: Uint8Array, x: Float32Array, n: number): Promise<{ logits: Float32Array; variance: Float32Array }> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    const out = await s.run({ features: new ort.Tensor('float32', x, [n, 2]) });
    return { logits: out.logits.data as Float32Array, variance: out.variance.data as Float32Array };
  } finally {
    await s.release();
  }
}

/** The SNGP graph of `baked` with `randomFeatures`, and its model card (the runtime needs one). */
function graphBytes(baked: BakedModel, randomFeatures: RandomFeatureOp): Uint8Array {
  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    producerName: 'test',
    producerVersion: '0',
    metadataProps: encodeModelCard(modelCardFor(baked, false)),
    graph: sngpGraph(baked, { randomFeatures }),
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
  });
}

beforeAll(() => {
  if (!existsSync(CHECKPOINT)) throw new Error(`${CHECKPOINT} is missing: run \`npx turbo run train --filter=@sngp/pipeline\` first`);
  ckpt = readCheckpoint(CHECKPOINT);
  full = bakeCheckpoint(ckpt, { posterior: 'full' });
  exported = exportModel(ckpt, { posterior: 'auto' });
  spectrum = exported.baked.gp!.posterior.spectrum!;
  points = verificationPoints(ckpt.config);
  // The export measured its error against this (full posterior, all verification points): reuse it.
  reference = exported.verificationReference!;
  expect(reference.variance!.length).toBe(points.n);
  const rows: number[] = [];
  for (let r = 0; r < points.n; r += 5) rows.push(r);
  sub = { rows, n: rows.length, x: Float32Array.from(rows.flatMap((r) => [points.x[2 * r], points.x[2 * r + 1]])) };
}, 300_000);

describe('low-rank posterior on the two-moons SNGP (artifacts/checkpoints/sngp)', () => {
  it('--posterior auto (default tolerance) is low-rank with a proven bound <= the tolerance, recorded in the model card', () => {
    const { report } = exported;
    const post = report.posterior!;
    const m = post.numRandomFeatures;
    console.log(`auto export: rank ${post.rank} of ${m}, proven ${post.relativeErrorBound.toExponential(2)} relative / ` +
      `${post.absoluteErrorBound.toExponential(2)} absolute, measured ${post.measuredRelativeError.toExponential(2)} over ${post.measuredOver}`);
    expect(post.kind).toBe('low-rank');
    expect(post.requested).toBe('auto');
    expect(post.rank).toBeLessThanOrEqual(m / 2);
    expect(post.relativeErrorBound).toBeLessThanOrEqual(DEFAULT_VARIANCE_TOLERANCE);
    expect(post.measuredRelativeError).toBeLessThanOrEqual(post.relativeErrorBound);
    expect(post.measuredRelativeError).toBeGreaterThan(0);
    expect(post.measuredOver).toMatch(/grid \(10000\) \+ test \(1000\) \+ OOD \(500\)/);
    const props = Object.fromEntries(decodeModel(exported.bytes).metadataProps.map((p) => [p.key, p.value]));
    expect(props['sngp.posterior']).toBe('low-rank');
    expect(Number(props['sngp.posterior_rank'])).toBe(post.rank);
    const card = decodeModelCard(props);
    expect(card.posterior).toEqual({
      kind: 'low-rank',
      rank: post.rank,
      relativeErrorBound: post.relativeErrorBound,
      absoluteErrorBound: post.absoluteErrorBound,
      measuredRelativeError: post.measuredRelativeError,
    });
    // The graph carries one [M, K + r] head instead of the [M, M] covariance.
    const inits = decodeModel(exported.bytes).graph.initializer;
    expect(inits.find((t) => t.name === 'gp.head_scaled')?.dims).toEqual([m, 2 + post.rank]);
    expect(inits.some((t) => t.dims.length === 2 && t.dims[0] === m && t.dims[1] === m)).toBe(false);
  });

  it('without options the posterior is auto (the default); auto\'s variance (onnxruntime, float32) is within 1e-3 relative of the FULL float64 posterior on the grid, test and OOD sets', async () => {
    expect(full.gp!.posterior.kind).toBe('full');
    expect(bakeCheckpoint(randomCheckpoint('sngp', { precisionRows: 8 })).gp!.posterior).toMatchObject({ kind: 'low-rank', requested: 'auto' });
    const model = await loadModel(exported.bytes, { device: 'cpu', strict: true });
    try {
      const out = await model.runGraph({ features: { data: points.x, dims: [points.n, 2] } });
      for (const [name, [from, to]] of Object.entries(SETS)) {
        const rel = maxRel(out.variance.data.subarray(from, to), reference.variance!.subarray(from, to));
        const logits = maxAbs(out.logits.data.subarray(2 * from, 2 * to), reference.logits.subarray(2 * from, 2 * to));
        console.log(`${name}: variance max relative error vs full ${rel.toExponential(2)}, logits ${logits.toExponential(2)}`);
        expect(rel, name).toBeLessThanOrEqual(1e-3);
        expect(logits, name).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      await model.dispose();
    }
  }, 300_000);

  it('for several tolerances the float64 truncation error stays within the proven bound on every set', () => {
    const gp = full.gp!;
    // Per set, the subset's rows of that set.
    const phi = referenceFeatures(full, sub.x, sub.n);
    const ref = referenceRows(sub.rows).variance;
    const setOf = (r: number) => (Object.entries(SETS).find(([, [from, to]]) => r >= from && r < to)![0]);
    let lastRank = 0;
    for (const tol of [1e-1, 1e-2, 1e-3, DEFAULT_VARIANCE_TOLERANCE, 1e-4]) {
      const rank = rankForTolerance(spectrum.shrinkage, tol)!;
      const bound = truncationBound(spectrum.shrinkage, rank);
      expect(bound.relative).toBeLessThanOrEqual(tol);
      expect(rank).toBeGreaterThan(lastRank);
      lastRank = rank;
      const factor = lowRankFactor(spectrum, rank);
      const approx = lowRankVariance(phi, sub.n, factor, gp.m, rank);
      const worst: Record<string, number> = {};
      for (let i = 0; i < sub.n; i++) {
        const name = setOf(sub.rows[i]);
        const err = approx[i] - ref[i];
        // Upwards up to float64 rounding (the reference is a triangular solve, ~1e-15 relative).
        expect(err / ref[i], `${name} tol ${tol}`).toBeGreaterThan(-1e-9);
        expect(err).toBeLessThanOrEqual(bound.perSquaredNorm * 2 + 1e-12);
        worst[name] = Math.max(worst[name] ?? 0, err / ref[i]);
      }
      for (const [name, w] of Object.entries(worst)) expect(w, `${name} tol ${tol}`).toBeLessThanOrEqual(bound.relative + 1e-9);
      expect(Object.keys(worst).sort()).toEqual(['grid', 'ood', 'test']);
      const line = Object.entries(worst).map(([name, w]) => `${name} ${w.toExponential(2)}`);
      console.log(`tolerance ${tol}: rank ${rank}, proven ${bound.relative.toExponential(2)}, measured ${line.join(', ')}`);
    }
  }, 300_000);
});

describe('graph parity of each op formulation with the float64 reference', () => {
  for (const randomFeatures of ['cos', 'polynomial'] as const)
    for (const posterior of ['full', 'low-rank'] as const)
      it(`two-moons SNGP, ${posterior} posterior, ${randomFeatures} random features: logits within 1e-5, variance within 1e-3 + bound`, async () => {
        const baked = posterior === 'full' ? full : exported.baked;
        const out = await runGraph(graphBytes(baked, randomFeatures), sub.x, sub.n);
        const ref = referenceRows(sub.rows);
        const logits = maxAbs(out.logits, ref.logits);
        const variance = maxRel(out.variance, ref.variance);
        console.log(`${posterior} / ${randomFeatures}: logits ${logits.toExponential(2)}, variance relative ${variance.toExponential(2)}`);
        expect(logits).toBeLessThanOrEqual(1e-5);
        expect(variance).toBeLessThanOrEqual(1e-3 + baked.gp!.posterior.relativeErrorBound);
      }, 120_000);

  it('random-weight fixtures (M = 64, K = 3, standardised 3-D input): every formulation verifies, logits within 1e-5', async () => {
    const ck = randomCheckpoint('sngp', { hp: { inputDim: 3, numClasses: 3 }, standardization: { mean: [1, -2, 0.5], std: [2, 0.5, 3] } });
    for (const randomFeatures of ['cos', 'polynomial'] as const)
      for (const posterior of ['full', 'low-rank'] as const) {
        const { bytes, baked, report } = exportModel(ck, { posterior, randomFeatures, varianceTolerance: 1e-3, meanFieldProbs: true });
        expect(report.posterior!.kind).toBe(posterior);
        const v = await verifyModel(bytes, baked);
        expect(v.failures, `${posterior} / ${randomFeatures}`).toEqual([]);
        expect(v.maxLogitsDiff, `${posterior} / ${randomFeatures}`).toBeLessThanOrEqual(1e-5);
        expect(v.tolerances.varianceRel).toBeCloseTo(1e-3 + report.posterior!.relativeErrorBound, 15);
      }
  }, 120_000);

  it('verification measures the low-rank error against the FULL posterior: a loose tolerance is visible, and fails without its allowance', async () => {
    // The default export's weights with the posterior that tolerance 0.05 picks, from the spectrum
    // above (what bakeCheckpoint would build, without another eigendecomposition). The verification
    // reference is the same (full posterior, same points) for both.
    const rank = rankForTolerance(spectrum.shrinkage, 0.05)!;
    expect(rank).toBeLessThan(exported.report.posterior!.rank);
    const bound = truncationBound(spectrum.shrinkage, rank);
    const looseBaked: BakedModel = {
      ...exported.baked,
      gp: {
        ...exported.baked.gp!,
        posterior: {
          ...exported.baked.gp!.posterior,
          tolerance: 0.05,
          rank,
          relativeErrorBound: bound.relative,
          absoluteErrorBound: bound.perSquaredNorm * MAX_FEATURE_NORM_SQUARED,
          factor: lowRankFactor(spectrum, rank),
        },
      },
    };
    const post = looseBaked.gp!.posterior;
    const loose = { bytes: graphBytes(looseBaked, 'cos'), baked: looseBaked };
    const v = await verifyModel(loose.bytes, loose.baked, { reference });
    expect(v.passed).toBe(true);
    // The graph's error is the truncation plus float32 rounding: far above the default export's, at
    // least the float64 truncation error on the subset (a max over fewer rows), within the bound.
    const truncation = maxRel(lowRankVariance(referenceFeatures(full, sub.x, sub.n), sub.n, post.factor!, looseBaked.gp!.m, post.rank), referenceRows(sub.rows).variance);
    console.log(`loose (tolerance 0.05): rank ${post.rank}, float64 truncation ${truncation.toExponential(2)} on the subset, graph ${v.maxVarianceRelDiff!.toExponential(2)}`);
    expect(v.maxVarianceRelDiff!).toBeGreaterThan(1e-3);
    expect(v.maxVarianceRelDiff!).toBeGreaterThanOrEqual(truncation - 1e-4);
    expect(v.maxVarianceRelDiff!).toBeLessThanOrEqual(post.relativeErrorBound + 1e-3);
    // The same graph checked as if it were full (no truncation allowance) fails.
    const asFull = { ...loose.baked, gp: { ...loose.baked.gp!, posterior: { ...loose.baked.gp!.posterior, relativeErrorBound: 0 } } };
    const strict = await verifyModel(loose.bytes, asFull, { reference });
    expect(strict.passed).toBe(false);
    expect(strict.failures.join()).toMatch(/max variance relative diff/);
  }, 300_000);
});

describe('model card posterior keys', () => {
  const base = { 'sngp.format_version': '1', 'sngp.method': 'sngp', 'sngp.classes': '["a","b"]', 'sngp.feature_names': '["x","y"]', 'sngp.mean_field_factor': '0.3' };
  const keys = { 'sngp.posterior': 'low-rank', 'sngp.posterior_rank': '122', 'sngp.variance_error_bound': '5e-4', 'sngp.variance_abs_error_bound': '1e-3', 'sngp.variance_error_measured': '4e-5' };

  it('older models without them still load (posterior null); complete keys decode', () => {
    expect(decodeModelCard(base).posterior).toBeNull();
    expect(decodeModelCard({ ...base, ...keys }).posterior).toEqual({ kind: 'low-rank', rank: 122, relativeErrorBound: 5e-4, absoluteErrorBound: 1e-3, measuredRelativeError: 4e-5 });
  });

  it('refuses an unknown kind, a missing or bad rank, a negative bound', () => {
    expect(() => decodeModelCard({ ...base, ...keys, 'sngp.posterior': 'sparse' })).toThrow(/"sngp.posterior" must be one of full, low-rank/);
    const { 'sngp.posterior_rank': _, ...noRank } = keys;
    expect(() => decodeModelCard({ ...base, ...noRank })).toThrow(/has "sngp.posterior" but lacks "sngp.posterior_rank"/);
    expect(() => decodeModelCard({ ...base, ...keys, 'sngp.posterior_rank': '1.5' })).toThrow(/"sngp.posterior_rank" must be an integer >= 1/);
    expect(() => decodeModelCard({ ...base, ...keys, 'sngp.variance_error_bound': '-1' })).toThrow(/"sngp.variance_error_bound" must be a number >= 0/);
  });
});

