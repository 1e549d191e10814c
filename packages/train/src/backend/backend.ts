/**
 * TensorFlow.js backend selection: native TensorFlow (tfjs-node) when it is installed, else the
 * WebAssembly backend (SIMD, single thread; 5-8x faster than pure JS here), else the JS cpu backend.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core ships the gradient kernels separately (the umbrella tfjs package imports them for you).
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { tryCpu, trySetBackend } from './browser-backend.js';

/**
 * A TensorFlow.js backend training can run on: `tensorflow` (native, `@tensorflow/tfjs-node`, an
 * optional dependency), `wasm` (`@tensorflow/tfjs-backend-wasm`, SIMD, single thread) or `cpu`
 * (pure JS, the slowest).
 */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** A backend to use, or `auto`: the fastest that initialises (tensorflow, then wasm, then cpu). */
export type BackendPreference = 'auto' | BackendName;

let active: BackendName | null = null;

// A variable specifier keeps bundlers and tsc from requiring the optional package.
const NATIVE = '@tensorflow/tfjs-node';
const tryNative = (): Promise<boolean> => trySetBackend('tensorflow', () => import(NATIVE));
const tryWasm = (): Promise<boolean> =>
  trySetBackend('wasm', async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries must be found on disk, next to the package's dist files.
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
  });

/**
 * Initialise the best available backend (once per process) and return its name. A later call with
 * `auto` or the same name returns the active backend without re-initialising; a different name
 * switches to it.
 * @param preference - the backend to use, or `auto` (default) for the first of tensorflow, wasm,
 *   cpu that initialises.
 * @returns the name of the backend now active.
 * @throws Error if no backend could be initialised (with a named preference: that one failed, e.g.
 *   `tensorflow` without `@tensorflow/tfjs-node` installed): a plain Error, as it is an
 *   installation problem, not a user mistake.
 */
export async function initBackend(preference: BackendPreference = 'auto'): Promise<BackendName> {
  if (active && (preference === 'auto' || preference === active)) return active;
  const order: BackendName[] = preference === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [preference];
  const attempts: Record<BackendName, () => Promise<boolean>> = { tensorflow: tryNative, wasm: tryWasm, cpu: tryCpu };
  for (const name of order) {
    if (await attempts[name]()) {
      await tf.ready();
      active = name;
      return name;
    }
  }
  throw new Error(`no TensorFlow.js backend could be initialised (tried ${order.join(', ')})`);
}
