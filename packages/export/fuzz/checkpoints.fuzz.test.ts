/**
 * Fuzz stage (`npm run test:fuzz`, not part of `npm test`): at least 1,000 mutated checkpoints made
 * from real `sngp-train` checkpoints of all four methods, each going through `readCheckpoint` ->
 * `exportModel` -> `loadModel` -> `predict` in a child process. Oracle: no crash (a child killed by
 * a signal, or any exception other than SngpError), no hang, no silent NaN (an exported model
 * returns finite predictions or throws SngpError). SNGP_FUZZ_SEED and SNGP_FUZZ_CASES change the
 * seed (default 1) and the case count.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CHECKPOINT_JSON, CHECKPOINT_WEIGHTS, METHODS } from '@sngp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BaseCheckpoint, mutateCheckpoint } from './checkpoint-mutations.js';
import { runInChildren, summary, tally } from '../../../fuzz/harness.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../../node_modules/.bin');
const WORKER = resolve(import.meta.dirname, 'checkpoint-worker.mjs');
const SEED = Number(process.env.SNGP_FUZZ_SEED ?? 1);
const CASES = Number(process.env.SNGP_FUZZ_CASES ?? 1000);
/** Tiny models: the fuzz is about the file formats, not accuracy. */
const TRAIN_ARGS = ['--data', 'moons', '--epochs', '2', '--width', '16', '--depth', '2', '--random-features', '64', '--ensemble-size', '3', '--mc-samples', '4', '--quiet'];

let dir: string;
const bases: BaseCheckpoint[] = [];

function writeCase(caseDir: string, json: string, weights: Uint8Array): void {
  mkdirSync(caseDir, { recursive: true });
  writeFileSync(join(caseDir, CHECKPOINT_JSON), json);
  writeFileSync(join(caseDir, CHECKPOINT_WEIGHTS), weights);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sngp-fuzz-ckpt-'));
  for (const method of METHODS) {
    const ckpt = join(dir, `ckpt-${method}`);
    await run(process.execPath, [join(BIN, 'sngp-train'), '--method', method, ...TRAIN_ARGS, '--out', ckpt]);
    bases.push({
      method,
      json: readFileSync(join(ckpt, CHECKPOINT_JSON), 'utf8'),
      weights: new Uint8Array(readFileSync(join(ckpt, CHECKPOINT_WEIGHTS))),
    });
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fuzz: mutated checkpoints through readCheckpoint + exportModel + loadModel + predict', () => {
  it('the unmutated checkpoints export and predict finite values (the oracle can pass)', async () => {
    const cases = bases.map((b, index) => {
      writeCase(join(dir, 'originals', String(index)), b.json, b.weights);
      return { index, dir: join(dir, 'originals', String(index)), label: `${b.method}: original` };
    });
    const results = await runInChildren({ worker: WORKER, cases, dir, batchSize: 4, caseTimeoutMs: 30_000, concurrency: 1 });
    expect(results.map((r) => `${r.outcome} ${r.detail}`)).toEqual(bases.map(() => 'finite '));
  });

  it(`${CASES} mutants: no crash, no hang, no silent NaN`, async () => {
    const cases = Array.from({ length: CASES }, (_, index) => {
      const m = mutateCheckpoint(bases, SEED, index);
      const caseDir = join(dir, 'cases', String(index));
      writeCase(caseDir, m.json, m.weights);
      return { index, dir: caseDir, label: m.label };
    });
    const t0 = performance.now();
    const results = await runInChildren({ worker: WORKER, cases, dir, batchSize: 100, caseTimeoutMs: 20_000, concurrency: 2 });
    const report = summary('checkpoint fuzz', results, SEED, (performance.now() - t0) / 1000);
    console.log(report);
    const t = tally(results);
    expect(results).toHaveLength(CASES);
    expect(t.crash, report).toBe(0);
    expect(t.hang, report).toBe(0);
    expect(t['silent-nan'], report).toBe(0);
    expect(t.rejected).toBeGreaterThan(0);
    expect(t.finite).toBeGreaterThan(0);
  });
});
