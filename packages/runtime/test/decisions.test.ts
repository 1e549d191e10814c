import { twoMoons, type Method } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/node.js';
import { METHODS, calibratedModel, modelPath } from './fixtures.js';
import { withMetadata } from './onnx-bytes.js';

/** Both rules calibrated on the two-moons validation draw, and the model loaded with them. */
async function calibrated(method: Method, score: 'lac' | 'aps' = 'lac') {
  const c = await calibratedModel(method, { score });
  return { ...c, model: await loadModel(c.bytes, { device: 'cpu' }), val: c.calibration };
}

describe('prediction sets and abstain flags from the card', () => {
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
    const plain = await loadModel(modelPath('deterministic'), { device: 'cpu' });
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
