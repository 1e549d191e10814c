/**
 * Bad input: exit 1, exactly one line `sngp-train: error: ...` on stderr naming the problem, and an
 * existing --out left exactly as it was. All of these are caught before any training starts.
 * Then the output path rules: only a checkpoint directory of ours is ever replaced.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-train-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A checkpoint directory of ours (by its format field): replaceable, so the input errors show. */
const OLD_CHECKPOINT_JSON = '{"format": "sngp-checkpoint", "old": true}\n';

const good = csv('good.csv', 'a,b,label\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2 ? 'cat' : 'dog'}`).join('\n') + '\n');

const cases: { name: string; args: string[]; pattern: RegExp }[] = [
  { name: 'unknown method', args: ['--method', 'bayes'], pattern: /unknown method "bayes".*sngp/ },
  { name: 'missing file', args: ['--data', join(dir, 'nope.csv')], pattern: /nope\.csv: file does not exist/ },
  { name: 'ragged CSV row', args: ['--data', csv('ragged.csv', 'a,b,label\n1,2,x\n3,y\n4,5,y\n')], pattern: /ragged\.csv: row 3 has 2 fields, expected 3/ },
  // Issue #20: a text cell no longer fails (the column becomes categorical); an identifier-like text column does.
  {
    name: 'identifier-like text column',
    args: ['--data', csv('ids.csv', 'a,b,label\n' + Array.from({ length: 30 }, (_, i) => `${i},id${i},${'xy'[i % 2]}`).join('\n') + '\n')],
    pattern: /ids\.csv: text column "b" has 30 distinct values in 30 rows .*--ignore b/,
  },
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
      writeFileSync(join(out, 'checkpoint.json'), OLD_CHECKPOINT_JSON);
      const r = runCli([...c.args, '--out', out, '--quiet']);
      expect(r.status).toBe(1);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^sngp-train: error: /);
      expect(lines[0]).toMatch(c.pattern);
      expect(r.stdout).toBe('');
      expect(readdirSync(out)).toEqual(['checkpoint.json']);
      expect(readFileSync(join(out, 'checkpoint.json'), 'utf8')).toBe(OLD_CHECKPOINT_JSON);
    });
  }

  it('a missing --out is an error and writes nothing', () => {
    const r = runCli(['--epochs', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sngp-train: error: required option '--out <dir>' not specified/);
  });

  it('an unknown option is a one-line usage error, exit 1', () => {
    const r = runCli(['--out', join(dir, 'never'), '--epoch', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("sngp-train: error: unknown option '--epoch' (Did you mean --epochs?) (see sngp-train --help)\n");
  });

  it('bad input never creates a new --out', () => {
    const out = join(dir, 'never-created');
    const r = runCli(['--method', 'nope', '--out', out]);
    expect(r.status).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});

/** Every file under `root` (relative path -> bytes as base64), to prove nothing changed. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(root);
  return out;
}

/** A project directory with unrelated files (a working copy), created fresh per test. */
function project(name: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, 'src'), { recursive: true });
  writeFileSync(join(p, 'README.md'), '# my project\n');
  writeFileSync(join(p, 'src', 'main.ts'), 'console.log("hi");\n');
  writeFileSync(join(p, 'data.bin'), Buffer.from([0, 1, 2, 255]));
  return p;
}

const SMALL = ['--epochs', '1', '--width', '8', '--depth', '1', '--random-features', '16'];

function runIn(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exactly one stderr line, `sngp-train: error: ...`, and no sign that training started. */
function refusedBeforeTraining(r: { status: number | null; stderr: string }): string {
  expect(r.status).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^sngp-train: error: /);
  expect(r.stderr).not.toMatch(/epoch \d|sngp-train: method/);
  return lines[0];
}

describe('sngp-train --out only replaces a checkpoint of ours', () => {
  it('refuses a directory of unrelated files and leaves every file byte-identical', () => {
    const p = project('unrelated-dir');
    const before = snapshot(dir);
    const line = refusedBeforeTraining(runCli([...SMALL, '--out', p]));
    expect(line).toMatch(/unrelated-dir: exists and is not a checkpoint directory written by sngp-train \(it has no checkpoint\.json\).*--force/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses --out . (the working copy) and its parent, even with --force', () => {
    const p = project('working-copy');
    const before = snapshot(p);
    expect(refusedBeforeTraining(runIn(p, [...SMALL, '--out', '.']))).toMatch(/--out \.: is the current directory/);
    expect(refusedBeforeTraining(runIn(p, [...SMALL, '--out', '.', '--force']))).toMatch(/--out \.: is the current directory/);
    expect(refusedBeforeTraining(runIn(join(p, 'src'), [...SMALL, '--out', '..', '--force']))).toMatch(/contains the current directory/);
    expect(snapshot(p)).toEqual(before);
  });

  it('refuses an existing unrelated file', () => {
    const f = join(dir, 'thesis.tex');
    writeFileSync(f, 'five years of work\n');
    expect(refusedBeforeTraining(runCli([...SMALL, '--out', f]))).toMatch(/thesis\.tex: exists and is not a checkpoint directory .*\(it is a file\)/);
    expect(readFileSync(f, 'utf8')).toBe('five years of work\n');
  });

  it('refuses the CSV being trained on, and a directory holding it, even with --force', () => {
    const p = project('csv-home');
    const data = join(p, 'train.csv');
    writeFileSync(data, readFileSync(good));
    expect(refusedBeforeTraining(runCli(['--data', data, ...SMALL, '--out', data, '--force']))).toMatch(/is an input of this run/);
    expect(refusedBeforeTraining(runCli(['--data', data, ...SMALL, '--out', p, '--force']))).toMatch(/contains .*train\.csv, an input of this run/);
    expect(readFileSync(data)).toEqual(readFileSync(good));
  });

  it('--force replaces an unrelated directory and touches nothing outside it; then it is ours', () => {
    const parent = join(dir, 'force-parent');
    mkdirSync(parent);
    writeFileSync(join(parent, 'sibling.txt'), 'keep me\n');
    const target = project(join('force-parent', 'old-stuff'));
    const siblingsBefore = snapshot(parent);
    const r = runCli([...SMALL, '--out', target, '--force', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(target).sort()).toEqual(['checkpoint.json', 'weights.safetensors']);
    expect(readdirSync(parent).sort()).toEqual(['old-stuff', 'sibling.txt']); // no temporary or backup left
    expect(readFileSync(join(parent, 'sibling.txt'), 'utf8')).toBe('keep me\n');
    expect(snapshot(parent)['sibling.txt']).toBe(siblingsBefore['sibling.txt']);
    // Now it is a checkpoint of ours: a second run replaces it without --force.
    const again = runCli([...SMALL, '--seed', '3', '--out', target, '--quiet']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(target, 'checkpoint.json'), 'utf8')).training.seed).toBe(3);
    expect(readdirSync(parent).sort()).toEqual(['old-stuff', 'sibling.txt']);
  }, 60_000);

  it('an --out that cannot be written fails before training (under a regular file; an unwritable directory)', () => {
    const f = join(dir, 'a-file');
    writeFileSync(f, 'x');
    expect(refusedBeforeTraining(runCli([...SMALL, '--out', join(f, 'ckpt')]))).toMatch(/cannot be created: .*a-file is not a directory/);
    // chmod does not stop root; /sys is unwritable even for root.
    let parent = '/sys';
    if (process.getuid?.() !== 0) {
      parent = join(dir, 'read-only');
      mkdirSync(parent);
      chmodSync(parent, 0o500);
    }
    expect(refusedBeforeTraining(runCli([...SMALL, '--out', join(parent, 'ckpt')]))).toMatch(/cannot write in .* \((EACCES|EROFS|EPERM)/);
  });
});
