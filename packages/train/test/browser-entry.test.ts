/**
 * The browser entry (`@sngp/train/browser`) run in Node: it trains from in-memory rows through the
 * same core as `trainModel` and returns the checkpoint as an object; bad input is an SngpError
 * before anything trains; and the entry's bundle pulls in no Node module.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Dataset, Rng, SngpError, checkpointTensorSpec, makeToyData } from '@sngp/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBrowserBackend, trainInMemory } from '../dist/browser.js';

const train = makeToyData('circles', 64, 0.05, new Rng(1));
const test = makeToyData('circles', 200, 0.05, new Rng(2));
const small = { width: 16, depth: 1, randomFeatures: 32, epochs: 40, batchSize: 16, learningRate: 1e-2 };

beforeAll(async () => {
  expect(await initBrowserBackend({ backend: 'cpu' })).toBe('cpu');
});

describe('trainInMemory', () => {
  it('trains SNGP on in-memory rows and returns a valid in-memory checkpoint', async () => {
    const epochs: number[] = [];
    let posterior = 0;
    const { checkpoint, summary } = await trainInMemory({ train, test, name: 'circles (test)' }, { ...small, method: 'sngp' }, {
      onEpoch: (s) => epochs.push(s.epoch),
      onPosterior: (done, total) => (posterior = done / total),
    });
    expect(epochs).toEqual(Array.from({ length: small.epochs }, (_, i) => i + 1));
    expect(posterior).toBe(1);
    expect(summary.out).toBeNull();
    expect(summary.backend).toBe('cpu');
    expect(summary.gp?.auto).toBe(true);
    expect(checkpoint.config.method).toBe('sngp');
    expect(checkpoint.config.training.data).toBe('circles (test)');
    expect(checkpoint.config.training.trainRows).toBe(64);
    expect(checkpoint.config.standardization).toBeNull();
    expect(checkpoint.config.hyperParameters.numRandomFeatures).toBe(32);
    expect(Object.keys(checkpoint.tensors).sort()).toEqual(Object.keys(checkpointTensorSpec('sngp', checkpoint.config.hyperParameters)).sort());
    // Learned: the circles are separable, the held-out draw is scored.
    expect(checkpoint.config.metrics.testAccuracy).toBeGreaterThan(0.9);
  });

  it('trains the deterministic model, reproducibly from the seed', async () => {
    const a = await trainInMemory({ train }, { ...small, epochs: 3, method: 'deterministic', seed: 5 });
    const b = await trainInMemory({ train }, { ...small, epochs: 3, method: 'deterministic', seed: 5 });
    const c = await trainInMemory({ train }, { ...small, epochs: 3, method: 'deterministic', seed: 6 });
    const kernel = (r: typeof a) => Array.from(r.checkpoint.tensors['blocks.0.kernel'].data);
    expect(kernel(a)).toEqual(kernel(b));
    expect(kernel(a)).not.toEqual(kernel(c));
    expect(a.checkpoint.config.training.data).toBe('in-memory');
  });

  it('rejects bad data and options with an SngpError before training', async () => {
    const unlabelled: Dataset = { ...train, y: undefined };
    const badLabel: Dataset = { ...train, y: Int32Array.from(train.y!, (v, i) => (i === 3 ? 2 : v)) };
    const nan: Dataset = { ...train, x: Float32Array.from(train.x, (v, i) => (i === 9 ? Number.NaN : v)) };
    const short: Dataset = { ...train, n: train.n + 1 };
    const wide: Dataset = { ...test, d: 3, x: new Float32Array(test.n * 3), featureNames: ['a', 'b', 'c'] };
    const oneClass: Dataset = { ...train, y: new Int32Array(train.n), classes: ['only'] };
    const cases: [Promise<unknown>, RegExp][] = [
      [trainInMemory({ train: unlabelled }, small), /no labels/],
      [trainInMemory({ train: badLabel }, small), /row 3 has label 2/],
      [trainInMemory({ train: nan }, small), /row 4, feature 1 is NaN/],
      [trainInMemory({ train: short }, small), /expected n \* d/],
      [trainInMemory({ train, test: wide }, small), /test data has 3 features/],
      [trainInMemory({ train: oneClass }, small), /need at least 2/],
      [trainInMemory({ train }, { ...small, batchSize: 65 }), /batchSize 65 is larger than the training data \(64 rows\)/],
      [trainInMemory({ train }, { ...small, epochs: 0 }), /--epochs must be a positive integer/],
    ];
    for (const [run, message] of cases) {
      await expect(run).rejects.toThrow(SngpError);
      await expect(run).rejects.toThrow(message);
    }
  });

  it('asks for the wasm binaries rather than fetching them from anywhere', async () => {
    await expect(initBrowserBackend({ backend: 'wasm' })).rejects.toThrow(/wasmPaths/);
  });
});

describe('the browser bundle', () => {
  it('imports no Node module, directly or through its chunks', () => {
    const dist = join(import.meta.dirname, '..', 'dist');
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(join(dist, file), 'utf8');
      for (const m of src.matchAll(/(?:from\s*|import\s*\(?\s*)["']([^"']+)["']/g)) {
        const spec = m[1];
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^(node:|fs$|path$|module$|os$|url$|child_process$|@sngp\/core\/node$|@tensorflow\/tfjs-node)/);
        if (spec.startsWith('./')) visit(spec.slice(2));
      }
    };
    visit('browser.js');
    expect(seen.size).toBeGreaterThan(1);
    expect(readdirSync(dist)).toContain('browser.d.ts');
  });
});
