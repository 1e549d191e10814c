/**
 * The verification points: the representative sample keeps the grid's corners and edges and every
 * 4th test and OOD row; MC dropout and ensembles are verified on it by default, deterministic and
 * SNGP on every point; the sample still catches a wrong graph.
 */
import { twoMoons } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { defaultCoverage, exportModel, verificationPoints, verifyModel } from '../src/index.js';
import { join } from 'node:path';
import { EXPORT_CLI, randomCheckpoint, runCli, tempDir, writeRandomCheckpoint } from './fixtures.js';

const rows = (x: Float32Array): string[] => Array.from({ length: x.length / 2 }, (_, i) => `${x[2 * i]},${x[2 * i + 1]}`);

describe('verification points', () => {
  it('the sample is a subset with the grid corners and every 4th test and OOD row', () => {
    const config = randomCheckpoint('ensemble').config;
    const all = verificationPoints(config);
    const sample = verificationPoints(config, undefined, 'sample');
    expect(all.n).toBe(11_500);
    expect(sample.n).toBe(21 * 21 + 251 + 126);
    expect(sample.label).toMatch(/^two-moons sample: grid lattice \(441\) \+ test \(251\) \+ OOD \(126\)$/);
    const full = new Set(rows(all.x));
    const picked = rows(sample.x);
    for (const r of picked) expect(full.has(r), r).toBe(true);
    const { grid, test, ood } = twoMoons(config.training.seed);
    const at = (x: Float32Array, i: number) => `${x[2 * i]},${x[2 * i + 1]}`;
    for (const corner of [0, 99, 9900, 9999]) expect(picked).toContain(at(grid.x, corner));
    expect(picked).toContain(at(test.x, 4));
    expect(picked).not.toContain(at(test.x, 5));
    expect(picked).toContain(at(ood.x, ood.n - 1));
    const gaussian = randomCheckpoint('ensemble', { hp: { inputDim: 3 } }).config;
    expect(verificationPoints(gaussian, undefined, 'sample').n).toBe(501);
  });

  it('MC dropout and ensembles default to the sample, deterministic and SNGP to every point', async () => {
    expect(['deterministic', 'sngp', 'mc-dropout', 'ensemble'].map((m) => defaultCoverage(m as 'sngp'))).toEqual(['full', 'full', 'sample', 'sample']);
    const ckpt = randomCheckpoint('ensemble');
    const { bytes, baked } = exportModel(ckpt);
    const v = await verifyModel(bytes, baked);
    expect(v.rows).toBe(818);
    expect(v.passed).toBe(true);
    const all = await verifyModel(bytes, baked, { coverage: 'full' });
    expect(all.rows).toBe(11_500);
    expect(all.passed).toBe(true);
  });

  it('sngp-export --verify-points: the sample by default for an ensemble, every point with full, a bad value is a usage error', () => {
    const dir = writeRandomCheckpoint('ensemble');
    const out = join(tempDir(), 'ensemble.onnx');
    const rows = (args: string[]): number => {
      const r = runCli(EXPORT_CLI, [dir, '--out', out, '--json', ...args]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout).verification.rows;
    };
    expect(rows([])).toBe(818);
    expect(rows(['--verify-points', 'full'])).toBe(11_500);
    const bad = runCli(EXPORT_CLI, [dir, '--out', out, '--verify-points', 'some']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('sngp-export: error: --verify-points: expected one of auto, full, sample, got "some"\n');
  });

  it('the sample catches a wrong graph: another checkpoint\'s weights fail verification', async () => {
    const { bytes } = exportModel(randomCheckpoint('ensemble', { seed: 1 }));
    const other = exportModel(randomCheckpoint('ensemble', { seed: 2 }));
    const v = await verifyModel(bytes, other.baked);
    expect(v.passed).toBe(false);
    expect(v.failures.join('; ')).toMatch(/max \|logits diff\|/);
  });
});
