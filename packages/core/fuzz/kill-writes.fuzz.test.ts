/**
 * Fault loop (issue #10): "a kill-9 loop over checkpoint and model writes: --out is always a
 * complete old or new output". A child process rewrites a checkpoint directory (or an ONNX-sized
 * file) over and over, alternating two known contents A and B; the parent kills it at random
 * (seeded) moments and checks that the path still holds a complete A or B. A SIGKILL may leave
 * temporary files, which the next writer must clean; SIGTERM / SIGINT must leave none. The one
 * known gap of a directory swap (killed between its two renames: path missing, backup beside it)
 * is counted and must be repaired by recoverInterruptedWrite.
 *
 * Runs the built dist/node.js (npm run build -w @sngp/core). Time-bounded (~45 s). Seed:
 * SNGP_FUZZ_SEED (default 1); the figures are printed at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Checkpoint, type CheckpointConfig, DEFAULT_HYPER_PARAMETERS, type NamedTensor, Rng, checkpointTensorSpec, tensor } from '../src/index.js';
import { readCheckpoint, recoverInterruptedWrite, writeCheckpoint } from '../src/node.js';

const DIST = fileURLToPath(new URL('../dist/node.js', import.meta.url));
const SEED = Number(process.env.SNGP_FUZZ_SEED ?? 1);
const rng = new Rng(SEED);
const work = mkdtempSync(join(tmpdir(), 'sngp-kill-writes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The child: load A and B, then write them alternately at the target until stopped. */
const CHILD = `
import { readFileSync } from 'node:fs';
import { readCheckpoint, writeCheckpoint, writeFileAtomic } from ${JSON.stringify(pathToFileURL(DIST).href)};
const { MODE, TARGET, FIX_A, FIX_B } = process.env;
const payload = MODE === 'checkpoint' ? [readCheckpoint(FIX_A), readCheckpoint(FIX_B)] : [readFileSync(FIX_A), readFileSync(FIX_B)];
process.stdout.write('ready\\n');
for (let i = 1; ; i++) {
  if (MODE === 'checkpoint') writeCheckpoint(TARGET, payload[i % 2]);
  else writeFileAtomic(TARGET, payload[i % 2]);
  // Let signal handlers run between writes (a real CLI yields to the event loop too).
  await new Promise((r) => setImmediate(r));
}
`;

/** An SNGP checkpoint with the default sizes (the float64 precision alone is 8 MB). */
function bigCheckpoint(seed: number): Checkpoint {
  const hp = { ...DEFAULT_HYPER_PARAMETERS, inputDim: 2, numClasses: 2 };
  const r = new Rng(seed);
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, s] of Object.entries(checkpointTensorSpec('sngp', hp))) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const data = s.dtype === 'F64' ? new Float64Array(size) : new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = r.normal();
    tensors[name] = tensor(data, s.shape);
  }
  const config: CheckpointConfig = {
    format: 'sngp-checkpoint',
    formatVersion: 1,
    method: 'sngp',
    hyperParameters: hp,
    training: { data: 'moons', labelColumn: null, epochs: 1, batchSize: 128, learningRate: 1e-4, seed, trainRows: 1000, validationRows: 0 },
    classes: ['0', '1'],
    featureNames: ['x', 'y'],
    standardization: null,
    metrics: {},
    versions: {},
    backend: 'fuzz',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  return { config, tensors };
}

const bytesOf = (t: NamedTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Which of A (seed 1) and B (seed 2) the checkpoint at `dir` is, checking every byte of every tensor. */
function whichCheckpoint(dir: string, expected: Record<number, Checkpoint>): 'A' | 'B' {
  const got = readCheckpoint(dir);
  const seed = got.config.training.seed;
  const want = expected[seed];
  if (!want) throw new Error(`${dir}: checkpoint of unexpected seed ${seed}`);
  expect(got.config).toEqual(want.config);
  expect(Object.keys(got.tensors).sort()).toEqual(Object.keys(want.tensors).sort());
  for (const [name, t] of Object.entries(want.tensors)) if (!bytesOf(got.tensors[name]).equals(bytesOf(t))) throw new Error(`${dir}: tensor ${name} is neither A nor B`);
  return seed === 1 ? 'A' : 'B';
}

interface Run {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWriter(mode: 'checkpoint' | 'file', target: string, fixA: string, fixB: string): Run {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, MODE: mode, TARGET: target, FIX_A: fixA, FIX_B: fixB },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && res());
    child.on('exit', () => rej(new Error(`writer exited before it was ready: ${stderr}`)));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => {
      if (stderr.trim() && code !== 130 && code !== 143) console.error(stderr);
      res({ code, signal });
    }),
  );
  return { child, ready, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Entries of `dir` other than the target itself (temporary files and backups). */
const leftovers = (dir: string, target: string) => readdirSync(dir).filter((n) => n !== basename(target));

interface Stats {
  kills: number;
  found: Record<'A' | 'B', number>;
  /** Kills that left temporary files (the child died inside a write). */
  midWrite: number;
  /** Kills between the two renames of a directory swap (path missing, backup present). */
  windowHits: number;
}

/**
 * Kill writers of `mode` at random moments for `seconds`; after each kill check the target, and
 * repair a swap interrupted in its gap the way the next writer would.
 */
async function killLoop(mode: 'checkpoint' | 'file', seconds: number, check: (target: string) => 'A' | 'B', fixA: string, fixB: string, maxDelayMs: number): Promise<Stats> {
  const dir = join(work, `${mode}-kill9`);
  mkdirSync(dir);
  const target = join(dir, mode === 'checkpoint' ? 'ckpt' : 'model.onnx');
  const stats: Stats = { kills: 0, found: { A: 0, B: 0 }, midWrite: 0, windowHits: 0 };
  const deadline = Date.now() + seconds * 1000;
  let first = true;
  while (Date.now() < deadline) {
    const run = startWriter(mode, target, fixA, fixB);
    await run.ready;
    // The first run starts from an empty directory; later ones from the previous kill's state.
    await sleep(first ? 200 : rng.uniform() * maxDelayMs);
    first = false;
    run.child.kill('SIGKILL');
    const r = await run.exited;
    expect(r.signal).toBe('SIGKILL');
    stats.kills++;
    const left = leftovers(dir, target);
    if (left.some((n) => n.includes('.sngp-tmp-'))) stats.midWrite++;
    if (!existsSync(target)) {
      // Killed between "rename old aside" and "rename new in": the backup must be there, and restorable.
      expect(left.some((n) => n.includes('.sngp-old-'))).toBe(true);
      stats.windowHits++;
      expect(recoverInterruptedWrite(target).restored).not.toBeNull();
    }
    stats.found[check(target)]++;
  }
  return stats;
}

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`build first: ${DIST} is missing (npm run build -w @sngp/core)`);
});

describe('kill -9 while writing: the output is always a complete old or new one', () => {
  const expected: Record<number, Checkpoint> = { 1: bigCheckpoint(1), 2: bigCheckpoint(2) };
  const fixCkA = join(work, 'fixture-A');
  const fixCkB = join(work, 'fixture-B');
  const fixFileA = join(work, 'fixture-A.onnx');
  const fixFileB = join(work, 'fixture-B.onnx');
  // ONNX-sized files: an exported default SNGP model is about 4.5 MB.
  const fileA = Buffer.alloc(4_500_000);
  const fileB = Buffer.alloc(4_700_000);
  for (let i = 0; i < fileA.length; i += 4) fileA.writeUInt32LE((rng.uniform() * 2 ** 32) >>> 0, i);
  for (let i = 0; i < fileB.length; i += 4) fileB.writeUInt32LE((rng.uniform() * 2 ** 32) >>> 0, i);
  const whichFile = (target: string): 'A' | 'B' => {
    const b = readFileSync(target);
    if (b.equals(fileA)) return 'A';
    if (b.equals(fileB)) return 'B';
    throw new Error(`${target}: ${b.length} bytes, neither A nor B`);
  };
  const whichCk = (target: string) => whichCheckpoint(target, expected);

  beforeAll(() => {
    writeCheckpoint(fixCkA, expected[1]);
    writeCheckpoint(fixCkB, expected[2]);
    writeFileSync(fixFileA, fileA);
    writeFileSync(fixFileB, fileB);
  });

  it('checkpoint directories (writeCheckpoint)', async () => {
    const s = await killLoop('checkpoint', 22, whichCk, fixCkA, fixCkB, 150);
    console.log(`[seed ${SEED}] checkpoint kill -9: ${JSON.stringify(s)}`);
    expect(s.found.A + s.found.B).toBe(s.kills);
    expect(s.found.A).toBeGreaterThan(0);
    expect(s.found.B).toBeGreaterThan(0);
    expect(s.midWrite).toBeGreaterThan(0); // some kills did land inside a write
    // The next write cleans what the killed ones left.
    const target = join(work, 'checkpoint-kill9', 'ckpt');
    writeCheckpoint(target, expected[1]);
    expect(readdirSync(join(work, 'checkpoint-kill9'))).toEqual(['ckpt']);
  }, 60_000);

  it('model files (writeFileAtomic)', async () => {
    const s = await killLoop('file', 12, whichFile, fixFileA, fixFileB, 80);
    console.log(`[seed ${SEED}] model file kill -9: ${JSON.stringify(s)}`);
    expect(s.found.A + s.found.B).toBe(s.kills);
    expect(s.windowHits).toBe(0); // a file is replaced by one rename: no gap at all
    expect(s.midWrite).toBeGreaterThan(0);
  }, 60_000);

  it('SIGTERM and SIGINT leave no temporary files and exit 128 + signal', async () => {
    const dir = join(work, 'graceful');
    mkdirSync(dir);
    const deadline = Date.now() + 8_000;
    const codes: Record<string, number> = {};
    for (let i = 0; Date.now() < deadline; i++) {
      const mode = i % 2 === 0 ? 'checkpoint' : 'file';
      const target = join(dir, mode === 'checkpoint' ? 'ckpt' : 'model.onnx');
      const run = mode === 'checkpoint' ? startWriter(mode, target, fixCkA, fixCkB) : startWriter(mode, target, fixFileA, fixFileB);
      await run.ready;
      await sleep(rng.uniform() * 100);
      const signal = rng.uniform() < 0.5 ? 'SIGTERM' : 'SIGINT';
      run.child.kill(signal);
      const r = await run.exited;
      const key = `${signal}:${r.code ?? r.signal}`;
      codes[key] = (codes[key] ?? 0) + 1;
      // Either our handler ran (128 + signal) or the signal came before any write (default action).
      expect([signal === 'SIGTERM' ? 143 : 130, null]).toContain(r.code);
      const names = readdirSync(dir).filter((n) => n.includes('.sngp-'));
      expect(names).toEqual([]);
      if (existsSync(target)) (mode === 'checkpoint' ? whichCk : whichFile)(target);
    }
    console.log(`[seed ${SEED}] SIGTERM/SIGINT exits: ${JSON.stringify(codes)}`);
    expect(Object.keys(codes).some((k) => k.endsWith(':143') || k.endsWith(':130'))).toBe(true);
  }, 60_000);
});
