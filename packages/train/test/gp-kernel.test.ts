/**
 * SNGP on real data (issue #12): the GP input options (--gp-normalize-input, --gp-kernel-scale),
 * the auto kernel-scale rule, the training-health guard and the post-hoc calibration. Real data:
 * scikit-learn's digits table (Debian python3-sklearn) restricted to 5 classes, converted here.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Rng } from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  NEIGHBOUR_FACTOR,
  SEARCH_DIVISORS,
  SEARCH_MIN_Z,
  type RidgeScore,
  TrainingHealthGuard,
  autoKernelScale,
  chanceAccuracy,
  chooseCandidate,
  fitCalibration,
  formatAutoKernelScale,
  pairedZ,
  resolveOptions,
  ridgeWeights,
  scoreRidge,
  searchCandidates,
  trainModel,
} from '../dist/index.js';
import { runCli } from './helpers.js';

const DIGITS = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';
const dir = mkdtempSync(join(tmpdir(), 'sngp-train-gp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** digits.csv.gz (no header, label last) restricted to labels 0-4, as a CSV with a header. */
function digits5(): string {
  const rows = gunzipSync(readFileSync(DIGITS))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number))
    .filter((r) => r[r.length - 1] < 5);
  const header = [...Array.from({ length: 64 }, (_, i) => `p${i}`), 'digit'].join(',');
  const p = join(dir, 'digits5.csv');
  writeFileSync(p, header + '\n' + rows.map((r) => [...r.slice(0, 64), `d${r[64]}`].join(',')).join('\n') + '\n');
  return p;
}
const hasDigits = existsSync(DIGITS);
const csv = hasDigits ? digits5() : '';

/** One epoch on the digits table with every default (auto scale, validation split): shared by two tests. */
let digitsRun: ReturnType<typeof trainModel> | undefined;
function digitsOneEpoch(): ReturnType<typeof trainModel> {
  if (!hasDigits) throw new Error(`${DIGITS} is missing: apt-get install python3-sklearn`);
  return (digitsRun ??= trainModel({ data: csv, epochs: 1 }, { backend: 'wasm' }));
}

describe('GP input options', () => {
  it('parses, validates and defaults --gp-kernel-scale and --gp-normalize-input', () => {
    const d = resolveOptions({});
    expect(d.gpKernelScale).toBe('auto');
    expect(d.gpNormalizeInput).toBe(false);
    expect(resolveOptions({ gpKernelScale: 4, gpNormalizeInput: true })).toMatchObject({ gpKernelScale: 4, gpNormalizeInput: true });
    expect(() => resolveOptions({ gpKernelScale: 0 })).toThrow(/--gp-kernel-scale must be a positive number or "auto"/);
    const r = runCli(['--gp-kernel-scale', 'wide', '--out', join(dir, 'never')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--gp-kernel-scale expects a number, got "wide"/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('records both options and the layer-norm tensors in the checkpoint', async () => {
    const out = join(dir, 'moons-ln');
    const { summary } = await trainModel({ epochs: 1, width: 16, depth: 1, randomFeatures: 64, gpNormalizeInput: true, gpKernelScale: 2.5, out }, { backend: 'wasm' });
    const ck = readCheckpoint(out);
    expect(ck.config.hyperParameters.gpNormalizeInput).toBe(true);
    expect(ck.config.hyperParameters.gpKernelScale).toBe(2.5);
    expect(ck.tensors['gp.input_norm.gamma'].shape).toEqual([16]);
    expect(ck.tensors['gp.input_norm.beta'].shape).toEqual([16]);
    expect(summary.gp).toMatchObject({ normalizeInput: true, kernelScale: 2.5, auto: false });
  });
});

describe('auto kernel scale', () => {
  it('is a bandwidth rule on nearest-neighbour distances, floored at 1', () => {
    // 20 rows on a line in 3-d, 2 apart, plus two exact duplicates: every row's nearest distinct
    // neighbour is 2 away (duplicates are nobody's neighbour), while the median of all pairs is ~14.
    const rows = [...Array.from({ length: 20 }, (_, i) => [2 * i, 0, 0]), [0, 0, 0], [38, 0, 0]];
    const u = Float64Array.from(rows.flat());
    const r = autoKernelScale(u, rows.length, 3);
    expect(r.neighbourDistance).toBeCloseTo(2, 12);
    expect(r.medianDistance).toBeGreaterThan(10);
    expect(r.rows).toBe(22);
    expect(r.scale).toBeCloseTo((NEIGHBOUR_FACTOR * 2) ** 2, 9);
    expect(autoKernelScale(u, rows.length, 3, 10).scale).toBeCloseTo(400, 9);
    // Rows closer than 1 / NEIGHBOUR_FACTOR keep the tutorial's kernel (scale 1, never narrower).
    expect(autoKernelScale(u.map((v) => v / 100), rows.length, 3).scale).toBe(1);
    expect(autoKernelScale(new Float64Array(6), 2, 3).scale).toBe(1); // no distinct rows at all
    expect(autoKernelScale(u, 1, 3).scale).toBe(1);
  });

  it('keeps scale 1 on two moons (the tutorial) and widens the kernel on the digits table', async () => {
    const moons = await trainModel({ epochs: 1 }, { backend: 'wasm' });
    expect(moons.summary.gp).toMatchObject({ auto: true, kernelScale: 1, ruleScale: 1 });
    expect(moons.summary.gp!.search).toBeUndefined(); // nothing narrower than 1 to try
    // 1,000 rows on two curves: neighbours ~0.17 apart, half of 1 / NEIGHBOUR_FACTOR (ell ~ 0.5 < 1).
    expect(moons.summary.gp!.neighbourDistance!).toBeLessThan(1 / NEIGHBOUR_FACTOR);
    expect(moons.checkpoint.config.hyperParameters.gpKernelScale).toBe(1);
    const d = await digitsOneEpoch();
    // 64 pixels, ~500 rows: neighbouring rows are ~11 apart in the hidden space at initialisation.
    expect(d.summary.gp!.neighbourDistance).toBeGreaterThan(5);
    expect(d.summary.gp!.ruleScale).toBeCloseTo((NEIGHBOUR_FACTOR * d.summary.gp!.neighbourDistance!) ** 2, 6);
    expect(d.checkpoint.config.hyperParameters.gpKernelScale).toBe(d.summary.gp!.kernelScale);
  });
});

describe('kernel-scale validation search', () => {
  it('tries the rule scale and narrower ones only, floored at 1, without duplicates', () => {
    expect(searchCandidates(1)).toEqual([1]);
    expect(searchCandidates(600)).toEqual(SEARCH_DIVISORS.map((d) => 600 / d));
    const c = searchCandidates(5); // 5, 5/3, then 5/10 and 5/30 both floor to 1
    expect(c).toEqual([5, 5 / 3, 1]);
  });

  it('solves the ridge regression (ridge I + Phi^T Phi) B = Phi^T Y', () => {
    const rng = new Rng(3);
    const [n, m, k, ridge] = [40, 12, 3, 0.5];
    const phi = Float64Array.from({ length: n * m }, () => rng.uniform() - 0.5);
    const y = Int32Array.from({ length: n }, (_, i) => i % k);
    const p = new Float64Array(m * m);
    const pty = new Float64Array(m * k);
    for (let a = 0; a < m; a++) {
      p[a * m + a] = ridge;
      for (let i = 0; i < n; i++) {
        for (let b = 0; b < m; b++) p[a * m + b] += phi[i * m + a] * phi[i * m + b];
        pty[a * k + y[i]] += phi[i * m + a];
      }
    }
    const w = ridgeWeights(p, pty, m, k);
    for (let a = 0; a < m; a++)
      for (let c = 0; c < k; c++) {
        let r = 0;
        for (let b = 0; b < m; b++) r += p[a * m + b] * w[b * k + c];
        expect(r).toBeCloseTo(pty[a * k + c], 10);
      }
    // Scored on its own training rows it beats chance, and its errors add up to the mean.
    const sc = scoreRidge(phi, n, m, w, y, k);
    expect(sc.accuracy).toBeGreaterThan(1 / k);
    expect(sc.rowErrors.reduce((s, e) => s + e, 0) / n).toBeCloseTo(sc.squaredError, 12);
  });

  it('measures a paired improvement in standard errors', () => {
    // Differences 1, 2, 3: mean 2, sample sd 1, standard error 1 / sqrt(3).
    expect(pairedZ([5, 5, 5], [4, 3, 2])).toBeCloseTo(2 * Math.sqrt(3), 12);
    expect(pairedZ([4, 3, 2], [5, 5, 5])).toBeCloseTo(-2 * Math.sqrt(3), 12);
    expect(pairedZ([1, 2], [1, 2])).toBe(0);
    expect(pairedZ([2, 3], [1, 2])).toBe(Infinity);
  });

  it('keeps the widest unless a narrower one is clearly better, and stops once narrowing hurts', () => {
    const rows = 200;
    const rng = new Rng(5);
    const noise = Float64Array.from({ length: rows }, () => rng.uniform());
    const fake = (shift: (i: number) => number) => (): RidgeScore => {
      const rowErrors = Float64Array.from(noise, (e, i) => e + shift(i));
      return { accuracy: 0.5, squaredError: rowErrors.reduce((s, e) => s + e, 0) / rows, rowErrors };
    };
    // Narrower by 0.1 on every row: a clear gain; then much worse: the search stops there.
    const scored: number[] = [];
    const table: Record<number, () => RidgeScore> = { 100: fake(() => 0), 33: fake(() => -0.1), 10: fake(() => 1), 3: fake(() => -5) };
    const r = chooseCandidate([100, 33, 10, 3], (s) => (scored.push(s), table[s]()));
    expect(r.scale).toBe(33);
    expect(scored).toEqual([100, 33, 10]);
    expect(r.candidates.map((c) => c.scale)).toEqual([100, 33, 10]);
    expect(r.candidates[1].z).toBeGreaterThan(SEARCH_MIN_Z);
    expect(r.candidates[2].z).toBeLessThan(-SEARCH_MIN_Z);
    // A lower mean error that is noise (alternating +-0.3, mean -0.01) does not move the choice.
    const noisy = chooseCandidate([100, 33], (s) => (s === 100 ? fake(() => 0) : fake((i) => (i % 2 ? 0.29 : -0.31)))());
    expect(noisy.candidates[1].squaredError).toBeLessThan(noisy.candidates[0].squaredError);
    expect(noisy.scale).toBe(100);
  });

  it('runs on the digits table with a validation split, records what it measured, and not without one', async () => {
    const { summary } = await digitsOneEpoch();
    const gp = summary.gp!;
    const s = gp.search!;
    expect(s.validationRows).toBe(summary.validationRows);
    expect(s.trainRows).toBe(summary.trainRows);
    expect(s.candidates[0]).toMatchObject({ scale: gp.ruleScale, z: 0 });
    expect(s.candidates.map((c) => c.scale)).toEqual(searchCandidates(gp.ruleScale!).slice(0, s.candidates.length));
    // The choice follows the recorded z statistics: the last candidate that beat the choice so far.
    let chosen = s.candidates[0].scale;
    for (const c of s.candidates.slice(1)) if (c.z > SEARCH_MIN_Z) chosen = c.scale;
    expect(gp.kernelScale).toBe(chosen);
    expect(s.scale).toBe(chosen);
    // At the rule's scale the random features of the untrained network already separate the digits.
    expect(s.candidates[0].accuracy).toBeGreaterThan(0.6); // chance ~0.2
    expect(formatAutoKernelScale(gp)).toContain(`${s.validationRows} validation rows`);
    const none = await trainModel({ data: csv, epochs: 1, validationSplit: 0 }, { backend: 'wasm' });
    expect(none.summary.gp!.search).toBeUndefined();
    expect(none.summary.gp!.kernelScale).toBe(none.summary.gp!.ruleScale);
    expect(formatAutoKernelScale(none.summary.gp!)).toMatch(/no validation search \(no validation split\)/);
  });
});

describe('SNGP on the digits table', () => {
  it('learns with the defaults, and --calibrate fits on the validation split', async () => {
    // 10 epochs: validation accuracy 0.967 (0.95 after 5, 0.978 after 30); chance is ~0.2.
    const { summary, checkpoint } = await trainModel({ data: csv, epochs: 10, learningRate: 1e-3, calibrate: true }, { backend: 'wasm' });
    expect(summary.metrics.validationAccuracy).toBeGreaterThan(0.8);
    expect(summary.warnings).toEqual([]);
    const c = checkpoint.config.calibration!;
    expect(c.data).toBe('validation');
    expect(c.rows).toBe(summary.validationRows);
    expect(c.nllAfter).toBeLessThanOrEqual(c.nllBefore);
  });

  it('warns when the kernel is forced far too narrow', async () => {
    const warnings: string[] = [];
    const { summary } = await trainModel(
      { data: csv, epochs: 6, width: 32, depth: 2, randomFeatures: 128, gpKernelScale: 1e-4 },
      { backend: 'wasm', onWarning: (w) => warnings.push(w) },
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^sngp-train: warning: SNGP is not learning \(accuracy 0\.\d\d ~ chance 0\.\d\d, loss \d\.\d{3} flat since epoch 1\).*--gp-kernel-scale/);
    expect(summary.warnings).toEqual(warnings);
  });
});

describe('training-health guard', () => {
  const epoch = (e: number, loss: number, accuracy: number) => ({ epoch: e, epochs: 10, loss, accuracy, steps: 1, msPerStep: 1 });
  it('fires once on a flat loss at chance, not on a learning run nor before its epoch', () => {
    const stuck = new TrainingHealthGuard(0.2, 10);
    const out = [1, 2, 3, 4, 5, 6].map((e) => stuck.observe(epoch(e, 1.609 - e * 1e-4, 0.21)));
    expect(out.slice(0, 4)).toEqual([null, null, null, null]);
    expect(out[4]).toMatch(/not learning/);
    expect(out[5]).toBeNull();
    const learning = new TrainingHealthGuard(0.2, 10);
    expect([1, 2, 3, 4, 5].map((e) => learning.observe(epoch(e, 1.609 - e * 0.05, 0.21 + e * 0.1))).every((w) => w === null)).toBe(true);
  });
  it('uses the majority class as chance when it beats 1 / K', () => {
    expect(chanceAccuracy([0, 0, 0, 1], 2)).toBe(0.75);
    expect(chanceAccuracy([0, 1, 2, 3], 4)).toBe(0.25);
  });
});

describe('calibration fit', () => {
  it('softens over-confident logits through lambda (T never above 1) and never raises the NLL', () => {
    const rng = new Rng(1);
    const n = 400;
    const k = 3;
    const logits = new Float64Array(n * k);
    const labels = new Int32Array(n);
    const variance = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % k;
      // 70% of rows favour the true class, all with a margin of 8 (far too confident).
      const favoured = rng.uniform() < 0.7 ? labels[i] : (labels[i] + 1) % k;
      logits[i * k + favoured] = 8;
      variance[i] = rng.uniform();
    }
    const fit = fitCalibration(logits, variance, labels, k, Math.PI / 8);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
    expect(fit.eceAfter).toBeLessThan(fit.eceBefore);
    expect(fit.temperature).toBeLessThanOrEqual(1);
    expect(fit.temperature * Math.sqrt(1 + fit.meanFieldFactor * 0.5)).toBeGreaterThan(1.5);
  });
});
