/**
 * sngp-eval on a user's own data, end to end on the main job's (two-moons) models: `--ood` as a
 * CSV and as IDX, `--data` as IDX with `--labels`, held-out classes as the OOD set through
 * `--classes` / `--ood-classes`, the figures that work for any width, and the error lines.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { twoMoons } from '@sngp/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReportJson } from '../src/report.js';
import { evalCli, pipelineModel } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-eval-ood-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sngp = pipelineModel('sngp');
const det = pipelineModel('deterministic');
const { test, ood } = twoMoons(0);
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
// The main job's models carry conformal rules, hence the set-size figure.
const FIGURES = ['ood-histogram.png', 'ood-roc.png', 'reliability.png', 'risk-coverage.png', 'set-size.png'];

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** CSV rows "x,y[,label]" of a data set (in `order` of columns). */
function csv(ds: { x: Float32Array; n: number; y?: Int32Array }, header: string, cols: (x: number, y: number, label: number) => (number | string)[]): string {
  const lines = [header];
  for (let i = 0; i < ds.n; i++) lines.push(cols(ds.x[2 * i], ds.x[2 * i + 1], ds.y?.[i] ?? -1).join(','));
  return lines.join('\n') + '\n';
}

/** An IDX file: magic, type byte, big-endian dims, big-endian values. */
function idx(type: 'float32' | 'uint8', dims: number[], values: ArrayLike<number>): Uint8Array {
  const size = type === 'float32' ? 4 : 1;
  const out = new Uint8Array(4 + 4 * dims.length + values.length * size);
  const v = new DataView(out.buffer);
  out[2] = type === 'float32' ? 0x0d : 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const base = 4 + 4 * dims.length;
  for (let i = 0; i < values.length; i++)
    if (type === 'float32') v.setFloat32(base + 4 * i, values[i], false);
    else out[base + i] = values[i];
  return out;
}

/** The one error line, last on stderr (progress lines may come before it). */
const oneErrorLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  const errors = lines.filter((l) => /error/.test(l));
  expect(errors, stderr).toHaveLength(1);
  expect(lines[lines.length - 1]).toMatch(/^sngp-eval: error: /);
  return errors[0];
};

const readReport = (out: string) => JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ReportJson;

function expectFigures(out: string, extra: string[] = []): void {
  expect(readdirSync(join(out, 'figures')).sort()).toEqual([...FIGURES, ...extra].sort());
  for (const f of FIGURES) {
    const bytes = readFileSync(join(out, 'figures', f));
    expect(Array.from(bytes.subarray(0, 4)), f).toEqual(PNG_MAGIC);
    expect(bytes.length, f).toBeGreaterThan(10_000);
  }
}

// Test rows as a labelled CSV; the OOD cluster as an unlabelled CSV with its columns swapped.
const testCsv = write('test.csv', csv(test, 'x,y,label', (x, y, l) => [x, y, l]));
const oodCsv = write('ood.csv', csv(ood, 'y,x', (x, y) => [y, x]));

// One IDX pair holding both: labels 0/1 = the moons test rows, 2/3 = the OOD cluster (halves).
const n = test.n + ood.n;
const features = new Float32Array(2 * n);
features.set(test.x);
features.set(ood.x, 2 * test.n);
const labels = new Uint8Array(n);
labels.set(test.y!);
for (let i = 0; i < ood.n; i++) labels[test.n + i] = i < ood.n / 2 ? 2 : 3;
const images = join(dir, 'mixed-images.idx.gz');
writeFileSync(images, gzipSync(idx('float32', [n, 1, 2], features)));
const imageLabels = join(dir, 'mixed-labels.idx');
writeFileSync(imageLabels, idx('uint8', [n], labels));

describe('--ood on a CSV', () => {
  it('scores the OOD rows of a CSV against a CSV test set; report has OOD metrics per score and the four figures', () => {
    const out = join(dir, 'report-csv');
    const r = evalCli([sngp, det, '--data', testCsv, '--ood', oodCsv, '--out', out, '--device', 'cpu', '--latency-runs', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    expect(r.stdout).toMatch(/OOD detection by score/);
    const report = readReport(out);
    expect(report.data).toBe(testCsv);
    expect(report.oodData).toBe(oodCsv);
    expect(report.defaultScore).toBe('logNonMax');
    const [s, d] = report.models;
    expect(s.test.rows).toBe(1000);
    expect(s.ood!.rows).toBe(500);
    expect(Object.keys(s.ood!.byScore)).toEqual(['logNonMax', 'entropy', 'variance']);
    expect(Object.keys(d.ood!.byScore)).toEqual(['logNonMax', 'entropy']);
    // Same rows as the built-in two-moons sets (columns swapped back by name): SNGP separates them.
    expect(s.ood!.auroc).toBeGreaterThan(0.95);
    expect(s.ood!.byScore.variance!.auroc).toBeGreaterThan(0.95);
    expect(s.ood!.auroc).toBeGreaterThan(d.ood!.auroc);
    const moons = evalCli([sngp, '--data', 'moons', '--json', '--device', 'cpu', '--latency-runs', '1']);
    expect((JSON.parse(moons.stdout) as ReportJson).models[0].ood!.auroc).toBeCloseTo(s.ood!.auroc, 10);
    expectFigures(out);
    const md = readFileSync(join(out, 'README.md'), 'utf8');
    expect(md).toMatch(/OOD: .*ood\.csv \(positive\)/);
    expect(md).toContain('## Scores');
  }, 180_000);

  it('an OOD CSV whose width differs from the model is one error line, before any report', () => {
    const wide = write('wide.csv', 'a,b,c,d\n1,2,3,4\n');
    const r = evalCli([sngp, '--data', testCsv, '--ood', wide, '--out', join(dir, 'none'), '--device', 'cpu']);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r.stderr)).toMatch(
      /wide\.csv: OOD data has 4 column\(s\) \(a, b, c, d\), but model .*sngp\.onnx expects 2 feature column\(s\) \(x, y\) plus an optional label column/,
    );
    expect(() => readdirSync(join(dir, 'none'))).toThrow();
  }, 60_000);

  it('--ood-classes on a CSV without a label column is one error line', () => {
    const r = evalCli([sngp, '--data', testCsv, '--ood', oodCsv, '--ood-classes', '1', '--device', 'cpu']);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r.stderr)).toMatch(/--ood-classes: .*ood\.csv has no label column; name it with --ood-label-column/);
  }, 60_000);
});

describe('IDX --data / --ood with held-out classes', () => {
  it('classes 0,1 in domain, 2,3 of the same file as OOD', () => {
    const out = join(dir, 'report-idx');
    const r = evalCli([
      sngp, det, '--data', images, '--labels', imageLabels, '--classes', '0,1',
      '--ood', images, '--ood-labels', imageLabels, '--ood-classes', '2,3',
      '--out', out, '--device', 'cpu', '--latency-runs', '1',
    ]);
    expect(r.status, r.stderr).toBe(0);
    // The images' feature names (pixel_0_0, pixel_0_1) differ from the model's: matched by position, said once per file and model.
    expect(r.stderr).toMatch(/warning: .*mixed-images\.idx\.gz: feature names \(pixel_0_0, pixel_0_1\) differ from the model's \(x, y\); matching columns by position/);
    expect(r.stderr.match(/matching columns by position/g)).toHaveLength(1); // not once per model and set
    const report = readReport(out);
    expect(report.data).toBe(`${images} (classes 0, 1)`);
    expect(report.oodData).toBe(`${images} (classes 2, 3)`);
    const [s, d] = report.models;
    expect(s.test.rows).toBe(1000);
    expect(s.ood!.rows).toBe(500);
    expect(s.test.accuracy).toBeGreaterThan(0.97);
    expect(s.ood!.auroc).toBeGreaterThan(0.95);
    expect(s.ood!.auroc).toBeGreaterThan(d.ood!.auroc);
    expectFigures(out);
    // Only two of the OOD classes: fewer rows.
    const one = evalCli([sngp, '--data', images, '--labels', imageLabels, '--classes', '1,0', '--ood', images, '--ood-labels', imageLabels, '--ood-classes', '3', '--json', '--device', 'cpu', '--latency-runs', '1']);
    expect(one.status, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as ReportJson).models[0].ood!.rows).toBe(250);
  }, 180_000);

  it('--ood IDX images without labels: every row is OOD', () => {
    const oodImages = join(dir, 'ood-images-idx3-ubyte');
    writeFileSync(oodImages, idx('float32', [ood.n, 2], ood.x));
    const r = evalCli([sngp, '--data', 'moons', '--ood', oodImages, '--json', '--device', 'cpu', '--latency-runs', '1']);
    expect(r.status, r.stderr).toBe(0);
    const m = (JSON.parse(r.stdout) as ReportJson).models[0];
    expect(m.ood!.rows).toBe(500);
    expect(m.ood!.auroc).toBeGreaterThan(0.95);
  }, 60_000);

  it('without --classes, a label the model does not know is one line that suggests --classes', () => {
    const r = evalCli([sngp, '--data', images, '--labels', imageLabels, '--device', 'cpu']);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r.stderr)).toMatch(
      /mixed-images\.idx\.gz: label "2" is not one of the classes of model .*sngp\.onnx \[0, 1\]; keep only the model's classes with --classes 0,1/,
    );
  }, 60_000);

  it.each([
    ['unknown --classes entry', ['--data', images, '--labels', imageLabels, '--classes', '0,7'], /--classes: class "7" does not occur in .*mixed-labels\.idx \(its classes: 0, 1, 2, 3\)/],
    ['--classes entry the model does not know', ['--data', images, '--labels', imageLabels, '--classes', '0,2'], /--classes: class "2" is not one of the classes of model .*sngp\.onnx \[0, 1\]/],
    ['empty --classes entry', ['--data', images, '--labels', imageLabels, '--classes', '0,,1'], /--classes: empty class name at position 2 of "0,,1"/],
    ['unknown --ood-classes entry', ['--data', images, '--labels', imageLabels, '--classes', '0,1', '--ood', images, '--ood-labels', imageLabels, '--ood-classes', '9'], /--ood-classes: class "9" does not occur in .*mixed-labels\.idx \(its classes: 0, 1, 2, 3\)/],
    ['IDX --data without --labels', ['--data', images], /--data .*mixed-images\.idx\.gz: IDX images need their labels: add --labels <file>/],
    ['--labels with a CSV', ['--data', testCsv, '--labels', imageLabels], /--labels is for IDX images .*test\.csv is read as CSV/],
    ['--ood-classes without --ood', ['--data', 'moons', '--ood-classes', '2'], /--ood-classes needs --ood <file>/],
    ['--ood-classes on IDX without --ood-labels', ['--data', 'moons', '--ood', images, '--ood-classes', '2'], /--ood-classes: the IDX images of --ood .* need their labels: add --ood-labels <file>/],
    ['missing --ood file', ['--data', 'moons', '--ood', join(dir, 'missing.csv')], /missing\.csv: file does not exist/],
  ])('%s is one error line', (_name, args, message) => {
    const r = evalCli([sngp, ...args, '--device', 'cpu']);
    expect(r.status, r.stderr).toBe(1);
    expect(oneErrorLine(r.stderr)).toMatch(message);
  }, 60_000);
});
