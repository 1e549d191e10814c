/**
 * Held-out classes of real data as the OOD set: a small deterministic model trained (sngp-train,
 * sngp-export bins) on 3,000 Fashion-MNIST training images of classes 0-4, then sngp-eval on the
 * real t10k files (Debian's dataset-fashion-mnist, installed by scripts/setup.sh) with classes
 * 0-4 in domain and 5-9 as OOD. Checks the plumbing on 784 features and 10,000 rows (row counts,
 * class mapping, per-score metrics, the three figures), not the model's quality.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadIdxDataset } from '@sngp/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportJson } from '../src/report.js';
import { ROOT, evalCli } from './helpers.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const T10K_IMAGES = join(FASHION, 't10k-images-idx3-ubyte.gz');
const T10K_LABELS = join(FASHION, 't10k-labels-idx1-ubyte.gz');
const dir = mkdtempSync(join(tmpdir(), 'sngp-eval-fashion-'));
let model: string;

function bin(name: string, args: string[]): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/.bin', name), ...args], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${name} failed (${r.status}): ${r.stderr}`);
}

/** An uncompressed uint8 IDX file. */
function idxBytes(dims: number[], values: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const v = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(values, 4 + 4 * dims.length);
  return out;
}

beforeAll(async () => {
  // The first 3,000 training images of classes 0-4, written back as uint8 IDX.
  const train = await loadIdxDataset(join(FASHION, 'train-images-idx3-ubyte.gz'), join(FASHION, 'train-labels-idx1-ubyte.gz'));
  const rows: number[] = [];
  for (let i = 0; i < train.n && rows.length < 3000; i++) if (train.y![i] < 5) rows.push(i);
  const pixels = new Uint8Array(rows.length * 784);
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, k) => {
    for (let j = 0; j < 784; j++) pixels[k * 784 + j] = Math.round(train.x[r * 784 + j] * 255);
    labels[k] = Number(train.classes[train.y![r]]);
  });
  writeFileSync(join(dir, 'sub-images.idx'), idxBytes([rows.length, 28, 28], pixels));
  writeFileSync(join(dir, 'sub-labels.idx'), idxBytes([rows.length], labels));
  const ckpt = join(dir, 'ckpt');
  bin('sngp-train', [
    '--method', 'deterministic', '--data', join(dir, 'sub-images.idx'), '--labels', join(dir, 'sub-labels.idx'),
    '--epochs', '5', '--width', '64', '--depth', '1', '--learning-rate', '1e-3', '--quiet', '--out', ckpt,
  ]);
  model = join(dir, 'fashion.onnx');
  bin('sngp-export', [ckpt, '--out', model]);
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Fashion-MNIST: classes 5-9 of the test set as OOD for a model of classes 0-4', () => {
  it('evaluates 5,000 in-domain and 5,000 OOD rows of the real t10k files and draws the figures', () => {
    const out = join(dir, 'report');
    const r = evalCli([
      model, '--data', T10K_IMAGES, '--labels', T10K_LABELS, '--classes', '0,1,2,3,4',
      '--ood', T10K_IMAGES, '--ood-labels', T10K_LABELS, '--ood-classes', '5,6,7,8,9',
      '--out', out, '--device', 'cpu', '--latency-runs', '1',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const report = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ReportJson;
    const m = report.models[0];
    expect(m.classes).toEqual(['0', '1', '2', '3', '4']);
    expect(m.test.rows).toBe(5000);
    expect(m.ood!.rows).toBe(5000);
    // Five classes: chance is 0.2; 5 epochs on 3,000 images reached 0.76 here.
    expect(m.test.accuracy).toBeGreaterThan(0.5);
    for (const s of ['logNonMax', 'entropy'] as const) {
      const v = m.ood!.byScore[s]!;
      expect(v.auroc > 0 && v.auroc < 1 && v.aupr > 0 && v.aupr < 1, `${s}: ${JSON.stringify(v)}`).toBe(true);
    }
    expect(m.reliability.reduce((a, b) => a + b.count, 0)).toBe(5000);
    expect(m.latency.rows).toBe(10_000);
    expect(readdirSync(join(out, 'figures')).sort()).toEqual(['ood-histogram.png', 'ood-roc.png', 'reliability.png', 'risk-coverage.png']);
  }, 300_000);
});
