// Browser harness: exposes the runtime's browser entry to the Playwright test.
import { configureWasm, loadModel, type Device, type PredictOptions } from '../../src/browser.js';

export interface BrowserResult {
  provider: string;
  method: string;
  probs: number[];
  variance: number[] | null;
  /** Issue #20: `Prediction.unseenCategories` (row objects only), else null. */
  unseen: unknown[] | null;
  warnings: string[];
  crossOriginIsolated: boolean;
}

async function run(
  modelUrl: string,
  device: Device,
  features: number[][] | Record<string, number | string | null>[],
  options: PredictOptions = {},
): Promise<BrowserResult> {
  await configureWasm({ wasmPaths: '/ort/' });
  const warnings: string[] = [];
  const model = await loadModel(modelUrl, { device, strict: true, onWarning: (m) => warnings.push(m) });
  try {
    const p = await model.predict(features, options);
    return {
      provider: model.info.provider,
      method: model.info.method,
      probs: Array.from(p.probs),
      variance: p.variance ? Array.from(p.variance) : null,
      unseen: p.unseenCategories ?? null,
      warnings,
      crossOriginIsolated: globalThis.crossOriginIsolated,
    };
  } finally {
    await model.dispose();
  }
}

async function runError(modelUrl: string): Promise<string> {
  try {
    await loadModel(modelUrl, { device: 'wasm' });
    return 'no error';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

Object.assign(globalThis, { sngpRun: run, sngpRunError: runError, sngpReady: true });
