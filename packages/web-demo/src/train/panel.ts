/**
 * The "Train in your browser" panel: pick a data set, noise and size; train SNGP and the
 * deterministic ResNet in a Web Worker (TensorFlow.js on wasm), compute SNGP's posterior, export
 * both to ONNX there, and run the bytes here with the demo's runtime (onnxruntime-web on wasm):
 * train -> export -> infer, all in the browser. Progress per epoch, a cancel button, the surfaces of
 * both models once each is ready, and a download link for each .onnx file.
 *
 * State for tests and the curious: `window.__trainPanel` ({@link TrainPanelApi}) and data attributes
 * (`#train-panel[data-state]`, `.train-model[data-method][data-state]`).
 */
import { TOY_DATA_SETS, type ToyDataName } from '@sngp/core';
import { type Evaluated, evaluate } from './infer.js';
import './panel.css';
import { TrainPlot } from './plot.js';
import { type DataChoice, PANEL_METHODS, type PanelMethod, type TrainRequest, type WorkerMessage } from './protocol.js';
import { DATASET_LABELS, DATA_LIMITS, DEFAULT_DATA, GRID_SIZE, TRAIN_OPTIONS, drawData, panelGrid } from './settings.js';

const LABELS: Record<PanelMethod, string> = { sngp: 'SNGP', deterministic: 'Deterministic ResNet' };

/** What the panel knows about one trained model (all measured in this browser). */
export interface ModelFacts {
  /** Accuracy of the ONNX model (run here) on the held-out test draw. */
  testAccuracy: number;
  /** Accuracy of the TensorFlow.js model on its training points (from the worker). */
  trainAccuracy: number;
  /** p(class 0) of the ONNX model at the grid's four far corners. */
  corners: number[];
  /** The TensorFlow.js backend that trained it. */
  backend: string;
  /** The onnxruntime-web provider that runs it. */
  provider: string;
  /** SNGP: the kernel scale the auto rule chose. */
  kernelScale?: number;
  /** Size of the .onnx file, bytes. */
  bytes: number;
  /** Training loop wall time, seconds. */
  trainSeconds: number;
  /** Mean ms per optimizer step after the first epoch. */
  msPerStep: number;
  /** ONNX export wall time (posterior baked), milliseconds. */
  exportMs: number;
  /** Loading the bytes into an onnxruntime-web session, milliseconds. */
  loadMs: number;
  /** Predicting the grid, milliseconds. */
  gridMs: number;
}

/** The panel's machine-readable state and controls (`window.__trainPanel`). */
export interface TrainPanelApi {
  /** `idle` before the first run, `training` while one runs, then `done`, `cancelled` or `error`. */
  state: 'idle' | 'training' | 'done' | 'cancelled' | 'error';
  /** The data of the current (or last) run. */
  data: DataChoice;
  /** Epoch messages received per model in the current run (progress per epoch). */
  epochs: Record<PanelMethod, number>;
  /** Epochs each model trains. */
  epochsPerModel: Record<PanelMethod, number>;
  /** Facts of each model of the current run, as it becomes ready. */
  models: Partial<Record<PanelMethod, ModelFacts>>;
  /** The error of the last run, one line, or null. */
  error: string | null;
  /** From the click on Train to both models drawn, milliseconds (null until done). */
  totalMs: number | null;
  /** Set the data controls (unset fields keep their values); ignored while training. */
  setData(choice: Partial<DataChoice>): void;
  /** Start a run with the controls' data (as the Train button); resolves when it ends in any way. */
  train(): Promise<void>;
  /** Stop the run (as the Cancel button). */
  cancel(): void;
  /**
   * A model's probabilities at points, by live inference with the ONNX model of the current run.
   * @param method - which model.
   * @param points - (x, y) pairs.
   * @returns [N * K] probabilities, row-major; null when that model is not ready.
   */
  probe(method: PanelMethod, points: [number, number][]): Promise<number[] | null>;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
const secs = (ms: number): string => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** One model's column: title, facts, two plots, download link. */
class ModelView {
  readonly element: HTMLElement;
  readonly probability: TrainPlot;
  readonly uncertainty: TrainPlot;
  readonly facts: HTMLElement;
  readonly download: HTMLAnchorElement;
  private url: string | null = null;

  constructor(readonly method: PanelMethod) {
    const label = LABELS[method];
    this.probability = new TrainPlot('Class probability p(class 0)', `Class probability, ${label}`, 'probability');
    this.uncertainty = new TrainPlot('Uncertainty p(1 − p), normalised', `Predictive uncertainty p(1 - p), normalised by its maximum, ${label}`, 'uncertainty');
    this.facts = el('p', { className: 'train-facts' }, 'not trained yet');
    this.download = el('a', { className: 'train-download', hidden: true });
    this.element = el(
      'section',
      { className: 'train-model' },
      el('h3', {}, label),
      this.facts,
      el('div', { className: 'train-plots' }, this.probability.element, this.uncertainty.element),
      this.download,
    );
    this.element.dataset.method = method;
    this.element.dataset.state = 'idle';
  }

  /** Offer the .onnx bytes as a file download. */
  offer(bytes: Uint8Array, data: DataChoice): void {
    this.clearDownload();
    this.url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    this.download.href = this.url;
    this.download.download = `${this.method}-${data.dataset}.onnx`;
    this.download.textContent = `Download ${this.download.download} (${(bytes.length / 1e6).toFixed(1)} MB)`;
    this.download.hidden = false;
  }

  clearDownload(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.download.hidden = true;
    this.download.removeAttribute('href');
  }
}

/**
 * Build the panel inside `container` and wire it up; also sets `window.__trainPanel`.
 * @param container - an (empty) element of the page to fill.
 * @returns the panel's state and controls.
 */
export function mountTrainPanel(container: HTMLElement): TrainPanelApi {
  const grid = panelGrid();
  const views = new Map<PanelMethod, ModelView>(PANEL_METHODS.map((m) => [m, new ModelView(m)]));
  const loaded = new Map<PanelMethod, Evaluated>();
  let worker: Worker | null = null;
  let run = 0;
  let finish: (() => void) | null = null;

  // Controls.
  const dataset = el('select', { name: 'dataset' }, ...TOY_DATA_SETS.map((d) => el('option', { value: d, textContent: DATASET_LABELS[d] })));
  const noise = el('input', { type: 'range', name: 'noise', min: String(DATA_LIMITS.noise.min), max: String(DATA_LIMITS.noise.max), step: String(DATA_LIMITS.noise.step) });
  const noiseOut = el('output', { className: 'train-noise-value' });
  const size = el('input', { type: 'number', name: 'size', min: String(DATA_LIMITS.size.min), max: String(DATA_LIMITS.size.max), step: String(DATA_LIMITS.size.step), required: true });
  const trainButton = el('button', { type: 'submit', className: 'train-start', textContent: 'Train' });
  const cancelButton = el('button', { type: 'button', className: 'train-cancel', textContent: 'Cancel', disabled: true });
  const form = el(
    'form',
    { className: 'train-controls' },
    el('label', {}, 'Data set ', dataset),
    el('label', {}, 'Noise ', noise, noiseOut),
    el('label', {}, 'Points ', size),
    trainButton,
    cancelButton,
  );
  const bar = el('progress', { className: 'train-bar', max: 1, value: 0 });
  bar.setAttribute('aria-label', 'training progress');
  const stage = el('span', { className: 'train-stage', textContent: 'Pick a data set and press Train.' });
  stage.setAttribute('role', 'status');
  const epochLine = el('span', { className: 'train-epoch' });
  const models = el('div', { className: 'train-models' }, ...[...views.values()].map((v) => v.element));
  const epochs = { sngp: TRAIN_OPTIONS.sngp.epochs ?? 0, deterministic: TRAIN_OPTIONS.deterministic.epochs ?? 0 };
  const body = TRAIN_OPTIONS.sngp;
  const root = el(
    'section',
    { className: 'train-panel', id: 'train-panel' },
    el('h2', {}, 'Train in your browser'),
    el(
      'p',
      { className: 'train-lede' },
      `Trains SNGP (${epochs.sngp} epochs) and a deterministic ResNet (${epochs.deterministic} epochs), both of width ${body.width} and depth ${body.depth}, on the points below, ` +
        'in a Web Worker with TensorFlow.js; computes the SNGP posterior; exports both to ONNX there and runs the files here with ' +
        'onnxruntime-web, the runtime of the panels above. Nothing leaves this browser. Far from the data, SNGP should say ' +
        '"I don\'t know" (probability near 0.5, high uncertainty); the deterministic model stays confident.',
    ),
    form,
    el('div', { className: 'train-progress' }, bar, stage, epochLine),
    el(
      'p',
      { className: 'train-legend' },
      el('span', { className: 'train-dot class0' }),
      ' class 0 ',
      el('span', { className: 'train-dot class1' }),
      ' class 1 (training points); colours: viridis from 0 (dark) to 1 (yellow)',
    ),
    models,
  );
  container.append(root);

  const api: TrainPanelApi = {
    state: 'idle',
    data: { ...DEFAULT_DATA },
    epochs: { sngp: 0, deterministic: 0 },
    epochsPerModel: epochs,
    models: {},
    error: null,
    totalMs: null,
    setData(choice) {
      if (api.state === 'training') return;
      showControls({ ...readControls(), ...choice });
      dataChanged();
    },
    train: () => start(),
    cancel: () => cancel(),
    async probe(method, points) {
      const l = loaded.get(method);
      if (!l) return null;
      const p = await l.model.predict(Float32Array.from(points.flat()));
      return Array.from(p.probs);
    },
  };
  (window as unknown as { __trainPanel: TrainPanelApi }).__trainPanel = api;

  function setState(s: TrainPanelApi['state']): void {
    api.state = s;
    root.dataset.state = s;
    const busy = s === 'training';
    trainButton.disabled = busy;
    cancelButton.disabled = !busy;
    for (const c of [dataset, noise, size]) c.disabled = busy;
  }

  function showControls(c: DataChoice): void {
    dataset.value = c.dataset;
    noise.value = String(c.noise);
    noiseOut.textContent = c.noise.toFixed(2);
    size.value = String(c.size);
  }

  function readControls(): DataChoice {
    return { dataset: dataset.value as ToyDataName, noise: Number(noise.value), size: Number(size.value), seed: DEFAULT_DATA.seed };
  }

  /** Draw every plot empty with the current points; forget the models of another data set. */
  function dataChanged(): void {
    const choice = readControls();
    noiseOut.textContent = choice.noise.toFixed(2);
    let points;
    try {
      points = drawData(choice).train;
    } catch (e) {
      stage.textContent = e instanceof Error ? e.message : String(e);
      return;
    }
    api.data = choice;
    void disposeModels();
    for (const v of views.values()) {
      v.probability.draw(null, GRID_SIZE, { x: points.x, y: points.y!, n: points.n });
      v.uncertainty.draw(null, GRID_SIZE, { x: points.x, y: points.y!, n: points.n });
      v.facts.textContent = 'not trained yet';
      v.element.dataset.state = 'idle';
      v.clearDownload();
    }
  }

  async function disposeModels(): Promise<void> {
    const old = [...loaded.values()];
    loaded.clear();
    api.models = {};
    for (const l of old) await l.model.dispose();
  }

  function stopWorker(): void {
    worker?.terminate();
    worker = null;
  }

  function end(state: 'done' | 'cancelled' | 'error', text: string): void {
    stopWorker();
    setState(state);
    stage.textContent = text;
    epochLine.textContent = '';
    finish?.();
    finish = null;
  }

  function cancel(): void {
    if (api.state !== 'training') return;
    run++; // late messages and evaluations of this run are ignored from now on
    for (const v of views.values()) if (v.element.dataset.state !== 'ready') v.element.dataset.state = 'idle';
    bar.value = 0;
    end('cancelled', 'Cancelled: the worker was stopped. Press Train to start again.');
  }

  function start(): Promise<void> {
    if (api.state === 'training') return Promise.resolve();
    if (!form.reportValidity()) return Promise.resolve();
    const choice = readControls();
    let data;
    try {
      data = drawData(choice);
    } catch (e) {
      api.error = e instanceof Error ? e.message : String(e);
      setState('error');
      stage.textContent = api.error;
      return Promise.resolve();
    }
    dataChanged();
    const id = ++run;
    const t0 = performance.now();
    api.error = null;
    api.totalMs = null;
    api.epochs = { sngp: 0, deterministic: 0 };
    setState('training');
    bar.value = 0;
    stage.textContent = `Starting the worker: ${LABELS.sngp} first, then the ${LABELS.deterministic}.`;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const ready = new Set<PanelMethod>();
    // Evaluations run one at a time, in arrival order (SNGP, then deterministic).
    let evaluations = Promise.resolve();
    let workerDone = false;
    const maybeFinish = (): void => {
      if (id !== run || !workerDone || ready.size < PANEL_METHODS.length) return;
      api.totalMs = performance.now() - t0;
      bar.value = 1;
      end('done', `Done in ${secs(api.totalMs)}: trained, exported to ONNX and run in this browser.`);
    };

    worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.onerror = (e) => {
      if (id !== run) return;
      api.error = `the training worker failed: ${e.message || 'it could not be loaded'}`;
      end('error', `Error: ${api.error}`);
    };
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      if (id !== run) return;
      const m = e.data;
      const step = PANEL_METHODS.indexOf('method' in m ? m.method : 'sngp');
      switch (m.type) {
        case 'epoch':
          api.epochs[m.method] = m.epoch;
          bar.value = (step + (0.9 * m.epoch) / m.epochs) / PANEL_METHODS.length;
          epochLine.textContent = `${LABELS[m.method]}: epoch ${m.epoch} of ${m.epochs}, loss ${m.loss.toFixed(3)}, training accuracy ${pct(m.accuracy)}`;
          if (m.epoch === 1) stage.textContent = `Training ${LABELS[m.method]}...`;
          break;
        case 'stage': {
          views.get(m.method)!.element.dataset.state = m.stage;
          const what = { starting: 'starting', posterior: 'computing the posterior', exporting: 'exporting to ONNX' }[m.stage];
          stage.textContent = `${LABELS[m.method]}: ${what}${m.backend ? ` (TensorFlow.js on ${m.backend})` : ''}...`;
          break;
        }
        case 'model': {
          const view = views.get(m.method)!;
          view.element.dataset.state = 'running';
          evaluations = evaluations.then(async () => {
            if (id !== run) return;
            try {
              const r = await evaluate(m.onnx, grid, data.test);
              if (id !== run) return void (await r.model.dispose());
              loaded.set(m.method, r);
              const facts: ModelFacts = {
                testAccuracy: r.testAccuracy,
                trainAccuracy: m.trainAccuracy,
                corners: r.corners,
                backend: m.backend,
                provider: r.provider,
                bytes: m.onnx.length,
                trainSeconds: m.trainSeconds,
                msPerStep: m.msPerStep,
                exportMs: m.exportMs,
                loadMs: r.loadMs,
                gridMs: r.gridMs,
                ...(m.kernelScale !== undefined ? { kernelScale: m.kernelScale } : {}),
              };
              api.models[m.method] = facts;
              const pts = { x: data.train.x, y: data.train.y!, n: data.train.n };
              view.probability.draw(r.probability, GRID_SIZE, pts);
              view.uncertainty.draw(r.uncertainty, GRID_SIZE, pts);
              view.facts.textContent =
                `test accuracy ${pct(facts.testAccuracy)}; trained in ${facts.trainSeconds.toFixed(1)} s on ${facts.backend} ` +
                `(${facts.msPerStep.toFixed(1)} ms/step), exported in ${secs(facts.exportMs)}, grid in ${secs(facts.gridMs)} on ${facts.provider}; ` +
                `p(class 0) at the far corners ${facts.corners.map((c) => c.toFixed(2)).join(', ')}`;
              view.offer(m.onnx, choice);
              view.element.dataset.state = 'ready';
              ready.add(m.method);
              maybeFinish();
            } catch (err) {
              api.error = `${LABELS[m.method]}: ${err instanceof Error ? err.message : String(err)}`;
              end('error', `Error: ${api.error}`);
            }
          });
          break;
        }
        case 'done':
          workerDone = true;
          stopWorker();
          stage.textContent = 'Trained and exported; running the ONNX models here...';
          void evaluations.then(maybeFinish);
          break;
        case 'error':
          api.error = m.message;
          end('error', `Error: ${m.message}`);
          break;
      }
    };
    worker.postMessage({ type: 'train', data: choice } satisfies TrainRequest);
    return done;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void start();
  });
  cancelButton.addEventListener('click', cancel);
  for (const c of [dataset, noise, size]) c.addEventListener('input', () => api.state !== 'training' && dataChanged());
  showControls(DEFAULT_DATA);
  setState('idle');
  dataChanged();
  return api;
}
