/** Checks and atomic writing of a checkpoint directory (Node); building one is checkpoint-builder.ts. */
import type { Checkpoint } from '@sngp/core';
import { CHECKPOINT_OUTPUT, type OutputPlan, checkOutputPath, writeCheckpoint } from '@sngp/core/node';
import type { ResolvedOptions } from '../options.js';

/**
 * Check the checkpoint directory `opts.out` before any data is loaded: it must be absent, empty or
 * a checkpoint of ours (or `force`), not a protected path nor the CSV being trained on, and its
 * parent must be writable. Throws a one-line SngpError otherwise.
 */
export function checkCheckpointOutput(opts: ResolvedOptions, force = false): OutputPlan | null {
  if (!opts.out) return null;
  return checkOutputPath(opts.out, CHECKPOINT_OUTPUT, { force, inputs: opts.data === 'moons' ? [] : [opts.data, ...(opts.labels ? [opts.labels] : [])] });
}

/** Write the checkpoint atomically, replacing only a checkpoint of ours unless `force`. */
export function saveCheckpoint(dir: string, ckpt: Checkpoint, force = false): void {
  writeCheckpoint(dir, ckpt, { force });
}
