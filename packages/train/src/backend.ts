/**
 * TensorFlow.js backend selection: native TensorFlow (tfjs-node) when it is installed, else the
 * WebAssembly backend (SIMD, single thread; 5-8x faster than pure JS here), else the JS cpu backend.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core ships the gradient kernels separately (the umbrella tfjs package imports them for you).
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

let active: BackendName | null = null;

async function tryNative(): Promise<boolean> {
  // A variable specifier keeps bundlers and tsc from requiring the optional package.
  const name = '@tensorflow/tfjs-node';
  try {
    await import(name);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries must be found on disk, next to the package's dist files.
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dir + '/');
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

async function tryCpu(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-cpu');
  return tf.setBackend('cpu');
}

/** Initialise the best available backend (once per process) and return its name. */
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
