import { readFileSync } from 'node:fs';
import { calibrateConformal, moonsValidation, predictionSets, rowUniforms, setCoverage, twoMoons, type Method } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/node.js';
import { METHODS, calibratedModel, modelPath } from './fixtures.js';
import { readMetadata, withMetadata } from './onnx-bytes.js';

/** Both rules calibrated on the two-moons validation draw, and the model loaded with them. */
async function calibrated(method: Method, score: 'lac' | 'aps' = 'lac') {
  const c = await calibratedModel(method, { score });
  return { ...c, model: await loadModel(c.bytes, { device: 'cpu' }), val: c.calibration };
}

describe('prediction sets and abstain flags from the card', () => {
  it.each(METHODS)('%s: the main job writes both rules into the model (sngp-calibrate on a two-moons draw)', async (method) => {
    const model = await loadModel(modelPath(method), { device: 'cpu' });
    expect(model.info.card.conformal).toMatchObject({ alpha: 0.1, score: 'lac', n: 1000 });
    expect(model.info.card.abstain).toMatchObject({ score: 'logNonMax', target: { kind: 'keep', value: 0.95 }, keptFraction: 0.95, oodRows: 500 });
    const p = await model.predict(twoMoons().test.x);
    expect(p.setSize!.length).toBe(p.rows);
    expect(p.abstain!.length).toBe(p.rows);
    await model.dispose();
  });

  it.each(METHODS)('%s: sets follow the LAC rule, abstain the threshold; coverage on the test draw', async (method) => {
    const { model, conformal, abstain, val } = await calibrated(method);
    expect(model.info.card.conformal).toEqual(conformal);
    const { test: t0 } = twoMoons();
    const test = { x: t0.x, y: t0.y! };
    const p = await model.predict(test.x);
    const k = 2;
    let covered = 0;
    for (let i = 0; i < p.rows; i++) {
      // LAC: class j is in the set iff 1 - p_j <= q (checked on float32 probs, away from the boundary).
      for (let j = 0; j < k; j++) {
        const s = 1 - p.probs[i * k + j];
        if (Math.abs(s - conformal.quantile) > 1e-5) expect(p.setMask![i * k + j], `row ${i} class ${j}`).toBe(s <= conformal.quantile ? 1 : 0);
      }
      expect(p.setSize![i]).toBe(p.setMask![i * k] + p.setMask![i * k + 1]);
      expect(p.sets![i].classes.length).toBe(p.setSize![i]);
      expect(p.sets![i].labels).toEqual(p.sets![i].classes.map((j) => model.info.classes[j]));
      covered += p.setMask![i * k + test.y[i]];
      expect(p.abstain![i]).toBe(p.scores.logNonMax[i] > abstain.threshold ? 1 : 0);
      expect(p.predictedLabel[i]).toBe(model.info.classes[p.predicted[i]]);
    }
    expect(covered / p.rows).toBeGreaterThanOrEqual(0.9 - 0.03);
    // Tie-free scores: the kept fraction on the calibration rows is exactly ceil(0.95 n) / n.
    const back = await model.predict(val.x);
    expect(back.abstain!.reduce((a, v) => a + v, 0)).toBe(val.y.length - Math.ceil(0.95 * val.y.length));
    await model.dispose();
  });

  it('randomized APS: U from each row\'s features, so a row gets the same set in any batch', async () => {
    const bytes = new Uint8Array(readFileSync(modelPath('sngp')));
    const plain = await loadModel(bytes, { device: 'cpu' });
    const v = moonsValidation();
    const p = await plain.predict(v.x);
    const rule = calibrateConformal(p.logProbs, 2, v.y!, { score: 'aps', randomized: true, alpha: 0.1, source: 'moons-validation', uniforms: rowUniforms(v.x, 2) });
    await plain.dispose();
    const model = await loadModel(withMetadata(bytes, { ...readMetadata(bytes), 'sngp.conformal': JSON.stringify(rule) }), { device: 'cpu' });
    const { test } = twoMoons();
    const all = await model.predict(test.x);
    expect(all.setMask).toEqual(predictionSets(all.logProbs, 2, rule, rowUniforms(test.x, 2)).mask);
    // Coverage on the test draw within a few points of 0.9; both sizes 0/1 or 1/2 occur (a rule, not a constant).
    expect(Math.abs(setCoverage({ mask: all.setMask!, size: all.setSize! }, test.y!).coverage - 0.9)).toBeLessThan(0.04);
    expect(new Set(all.setSize).size).toBeGreaterThan(1);
    for (const i of [0, 7, 123, 999]) {
      const one = await model.predict(test.x.slice(2 * i, 2 * i + 2));
      expect(Array.from(one.setMask!), `row ${i}`).toEqual(Array.from(all.setMask!.subarray(2 * i, 2 * i + 2)));
    }
    await model.dispose();
  });

  it('APS sets are prefixes of the classes by probability', async () => {
    const { model } = await calibrated('sngp', 'aps');
    const p = await model.predict(twoMoons().ood.x);
    for (let i = 0; i < p.rows; i++) {
      const top = p.predicted[i];
      if (p.setSize![i] === 1) expect(p.setMask![i * 2 + top]).toBe(1);
    }
    await model.dispose();
  });

  it('overrides: a new temperature drops the rules; abstainThreshold applies its own threshold', async () => {
    const { model } = await calibrated('deterministic');
    const x = twoMoons().ood.x;
    const t = await model.predict(x, { temperature: 3 });
    expect(t.setMask).toBeUndefined();
    expect(t.abstain).toBeUndefined();
    const o = await model.predict(x, { temperature: 3, abstainThreshold: -5 });
    for (let i = 0; i < o.rows; i++) expect(o.abstain![i]).toBe(o.scores.logNonMax[i] > -5 ? 1 : 0);
    await expect(model.predict(x, { abstainThreshold: NaN })).rejects.toThrow(/options.abstainThreshold: expected a finite number, got null/);
    await model.dispose();
    // The main job's models carry rules (sngp-calibrate): strip them for a model without any.
    const bytes = new Uint8Array(readFileSync(modelPath('deterministic')));
    const { 'sngp.conformal': _c, 'sngp.abstain': _a, ...props } = readMetadata(bytes);
    const plain = await loadModel(withMetadata(bytes, props), { device: 'cpu' });
    await expect(plain.predict(x, { abstainThreshold: 0 })).rejects.toThrow(/the model card has no abstain rule/);
    const p = await plain.predict(x);
    expect(p.setMask).toBeUndefined();
    expect(p.predictedLabel.length).toBe(p.rows);
    await plain.dispose();
  });

  it("invalid rows (nonFinite: 'mark') get an empty set, abstain 1 and no label", async () => {
    const { model } = await calibrated('sngp');
    const p = await model.predict([[0.5, 0.2], [3e38, -3e38]], { nonFinite: 'mark' });
    expect(p.invalid![1]).toBe(1);
    expect(p.setSize![1]).toBe(0);
    expect(p.sets![1]).toEqual({ classes: [], labels: [] });
    expect(p.abstain![1]).toBe(1);
    expect(p.predictedLabel[1]).toBe('');
    expect(p.setSize![0]).toBeGreaterThanOrEqual(0);
    await model.dispose();
  });

  it('a bad rule in the card fails at load, naming the key', async () => {
    const { original: bytes, props } = await calibratedModel('deterministic');
    const bad = { ...props, 'sngp.conformal': JSON.stringify({ ...JSON.parse(props['sngp.conformal']), alpha: 0 }) };
    await expect(loadModel(withMetadata(bytes, bad), { device: 'cpu' })).rejects.toThrow(/model card key "sngp.conformal" field "alpha"/);
  });
});
