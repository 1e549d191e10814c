/** Short runs: reproducibility, the ensemble and MC-dropout checkpoints, CSV data, --json. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, checkpointTensorSpec } from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { afterAll, describe, expect, it } from 'vitest';
import { numpyRead, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-train-methods-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function train(name: string, args: string[]): { out: string; summary: Record<string, unknown> } {
  const out = join(dir, name);
  const r = runCli([...args, '--out', out, '--json', '--quiet']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { out, summary: JSON.parse(r.stdout) };
}

const weights = (out: string) => readFileSync(join(out, 'weights.safetensors'));

describe('reproducibility', () => {
  it('the same seed gives identical tensors; another seed does not', () => {
    const small = ['--method', 'sngp', '--epochs', '2', '--random-features', '64', '--width', '32'];
    const a = train('seed7a', [...small, '--seed', '7']).out;
    const b = train('seed7b', [...small, '--seed', '7']).out;
    const c = train('seed8', [...small, '--seed', '8']).out;
    expect(weights(a).equals(weights(b))).toBe(true);
    expect(weights(a).equals(weights(c))).toBe(false);
    const ta = readCheckpoint(a).tensors;
    const tc = readCheckpoint(c).tensors;
    expect(Array.from(ta['blocks.0.kernel'].data)).not.toEqual(Array.from(tc['blocks.0.kernel'].data));
  });
});

describe('ensemble', () => {
  it('writes a valid checkpoint of independently initialised members', () => {
    const { out, summary } = train('ensemble', ['--method', 'ensemble', '--epochs', '2', '--ensemble-size', '3']);
    const ck = readCheckpoint(out); // validates names, shapes and dtypes against the core contract
    expect(ck.config.method).toBe('ensemble');
    expect(ck.config.hyperParameters.ensembleSize).toBe(3);
    expect(Object.keys(ck.tensors).sort()).toEqual(Object.keys(checkpointTensorSpec('ensemble', ck.config.hyperParameters)).sort());
    const k0 = ck.tensors['members.0.blocks.0.kernel'].data;
    const k1 = ck.tensors['members.1.blocks.0.kernel'].data;
    expect(Array.from(k0)).not.toEqual(Array.from(k1));
    const i0 = ck.tensors['members.0.input.kernel'].data;
    const i2 = ck.tensors['members.2.input.kernel'].data;
    expect(Array.from(i0)).not.toEqual(Array.from(i2));
    expect(ck.config.metrics.testAccuracy).toBeGreaterThan(0.5);
    expect(summary.method).toBe('ensemble');
    const np = numpyRead(join(out, 'weights.safetensors'));
    expect(Object.keys(np)).toHaveLength(3 * (2 + 2 * 6 + 2));
    expect(np['members.2.output.kernel']).toMatchObject({ dtype: 'F32', shape: [128, 2], finite: true });
  });
});

describe('mc-dropout', () => {
  it('writes a valid checkpoint with the deterministic tensor names and the sample count', () => {
    const { out } = train('mc', ['--method', 'mc-dropout', '--epochs', '2', '--mc-samples', '5', '--dropout', '0.2']);
    const ck = readCheckpoint(out);
    expect(ck.config.method).toBe('mc-dropout');
    expect(ck.config.hyperParameters).toMatchObject({ mcSamples: 5, dropoutRate: 0.2 });
    expect(Object.keys(ck.tensors).sort()).toEqual(Object.keys(checkpointTensorSpec('deterministic', ck.config.hyperParameters)).sort());
    expect(ck.config.metrics.testAccuracy).toBeGreaterThan(0.5);
  });
});

describe('CSV data', () => {
  it('trains on string labels with a validation split and records the standardisation', () => {
    // Three well-separated blobs far from the origin, on different scales per feature.
    const rng = new Rng(3);
    const centers: Record<string, [number, number]> = { setosa: [100, 5], versicolor: [130, 9], virginica: [160, 1] };
    const lines = ['width,height,species'];
    for (let i = 0; i < 150; i++) {
      const label = Object.keys(centers)[i % 3];
      const [cx, cy] = centers[label];
      lines.push(`${(cx + 4 * rng.normal()).toFixed(3)},${(cy + 0.4 * rng.normal()).toFixed(3)},${label}`);
    }
    const path = join(dir, 'blobs.csv');
    writeFileSync(path, lines.join('\n') + '\n');
    const { out, summary } = train('csv', [
      '--method', 'deterministic', '--data', path, '--label-column', 'species', '--epochs', '30', '--batch-size', '32',
      '--learning-rate', '0.01', '--width', '32', '--depth', '2',
    ]);
    const ck = readCheckpoint(out);
    expect(ck.config.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(ck.config.featureNames).toEqual(['width', 'height']);
    expect(ck.config.training).toMatchObject({ labelColumn: 'species', trainRows: 120, validationRows: 30 });
    const s = ck.config.standardization!;
    expect(s.mean[0]).toBeGreaterThan(110);
    expect(s.mean[0]).toBeLessThan(150);
    expect(s.std[0]).toBeGreaterThan(s.std[1]);
    expect(ck.config.metrics.validationAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(ck.config.metrics.testAccuracy).toBeUndefined();
    expect(summary).toMatchObject({ trainRows: 120, validationRows: 30, backend: ck.config.backend });
  });
});
