/** Atomic writers: refusal of foreign outputs, rollback, and recovery after a killed write. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Checkpoint, type CheckpointConfig, DEFAULT_HYPER_PARAMETERS, type NamedTensor, Rng, checkpointTensorSpec, tensor } from '../src/index.js';
import {
  ONNX_MODEL_OUTPUT,
  readCheckpoint,
  recoverInterruptedWrite,
  writeCheckpoint,
  writeDirectoryAtomic,
  writeFileAtomic,
} from '../src/node.js';

function checkpoint(seed: number): Checkpoint {
  const hp = { ...DEFAULT_HYPER_PARAMETERS, inputDim: 2, numClasses: 2, hiddenDim: 4, numLayers: 1, numRandomFeatures: 8 };
  const rng = new Rng(seed);
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, s] of Object.entries(checkpointTensorSpec('sngp', hp))) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const data = s.dtype === 'F64' ? new Float64Array(size) : new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = rng.normal();
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
    backend: 'test',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  return { config, tensors };
}

const parentDir = () => mkdtempSync(join(tmpdir(), 'sngp-atomic-'));

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

describe('writeCheckpoint only replaces its own kind of output', () => {
  it('refuses a directory of unrelated files, leaving every byte; with force replaces only that directory', () => {
    const parent = parentDir();
    const dir = join(parent, 'photos');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.jpg'), 'A');
    writeFileSync(join(parent, 'beside.txt'), 'B');
    expect(() => writeCheckpoint(dir, checkpoint(1))).toThrow(/photos: exists and is not a checkpoint directory/);
    expect(readdirSync(dir)).toEqual(['a.jpg']);
    expect(readFileSync(join(dir, 'a.jpg'), 'utf8')).toBe('A');
    expect(readdirSync(parent).sort()).toEqual(['beside.txt', 'photos']);
    writeCheckpoint(dir, checkpoint(1), { force: true });
    expect(readCheckpoint(dir).config.training.seed).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.json', 'weights.safetensors']);
    expect(readdirSync(parent).sort()).toEqual(['beside.txt', 'photos']);
    expect(readFileSync(join(parent, 'beside.txt'), 'utf8')).toBe('B');
  });

  it('writeFileAtomic with a kind refuses a foreign file and replaces nothing', () => {
    const parent = parentDir();
    const f = join(parent, 'model.onnx');
    writeFileSync(f, 'my notes');
    expect(() => writeFileAtomic(f, new Uint8Array([8, 8]), { kind: ONNX_MODEL_OUTPUT })).toThrow(/not an ONNX model written by sngp-export/);
    expect(readFileSync(f, 'utf8')).toBe('my notes');
    expect(readdirSync(parent)).toEqual(['model.onnx']);
  });
});

describe('writeDirectoryAtomic rolls back', () => {
  it('an error while filling leaves the old directory and no temporary one', () => {
    const parent = parentDir();
    const dir = join(parent, 'ck');
    writeCheckpoint(dir, checkpoint(1));
    const before = readFileSync(join(dir, 'weights.safetensors'));
    expect(() =>
      writeDirectoryAtomic(dir, (tmp) => {
        writeFileSync(join(tmp, 'checkpoint.json'), '{}');
        throw new Error('disk on fire');
      }),
    ).toThrow(/disk on fire/);
    expect(readFileSync(join(dir, 'weights.safetensors'))).toEqual(before);
    expect(readdirSync(parent)).toEqual(['ck']);
  });

  it('a failed rename of the new directory puts the old one back', () => {
    const parent = parentDir();
    const dir = join(parent, 'ck');
    writeCheckpoint(dir, checkpoint(1));
    // The new directory vanishes before the swap: the old one is renamed aside, the rename in fails.
    expect(() => writeDirectoryAtomic(dir, (tmp) => rmSync(tmp, { recursive: true }))).toThrow(/ENOENT/);
    expect(readCheckpoint(dir).config.training.seed).toBe(1);
    expect(readdirSync(parent)).toEqual(['ck']);
  });
});

describe('recovery after a killed write', () => {
  /** The state a writer killed between "rename old aside" and "rename new in" leaves behind. */
  function killedMidSwap(parent: string, pid: number): string {
    const dir = join(parent, 'ck');
    writeCheckpoint(dir, checkpoint(1));
    renameSync(dir, `${dir}.sngp-old-${pid}-abc123`);
    mkdirSync(`${dir}.sngp-tmp-${pid}-def456`);
    writeFileSync(join(`${dir}.sngp-tmp-${pid}-def456`, 'weights.safetensors'), 'half');
    return dir;
  }

  it('readCheckpoint names the backup; recoverInterruptedWrite restores it and removes the temporary directory', () => {
    const parent = parentDir();
    const dir = killedMidSwap(parent, deadPid());
    expect(() => readCheckpoint(dir)).toThrow(/checkpoint directory does not exist \(an interrupted write left its previous contents in .*ck\.sngp-old-/);
    const r = recoverInterruptedWrite(dir);
    expect(r.restored).toMatch(/ck\.sngp-old-/);
    expect(r.removed).toHaveLength(1);
    expect(readCheckpoint(dir).config.training.seed).toBe(1);
    expect(readdirSync(parent)).toEqual(['ck']);
  });

  it('the next writeCheckpoint restores, then replaces, leaving nothing else', () => {
    const parent = parentDir();
    const dir = killedMidSwap(parent, deadPid());
    writeCheckpoint(dir, checkpoint(2));
    expect(readCheckpoint(dir).config.training.seed).toBe(2);
    expect(readdirSync(parent)).toEqual(['ck']);
  });

  it('leaves the temporary files of a writer that is still running alone', () => {
    const parent = parentDir();
    const f = join(parent, 'model.onnx');
    const live = `${f}.sngp-tmp-${process.pid}-live01`;
    const dead = `${f}.sngp-tmp-${deadPid()}-dead01`;
    writeFileSync(live, 'in progress');
    writeFileSync(dead, 'abandoned');
    writeFileAtomic(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(existsSync(live)).toBe(true);
    expect(existsSync(dead)).toBe(false);
  });
});
