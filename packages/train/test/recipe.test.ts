/**
 * The default training recipe (settings from the data's size), early stopping with the best
 * epoch's weights restored, and calibration of every method by default. Real data: scikit-learn's
 * digits table (Debian python3-sklearn), digits 0-4, written as a CSV here.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Rng } from '@sngp/core';
import { afterAll, describe, expect, it } from 'vitest';
import { BASELINE_TEMPERATURE_RANGE, RECIPE, chooseRecipe, fitTemperature, resolveOptions, trainModel } from '@sngp/train';
import { runCli } from './helpers.js';

const DIGITS = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';
const dir = mkdtempSync(join(tmpdir(), 'sngp-train-recipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function digits5(): string {
  const rows = gunzipSync(readFileSync(DIGITS)).toString('utf8').trim().split('\n').map((l) => l.split(',').map(Number)).filter((r) => r[64] < 5);
  const p = join(dir, 'digits5.csv');
  writeFileSync(p, [...Array.from({ length: 64 }, (_, i) => `p${i}`), 'digit'].join(',') + '\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
  return p;
}
const csv = existsSync(DIGITS) ? digits5() : '';
const small = { width: 32, depth: 2, randomFeatures: 128 };
const tutorial = { epochs: 100, batchSize: 128, learningRate: 1e-4 };

describe('chooseRecipe', () => {
  it('keeps the tutorial settings for two moons and in-memory data', () => {
    const r = chooseRecipe({}, tutorial, { userFile: false, trainRows: 1000, validationRows: 0 });
    expect([r.epochs, r.batchSize, r.learningRate, r.patience, r.rule]).toEqual([100, 128, 1e-4, null, 'tutorial']);
  });
  it('scales batch size and epoch budget with the rows of a user file', () => {
    const tiny = chooseRecipe({}, tutorial, { userFile: true, trainRows: 452, validationRows: 113 });
    expect([tiny.learningRate, tiny.batchSize, tiny.epochs, tiny.patience]).toEqual([RECIPE.learningRate, 32, 200, 20]);
    const mid = chooseRecipe({}, tutorial, { userFile: true, trainRows: 6958, validationRows: 1739 });
    expect([mid.batchSize, mid.epochs, mid.patience]).toEqual([64, 144, 14]);
    const big = chooseRecipe({}, tutorial, { userFile: true, trainRows: 160_000, validationRows: 40_000 });
    expect([big.batchSize, big.epochs, big.patience]).toEqual([256, 10, 5]);
    // A table smaller than the minimum batch: one step per epoch, never a batch larger than the data.
    expect(chooseRecipe({}, tutorial, { userFile: true, trainRows: 20, validationRows: 5 }).batchSize).toBe(20);
  });
  it('lets every flag win and says so; no early stopping without validation rows or when turned off', () => {
    const r = chooseRecipe({ epochs: 7, batchSize: 16, learningRate: 0.01, patience: 2 }, tutorial, { userFile: true, trainRows: 5000, validationRows: 1000 });
    expect([r.epochs, r.batchSize, r.learningRate, r.patience]).toEqual([7, 16, 0.01, 2]);
    expect(Object.values(r.reasons)).toEqual(['flag', 'flag', 'flag', 'flag']);
    expect(chooseRecipe({}, tutorial, { userFile: true, trainRows: 5000, validationRows: 0 }).patience).toBeNull();
    expect(chooseRecipe({ earlyStopping: false }, tutorial, { userFile: true, trainRows: 5000, validationRows: 100 }).patience).toBeNull();
    // A patience that could not act is refused rather than ignored.
    expect(() => resolveOptions({ data: 'x.csv', patience: 5, earlyStopping: false })).toThrow(/--patience has no effect with --no-early-stopping/);
  });
});

describe('fitTemperature', () => {
  it('softens over-confident logits, sharpens timid ones, and never raises the NLL', () => {
    const rng = new Rng(3);
    const n = 600;
    const k = 3;
    const labels = Int32Array.from({ length: n }, (_, i) => i % k);
    const logits = (margin: number) => {
      const l = new Float32Array(n * k);
      for (let i = 0; i < n; i++) l[i * k + (rng.uniform() < 0.8 ? labels[i] : (labels[i] + 1) % k)] = margin;
      return l;
    };
    const loud = fitTemperature(logits(12), 1, labels, k);
    expect(loud.temperature).toBeGreaterThan(2);
    expect(loud.nllAfter).toBeLessThan(loud.nllBefore);
    const timid = fitTemperature(logits(0.3), 1, labels, k);
    expect(timid.temperature).toBeLessThan(0.5);
    expect(timid.nllAfter).toBeLessThan(timid.nllBefore);
    // An absurdly timid model ends at the bound, and says so.
    const stuck = fitTemperature(logits(0.001), 1, labels, k);
    expect(stuck.temperature).toBeCloseTo(BASELINE_TEMPERATURE_RANGE[0], 3);
    expect(stuck.atBound).toEqual([`temperature at its lower bound ${BASELINE_TEMPERATURE_RANGE[0]}`]);
    // S samples: the NLL is that of mean_s softmax(logits_s / T).
    const two = new Float32Array([...logits(5), ...logits(5)]);
    const fit2 = fitTemperature(two, 2, labels, k);
    expect(fit2.nllAfter).toBeLessThanOrEqual(fit2.nllBefore);
  });
});

describe.skipIf(!csv)('the data recipe on a real table (digits 0-4)', () => {
  it('stops early and keeps exactly the best epoch (same weights as a run that ends there)', async () => {
    const nlls: number[] = [];
    const a = await trainModel({ method: 'deterministic', data: csv, patience: 3, ...small }, { backend: 'wasm', onEpoch: (s) => nlls.push(s.validationNll!) });
    const e = a.summary.earlyStopping!;
    expect(a.summary.recipe!.rule).toBe('data');
    expect([a.checkpoint.config.training.batchSize, a.checkpoint.config.training.learningRate]).toEqual([32, RECIPE.learningRate]);
    expect(e.epochsRun).toBe(nlls.length);
    expect(e.epochsRun).toBeLessThan(a.summary.epochs);
    expect(e.epochsRun - e.bestEpoch).toBe(3);
    expect(e.bestNll).toBe(nlls[e.bestEpoch - 1]);
    expect(Math.min(...nlls)).toBeGreaterThan(e.bestNll - 1e-4 - 1e-12);
    expect(a.checkpoint.config.training.recipe!.earlyStopping).toEqual(e);
    // The same seed trained for exactly bestEpoch epochs, no early stopping: bit-identical weights.
    const b = await trainModel({ method: 'deterministic', data: csv, epochs: e.bestEpoch, earlyStopping: false, ...small }, { backend: 'wasm' });
    expect(b.summary.earlyStopping).toBeUndefined();
    for (const [name, t] of Object.entries(a.checkpoint.tensors)) expect(b.checkpoint.tensors[name].data, name).toEqual(t.data);
    // Calibrated by default: a temperature that does not raise the validation NLL.
    const c = a.checkpoint.config.calibration!;
    expect(c.data).toBe('validation');
    expect(c.meanFieldFactor).toBeUndefined();
    expect(c.nllAfter).toBeLessThanOrEqual(c.nllBefore);
  });

  it('prints what it chose and why, and --no-calibrate / --no-early-stopping turn them off', () => {
    const out = join(dir, 'ckpt');
    const r = runCli(['--method', 'mc-dropout', '--data', csv, '--epochs', '3', '--width', '16', '--depth', '1', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/learning rate 0\.001: Adam's usual 1e-3/);
    expect(r.stderr).toMatch(/batch size 32: ~100 steps per epoch over \d+ training rows/);
    expect(r.stderr).toMatch(/epochs \(budget\) 3: given by its flag/);
    expect(r.stderr).toMatch(/calibrated on \d+ validation rows: T \d/);
    const off = runCli(['--method', 'deterministic', '--data', csv, '--epochs', '2', '--width', '16', '--depth', '1', '--no-calibrate', '--no-early-stopping', '--out', out, '--json', '--quiet']);
    expect(off.status, off.stderr).toBe(0);
    const s = JSON.parse(off.stdout);
    expect(s.calibration).toBeUndefined();
    expect(s.earlyStopping).toBeUndefined();
    expect(s.epochsRun).toBe(2);
    expect(s.recipe.reasons.patience).toBe('early stopping off (flag)');
  });
});
