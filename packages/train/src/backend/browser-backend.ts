/**
 * TensorFlow.js backends in a browser page or Web Worker: WebAssembly (SIMD, single thread, as in
 * Node), else the pure-JS cpu backend. No Node modules: the .wasm binaries come from URLs the page
 * serves itself (e.g. emitted by its bundler), never from a CDN.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core ships the gradient kernels separately (the umbrella tfjs package imports them for you).
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { SngpError } from '@sngp/core';

/** A backend training can run on in a browser: `wasm` (`@tensorflow/tfjs-backend-wasm`) or `cpu` (pure JS). */
export type BrowserBackendName = 'wasm' | 'cpu';

/**
 * Where the WebAssembly backend's binaries are served: a URL prefix ending in "/" under which
 * `tfjs-backend-wasm-simd.wasm` and `tfjs-backend-wasm.wasm` live, or the URL of each file (e.g.
 * from a bundler's `?url` import). The threaded build is never used (one thread, as in Node).
 */
export type WasmBinaryUrls =
  | string
  | {
      /** URL of `tfjs-backend-wasm-simd.wasm` (every current browser supports SIMD). */
      simd: string;
      /** URL of `tfjs-backend-wasm.wasm`, for browsers without WebAssembly SIMD. */
      plain: string;
    };

/** Options of {@link initBrowserBackend}. */
export interface BrowserBackendOptions {
  /** The backend to use, or `auto` (default): wasm when `wasmPaths` is given and it initialises, else cpu. */
  backend?: 'auto' | BrowserBackendName;
  /** Where the wasm binaries are served; required for `wasm` (without it `auto` means cpu). */
  wasmPaths?: WasmBinaryUrls;
}

let active: BrowserBackendName | null = null;

/**
 * Load a backend's package (`load`) and make it the active backend; false when either step fails,
 * so the caller can try the next one. Shared by the Node and browser back-end selection.
 * @param name - the tfjs backend name.
 * @param load - imports (and configures) the backend's package.
 * @returns whether the backend is now active.
 */
export async function trySetBackend(name: string, load: () => Promise<unknown>): Promise<boolean> {
  try {
    await load();
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** The pure-JS backend: always available, the slowest. */
export const tryCpu = (): Promise<boolean> => trySetBackend('cpu', () => import('@tensorflow/tfjs-backend-cpu'));

const tryWasm = (paths: WasmBinaryUrls): Promise<boolean> =>
  trySetBackend('wasm', async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // One thread: the threaded build needs a cross-origin isolated page and spawns its own workers;
    // measured in Node, the single-threaded SIMD build is already 5-8x faster than cpu.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setWasmPaths(
      typeof paths === 'string'
        ? paths
        : {
            'tfjs-backend-wasm.wasm': paths.plain,
            'tfjs-backend-wasm-simd.wasm': paths.simd,
            // Required by setWasmPaths' map; never fetched with threads off.
            'tfjs-backend-wasm-threaded-simd.wasm': paths.simd,
          },
    );
  });

/**
 * Initialise a TensorFlow.js backend for training in a browser (once per page or worker) and return
 * its name. A later call with `auto` or the active backend's name returns it without re-initialising.
 * @param options - the backend to use and where the wasm binaries are (default: `auto`, no wasm paths, so cpu).
 * @returns the name of the backend now active.
 * @throws SngpError if `wasm` is asked for without `wasmPaths`.
 * @throws Error if the requested backend cannot be initialised (e.g. the wasm binaries cannot be
 *   fetched): with `auto`, wasm failing falls back to cpu instead.
 */
export async function initBrowserBackend(options: BrowserBackendOptions = {}): Promise<BrowserBackendName> {
  const preference = options.backend ?? 'auto';
  if (active && (preference === 'auto' || preference === active)) return active;
  if (preference === 'wasm' && !options.wasmPaths)
    throw new SngpError('backend "wasm" needs wasmPaths: the URLs of tfjs-backend-wasm-simd.wasm and tfjs-backend-wasm.wasm on your origin');
  const order: BrowserBackendName[] = preference === 'auto' ? (options.wasmPaths ? ['wasm', 'cpu'] : ['cpu']) : [preference];
  for (const name of order) {
    const ok = name === 'wasm' ? await tryWasm(options.wasmPaths!) : await tryCpu();
    if (ok) {
      await tf.ready();
      active = name;
      return name;
    }
  }
  throw new Error(`no TensorFlow.js backend could be initialised in this browser (tried ${order.join(', ')})`);
}
