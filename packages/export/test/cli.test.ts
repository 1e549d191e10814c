/**
 * The sngp-export CLI: success path, --help, bad input that must never write or clobber output, and
 * the output path rules (only a model of ours is replaced; never the checkpoint's own files).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModelCard, decodeSafetensors, encodeSafetensors, tensor } from '@sngp/core';
import { decodeModel } from '../src/index.js';
import { EXPORT_CLI, runCli, tempDir, writeRandomCheckpoint } from './fixtures.js';

/** A previous model of ours (exported in beforeAll): a failed export must leave it byte-identical. */
let previousModel: Buffer;

/** Each case damages a fresh valid checkpoint in a different way. */
const BAD: { name: string; damage: (dir: string) => string; message: RegExp }[] = [
  { name: 'missing directory', damage: (dir) => join(dir, 'does-not-exist'), message: /checkpoint directory does not exist/ },
  {
    name: 'truncated safetensors',
    damage: (dir) => {
      const f = join(dir, 'weights.safetensors');
      truncateSync(f, Math.floor(statSync(f).size / 2));
      return dir;
    },
    message: /weights\.safetensors: truncated/,
  },
  {
    name: 'invalid header JSON',
    damage: (dir) => {
      const f = join(dir, 'weights.safetensors');
      const b = readFileSync(f);
      b.write('not json{{', 8); // keep the length, break the JSON
      writeFileSync(f, b);
      return dir;
    },
    message: /weights\.safetensors: invalid header JSON/,
  },
  {
    name: 'missing tensor',
    damage: (dir) => {
      const f = join(dir, 'weights.safetensors');
      const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(f)));
      delete tensors['blocks.1.kernel'];
      writeFileSync(f, encodeSafetensors(tensors));
      return dir;
    },
    message: /missing tensor "blocks\.1\.kernel"/,
  },
  {
    name: 'shape mismatch',
    damage: (dir) => {
      const f = join(dir, 'weights.safetensors');
      const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(f)));
      tensors['output.bias'] = tensor(new Float32Array(3), [3]);
      writeFileSync(f, encodeSafetensors(tensors));
      return dir;
    },
    message: /tensor "output\.bias" has shape \[3\], expected \[2\]/,
  },
  {
    name: 'unknown method',
    damage: (dir) => {
      const f = join(dir, 'checkpoint.json');
      writeFileSync(f, readFileSync(f, 'utf8').replace('"method": "deterministic"', '"method": "bayes-by-backprop"'));
      return dir;
    },
    message: /checkpoint\.json: field "method"/,
  },
  {
    name: 'non-finite weight',
    damage: (dir) => {
      const f = join(dir, 'weights.safetensors');
      const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(f)));
      (tensors['input.kernel'].data as Float32Array)[3] = NaN;
      writeFileSync(f, encodeSafetensors(tensors));
      return dir;
    },
    message: /tensor "input\.kernel" has a non-finite value at flat index 3/,
  },
];

describe('sngp-export CLI', () => {
  beforeAll(() => {
    if (!existsSync(EXPORT_CLI)) throw new Error(`build first: ${EXPORT_CLI} is missing (npx tsup)`);
    const out = join(tempDir(), 'previous.onnx');
    const r = runCli(EXPORT_CLI, [writeRandomCheckpoint('deterministic'), '--out', out, '--no-verify']);
    if (r.status !== 0) throw new Error(`could not export the previous model: ${r.stderr}`);
    previousModel = readFileSync(out);
  });

  it('--help lists the options', () => {
    const r = runCli(EXPORT_CLI, ['--help']);
    expect(r.status).toBe(0);
    for (const opt of ['<checkpoint-dir>', '--out', '--no-verify', '--mean-field-probs', '--json', '--posterior', '--variance-tolerance', '--random-features'])
      expect(r.stdout).toContain(opt);
  });

  it('--posterior, --variance-tolerance and --random-features shape the SNGP graph; the card and the report say what was built', () => {
    const dir = writeRandomCheckpoint('sngp', { precisionRows: 24 }); // Phi^T Phi of rank 24 < M = 64
    const out = join(tempDir(), 'model.onnx');
    const card = () => decodeModelCard(Object.fromEntries(decodeModel(new Uint8Array(readFileSync(out))).metadataProps.map((p) => [p.key, p.value])));
    const fullRun = runCli(EXPORT_CLI, [dir, '--out', out, '--posterior', 'full', '--json']);
    expect(fullRun.status, fullRun.stderr).toBe(0);
    const full = JSON.parse(fullRun.stdout);
    expect(full.export.posterior).toMatchObject({ kind: 'full', requested: 'full', rank: 64, tolerance: null, relativeErrorBound: 0, measuredRelativeError: 0 });
    expect(card().posterior).toEqual({ kind: 'full', rank: 64, relativeErrorBound: 0, absoluteErrorBound: 0, measuredRelativeError: 0 });
    const lowRun = runCli(EXPORT_CLI, [dir, '--out', out, '--posterior', 'low-rank', '--variance-tolerance', '1e-2', '--random-features', 'polynomial', '--json']);
    expect(lowRun.status, lowRun.stderr).toBe(0);
    const low = JSON.parse(lowRun.stdout);
    const post = low.export.posterior;
    expect(post).toMatchObject({ kind: 'low-rank', requested: 'low-rank', tolerance: 0.01 });
    expect(post.rank).toBeLessThan(64);
    expect(post.relativeErrorBound).toBeLessThanOrEqual(0.01);
    expect(post.measuredRelativeError).toBeLessThanOrEqual(post.relativeErrorBound);
    expect(post.absoluteErrorBound).toBeCloseTo(2 * post.shrinkage.atRank, 15);
    expect(low.verification.passed).toBe(true);
    expect(low.verification.tolerances.varianceRel).toBeCloseTo(1e-3 + post.relativeErrorBound, 15);
    expect(card().posterior).toEqual({
      kind: 'low-rank',
      rank: post.rank,
      relativeErrorBound: post.relativeErrorBound,
      absoluteErrorBound: post.absoluteErrorBound,
      measuredRelativeError: post.measuredRelativeError,
    });
    expect(decodeModel(new Uint8Array(readFileSync(out))).graph.node.some((n) => n.opType === 'Floor')).toBe(true);
    const text = runCli(EXPORT_CLI, [dir, '--out', out, '--posterior', 'low-rank', '--variance-tolerance', '0.01']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(`posterior form: low-rank, rank ${post.rank} of 64 (--posterior low-rank, variance tolerance 0.01)`);
    expect(text.stdout).toMatch(/variance error vs the full posterior: proven max \S+ relative, \S+ absolute; measured max \S+ relative/);
    expect(text.stdout).toMatch(/max variance relative diff vs the full posterior \S+ \(tolerance 0\.0\d+\)/);
  }, 120_000);

  it('bad posterior options are one-line usage errors that write nothing', () => {
    const dir = writeRandomCheckpoint('sngp');
    const outDir = tempDir();
    const out = join(outDir, 'model.onnx');
    for (const [args, message] of [
      [['--posterior', 'sparse'], /^sngp-export: error: --posterior: expected one of auto, full, low-rank, got "sparse"\n$/],
      [['--variance-tolerance', '-1'], /^sngp-export: error: --variance-tolerance: expected a number >= 0 .*got "-1"\n$/],
      [['--variance-tolerance', 'tight'], /^sngp-export: error: --variance-tolerance: expected a number >= 0 .*got "tight"\n$/],
      [['--random-features', 'sine'], /^sngp-export: error: --random-features: expected one of cos, polynomial, got "sine"\n$/],
    ] as const) {
      const r = runCli(EXPORT_CLI, [dir, '--out', out, ...args]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('exports, verifies and writes; --json gives the report', () => {
    const dir = writeRandomCheckpoint('sngp');
    const out = join(tempDir(), 'sub', 'model.onnx');
    const r = runCli(EXPORT_CLI, [dir, '--out', out, '--json', '--mean-field-probs']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.written).toBe(true);
    expect(report.verification.passed).toBe(true);
    expect(report.export.outputs).toEqual(['logits', 'variance', 'probs']);
    expect(readFileSync(out).length).toBe(report.export.bytes);
    const text = runCli(EXPORT_CLI, [dir, '--out', out]);
    expect(text.stdout).toMatch(/max variance relative diff .* PASSED/s);
    const skip = runCli(EXPORT_CLI, [dir, '--out', out, '--no-verify']);
    expect(skip.status).toBe(0);
    expect(skip.stdout).toContain('verification skipped');
  }, 60_000);

  for (const c of BAD) {
    it(`bad input: ${c.name} -> one-line error, no output file, existing output untouched`, () => {
      const dir = c.damage(writeRandomCheckpoint('deterministic'));
      const outDir = tempDir();
      const fresh = join(outDir, 'fresh.onnx');
      const r1 = runCli(EXPORT_CLI, [dir, '--out', fresh]);
      expect(r1.status).toBe(1);
      expect(r1.stderr).toMatch(c.message);
      expect(r1.stderr.trim().split('\n')).toHaveLength(1);
      expect(r1.stderr).toMatch(/^sngp-export: error: /);
      expect(existsSync(fresh)).toBe(false);
      const existing = join(outDir, 'existing.onnx');
      writeFileSync(existing, previousModel);
      const r2 = runCli(EXPORT_CLI, [dir, '--out', existing]);
      expect(r2.status).toBe(1);
      expect(r2.stderr).toMatch(c.message); // past the output check: it is a model of ours
      expect(readFileSync(existing).equals(previousModel)).toBe(true);
      expect(readdirSync(outDir).sort()).toEqual(['existing.onnx']); // no temp files left behind
    });
  }

  it('neither --out nor --triton is a one-line error, exit 1', () => {
    const r = runCli(EXPORT_CLI, [writeRandomCheckpoint('deterministic')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('sngp-export: error: give --out <file>, --triton <dir>, or both\n');
  });

  it("refuses --out at the checkpoint's own files or directory, even with --force", () => {
    const dir = writeRandomCheckpoint('sngp');
    const files = () => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
    const before = files();
    for (const out of [join(dir, 'checkpoint.json'), join(dir, 'weights.safetensors'), join(dir, 'model.onnx'), dir])
      for (const force of [[], ['--force']]) {
        const r = runCli(EXPORT_CLI, [dir, '--out', out, ...force]);
        expect(r.status).toBe(1);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/^sngp-export: error: --out .*: (is an input of this run|is inside .*, an input of this run)/);
      }
    expect(files()).toEqual(before);
  });

  it('refuses an unrelated existing file or a foreign directory; --force replaces the file', () => {
    const dir = writeRandomCheckpoint('deterministic');
    const outDir = tempDir();
    const notes = join(outDir, 'notes.onnx');
    writeFileSync(notes, 'my notes, not a model\n');
    const r = runCli(EXPORT_CLI, [dir, '--out', notes, '--no-verify']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sngp-export: error: --out .*notes\.onnx: exists and is not an ONNX model written by sngp-export \(it is not an ONNX model\).*pass --force to replace it\n$/);
    expect(readFileSync(notes, 'utf8')).toBe('my notes, not a model\n');
    mkdirSync(join(outDir, 'models'));
    const d = runCli(EXPORT_CLI, [dir, '--out', join(outDir, 'models'), '--no-verify', '--force']);
    expect(d.status).toBe(1);
    expect(d.stderr).toMatch(/is a directory, expected a file path such as model\.onnx/);
    const forced = runCli(EXPORT_CLI, [dir, '--out', notes, '--no-verify', '--force']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(readFileSync(notes).subarray(0, 1)[0]).toBe(0x08);
    expect(readdirSync(outDir).sort()).toEqual(['models', 'notes.onnx']);
  });
});
