// Browser harness: exposes the runtime's browser entry to the Playwright test.
import { configureWasm, loadModel, webgpuAdapter, type Device, type PredictOptions } from '../../src/browser.js';

export interface BrowserResult {
  provider: string;
  /** `model.info.deviceChoice`. */
  deviceChoice: { requested: string | null; provider: string; reason: string };
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
      deviceChoice: model.info.deviceChoice,
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

/** What the decision rules give per row (issue #22), for the Node/browser parity test. */
export interface DecisionResult {
  provider: string;
  setMask: number[];
  setSize: number[];
  sets: { classes: number[]; labels: string[] }[];
  abstain: number[];
  predictedLabel: string[];
  /** The scores the rules compare with their thresholds, to see how close a row is. */
  logProbs: number[];
}

async function decide(modelUrl: string, device: Device, features: number[][]): Promise<DecisionResult> {
  await configureWasm({ wasmPaths: '/ort/' });
  const model = await loadModel(modelUrl, { device, strict: true });
  try {
    const p = await model.predict(features);
    if (!p.setMask || !p.setSize || !p.sets || !p.abstain) throw new Error(`${modelUrl}: predict returned no sets or abstain flags`);
    return {
      provider: model.info.provider,
      setMask: Array.from(p.setMask),
      setSize: Array.from(p.setSize),
      sets: p.sets,
      abstain: Array.from(p.abstain),
      predictedLabel: p.predictedLabel,
      logProbs: Array.from(p.logProbs),
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

Object.assign(globalThis, { sngpRun: run, sngpRunError: runError, sngpDecide: decide, sngpAdapter: webgpuAdapter, sngpReady: true });
