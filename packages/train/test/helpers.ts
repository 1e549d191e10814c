/** Test helpers: run the built CLI, read checkpoints with numpy, and a float64 reference forward pass. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NamedTensor } from '@sngp/core';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PY_READER = fileURLToPath(new URL('./read_safetensors.py', import.meta.url));

/**
 * A checkpoint of the main job's "train" stage (100 epochs, default settings), the expensive shared
 * fixture of the suite; turbo runs `@sngp/pipeline#train` before this package's tests.
 */
export function pipelineCheckpoint(method: string): string {
  const dir = fileURLToPath(new URL(`../../../artifacts/checkpoints/${method}`, import.meta.url));
  if (!existsSync(dir)) throw new Error(`${dir} is missing: run \`npx turbo run train --filter=@sngp/pipeline\` first`);
  return dir;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface NumpyTensorInfo {
  dtype: string;
  shape: number[];
  finite: boolean;
  spectral_norm?: number;
  symmetric_max_abs_diff?: number;
  min_eigenvalue?: number;
}

/** Read a safetensors file with /usr/bin/python3 + numpy (no tfjs, no @sngp/core). */
export function numpyRead(path: string): Record<string, NumpyTensorInfo> {
  const r = spawnSync('/usr/bin/python3', [PY_READER, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`numpy reader failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

type Tensors = Record<string, NamedTensor>;

/** [n, in] x [in, out] + b in float64. */
function denseF64(x: Float64Array, n: number, w: NamedTensor, b: NamedTensor | null): Float64Array {
  const [din, dout] = w.shape;
  const out = new Float64Array(n * dout);
  for (let i = 0; i < n; i++) {
    const o = out.subarray(i * dout, (i + 1) * dout);
    if (b) for (let j = 0; j < dout; j++) o[j] = b.data[j];
    for (let k = 0; k < din; k++) {
      const xv = x[i * din + k];
      if (xv === 0) continue;
      for (let j = 0; j < dout; j++) o[j] += xv * w.data[k * dout + j];
    }
  }
  return out;
}

/** The residual body with dropout off, from checkpoint tensors (written independently of src/). */
export function hiddenF64(t: Tensors, x: ArrayLike<number>, n: number, numLayers: number, prefix = ''): Float64Array {
  let h = denseF64(Float64Array.from(x), n, t[`${prefix}input.kernel`], t[`${prefix}input.bias`]);
  for (let l = 0; l < numLayers; l++) {
    const r = denseF64(h, n, t[`${prefix}blocks.${l}.kernel`], t[`${prefix}blocks.${l}.bias`]);
    for (let i = 0; i < h.length; i++) h[i] += Math.max(0, r[i]);
  }
  return h;
}

export function logitsF64(t: Tensors, x: ArrayLike<number>, n: number, numLayers: number, prefix = ''): Float64Array {
  return denseF64(hiddenF64(t, x, n, numLayers, prefix), n, t[`${prefix}output.kernel`], t[`${prefix}output.bias`]);
}

/** Random features phi = sqrt(2/M) cos(h W_rf + b_rf), float64 [n, M]. */
export function phiF64(t: Tensors, x: ArrayLike<number>, n: number, numLayers: number): Float64Array {
  const z = denseF64(hiddenF64(t, x, n, numLayers), n, t['gp.rff_kernel'], t['gp.rff_bias']);
  const m = t['gp.rff_bias'].shape[0];
  const s = Math.sqrt(2 / m);
  for (let i = 0; i < z.length; i++) z[i] = s * Math.cos(z[i]);
  return z;
}

export function sngpLogitsF64(t: Tensors, x: ArrayLike<number>, n: number, numLayers: number): Float64Array {
  return denseF64(phiF64(t, x, n, numLayers), n, t['gp.beta'], t['gp.bias']);
}

export function accuracyOfLogits(logits: ArrayLike<number>, y: ArrayLike<number>, k: number): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
    if (best === y[i]) correct++;
  }
  return correct / y.length;
}
