/** checkOutputPath: which existing outputs a CLI may replace, which paths are never touched. */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_OUTPUT, ONNX_MODEL_OUTPUT, checkOutputPath } from '../src/node.js';

const root = mkdtempSync(join(tmpdir(), 'sngp-outpath-'));
let n = 0;
const fresh = () => {
  const d = join(root, `case-${n++}`);
  mkdirSync(d);
  return d;
};

/** A directory of unrelated files, and a snapshot of every byte in it. */
function unrelatedDir(parent: string): { dir: string; snapshot: () => Record<string, string> } {
  const dir = join(parent, 'photos');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a.jpg'), 'not really a jpeg');
  writeFileSync(join(dir, 'sub', 'b.txt'), 'notes');
  const snapshot = () => ({
    'a.jpg': readFileSync(join(dir, 'a.jpg'), 'utf8'),
    'sub/b.txt': readFileSync(join(dir, 'sub', 'b.txt'), 'utf8'),
    entries: readdirSync(dir).sort().join(','),
  });
  return { dir, snapshot };
}

/** Hand-encoded protobuf: a ModelProto with ir_version 8, an empty graph and the given metadata. */
function onnxBytes(metadata: Record<string, string>): Uint8Array {
  const ld = (field: number, body: number[]) => [(field << 3) | 2, body.length, ...body];
  const str = (s: string) => [...Buffer.from(s, 'utf8')];
  const props = Object.entries(metadata).flatMap(([k, v]) => ld(14, [...ld(1, str(k)), ...ld(2, str(v))]));
  return new Uint8Array([0x08, 8, ...ld(7, []), ...props]);
}

const validCheckpointJson = JSON.stringify({ format: 'sngp-checkpoint', formatVersion: 1 });

describe('checkOutputPath: what is there', () => {
  it('accepts a path that does not exist (nested) and an empty directory', () => {
    const d = fresh();
    expect(checkOutputPath(join(d, 'a', 'b', 'ckpt'), CHECKPOINT_OUTPUT).state).toBe('absent');
    mkdirSync(join(d, 'empty'));
    expect(checkOutputPath(join(d, 'empty'), CHECKPOINT_OUTPUT).state).toBe('empty');
    expect(readdirSync(d).sort()).toEqual(['empty']); // no probe file left, nothing created
  });

  it('refuses a directory of unrelated files and leaves it byte-identical; --force accepts it', () => {
    const { dir, snapshot } = unrelatedDir(fresh());
    const before = snapshot();
    expect(() => checkOutputPath(dir, CHECKPOINT_OUTPUT)).toThrow(
      /^--out .*photos: exists and is not a checkpoint directory written by sngp-train \(it has no checkpoint\.json\); .*--force/,
    );
    expect(snapshot()).toEqual(before);
    expect(checkOutputPath(dir, CHECKPOINT_OUTPUT, { force: true }).state).toBe('forced');
    expect(snapshot()).toEqual(before);
  });

  it('recognises a checkpoint of ours, but not one holding other files or another format', () => {
    const d = fresh();
    const ck = join(d, 'ck');
    mkdirSync(ck);
    writeFileSync(join(ck, 'checkpoint.json'), validCheckpointJson);
    writeFileSync(join(ck, 'weights.safetensors'), 'x');
    expect(checkOutputPath(ck, CHECKPOINT_OUTPUT).state).toBe('ours');
    writeFileSync(join(ck, 'notes.txt'), 'mine');
    expect(() => checkOutputPath(ck, CHECKPOINT_OUTPUT)).toThrow(/also holds 1 other entry \(notes\.txt\)/);
    const other = join(d, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'checkpoint.json'), JSON.stringify({ format: 'keras' }));
    expect(() => checkOutputPath(other, CHECKPOINT_OUTPUT)).toThrow(/no "format": "sngp-checkpoint"/);
  });

  it('refuses an existing file where a directory goes, unless forced', () => {
    const f = join(fresh(), 'thesis.tex');
    writeFileSync(f, 'precious');
    expect(() => checkOutputPath(f, CHECKPOINT_OUTPUT)).toThrow(/thesis\.tex: exists and is not a checkpoint directory .*\(it is a file\)/);
    expect(checkOutputPath(f, CHECKPOINT_OUTPUT, { force: true }).state).toBe('forced');
    expect(readFileSync(f, 'utf8')).toBe('precious');
  });

  it('recognises an ONNX model of ours by its sngp.method key; refuses foreign ONNX and other files', () => {
    const d = fresh();
    const ours = join(d, 'ours.onnx');
    writeFileSync(ours, onnxBytes({ 'sngp.method': 'sngp', 'sngp.format_version': '1' }));
    expect(checkOutputPath(ours, ONNX_MODEL_OUTPUT).state).toBe('ours');
    const foreign = join(d, 'foreign.onnx');
    writeFileSync(foreign, onnxBytes({ author: 'someone' }));
    expect(() => checkOutputPath(foreign, ONNX_MODEL_OUTPUT)).toThrow(/foreign\.onnx: exists and is not an ONNX model written by sngp-export \(it is an ONNX model without the "sngp\.method" model card\)/);
    const text = join(d, 'notes.onnx');
    writeFileSync(text, 'just text');
    expect(() => checkOutputPath(text, ONNX_MODEL_OUTPUT)).toThrow(/\(it is not an ONNX model\)/);
    const empty = join(d, 'empty.onnx');
    writeFileSync(empty, '');
    expect(checkOutputPath(empty, ONNX_MODEL_OUTPUT).state).toBe('empty');
    expect(() => checkOutputPath(d, ONNX_MODEL_OUTPUT, { force: true })).toThrow(/is a directory, expected a file path such as model\.onnx/);
  });

  it('refuses a symbolic link unless forced (the link, not its target, would be replaced)', () => {
    const d = fresh();
    const { dir } = unrelatedDir(d);
    const link = join(d, 'link');
    symlinkSync(dir, link);
    expect(() => checkOutputPath(link, CHECKPOINT_OUTPUT)).toThrow(/symbolic link/);
    expect(checkOutputPath(link, CHECKPOINT_OUTPUT, { force: true }).state).toBe('forced');
  });
});

describe('checkOutputPath: paths refused even with --force', () => {
  const d = fresh();
  const cwd = join(d, 'project', 'src');
  mkdirSync(cwd, { recursive: true });
  const home = join(d, 'home', 'me');
  mkdirSync(home, { recursive: true });
  const o = { force: true, cwd, home };

  it('the root, the home directory and what holds it, the current directory and its ancestors', () => {
    expect(() => checkOutputPath('/', CHECKPOINT_OUTPUT, o)).toThrow(/^--out \/: is the root directory/);
    expect(() => checkOutputPath(home, CHECKPOINT_OUTPUT, o)).toThrow(/is the home directory/);
    expect(() => checkOutputPath(join(d, 'home'), CHECKPOINT_OUTPUT, o)).toThrow(/contains the home directory/);
    expect(() => checkOutputPath(cwd, CHECKPOINT_OUTPUT, o)).toThrow(/is the current directory/);
    expect(() => checkOutputPath(join(cwd, '..'), CHECKPOINT_OUTPUT, o)).toThrow(/contains the current directory/);
    expect(() => checkOutputPath(d, CHECKPOINT_OUTPUT, o)).toThrow(/contains the (home|current) directory/);
    // The real process: "." and its parent.
    expect(() => checkOutputPath('.', CHECKPOINT_OUTPUT, { force: true })).toThrow(/^--out \.: is the current directory/);
    expect(() => checkOutputPath('..', CHECKPOINT_OUTPUT, { force: true })).toThrow(/contains the current directory/);
    // Beside the current directory and inside home is fine.
    expect(checkOutputPath(join(cwd, 'ckpt'), CHECKPOINT_OUTPUT, o).state).toBe('absent');
    expect(checkOutputPath(join(home, 'ckpt'), CHECKPOINT_OUTPUT, o).state).toBe('absent');
  });

  it('the current directory reached through a symbolic link', () => {
    const link = join(d, 'to-cwd');
    symlinkSync(cwd, link);
    expect(() => checkOutputPath(link, CHECKPOINT_OUTPUT, o)).toThrow(/is the current directory/);
  });

  it('an input of the same run: equal to it, inside it, or holding it', () => {
    const ckpt = join(d, 'ckpt');
    mkdirSync(ckpt);
    writeFileSync(join(ckpt, 'checkpoint.json'), validCheckpointJson);
    const inputs = [relative(process.cwd(), ckpt)];
    expect(() => checkOutputPath(join(ckpt, 'checkpoint.json'), ONNX_MODEL_OUTPUT, { ...o, inputs })).toThrow(/is inside .*ckpt, an input of this run/);
    expect(() => checkOutputPath(join(ckpt, 'model.onnx'), ONNX_MODEL_OUTPUT, { ...o, inputs })).toThrow(/an input of this run/);
    expect(() => checkOutputPath(ckpt, CHECKPOINT_OUTPUT, { ...o, inputs })).toThrow(/is an input of this run/);
    expect(() => checkOutputPath(d, CHECKPOINT_OUTPUT, { force: true, inputs, cwd: '/nonexistent', home: '/nonexistent' })).toThrow(
      /contains .*ckpt, an input of this run/,
    );
    expect(checkOutputPath(join(d, 'model.onnx'), ONNX_MODEL_OUTPUT, { ...o, inputs }).state).toBe('absent');
  });
});

describe('checkOutputPath: writability, before any work', () => {
  it('a path under a regular file fails at once', () => {
    const f = join(fresh(), 'data.csv');
    writeFileSync(f, 'a,b\n');
    expect(() => checkOutputPath(join(f, 'ckpt'), CHECKPOINT_OUTPUT)).toThrow(/cannot be created: .*data\.csv is not a directory/);
  });

  it('an unwritable parent fails at once (root ignores permissions: /sys is unwritable even for root)', () => {
    let parent: string;
    if (process.getuid?.() === 0) parent = '/sys';
    else {
      parent = join(fresh(), 'read-only');
      mkdirSync(parent);
      chmodSync(parent, 0o500);
    }
    expect(() => checkOutputPath(join(parent, 'ckpt'), CHECKPOINT_OUTPUT)).toThrow(/cannot write in .* \((EACCES|EROFS|EPERM)/);
    expect(checkOutputPath(join(parent, 'ckpt'), CHECKPOINT_OUTPUT, { probe: false }).state).toBe('absent');
  });
});
