import { type Method, dropoutNoise, meanFieldProbs, softmaxRows, uncertaintyScore } from '@sngp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type SngpModel } from '../src/node.js';
import { METHODS, maxAbsDiff, meanSoftmaxF64, modelPath, rawOutputs, sampleFeatures } from './fixtures.js';

const { flat, rows, n } = sampleFeatures();
const models = new Map<string, SngpModel>();

beforeAll(async () => {
  for (const m of METHODS) models.set(m, await loadModel(modelPath(m), { device: 'cpu' }));
});
afterAll(async () => {
  for (const m of models.values()) await m.dispose();
});

/** The card's calibrated temperature T (1 when absent) and the logits divided by it, as the runtime applies it. */
const temperatureOf = (m: Method): number => models.get(m)!.info.card.temperature ?? 1;
const tempered = (logits: Float32Array, t: number): Float64Array => Float64Array.from(logits, (v) => v / t);

describe("outputs are the graph's, post-processed (a bare onnxruntime session as the reference)", () => {
  it('every method carries a calibrated temperature (fitted on the two-moons validation draw)', () => {
    for (const m of METHODS) {
      const t = temperatureOf(m);
      expect(Number.isFinite(t) && t > 0, m).toBe(true);
      expect(models.get(m)!.info.card.calibration?.data, m).toBe('moons-validation');
    }
    // The baselines are over-confident far from the data: calibration moves their T away from 1.
    expect(temperatureOf('deterministic')).not.toBe(1);
  });


  it('deterministic: logits and softmax', async () => {
    const p = await models.get('deterministic')!.predict(rows);
    const raw = await rawOutputs('deterministic', flat, n);
    expect(maxAbsDiff(p.logits!, raw.logits.data)).toBe(0);
    expect(maxAbsDiff(p.probs, meanSoftmaxF64(tempered(raw.logits.data, temperatureOf('deterministic')), 1, 2))).toBeLessThan(1e-6);
    expect(p.variance).toBeUndefined();
  });

  it('sngp: logits, variance and mean-field probs', async () => {
    const p = await models.get('sngp')!.predict(flat);
    const raw = await rawOutputs('sngp', flat, n);
    expect(maxAbsDiff(p.logits!, raw.logits.data)).toBe(0);
    expect(maxAbsDiff(p.variance!, raw.variance.data)).toBe(0);
    // Mean-field with the card's (calibrated) lambda and temperature, written out here in float64,
    // not via core, so a wrong core would fail too.
    const { meanFieldFactor: lambda, temperature } = models.get('sngp')!.info.card;
    const t = temperature ?? 1;
    const scaled = Float32Array.from(raw.logits.data, (v, j) => v / (t * Math.sqrt(1 + lambda! * raw.variance.data[Math.floor(j / 2)])));
    expect(maxAbsDiff(p.probs, meanSoftmaxF64(scaled, 1, 2))).toBeLessThan(1e-6);
    // OOD rows (40..49) are far from the data: the GP variance must be larger there.
    const mean = (a: Float32Array, s: number, e: number) => a.slice(s, e).reduce((x, y) => x + y, 0) / (e - s);
    expect(mean(p.variance!, 40, 50)).toBeGreaterThan(mean(p.variance!, 0, 40));
  });

  it('mc-dropout: mean softmax over the seeded noise', async () => {
    const model = models.get('mc-dropout')!;
    const card = model.info.card;
    const p = await model.predict(rows, { seed: 7 });
    const noise = dropoutNoise(card.numSamples!, card.dropoutNoiseShape!, 7);
    const raw = await rawOutputs('mc-dropout', flat, n, noise);
    expect(raw.logits.dims).toEqual([card.numSamples, n, 2]);
    expect(maxAbsDiff(p.probs, meanSoftmaxF64(tempered(raw.logits.data, temperatureOf('mc-dropout')), card.numSamples!, 2))).toBeLessThan(1e-6);
    expect(p.logits).toBeUndefined();
  });

  it('ensemble: mean softmax over members', async () => {
    const model = models.get('ensemble')!;
    const p = await model.predict(rows);
    const raw = await rawOutputs('ensemble', flat, n);
    const members = model.info.card.numSamples!;
    expect(raw.logits.dims).toEqual([members, n, 2]);
    expect(maxAbsDiff(p.probs, meanSoftmaxF64(tempered(raw.logits.data, temperatureOf('ensemble')), members, 2))).toBeLessThan(1e-6);
    // Another temperature per call comes from the per-sample logits, not the graph's probs.
    const hot = await model.predict(rows, { temperature: 2 });
    expect(maxAbsDiff(hot.probs, meanSoftmaxF64(tempered(raw.logits.data, 2), members, 2))).toBeLessThan(1e-6);
    expect(maxAbsDiff(hot.probs, p.probs)).toBeGreaterThan(1e-3);
  });

  it('assembles predicted, confidence and uncertainty from probs for every method', async () => {
    for (const m of METHODS) {
      const p = await models.get(m)!.predict(rows);
      expect(p.rows).toBe(n);
      expect(p.numClasses).toBe(2);
      for (let i = 0; i < n; i++) {
        const [a, b] = [p.probs[2 * i], p.probs[2 * i + 1]];
        expect(a + b).toBeCloseTo(1, 5);
        expect(p.predicted[i]).toBe(b > a ? 1 : 0);
        expect(p.confidence[i]).toBe(Math.max(a, b));
      }
      expect(Array.from(p.uncertainty)).toEqual(Array.from(uncertaintyScore(p.probs, 2)));
    }
  });
});

describe('tie-free uncertainty scores (float64, log-space)', () => {
  /** Two classes: log(1 - max p) = log p_min, and the entropy, from float64 probabilities [N, 2]. */
  const reference = (p: ArrayLike<number>, i: number) => {
    const lo = Math.min(p[2 * i], p[2 * i + 1]);
    return { logNonMax: Math.log(lo), entropy: -(lo * Math.log(lo) + (1 - lo) * Math.log1p(-lo)) };
  };
  /** Closed form for two classes from one row of logits: log p_min = -log1p(exp(|gap|)). */
  const fromGap = (gap: number) => {
    const g = Math.abs(gap);
    const q = 1 / (1 + Math.exp(g));
    return { logNonMax: -Math.log1p(Math.exp(g)), entropy: -(q * -Math.log1p(Math.exp(g)) + (1 - q) * -Math.log1p(Math.exp(-g))) };
  };
  const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
  const relClose = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.abs(want) + 1e-300);

  it('deterministic and SNGP: from the (mean-field scaled) logits', async () => {
    const det = await models.get('deterministic')!.predict(rows);
    const sngp = await models.get('sngp')!.predict(rows);
    const lambda = models.get('sngp')!.info.card.meanFieldFactor!;
    const t = models.get('sngp')!.info.card.temperature ?? 1;
    const td = temperatureOf('deterministic');
    for (let i = 0; i < n; i++) {
      const d = fromGap((det.logits![2 * i] - det.logits![2 * i + 1]) / td);
      close(det.scores.logNonMax[i], d.logNonMax);
      relClose(det.scores.entropy[i], d.entropy);
      const scale = t * Math.sqrt(1 + lambda * Math.max(0, sngp.variance![i]));
      const g = fromGap((sngp.logits![2 * i] - sngp.logits![2 * i + 1]) / scale);
      close(sngp.scores.logNonMax[i], g.logNonMax);
      relClose(sngp.scores.entropy[i], g.entropy);
    }
    expect(det.scores.variance).toBeUndefined();
    expect(Array.from(sngp.scores.variance!)).toEqual(Array.from(sngp.variance!));
  });

  it('MC dropout and ensemble: log of the mean member probability, from the per-sample logits', async () => {
    for (const method of ['mc-dropout', 'ensemble'] as const) {
      const model = models.get(method)!;
      const card = model.info.card;
      const p = await model.predict(rows, { seed: 4 });
      const noise = method === 'mc-dropout' ? dropoutNoise(card.numSamples!, card.dropoutNoiseShape!, 4) : undefined;
      const raw = await rawOutputs(method, flat, n, noise);
      const mean = meanSoftmaxF64(tempered(raw.logits.data, temperatureOf(method)), card.numSamples!, 2);
      for (let i = 0; i < n; i++) {
        const r = reference(mean, i);
        close(p.scores.logNonMax[i], r.logNonMax);
        relClose(p.scores.entropy[i], r.entropy);
      }
      expect(p.scores.variance).toBeUndefined();
    }
  });

  it('rows tied at float32 uncertainty 0 get distinct scores', async () => {
    for (const method of METHODS.filter((m) => m !== 'sngp')) {
      const p = await models.get(method)!.predict(rows, { seed: 0 });
      const tied = Array.from({ length: n }, (_, i) => i).filter((i) => p.uncertainty[i] === 0);
      // The baselines are certain at the far grid corners and on the OOD cluster.
      expect(tied.length, method).toBeGreaterThanOrEqual(2);
      const values = new Set(tied.map((i) => p.scores.logNonMax[i]));
      expect(values.size, method).toBe(tied.length);
      // Confident rows: 1 - max p below 1e-6 (float32 rounds it to 0 from ~6e-8 up, depending on how
      // the probabilities were summed), yet each has its own score.
      for (const i of tied) expect(p.scores.logNonMax[i]).toBeLessThan(Math.log(1e-6));
    }
  });

  it('do not depend on chunking, and are NaN for a marked row', async () => {
    for (const m of METHODS) {
      const whole = await models.get(m)!.predict(flat, { seed: 3 });
      const chunked = await models.get(m)!.predict(flat, { seed: 3, batchSize: 7 });
      expect(maxAbsDiff(chunked.scores.logNonMax, whole.scores.logNonMax), m).toBeLessThan(1e-9);
      expect(maxAbsDiff(chunked.scores.entropy, whole.scores.entropy), m).toBeLessThan(1e-9);
      const marked = await models.get(m)!.predict([rows[0], [3e38, -3e38], rows[1]], { nonFinite: 'mark', batchSize: 2, seed: 3 });
      expect(Array.from(marked.invalid!), m).toEqual([0, 1, 0]);
      expect(Number.isNaN(marked.scores.logNonMax[1]) && Number.isNaN(marked.scores.entropy[1]), m).toBe(true);
      if (marked.scores.variance) expect(Number.isNaN(marked.scores.variance[1])).toBe(true);
      // Another batch: onnxruntime's float32 logits may differ in the last bits (~1e-6 here).
      expect(marked.scores.logNonMax[2], m).toBeCloseTo(whole.scores.logNonMax[1], 4);
    }
  });
});

describe('SNGP mean-field', () => {
  it('uses the model card lambda and temperature by default (calibrated at training)', async () => {
    const model = models.get('sngp')!;
    const { meanFieldFactor: lambda, temperature, calibration } = model.info.card;
    // The main job's SNGP is calibrated on a held-out two-moons draw: its card records the fit.
    expect(calibration).not.toBeNull();
    expect(calibration!.meanFieldFactorBefore).toBeCloseTo(Math.PI / 8, 10);
    const p = await model.predict(rows);
    expect(maxAbsDiff(p.probs, meanFieldProbs(p.logits!, p.variance!, 2, lambda!, temperature ?? 1))).toBeLessThan(1e-7);
    // ... and the explicit options override both.
    const uncalibrated = await model.predict(rows, { meanFieldFactor: Math.PI / 8, temperature: 1 });
    expect(maxAbsDiff(uncalibrated.probs, meanFieldProbs(p.logits!, p.variance!, 2, Math.PI / 8, 1))).toBeLessThan(1e-7);
  });

  it('honours a per-call lambda override, and lambda < 0 gives plain softmax', async () => {
    const model = models.get('sngp')!;
    const p = await model.predict(rows, { meanFieldFactor: 3 / Math.PI ** 2 });
    const t = model.info.card.temperature ?? 1;
    // Formula written out here, not via core, so a wrong core would fail too.
    for (let i = 0; i < n; i++) {
      const s = t * Math.sqrt(1 + (3 / Math.PI ** 2) * p.variance![i]);
      const e0 = Math.exp(p.logits![2 * i] / s);
      const e1 = Math.exp(p.logits![2 * i + 1] / s);
      expect(p.probs[2 * i]).toBeCloseTo(e0 / (e0 + e1), 6);
    }
    const plain = await model.predict(rows, { meanFieldFactor: -1 });
    expect(maxAbsDiff(plain.probs, softmaxRows(plain.logits!.map((v) => v / t), 2))).toBeLessThan(1e-7);
    // Mean-field pulls probabilities towards 1/2: confidence can only drop.
    const def = await model.predict(rows);
    for (let i = 0; i < n; i++) expect(def.confidence[i]).toBeLessThanOrEqual(plain.confidence[i] + 1e-7);
  });
});

describe('MC dropout noise', () => {
  it('same seed gives the same output, different seeds differ', async () => {
    const model = models.get('mc-dropout')!;
    const a = await model.predict(rows, { seed: 1 });
    const b = await model.predict(rows, { seed: 1 });
    const c = await model.predict(rows, { seed: 2 });
    expect(Array.from(a.probs)).toEqual(Array.from(b.probs));
    expect(maxAbsDiff(a.probs, c.probs)).toBeGreaterThan(1e-6);
  });

  it('takes T from the card or a per-call override', async () => {
    const model = models.get('mc-dropout')!;
    const card = model.info.card;
    expect(card.numSamples).toBe(10);
    const p = await model.predict(rows, { samples: 3, seed: 5 });
    const raw = await rawOutputs('mc-dropout', flat, n, dropoutNoise(3, card.dropoutNoiseShape!, 5));
    expect(raw.logits.dims[0]).toBe(3);
    expect(maxAbsDiff(p.probs, meanSoftmaxF64(tempered(raw.logits.data, temperatureOf('mc-dropout')), 3, 2))).toBeLessThan(1e-6);
  });
});

describe('chunking', () => {
  it('batchSize chunks give the same result as one batch, for every method', async () => {
    for (const m of METHODS) {
      const whole = await models.get(m)!.predict(flat, { seed: 3 });
      const chunked = await models.get(m)!.predict(flat, { seed: 3, batchSize: 7 });
      expect(maxAbsDiff(chunked.probs, whole.probs)).toBeLessThan(1e-6);
      if (whole.variance) expect(maxAbsDiff(chunked.variance!, whole.variance)).toBeLessThan(1e-6);
    }
  });

  it('a load-time batchSize applies to every call', async () => {
    const model = await loadModel(modelPath('sngp'), { device: 'cpu', batchSize: 16 });
    try {
      const p = await model.predict(rows);
      const whole = await models.get('sngp')!.predict(rows);
      expect(maxAbsDiff(p.probs, whole.probs)).toBeLessThan(1e-6);
    } finally {
      await model.dispose();
    }
  });
});

describe('sources and info', () => {
  it('loads from a path, a file: URL and bytes, with the card in info', async () => {
    const { readFileSync } = await import('node:fs');
    const { pathToFileURL } = await import('node:url');
    const path = modelPath('sngp');
    const bytes = readFileSync(path);
    for (const src of [path, pathToFileURL(path), new Uint8Array(bytes), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)]) {
      const model = await loadModel(src, { device: 'cpu' });
      expect(model.info.method).toBe('sngp');
      expect(model.info.provider).toBe('cpu');
      expect(model.info.inputDim).toBe(2);
      expect(model.info.classes).toHaveLength(2);
      expect(model.info.featureNames).toHaveLength(2);
      expect(model.info.metadata['sngp.method']).toBe('sngp');
      await model.dispose();
    }
  });
});
