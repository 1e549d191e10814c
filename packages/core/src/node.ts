/**
 * Node-only file I/O for the core contracts (the main entry stays browser-safe). Everything is
 * written atomically (atomic-write.ts): to a temporary name first, then renamed, so a crash or a bad
 * input never leaves a half-written output and never destroys what was there; and only over an
 * output of the same kind (output-path.ts) unless forced.
 *
 * Re-exports everything of `@sngp/core`, plus checkpoint and data-file I/O, atomic writes, output
 * path checks and the CLI error convention.
 *
 * @packageDocumentation
 * @module @sngp/core/node
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeDirectoryAtomic, writeFileDurable } from './atomic-write.js';
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
import { CHECKPOINT_OUTPUT } from './output-path.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export * from './index.js';
export * from './data-files.js';
export {
  type AtomicWriteOptions,
  type Recovery,
  recoverInterruptedWrite,
  tempPathFor,
  writeDirectoryAtomic,
  writeFileAtomic,
  writeFileDurable,
} from './atomic-write.js';
export {
  CHECKPOINT_OUTPUT,
  ONNX_MODEL_OUTPUT,
  type OutputCheckOptions,
  type OutputKind,
  type OutputPlan,
  type OutputState,
  checkOutputPath,
  describeEntries,
} from './output-path.js';
export { liveTemps, trackTemp, untrackTemp } from './temp-registry.js';
export {
  CLI_FORCE_HELP,
  CLI_VERBOSE_HELP,
  EXIT_CODES,
  type CliErrorKind,
  type CliRunOptions,
  classifyCliError,
  runCli,
} from './cli-runner.js';

/** Options of {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  /** Replace whatever is at `dir` even if it is not a checkpoint directory (never the cwd, home or /). */
  force?: boolean;
}

/**
 * Write a checkpoint directory atomically: build it beside the target, then swap it in. An
 * existing checkpoint at `dir` is replaced only once the new one is complete; anything else at
 * `dir` (other than an empty directory) is refused with an SngpError unless `force` is set.
 * @param dir - the checkpoint directory (`checkpoint.json` + `weights.safetensors` go inside).
 * @param ckpt - configuration and tensors; the tensors are validated against the configuration first.
 * @param opts - `force` to replace something that is not a checkpoint.
 * @throws SngpError if a tensor is missing or has the wrong shape or dtype, or `dir` holds something
 *   other than a checkpoint (without `force`).
 */
export function writeCheckpoint(dir: string, ckpt: Checkpoint, opts: WriteCheckpointOptions = {}): void {
  validateCheckpointTensors(ckpt.config, ckpt.tensors);
  const weights = encodeSafetensors(ckpt.tensors, { format: 'sngp-checkpoint' });
  const json = JSON.stringify(ckpt.config, null, 2) + '\n';
  writeDirectoryAtomic(
    dir,
    (tmp) => {
      writeFileDurable(join(tmp, CHECKPOINT_WEIGHTS), weights);
      writeFileDurable(join(tmp, CHECKPOINT_JSON), json);
    },
    { kind: CHECKPOINT_OUTPUT, force: opts.force },
  );
}

/** Backups an interrupted directory swap left beside `dir` (restored by the next write). */
function leftBackups(dir: string): string[] {
  const target = resolve(dir);
  try {
    return readdirSync(dirname(target))
      .filter((n) => n.startsWith(`${basename(target)}.sngp-old-`))
      .map((n) => join(dirname(target), n));
  } catch {
    return [];
  }
}

/**
 * Read and validate a checkpoint directory; errors name the file and what is wrong.
 * @param dir - the checkpoint directory.
 * @returns configuration and tensors, both validated.
 * @throws SngpError if the directory or a file is missing (naming a backup an interrupted write
 *   left), `checkpoint.json` is invalid JSON or breaks the schema, or the weights file is corrupt
 *   or lacks a tensor the method needs.
 */
export function readCheckpoint(dir: string): Checkpoint {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const backups = leftBackups(dir);
    const hint = backups.length > 0 ? ` (an interrupted write left its previous contents in ${backups[0]}; writing the checkpoint again restores it)` : '';
    throw new SngpError(`${dir}: checkpoint directory does not exist${hint}`);
  }
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

/**
 * Load a CSV file (see `parseCsv`) into memory in one piece; errors name the file. For files of
 * any size, `readCsvFile` streams instead.
 * @param path - the CSV file.
 * @param opts - `parseCsv` options other than `source` (the path is the source).
 * @returns the data set.
 * @throws SngpError if the file does not exist, is a directory, or its contents are not valid
 *   (see `parseCsv`).
 */
export function loadCsvFile(path: string, opts: Omit<CsvOptions, 'source'> = {}): Dataset {
  if (!existsSync(path)) throw new SngpError(`${path}: file does not exist`);
  if (statSync(path).isDirectory()) throw new SngpError(`${path}: is a directory, expected a CSV file`);
  return parseCsv(readFileSync(path, 'utf8'), { ...opts, source: path });
}
