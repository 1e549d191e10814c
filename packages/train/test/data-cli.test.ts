/**
 * `sngp-train` with file data: --dry-run (summary as text and JSON, nothing written), IDX images +
 * labels (the real Fashion-MNIST test split, installed by scripts/setup.sh), the CSV checks of the
 * streaming loader through the CLI, and the SNGP precision-pass progress line.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { twoMoons } from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { afterAll, describe, expect, it } from 'vitest';
import { MOONS_DATA_SEED } from '../dist/index.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-train-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FASHION = '/usr/share/datasets/fashion-mnist';
const IMAGES = join(FASHION, 't10k-images-idx3-ubyte.gz');
const LABELS = join(FASHION, 't10k-labels-idx1-ubyte.gz');

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** 40 rows, 2 features, labels cat (15) / dog (25), with a BOM before the header. */
const csv = file(
  'pets.csv',
  '\uFEFFweight,height,kind\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 8 < 3 ? 'cat' : 'dog'}`).join('\n') + '\n',
);

function dryRunJson(args: string[]): Record<string, any> {
  const r = runCli(['--dry-run', '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

function fails(args: string[], pattern: RegExp): void {
  const r = runCli([...args, '--quiet']);
  expect(r.status).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stdout).toBe('');
}

describe('--dry-run', () => {
  it('summarises the two-moons data without --out', () => {
    const s = dryRunJson([]);
    const { train, test } = twoMoons(MOONS_DATA_SEED);
    const perClass = [0, 1].map((c) => Array.from(train.y!).filter((y) => y === c).length);
    expect(s).toMatchObject({ dryRun: true, method: 'sngp', epochs: 100, batchSize: 128, stepsPerEpoch: 8, out: null });
    expect(s.data).toMatchObject({
      data: 'moons',
      format: 'moons',
      rows: train.n,
      features: 2,
      trainRows: train.n,
      validationRows: 0,
      testRows: test.n,
      bytes: train.n * (2 * 4 + 4),
    });
    expect(s.data.classes).toEqual([
      { name: '0', count: perClass[0] },
      { name: '1', count: perClass[1] },
    ]);
    expect(s.peakRssBytes).toBeGreaterThan(10 * 2 ** 20);
  });

  it('summarises a CSV (BOM stripped, split sizes, class counts, bytes) and writes nothing', () => {
    const out = join(dir, 'never-written');
    const s = dryRunJson(['--data', csv, '--label-column', 'kind', '--batch-size', '8', '--out', out]);
    expect(existsSync(out)).toBe(false);
    expect(s.data).toMatchObject({ format: 'csv', rows: 40, features: 2, trainRows: 32, validationRows: 8, bytes: 40 * 12 });
    expect(s.data.classes).toEqual([
      { name: 'cat', count: 15 },
      { name: 'dog', count: 25 },
    ]);
    expect(s).toMatchObject({ stepsPerEpoch: 4, out });
    const text = runCli(['--dry-run', '--data', csv, '--validation-split', '0.25', '--batch-size', '8']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/nothing trained, nothing written/);
    expect(text.stdout).toMatch(/rows +40 x 2 features, 2 classes/);
    expect(text.stdout).toMatch(/classes +cat 15 \(37\.5%\), dog 25 \(62\.5%\)/);
    expect(text.stdout).toMatch(/split +30 train \/ 10 validation/);
    expect(text.stdout).toMatch(/memory +480 bytes/);
  });

  it('fails like a real run on bad data or options, with one line', () => {
    fails(['--dry-run', '--data', csv, '--batch-size', '33'], /--batch-size 33 is larger than the training data \(32 rows after holding out 8 for validation\)/);
    fails(['--dry-run', '--data', file('dup.csv', 'a,a,label\n1,2,x\n3,4,y\n')], /dup\.csv: duplicate column name "a" \(columns 1 and 2\)/);
    fails(['--dry-run', '--data', file('nolabel.csv', 'a,b,label\n1,2,x\n3,4,\n5,6,y\n')], /nolabel\.csv: row 3: empty label in column "label"/);
    const latin1 = Buffer.concat([Buffer.from('a,label\n1,x\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    fails(['--dry-run', '--data', file('latin1.csv', latin1)], /latin1\.csv: invalid UTF-8 at byte 17 \(row 3\)/);
  });

  it('summarises IDX images and labels (Fashion-MNIST test split)', () => {
    const s = dryRunJson(['--data', IMAGES, '--labels', LABELS]);
    expect(s.data).toMatchObject({
      data: IMAGES,
      labels: LABELS,
      format: 'idx',
      rows: 10_000,
      features: 784,
      trainRows: 8_000,
      validationRows: 2_000,
      bytes: 10_000 * (784 * 4 + 4),
    });
    expect(s.data.classes).toEqual(Array.from({ length: 10 }, (_, i) => ({ name: String(i), count: 1000 })));
  });
});

describe('IDX data', () => {
  it('trains on Fashion-MNIST images with their labels', () => {
    const out = join(dir, 'fashion');
    const r = runCli([
      '--method', 'deterministic', '--data', IMAGES, '--labels', LABELS, '--epochs', '2', '--width', '32', '--depth', '1',
      '--learning-rate', '0.003', '--out', out, '--json', '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const ck = readCheckpoint(out);
    expect(ck.config.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ck.config.featureNames).toHaveLength(784);
    expect(ck.config.featureNames[29]).toBe('pixel_1_1');
    expect(ck.config.training).toMatchObject({ data: IMAGES, trainRows: 8_000, validationRows: 2_000 });
    expect(ck.config.standardization!.mean).toHaveLength(784);
    console.log(`Fashion-MNIST (t10k split), 2 epochs: validation accuracy ${ck.config.metrics.validationAccuracy}`);
    expect(ck.config.metrics.validationAccuracy).toBeGreaterThan(0.6); // chance: 0.1
  });

  it.each([
    ['IDX images without --labels', ['--data', IMAGES], /t10k-images-idx3-ubyte\.gz: IDX images need their labels: add --labels <file>/],
    ['--labels with a CSV', ['--data', csv, '--labels', LABELS], /--labels applies to IDX images only .*a CSV file carries its labels in a column \(--label-column\)/],
    ['--labels with moons', ['--labels', LABELS], /--labels applies to IDX images only .*--data is "moons"/],
    ['--label-column with IDX', ['--data', IMAGES, '--labels', LABELS, '--label-column', 'y'], /--label-column applies to CSV data only; IDX labels come from --labels/],
    [
      'images and labels of different splits',
      ['--data', join(FASHION, 'train-images-idx3-ubyte.gz'), '--labels', LABELS],
      /train-images-idx3-ubyte\.gz has 60000 rows \(\[60000, 28, 28\] uint8\) but .*t10k-labels-idx1-ubyte\.gz has 10000 labels; pass the matching pair/,
    ],
    ['swapped images and labels', ['--data', LABELS, '--labels', IMAGES], /t10k-images-idx3-ubyte\.gz: labels must be a 1-D array \[n\], got \[10000, 28, 28\] uint8; did you swap --data and --labels\?/],
    ['a CSV passed as IDX', ['--data', file('fake.idx', 'a,b\n1,2\n'), '--labels', LABELS], /fake\.idx: not an IDX file \(magic bytes 61 2c 62 0a/],
  ])('%s: one line, exit 1', (_name, args, pattern) => {
    fails(['--dry-run', ...args], pattern);
    fails([...args, '--out', join(dir, 'x')], pattern);
  });
});

describe('SNGP progress', () => {
  it('reports the precision pass after the epochs when not quiet', () => {
    const r = runCli(['--method', 'sngp', '--epochs', '1', '--width', '16', '--random-features', '64', '--out', join(dir, 'progress')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/epoch 1\/1 [^\n]*\nprecision pass 1000\/1000 rows\n/);
  });

  it('a missing --out is still an error outside --dry-run', () => {
    const r = runCli(['--epochs', '1', '--quiet']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--out <dir>.* not specified \(or use --dry-run/);
  });
});
