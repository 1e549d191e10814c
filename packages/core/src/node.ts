/**
 * Node-only file I/O for the core contracts (the main entry stays browser-safe). Everything is
 * written atomically: to a temporary name first, then renamed, so a crash or a bad input never
 * leaves a half-written file and never destroys what was there.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  CHECKPOINT_JSON,
  CHECKPOINT_WEIGHTS,
  type Checkpoint,
  parseCheckpointConfig,
  validateCheckpointTensors,
} from './checkpoint.js';
import { parseCsv, type CsvOptions } from './csv.js';
import type { Dataset } from './dataset.js';
import { SngpError } from './errors.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export * from './index.js';

function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Write a file atomically (temp file in the same directory, then rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const tmp = tempName(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Write a checkpoint directory atomically: build it beside the target, then swap it in. An
 * existing checkpoint at `dir` is replaced only once the new one is complete.
 */
export function writeCheckpoint(dir: string, ckpt: Checkpoint): void {
  validateCheckpointTensors(ckpt.config, ckpt.tensors);
  const target = resolve(dir);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempName(target);
  try {
    mkdirSync(tmp);
    writeFileSync(join(tmp, CHECKPOINT_WEIGHTS), encodeSafetensors(ckpt.tensors, { format: 'sngp-checkpoint' }));
    writeFileSync(join(tmp, CHECKPOINT_JSON), JSON.stringify(ckpt.config, null, 2) + '\n');
    if (existsSync(target)) {
      const old = tempName(target);
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Read and validate a checkpoint directory; errors name the file and what is wrong. */
export function readCheckpoint(dir: string): Checkpoint {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new SngpError(`${dir}: checkpoint directory does not exist`);
  const jsonPath = join(dir, CHECKPOINT_JSON);
  const weightsPath = join(dir, CHECKPOINT_WEIGHTS);
  for (const p of [jsonPath, weightsPath]) if (!existsSync(p)) throw new SngpError(`${p}: file is missing`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new SngpError(`${jsonPath}: invalid JSON (${(e as Error).message})`);
  }
  const config = parseCheckpointConfig(raw, jsonPath);
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(weightsPath)), weightsPath);
  validateCheckpointTensors(config, tensors, weightsPath);
  return { config, tensors };
}

/** Load a CSV file (see `parseCsv`); errors name the file. */
export function loadCsvFile(path: string, opts: Omit<CsvOptions, 'source'> = {}): Dataset {
  if (!existsSync(path)) throw new SngpError(`${path}: file does not exist`);
  if (statSync(path).isDirectory()) throw new SngpError(`${path}: is a directory, expected a CSV file`);
  return parseCsv(readFileSync(path, 'utf8'), { ...opts, source: path });
}
