/**
 * Fuzz stage (`npm run test:fuzz`, not part of `npm test`): at least 1,000 mutated ONNX files made
 * from real exported models of all four methods, each loaded with `loadModel` and run on a fixed
 * batch in a child process. Oracle: no crash (a child killed by a signal, or any exception other
 * than SngpError), no hang, no silent NaN (a model that loads returns finite predictions or throws
 * SngpError). SNGP_FUZZ_SEED and SNGP_FUZZ_CASES change the seed (default 1) and the case count.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { METHODS } from '@sngp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInChildren, summary, tally } from '../../../fuzz/harness.js';
import { type BaseModel, mutateModel } from './onnx-mutations.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../../node_modules/.bin');
const WORKER = resolve(import.meta.dirname, 'onnx-worker.mjs');
const SEED = Number(process.env.SNGP_FUZZ_SEED ?? 1);
const CASES = Number(process.env.SNGP_FUZZ_CASES ?? 1000);
/** Tiny models: the fuzz is about the file format, not accuracy. */
const TRAIN_ARGS = ['--data', 'moons', '--epochs', '2', '--width', '16', '--depth', '2', '--random-features', '64', '--ensemble-size', '3', '--mc-samples', '4', '--quiet'];

let dir: string;
const bases: BaseModel[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sngp-fuzz-onnx-'));
  for (const method of METHODS) {
    const ckpt = join(dir, `ckpt-${method}`);
    const onnx = join(dir, `${method}.onnx`);
    await run(process.execPath, [join(BIN, 'sngp-train'), '--method', method, ...TRAIN_ARGS, '--out', ckpt]);
    await run(process.execPath, [join(BIN, 'sngp-export'), ckpt, '--out', onnx, '--no-verify']);
    bases.push({ method, bytes: new Uint8Array(readFileSync(onnx)) });
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fuzz: mutated ONNX files through loadModel + predict', () => {
  it('the unmutated models load and predict finite values (the oracle can pass)', async () => {
    const cases = bases.map((b, index) => ({ index, file: join(dir, `${b.method}.onnx`), label: `${b.method}: original` }));
    const results = await runInChildren({ worker: WORKER, cases, dir, batchSize: 4, caseTimeoutMs: 30_000, concurrency: 1 });
    expect(results.map((r) => `${r.outcome} ${r.detail}`)).toEqual(bases.map(() => 'finite '));
  });

  it(`${CASES} mutants: no crash, no hang, no silent NaN`, async () => {
    const caseDir = join(dir, 'cases');
    mkdirSync(caseDir);
    const cases = Array.from({ length: CASES }, (_, index) => {
      const m = mutateModel(bases, SEED, index);
      const file = join(caseDir, `${index}.onnx`);
      writeFileSync(file, m.bytes);
      return { index, file, label: m.label };
    });
    const t0 = performance.now();
    const results = await runInChildren({ worker: WORKER, cases, dir, batchSize: 100, caseTimeoutMs: 20_000, concurrency: 2 });
    const report = summary('ONNX fuzz', results, SEED, (performance.now() - t0) / 1000);
    console.log(report);
    const t = tally(results);
    expect(results).toHaveLength(CASES);
    expect(t.crash, report).toBe(0);
    expect(t.hang, report).toBe(0);
    expect(t['silent-nan'], report).toBe(0);
    // Both paths are exercised: mutants that must be refused, and mutants (e.g. a changed weight) that still run.
    expect(t.rejected).toBeGreaterThan(0);
    expect(t.finite).toBeGreaterThan(0);
  });
});
