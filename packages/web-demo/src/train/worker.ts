/**
 * The training panel's Web Worker: draws the data, trains SNGP and then the deterministic ResNet
 * with TensorFlow.js (wasm backend, binaries served by this page's origin), computes SNGP's
 * posterior, exports each model to ONNX and posts the bytes to the page as soon as each is ready.
 * Training blocks this thread, so the page stays responsive and cancels by terminating the worker.
 */
import { exportModel } from '@sngp/export/browser';
import { type TrainSummary, initBrowserBackend, trainInMemory } from '@sngp/train/browser';
// Vite emits these as assets of the build and gives their URLs: no CDN, same origin.
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import { PANEL_METHODS, type PanelMethod, type TrainRequest, type WorkerMessage } from './protocol.js';
import { drawData, trainOptionsFor } from './settings.js';

/** The worker's global scope, typed for what this file uses (the project compiles against DOM types). */
const scope = self as unknown as {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<TrainRequest>) => void) | null;
};

const post = (m: WorkerMessage, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

/** Train, export and post one model. */
async function trainOne(method: PanelMethod, request: TrainRequest): Promise<void> {
  const data = drawData(request.data);
  post({ type: 'stage', method, stage: 'starting' });
  let posteriorSent = false;
  const { checkpoint, summary } = await trainInMemory(
    { train: data.train, name: `${request.data.dataset} (in-browser, ${request.data.size} points, noise ${request.data.noise})` },
    trainOptionsFor(method, data.train.n),
    {
      backend: { backend: 'auto', wasmPaths: { simd: new URL(wasmSimdUrl, self.location.href).href, plain: new URL(wasmPlainUrl, self.location.href).href } },
      onStart: (info) => post({ type: 'stage', method, stage: 'starting', backend: info.backend }),
      onEpoch: (s) => post({ type: 'epoch', method, epoch: s.epoch, epochs: s.epochs, loss: s.loss, accuracy: s.accuracy }),
      onPosterior: () => {
        if (posteriorSent) return;
        posteriorSent = true;
        post({ type: 'stage', method, stage: 'posterior' });
      },
    },
  );
  post({ type: 'stage', method, stage: 'exporting' });
  const t0 = performance.now();
  // The full posterior: its Cholesky and inverse take seconds; `auto`'s eigendecomposition ten times longer.
  const { bytes } = exportModel(checkpoint, { posterior: 'full' });
  const exportMs = performance.now() - t0;
  post(modelMessage(method, bytes, summary, exportMs), [bytes.buffer]);
}

function modelMessage(method: PanelMethod, onnx: Uint8Array, summary: TrainSummary, exportMs: number): WorkerMessage {
  return {
    type: 'model',
    method,
    onnx,
    trainAccuracy: summary.metrics.trainAccuracy,
    trainSeconds: summary.seconds,
    msPerStep: summary.msPerStep,
    exportMs,
    backend: summary.backend,
    ...(summary.gp ? { kernelScale: summary.gp.kernelScale } : {}),
  };
}

scope.onmessage = (e) => {
  void (async () => {
    try {
      for (const method of PANEL_METHODS) await trainOne(method, e.data);
      post({ type: 'done' });
    } catch (err) {
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
};
