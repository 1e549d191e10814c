/**
 * The stacked (vectorised) ensemble against E separately trained deterministic networks: same
 * initial members from the same seed, and after several Adam steps on per-member batches with
 * dropout, the same weights, losses and predictions; same seed -> identical tensors; no tensor
 * leak per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_HYPER_PARAMETERS, type HyperParameters, type NamedTensor, Rng } from '@sngp/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, initBackend } from '../dist/index.js';

beforeAll(async () => {
  await initBackend('auto');
});

const hp: HyperParameters = {
  ...DEFAULT_HYPER_PARAMETERS,
  inputDim: 3,
  numClasses: 3,
  hiddenDim: 16,
  numLayers: 3,
  dropoutRate: 0.2,
  ensembleSize: 3,
};
const ROWS = 24;

interface Batch {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
  oneHot: tf.Tensor2D;
}

/** One random batch per member for step `s` (values from a seeded Rng, not tfjs's RNG). */
function batchesFor(s: number): Batch[] {
  const rng = new Rng(1000 + s);
  return Array.from({ length: hp.ensembleSize }, () => {
    const x = Float32Array.from({ length: ROWS * hp.inputDim }, () => 2 * rng.normal());
    const labels = Int32Array.from({ length: ROWS }, () => rng.int(hp.numClasses));
    const y = tf.tensor1d(labels, 'int32');
    return { x: tf.tensor2d(x, [ROWS, hp.inputDim]), y, oneHot: tf.tidy(() => tf.cast(tf.oneHot(y, hp.numClasses), 'float32')) as tf.Tensor2D };
  });
}

function disposeBatches(bs: Batch[]): void {
  for (const b of bs) tf.dispose([b.x, b.y, b.oneHot]);
}

function maxAbsDiff(a: NamedTensor, b: NamedTensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

describe('stacked ensemble', () => {
  it('initialises members exactly as separate deterministic models from rng.fork()', () => {
    const ens = createModel('ensemble', hp, new Rng(5));
    const rng = new Rng(5);
    const dets = Array.from({ length: hp.ensembleSize }, () => createModel('deterministic', hp, rng.fork()));
    const t = ens.tensors();
    for (let e = 0; e < hp.ensembleSize; e++) {
      const d = dets[e].tensors();
      for (const name of Object.keys(d)) expect(Array.from(t[`members.${e}.${name}`].data), name).toEqual(Array.from(d[name].data));
    }
    expect(Array.from(t['members.0.blocks.0.kernel'].data)).not.toEqual(Array.from(t['members.1.blocks.0.kernel'].data));
    ens.dispose();
    for (const d of dets) d.dispose();
  });

  it('one stacked Adam step per batch set equals E separate Adam steps (weights, losses, predictions)', () => {
    const lr = 1e-2; // large enough that the weights move visibly in a few steps
    const ens = createModel('ensemble', hp, new Rng(9));
    const rng = new Rng(9);
    const dets = Array.from({ length: hp.ensembleSize }, () => createModel('deterministic', hp, rng.fork()));
    const initial = ens.tensors();
    const optEns = tf.train.adam(lr);
    const optDets = dets.map(() => tf.train.adam(lr));
    for (let s = 0; s < 6; s++) {
      const bs = batchesFor(s);
      let acc: tf.Scalar | null = null;
      const ensLoss = optEns.minimize(
        () => {
          const r = ens.loss(bs, new Rng(77 + s));
          acc = r.accuracy;
          return r.loss;
        },
        true,
        ens.trainable,
      )!;
      // The separate members draw their dropout masks from one stream in member order, as the
      // ensemble does; each has its own Adam.
      const dropout = new Rng(77 + s);
      const accs: number[] = [];
      const memberLosses = dets.map((d, e) => {
        const l = optDets[e].minimize(
          () => {
            const r = d.loss([bs[e]], dropout);
            accs.push(r.accuracy.dataSync()[0]);
            r.accuracy.dispose();
            return r.loss;
          },
          true,
          d.trainable,
        )!;
        const v = l.dataSync()[0];
        l.dispose();
        return v;
      });
      expect(ensLoss.dataSync()[0]).toBeCloseTo(memberLosses.reduce((a, b) => a + b, 0), 4);
      expect(acc!.dataSync()[0]).toBeCloseTo(accs.reduce((a, b) => a + b, 0) / accs.length, 6);
      tf.dispose([ensLoss, acc!]);
      disposeBatches(bs);
    }
    const t = ens.tensors();
    let moved = 0;
    for (let e = 0; e < hp.ensembleSize; e++) {
      const d = dets[e].tensors();
      for (const name of Object.keys(d)) {
        const full = `members.${e}.${name}`;
        expect(maxAbsDiff(t[full], d[name]), full).toBeLessThan(1e-5);
        moved = Math.max(moved, maxAbsDiff(t[full], initial[full]));
      }
    }
    expect(moved).toBeGreaterThan(1e-2);
    // Evaluation: the mean of the members' softmax probabilities.
    const evalRng = new Rng(3);
    const n = 50;
    const x = Float32Array.from({ length: n * hp.inputDim }, () => 2 * evalRng.normal());
    const p = ens.predictProbs(x, n, new Rng(0));
    const ps = dets.map((d) => d.predictProbs(x, n, new Rng(0)));
    for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - ps.reduce((a, q) => a + q[i], 0) / ps.length)).toBeLessThan(1e-5);
    optEns.dispose();
    for (const o of optDets) o.dispose();
    ens.dispose();
    for (const d of dets) d.dispose();
  });

  it('the hand-written gradient of the summed loss equals every member autodiff gradient', () => {
    // Adam is nearly blind to a constant gradient scale, so compare raw gradients too.
    const ens = createModel('ensemble', hp, new Rng(4));
    const rng = new Rng(4);
    const dets = Array.from({ length: hp.ensembleSize }, () => createModel('deterministic', hp, rng.fork()));
    const bs = batchesFor(0);
    const stacked = tf.variableGrads(() => {
      const r = ens.loss(bs, new Rng(8));
      r.accuracy.dispose();
      return r.loss;
    }, ens.trainable);
    const dropout = new Rng(8);
    const members = dets.map((d, e) =>
      tf.variableGrads(() => {
        const r = d.loss([bs[e]], dropout);
        r.accuracy.dispose();
        return r.loss;
      }, d.trainable),
    );
    // Stacked variables: block kernels, block biases, output kernel, output bias; a member's:
    // block kernels, block biases, output kernel, output bias (the same order).
    const L = hp.numLayers;
    ens.trainable.forEach((v, i) => {
      const g = stacked.grads[v.name].dataSync();
      const size = g.length / hp.ensembleSize;
      for (let e = 0; e < hp.ensembleSize; e++) {
        const mv = dets[e].trainable[i];
        expect(mv.size, `${i}`).toBe(size);
        const mg = members[e].grads[mv.name].dataSync();
        let diff = 0;
        let norm = 0;
        for (let j = 0; j < size; j++) {
          diff = Math.max(diff, Math.abs(g[e * size + j] - mg[j]));
          norm = Math.max(norm, Math.abs(mg[j]));
        }
        expect(diff, `variable ${i} (of ${2 * L + 2}), member ${e}`).toBeLessThan(1e-6 + 1e-5 * norm);
        if (i < L) expect(norm).toBeGreaterThan(0);
      }
    });
    tf.dispose([stacked.value, ...Object.values(stacked.grads), ...members.flatMap((m) => [m.value, ...Object.values(m.grads)])]);
    disposeBatches(bs);
    ens.dispose();
    for (const d of dets) d.dispose();
  });

  it('the same seed gives identical tensors, another seed does not, and steps do not leak tensors', () => {
    const run = (seed: number): Record<string, NamedTensor> => {
      const ens = createModel('ensemble', hp, new Rng(seed));
      const opt = tf.train.adam(1e-2);
      const counts: number[] = [];
      for (let s = 0; s < 4; s++) {
        const bs = batchesFor(s);
        const c = opt.minimize(
          () => {
            const r = ens.loss(bs, new Rng(seed + s));
            r.accuracy.dispose();
            return r.loss;
          },
          true,
          ens.trainable,
        )!;
        c.dispose();
        disposeBatches(bs);
        counts.push(tf.memory().numTensors);
      }
      // Adam creates its moment variables on the first step; after that the count is flat.
      expect(counts.slice(1)).toEqual([counts[1], counts[1], counts[1]]);
      const t = ens.tensors();
      opt.dispose();
      ens.dispose();
      return t;
    };
    const a = run(21);
    const b = run(21);
    const c = run(22);
    for (const name of Object.keys(a)) expect(Array.from(a[name].data), name).toEqual(Array.from(b[name].data));
    expect(Array.from(a['members.1.blocks.2.kernel'].data)).not.toEqual(Array.from(c['members.1.blocks.2.kernel'].data));
  });
});
