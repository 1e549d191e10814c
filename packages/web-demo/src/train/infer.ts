/**
 * Runs a model exported in the worker with the demo's own runtime (`@sngp/runtime`'s browser
 * entry, onnxruntime-web on wasm): the panel's grid, the held-out test points and the grid's four
 * far corners, in one timed pass.
 */
import { type Dataset, accuracy, gridSurfaces } from '@sngp/core';
import { type SngpModel, configureWasm, loadModel } from '@sngp/runtime';

/** The grid's four far corners (x, y): the points furthest from any toy data set. */
export const FAR_CORNERS: readonly (readonly [number, number])[] = [
  [-3.5, -2.5],
  [3.5, -2.5],
  [-3.5, 2.5],
  [3.5, 2.5],
];

/** One exported model, loaded and evaluated. */
export interface Evaluated {
  /** The loaded model (the panel disposes it before the next run). */
  model: SngpModel;
  /** The provider that runs it (`wasm`). */
  provider: string;
  /** p(class 0) per grid cell. */
  probability: Float32Array;
  /** p (1 - p), normalised by its maximum over the grid. */
  uncertainty: Float32Array;
  /** Accuracy on the held-out test points. */
  testAccuracy: number;
  /** p(class 0) at each of {@link FAR_CORNERS}. */
  corners: number[];
  /** Loading the bytes into a session, milliseconds. */
  loadMs: number;
  /** Predicting the grid, milliseconds. */
  gridMs: number;
}

let configured = false;

/**
 * Load exported bytes on wasm and evaluate them on the grid, the test points and the corners.
 * @param bytes - the .onnx file from the worker.
 * @param grid - the panel's grid (moonsGrid order).
 * @param test - labelled held-out points.
 * @returns the loaded model and what it predicts.
 * @throws SngpError if the runtime rejects the bytes or a prediction.
 */
export async function evaluate(bytes: Uint8Array, grid: Dataset, test: Dataset): Promise<Evaluated> {
  if (!configured) {
    // The same ort/ files the demo serves beside the page (vite.config.ts copies them there).
    await configureWasm({ wasmPaths: new URL('ort/', document.baseURI).href });
    configured = true;
  }
  const t0 = performance.now();
  const model = await loadModel(bytes, { device: 'wasm' });
  try {
    const t1 = performance.now();
    const g = await model.predict(grid.x, { batchSize: grid.n });
    const t2 = performance.now();
    const s = gridSurfaces(g.probs, g.numClasses, { normalize: true });
    const t = await model.predict(test.x, { batchSize: test.n });
    const c = await model.predict(Float32Array.from(FAR_CORNERS.flat()));
    return {
      model,
      provider: model.info.provider,
      probability: s.probability,
      uncertainty: s.uncertainty,
      testAccuracy: accuracy(t.probs, test.y!, t.numClasses),
      corners: FAR_CORNERS.map((_, i) => c.probs[i * c.numClasses]),
      loadMs: t1 - t0,
      gridMs: t2 - t1,
    };
  } catch (e) {
    await model.dispose();
    throw e;
  }
}
