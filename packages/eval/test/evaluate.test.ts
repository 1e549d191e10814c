import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accuracy, SngpError } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { alignFeatures, dataForModel, LATENCY_ROWS, loadEvalData, moonsData, tileRows } from '../src/data.js';
import { classificationMetrics, cornerProbabilities, evaluateModel, median, oodDetection, oodMetrics } from '../src/evaluate.js';
import { fakeModel } from './fake-model.js';

describe('classificationMetrics', () => {
  it('is perfect for one-hot correct predictions and penalises wrong ones', () => {
    const labels = new Int32Array([0, 1, 1, 0]);
    const perfect = new Float32Array([1, 0, 0, 1, 0, 1, 1, 0]);
    const m = classificationMetrics(perfect, labels, 2);
    expect(m.accuracy).toBe(1);
    expect(m.brier).toBeCloseTo(0, 6);
    expect(m.ece).toBeCloseTo(0, 6);
    const half = new Float32Array([0.9, 0.1, 0.9, 0.1, 0.2, 0.8, 0.6, 0.4]);
    const h = classificationMetrics(half, labels, 2);
    expect(h.accuracy).toBe(0.75);
    expect(h.nll).toBeCloseTo(-(Math.log(0.9) + Math.log(0.1) + Math.log(0.8) + Math.log(0.6)) / 4, 5);
    expect(h.ece).toBeGreaterThan(0);
  });
});

describe('oodMetrics', () => {
  it('gives 1 when OOD rows are all more uncertain, 0 when all less, 0.5 for ties', () => {
    const inD = new Float32Array([0.01, 0.02, 0.03]);
    const ood = new Float32Array([0.4, 0.45]);
    expect(oodMetrics(inD, ood)).toEqual({ auroc: 1, aupr: 1 });
    expect(oodMetrics(ood, inD).auroc).toBe(0);
    expect(oodMetrics(new Float32Array([0.3, 0.3]), new Float32Array([0.3])).auroc).toBe(0.5);
  });
});

describe('grid helpers', () => {
  it('reads the four corners of a row-major grid', () => {
    const size = 3;
    const probs = new Float32Array(size * size * 2);
    for (let i = 0; i < size * size; i++) probs[2 * i] = i / 10;
    expect(cornerProbabilities({ size, probs }, 2).map((v) => Math.round(v * 10))).toEqual([0, 2, 6, 8]);
  });

  it('takes the median of odd and even lists', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('data', () => {
  it('moons data has the tutorial sizes and a 10,000-point latency set', () => {
    const d = moonsData();
    expect(d.test.n).toBe(1000);
    expect(d.ood?.n).toBe(500);
    expect(d.grid?.size).toBe(100);
    expect(d.latency.length).toBe(LATENCY_ROWS * 2);
  });

  it('tiles rows up to the requested count', () => {
    expect(Array.from(tileRows(new Float32Array([1, 2, 3, 4]), 2, 3))).toEqual([1, 2, 3, 4, 1, 2]);
  });

  it('reorders CSV columns by name and rejects a different width', () => {
    const ds = { x: new Float32Array([1, 2, 3, 4]), n: 2, d: 2, featureNames: ['y', 'x'], classes: ['0', '1'] };
    const info = { featureNames: ['x', 'y'], inputDim: 2 };
    expect(Array.from(alignFeatures(ds, info, 'f.csv', 'm.onnx').x)).toEqual([2, 1, 4, 3]);
    const wide = { ...ds, d: 3, featureNames: ['x', 'y', 'z'], x: new Float32Array(6) };
    expect(() => alignFeatures(wide, info, 'f.csv', 'm.onnx')).toThrow(/f\.csv: data has 3 feature column\(s\) \(x, y, z\), but model m\.onnx expects 2 \(x, y\)/);
    const warnings: string[] = [];
    alignFeatures({ ...ds, featureNames: ['a', 'b'] }, info, 'f.csv', 'm.onnx', (w) => warnings.push(w));
    expect(warnings[0]).toMatch(/matching columns by position/);
  });

  it('maps CSV labels onto the model classes by name and names unknown labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sngp-eval-'));
    const info = { featureNames: ['x', 'y'], inputDim: 2, classes: ['0', '1'] };
    const ok = join(dir, 'ok.csv');
    writeFileSync(ok, 'y,x,label\n0.5,1,1\n-1,0,0\n');
    const loaded = await loadEvalData({ data: ok }, { info, file: 'm.onnx' }, () => {});
    const d = dataForModel(loaded, info, 'm.onnx');
    expect(Array.from(d.test.x)).toEqual([1, 0.5, 0, -1]);
    expect(Array.from(d.test.y ?? [])).toEqual([1, 0]);
    expect(d.ood).toBeNull();
    expect(d.latency.length).toBe(LATENCY_ROWS * 2);
    // The model's class order wins: a model with classes [1, 0] sees label "1" as index 0.
    expect(Array.from(dataForModel(loaded, { ...info, classes: ['1', '0'] }, 'm.onnx').test.y ?? [])).toEqual([0, 1]);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'x,y,label\n0.5,1,cat\n0,0,0\n');
    const badData = await loadEvalData({ data: bad }, { info, file: 'm.onnx' }, () => {});
    expect(() => dataForModel(badData, info, 'm.onnx')).toThrow(SngpError);
    expect(() => dataForModel(badData, info, 'm.onnx')).toThrow(
      /bad\.csv: label "cat" is not one of the classes of model m\.onnx \[0, 1\]; keep only the model's classes with --classes 0,1/,
    );
  });
});

describe('oodDetection', () => {
  it('reports every score the model has, the default (log(1 - max p)) as auroc/aupr', async () => {
    const data = moonsData();
    const sngp = fakeModel({ distanceAware: true, method: 'sngp' });
    const [t, o] = [await sngp.predict(data.test.x), await sngp.predict(data.ood!.x)];
    const r = oodDetection(t.scores, o.scores);
    expect(r.score).toBe('logNonMax');
    expect(Object.keys(r.byScore)).toEqual(['logNonMax', 'entropy', 'variance']);
    expect(r.auroc).toBe(r.byScore.logNonMax!.auroc);
    expect(r.byScore.variance!.auroc).toBe(oodMetrics(t.scores.variance!, o.scores.variance!).auroc);
    expect(r.rows).toBe(500);
    const det = await fakeModel().predict(data.test.x);
    expect(Object.keys(oodDetection(det.scores, det.scores).byScore)).toEqual(['logNonMax', 'entropy']);
  });
});

describe('evaluateModel', () => {
  it('scores a model on moons: metrics match core, OOD separates a distance-aware model', async () => {
    const data = moonsData();
    const plain = fakeModel();
    const aware = fakeModel({ distanceAware: true, method: 'sngp' });
    const r = await evaluateModel(plain, data, { latencyRuns: 3 });
    const probs = (await plain.predict(data.test.x)).probs;
    expect(r.test.accuracy).toBeCloseTo(accuracy(probs, data.test.y!, 2), 10);
    expect(r.test.rows).toBe(1000);
    expect(r.latency.rows).toBe(10_000);
    expect(r.latency.runs).toBe(3);
    expect(r.grid?.probs.length).toBe(2 * 10_000);
    const a = await evaluateModel(aware, data, { latencyRuns: 1 });
    expect(a.ood!.auroc).toBeGreaterThan(0.85);
    expect(a.ood!.auroc).toBeGreaterThan(r.ood!.auroc);
    for (const p of cornerProbabilities(a.grid!, 2)) expect(Math.abs(p - 0.5)).toBeLessThan(0.05);
  });

  it('refuses data whose width differs from the model', async () => {
    const m = fakeModel();
    const wide = { ...m, info: { ...m.info, inputDim: 3, featureNames: ['a', 'b', 'c'] } };
    await expect(evaluateModel(wide, moonsData(), { file: 'three.onnx' })).rejects.toThrow(
      /moons: data has 2 feature column\(s\) \(x, y\), but model three\.onnx expects 3 \(a, b, c\)/,
    );
  });
});
