/**
 * Issue #20 (tables): `sngp-train` on a CSV as users hold it: text columns, empty / NA cells, an
 * all-missing column, `--features` / `--ignore`. The preprocessing must be fitted on the training
 * split only and recorded in the checkpoint; a purely numeric CSV must train exactly as before.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-train-tables-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const TINY = ['--epochs', '3', '--width', '16', '--depth', '1', '--random-features', '64', '--batch-size', '16'];

/** 80 rows: id, age (every 7th empty), sex (text, some NA), site (text), notes (all empty), year, label. */
function mixedRows(): string[][] {
  const rng = new Rng(3);
  return Array.from({ length: 80 }, (_, i) => {
    const age = i % 7 === 3 ? '' : String(20 + Math.floor(rng.uniform() * 50));
    const sex = i % 11 === 5 ? 'NA' : rng.uniform() < 0.5 ? 'female' : 'male';
    const site = ['north', 'south', 'east'][i % 3];
    const label = (age !== '' && Number(age) > 45) !== (sex === 'male') ? 'sick' : 'well';
    return [String(i), age, sex, site, '', String(2000 + (i % 5)), label];
  });
}
const HEADER = ['id', 'age', 'sex', 'site', 'notes', 'year', 'label'];
const mixed = file('mixed.csv', [HEADER, ...mixedRows()].map((r) => r.join(',')).join('\n') + '\n');

describe('sngp-train on a table with text and missing cells', () => {
  it('trains with no preprocessing by the user; records the preprocessing (medians of the training split) and encoded feature names', () => {
    const out = join(dir, 'ck');
    const r = runCli(['--data', mixed, '--ignore', 'id,year', '--out', out, ...TINY]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*column "notes" is empty or missing in all 80 rows; left out/);
    expect(r.stderr).toMatch(/preprocessing: 3 columns -> 8 encoded features/);
    expect(r.stderr).toMatch(/text +sex \(2 categories, one-hot\), site \(3 categories, one-hot\)/);
    expect(r.stderr).toMatch(/ignored +id \(ignored\), year \(ignored\), notes \(all-missing\)/);
    const { config } = readCheckpoint(out);
    const p = config.preprocessing!;
    expect(config.featureNames).toEqual(['age', 'age_missing', 'sex=female', 'sex=male', 'sex_missing', 'site=east', 'site=north', 'site=south']);
    expect(config.hyperParameters.inputDim).toBe(8);
    expect(p.ignored).toEqual([
      { name: 'id', reason: 'ignored' },
      { name: 'year', reason: 'ignored' },
      { name: 'notes', reason: 'all-missing' },
    ]);
    expect(p.labelColumn).toBe('label');
    const age = p.columns[0];
    expect(age).toMatchObject({ name: 'age', kind: 'numeric', missingIndicator: true });
    if (age.kind === 'numeric') expect(age.impute >= 20 && age.impute <= 70).toBe(true);
    // Only the numeric column is standardised; the 0/1 one-hot and missing indicators stay 0/1.
    const { mean, std } = config.standardization!;
    expect([...mean, ...std].every(Number.isFinite)).toBe(true);
    expect(mean.slice(1)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(std.slice(1)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(mean[0]).toBeGreaterThan(20);
    expect(std[0]).toBeGreaterThan(1);
    expect(config.metrics.trainAccuracy).toBeGreaterThan(0);
  });

  it('fits the imputation median on the training split, not on the validation rows', () => {
    // Ages 1..10 in the training part and 1000 in every other row: with --validation-split 0 the
    // median of all rows is recorded; the recorded one must change with the split.
    const rows = Array.from({ length: 40 }, (_, i) => [i % 4 === 0 ? '' : String(i < 20 ? i : 1000 + i), i % 2 ? 'a' : 'b', i % 2 ? 'x' : 'y']);
    const path = file('median.csv', ['v,t,label', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    const whole = join(dir, 'median-whole');
    expect(runCli(['--data', path, '--validation-split', '0', '--out', whole, ...TINY]).status).toBe(0);
    const values = rows.map((r) => r[0]).filter((v) => v !== '').map(Number).sort((a, b) => a - b);
    const median = (v: number[]): number => (v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2);
    const recorded = (d: string): number => {
      const c = readCheckpoint(d).config.preprocessing!.columns[0];
      return c.kind === 'numeric' ? c.impute : NaN;
    };
    expect(recorded(whole)).toBe(median(values));
    const split = join(dir, 'median-split');
    expect(runCli(['--data', path, '--validation-split', '0.5', '--out', split, ...TINY]).status).toBe(0);
    // The split is the seed's split stream (the first fork of Rng(seed)): its last 20 rows train.
    const trainRows = Array.from(new Rng(0).fork().permutation(40).subarray(20));
    const trainValues = trainRows.map((i) => rows[i][0]).filter((v) => v !== '').map(Number).sort((a, b) => a - b);
    expect(median(trainValues)).not.toBe(median(values));
    expect(recorded(split)).toBe(median(trainValues));
  });

  it('--dry-run shows the preprocessing too', () => {
    const r = runCli(['--dry-run', '--data', mixed, '--ignore', 'id', '--batch-size', '16']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/preprocessing: 4 columns -> 9 encoded features/);
    expect(r.stdout).toMatch(/numeric +age \(missing -> median [\d.]+\), year/);
  });

  it('--features keeps only those columns, in that order, and records the rest as not selected', () => {
    const out = join(dir, 'ck-features');
    const r = runCli(['--data', mixed, '--features', 'site,age', '--out', out, '--quiet', ...TINY]);
    expect(r.status, r.stderr).toBe(0);
    const { config } = readCheckpoint(out);
    expect(config.featureNames).toEqual(['site=east', 'site=north', 'site=south', 'age', 'age_missing']);
    expect(config.preprocessing!.ignored.map((c) => `${c.name}:${c.reason}`)).toEqual(['id:not-selected', 'sex:not-selected', 'notes:not-selected', 'year:not-selected']);
  });

  it('unknown names in --features / --ignore are one-line errors listing the columns', () => {
    for (const [flag, list] of [['--features', 'age,agee'], ['--ignore', 'nope']]) {
      const r = runCli(['--data', mixed, flag, list, '--dry-run']);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`${flag} names column "(agee|nope)", which is not in the file \\(columns: id, age, sex, site, notes, year, label\\)`));
    }
    const moons = runCli(['--ignore', 'x', '--dry-run']);
    expect(moons.stderr).toMatch(/--ignore applies to CSV data only/);
  });

  it('a text column with too many distinct values names the column and suggests --ignore', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `user${i},${i},${i % 2}`);
    const path = file('ids.csv', ['who,x,label', ...rows].join('\n') + '\n');
    const r = runCli(['--data', path, '--dry-run']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/text column "who" has 60 distinct values in 60 rows .*--ignore who/);
  });

  it('a purely numeric CSV records no preprocessing and trains as before (same weights with or without the table path)', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${(i * 7) % 13},${(i * 5) % 11},${i % 3 ? 'a' : 'b'}`);
    const path = file('numeric.csv', ['p,q,label', ...rows].join('\n') + '\n');
    const a = join(dir, 'num-a');
    expect(runCli(['--data', path, '--out', a, '--quiet', ...TINY]).status).toBe(0);
    const ck = readCheckpoint(a);
    expect(ck.config.preprocessing).toBeUndefined();
    expect('preprocessing' in ck.config).toBe(false);
    expect(ck.config.featureNames).toEqual(['p', 'q']);
    // Selecting every column in order goes through the table path: same encoded features, same
    // split, so the same weights; only the recorded preprocessing differs.
    const b = join(dir, 'num-b');
    expect(runCli(['--data', path, '--features', 'p,q', '--out', b, '--quiet', ...TINY]).status).toBe(0);
    const ckb = readCheckpoint(b);
    expect(ckb.config.preprocessing!.columns.map((c) => c.name)).toEqual(['p', 'q']);
    expect(ckb.config.standardization).toEqual(ck.config.standardization);
    for (const [name, t] of Object.entries(ck.tensors)) expect(Array.from(ckb.tensors[name].data), name).toEqual(Array.from(t.data));
  });
});
