/**
 * Bad input: exit 1, exactly one line on stderr naming the problem, and an existing --out left
 * exactly as it was. All of these are caught before any training starts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-train-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const good = csv('good.csv', 'a,b,label\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2 ? 'cat' : 'dog'}`).join('\n') + '\n');

const cases: { name: string; args: string[]; pattern: RegExp }[] = [
  { name: 'unknown method', args: ['--method', 'bayes'], pattern: /unknown method "bayes".*sngp/ },
  { name: 'missing file', args: ['--data', join(dir, 'nope.csv')], pattern: /nope\.csv: file does not exist/ },
  { name: 'ragged CSV row', args: ['--data', csv('ragged.csv', 'a,b,label\n1,2,x\n3,y\n4,5,y\n')], pattern: /ragged\.csv: row 3 has 2 fields, expected 3/ },
  { name: 'non-numeric feature cell', args: ['--data', csv('nan.csv', 'a,b,label\n1,2,x\n3,abc,y\n')], pattern: /nan\.csv: row 3, column "b".*"abc"/ },
  { name: 'empty file', args: ['--data', csv('empty.csv', '')], pattern: /empty\.csv: file is empty/ },
  { name: 'missing label column', args: ['--data', good, '--label-column', 'species'], pattern: /good\.csv: label column "species" not found/ },
  { name: 'a single class', args: ['--data', csv('one.csv', 'a,b,label\n1,2,x\n3,4,x\n5,6,x\n')], pattern: /one\.csv: .*single class "x"/ },
  { name: 'epochs 0', args: ['--epochs', '0'], pattern: /--epochs must be a positive integer, got 0/ },
  { name: 'epochs negative', args: ['--epochs', '-3'], pattern: /--epochs must be a positive integer, got -3/ },
  { name: 'epochs not a number', args: ['--epochs', '10x'], pattern: /--epochs expects a number, got "10x"/ },
  { name: 'batch size larger than the moons data', args: ['--batch-size', '5000'], pattern: /--batch-size 5000 is larger than the training data \(1000 rows\)/ },
  {
    name: 'batch size larger than the CSV training split',
    args: ['--data', good, '--batch-size', '40'],
    pattern: /--batch-size 40 is larger than the training data \(32 rows after holding out 8 for validation\)/,
  },
  { name: 'bad validation split', args: ['--data', good, '--validation-split', '1.5'], pattern: /--validation-split must be a fraction in \[0, 1\), got 1.5/ },
  { name: 'dropout rate 1', args: ['--dropout', '1'], pattern: /--dropout must be a rate in \[0, 1\), got 1/ },
];

describe('sngp-train bad input', () => {
  for (const c of cases) {
    it(`${c.name}: exits 1 with one line and leaves --out intact`, () => {
      const out = join(dir, `out-${c.name.replace(/\W+/g, '-')}`);
      mkdirSync(out);
      writeFileSync(join(out, 'checkpoint.json'), '{"old": true}\n');
      const r = runCli([...c.args, '--out', out, '--quiet']);
      expect(r.status).toBe(1);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(c.pattern);
      expect(r.stdout).toBe('');
      expect(readdirSync(out)).toEqual(['checkpoint.json']);
      expect(readFileSync(join(out, 'checkpoint.json'), 'utf8')).toBe('{"old": true}\n');
    });
  }

  it('a missing --out is an error and writes nothing', () => {
    const r = runCli(['--epochs', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--out/);
  });

  it('bad input never creates a new --out', () => {
    const out = join(dir, 'never-created');
    const r = runCli(['--method', 'nope', '--out', out]);
    expect(r.status).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});
