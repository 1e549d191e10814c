/**
 * Issue #20 (tables), end to end through the real bins: a CSV with text columns and empty / NA
 * cells trains (tiny settings), exports and predicts with no preprocessing by the user; the same
 * rows as objects give the probabilities of the encoded path; sngp-eval reads test and OOD CSVs
 * through the model's preprocessing (a note on missing cells and unseen categories) and refuses a
 * column numeric in training and text in the file with one clear line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, encodeRows } from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { loadModel } from '@sngp/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, evalCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-eval-tables-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bin(name: string, args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/.bin', name), ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${name} failed (${r.status}): ${r.stderr}`);
  return r.stderr;
}

const HEADER = 'id,age,sex,site,income,label';
/** Rows: an id, age with gaps, sex (text, some NA), site (text, some ?), income; label from age and sex. */
function rows(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const a = 20 + Math.floor(rng.uniform() * 50);
    const male = rng.uniform() < 0.5;
    const age = i % 6 === 2 ? '' : String(a);
    const sex = i % 9 === 4 ? 'NA' : male ? 'male' : 'female';
    const site = i % 10 === 7 ? '?' : ['A', 'B', 'C'][Math.floor(rng.uniform() * 3)];
    const label = (a > 45) !== male ? 'yes' : 'no';
    return `${i},${age},${sex},${site},${(30 + rng.normal() * 5).toFixed(2)},${label}`;
  });
}

let model: string;
let trainCsv: string;
beforeAll(() => {
  trainCsv = join(dir, 'train.csv');
  writeFileSync(trainCsv, [HEADER, ...rows(200, 1)].join('\n') + '\n');
  const ckpt = join(dir, 'ckpt');
  bin('sngp-train', ['--data', trainCsv, '--ignore', 'id', '--epochs', '3', '--width', '16', '--depth', '1', '--random-features', '64', '--batch-size', '32', '--quiet', '--out', ckpt]);
  model = join(dir, 'model.onnx');
  bin('sngp-export', [ckpt, '--out', model]);
}, 300_000);

describe('a table with text and missing cells, trained, exported and predicted', () => {
  it('predicts from row objects with the probabilities of the encoded path; unseen categories are reported', async () => {
    const m = await loadModel(model, { device: 'cpu' });
    try {
      const card = m.info.card;
      expect(card.preprocessing?.columns.map((c) => `${c.name}:${c.kind}`)).toEqual(['age:numeric', 'sex:categorical', 'site:categorical', 'income:numeric']);
      expect(m.info.featureNames).toEqual(readCheckpoint(join(dir, 'ckpt')).config.featureNames);
      const objects = [
        { id: 1, age: 30, sex: 'male', site: 'A', income: 31.5 },
        { age: '', sex: 'female', site: 'B', income: '28' },
        { age: 61, sex: null, site: 'Mars', income: 40 },
        { age: 'NA', sex: 'NA', site: '?', income: 25, label: 'yes' },
      ];
      const byObjects = await m.predict(objects);
      // The encoded path: core's encoder (the same code the runtime calls) gives number rows.
      const encoded = encodeRows(objects, card.preprocessing!, card.featureNames);
      const rowsOf = Array.from({ length: objects.length }, (_, i) => Array.from(encoded.x.subarray(i * encoded.d, (i + 1) * encoded.d)));
      const byArrays = await m.predict(rowsOf);
      expect(Array.from(byObjects.probs)).toEqual(Array.from(byArrays.probs));
      expect(byObjects.unseenCategories).toEqual([{ row: 2, column: 'site', value: 'Mars' }]);
      expect(byObjects.probs.every(Number.isFinite)).toBe(true);
      // A missing age is the training median plus its indicator, exactly.
      const age = card.preprocessing!.columns[0];
      const ageAt = card.featureNames.indexOf('age');
      if (age.kind === 'numeric') expect(rowsOf[1][ageAt]).toBe(age.impute);
      expect(rowsOf[1][card.featureNames.indexOf('age_missing')]).toBe(1);
      const err = (await m.predict([{ age: 'old', sex: 'male', site: 'A', income: 1 }]).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/row 0, column "age": expected a number \(the column was numeric in training\), got text "old"/);
    } finally {
      await m.dispose();
    }
  });

  it('sngp-eval reads test and OOD CSVs through the model (a note on missing and unseen); every metric finite', () => {
    const test = join(dir, 'test.csv');
    writeFileSync(test, [HEADER, ...rows(60, 2), '999,50,male,Z,30,yes'].join('\n') + '\n');
    const ood = join(dir, 'ood.csv');
    // No label column, columns in another order, no id.
    writeFileSync(ood, ['income,site,sex,age', '500,A,male,', '-400,B,female,200'].join('\n') + '\n');
    const out = join(dir, 'report');
    const r = evalCli([model, '--data', test, '--ood', ood, '--device', 'cpu', '--latency-runs', '1', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/test\.csv: missing cells \(imputed\): age \d+, sex \d+, site \d+; unseen categories \(encoded as missing\): site 1 \(e\.g\. "Z"\)/);
    expect(r.stderr).toMatch(/ood\.csv: missing cells \(imputed\): age 1/);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const json = JSON.stringify(metrics);
    expect(json).not.toMatch(/NaN|Infinity/);
    expect(metrics.models[0].test.rows).toBe(61);
    expect(metrics.models[0].ood.rows).toBe(2);
  });

  it('a column numeric in training and text in the file is one clear error naming file, row, column and value', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, [HEADER, '1,30,male,A,30,yes', '2,forty,female,B,31,no'].join('\n') + '\n');
    const r = evalCli([model, '--data', bad, '--device', 'cpu', '--latency-runs', '1', '--out', join(dir, 'bad-report')]);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n').filter((l) => /error/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/bad\.csv: row 3, column "age": expected a number \(the column is numeric in the training data\), got "forty"; fix the cell, or leave it empty/);
  });
});
