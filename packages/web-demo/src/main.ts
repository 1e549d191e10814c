import { METHODS, type Method, gridSurfaces, moonsGrid, twoMoons, uncertaintyScore } from '@sngp/core';
import { type Loaded, loadAndPredict, type Provider, Serial, shownProbs, webgpuAdapter } from './inference.js';
import { MethodPanel, type Overlay } from './panels.js';
import { type PointReading, renderReadout } from './readout.js';
import './style.css';

const LABELS: Record<Method, string> = {
  deterministic: 'Deterministic ResNet',
  sngp: 'SNGP',
  'mc-dropout': 'MC Dropout',
  ensemble: 'Deep Ensemble',
};

/** Machine-readable page state for tests and the curious (window.__demo). */
export interface DemoApi {
  /** Provider actually running the models ('' before the first load). */
  provider: string;
  /** What the provider switch asks for. */
  requested: Provider;
  webgpuAvailable: boolean;
  ready: boolean;
  errors: Partial<Record<Method, string>>;
  providers: Partial<Record<Method, string>>;
  timings: Partial<Record<Method, { loadMs: number; gridMs: number }>>;
  meanField: number;
  /** Every method's shown probabilities at (x, y), by live inference; null for a failed model. */
  probe(x: number, y: number): Promise<Record<string, number[] | null>>;
  /** Shown probabilities of grid cell `index` (moonsGrid order), or null. */
  cell(method: Method, index: number): number[] | null;
  setProvider(p: Provider): Promise<void>;
  setMeanField(lambda: number): void;
}

const grid = moonsGrid();
const moons = twoMoons(0);
const overlay: Overlay = {
  train: { x: moons.train.x, y: moons.train.y ?? new Int32Array(moons.train.n), n: moons.train.n },
  ood: { x: moons.ood.x, n: moons.ood.n },
};
const serial = new Serial();
const loaded = new Map<Method, Loaded>();
const panels = new Map<Method, MethodPanel>();

const el = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`index.html lacks #${id}`);
  return e as T;
};
const providerOut = el<HTMLOutputElement>('provider');
const readout = el<HTMLElement>('readout');
const slider = document.createElement('input');
const sliderValue = document.createElement('output');

const demo: DemoApi = {
  provider: '',
  requested: 'wasm',
  webgpuAvailable: false,
  ready: false,
  errors: {},
  providers: {},
  timings: {},
  meanField: Math.PI / 8,
  probe: (x, y) => probe(x, y).then((rows) => Object.fromEntries(rows.map((r) => [r.method, r.probs]))),
  cell(method, index) {
    const l = loaded.get(method);
    if (!l) return null;
    const k = l.grid.numClasses;
    return Array.from(shownProbs(method, l.grid, demo.meanField, l.model.info.card.temperature ?? 1).subarray(index * k, (index + 1) * k));
  },
  setProvider: (p) => run(p),
  setMeanField(lambda) {
    // A calibrated model's lambda can be far above the default range: widen it to fit.
    if (lambda > Number(slider.max)) slider.max = String(2 * lambda);
    slider.value = String(lambda);
    applyMeanField(lambda);
  },
};
(window as unknown as { __demo: DemoApi }).__demo = demo;

function setReady(ready: boolean): void {
  demo.ready = ready;
  document.body.dataset.ready = String(ready);
}

function drawMethod(method: Method): void {
  const l = loaded.get(method);
  const panel = panels.get(method);
  if (!l || !panel) return;
  const s = gridSurfaces(shownProbs(method, l.grid, demo.meanField, l.model.info.card.temperature ?? 1), l.grid.numClasses, { normalize: true });
  panel.probability.draw(s.probability, overlay);
  panel.uncertainty.draw(s.uncertainty, overlay);
}

/** (Re)load every model on a provider and draw its surfaces; one model at a time for fair timings. */
async function run(provider: Provider): Promise<void> {
  await serial.run(async () => {
    setReady(false);
    demo.requested = provider;
    document.body.dataset.requested = provider;
    for (const l of loaded.values()) await l.model.dispose();
    loaded.clear();
    demo.errors = {};
    demo.providers = {};
    demo.timings = {};
    for (const method of METHODS) {
      const panel = panels.get(method)!;
      panel.loading(`loading on ${provider}...`);
      try {
        const l = await loadAndPredict(method, `models/${method}.onnx`, provider, grid.x);
        loaded.set(method, l);
        demo.providers[method] = l.model.info.provider;
        demo.timings[method] = { loadMs: l.loadMs, gridMs: l.gridMs };
        if (method === 'sngp' && l.model.info.card.meanFieldFactor !== null && !slider.dataset.touched)
          demo.setMeanField(l.model.info.card.meanFieldFactor);
        drawMethod(method);
        panel.ready(l.model.info.provider, l.loadMs, l.gridMs);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        demo.errors[method] = msg;
        panel.failed(msg);
        console.error(`${method}:`, e);
      }
    }
    const running = [...new Set(Object.values(demo.providers))];
    demo.provider = running.length ? running.join(', ') : 'none';
    providerOut.textContent = running.length ? running.join(', ') : 'no model loaded';
    document.body.dataset.provider = demo.provider;
    setReady(true);
  });
}

/** Live inference of every loaded model at one point (MC dropout with the default noise seed, as the grid). */
async function probe(x: number, y: number): Promise<(PointReading & { method: Method })[]> {
  return serial.run(async () => {
    const rows: (PointReading & { method: Method })[] = [];
    for (const method of METHODS) {
      const l = loaded.get(method);
      if (!l) {
        rows.push({ method, label: LABELS[method], probs: null, error: demo.errors[method] ?? 'not loaded' });
        continue;
      }
      const pred = await l.model.predict(new Float32Array([x, y]));
      const probs = Array.from(shownProbs(method, pred, demo.meanField, l.model.info.card.temperature ?? 1));
      rows.push({ method, label: LABELS[method], probs, uncertainty: uncertaintyScore(probs, probs.length)[0], variance: pred.variance?.[0] });
    }
    return rows;
  });
}

// Pointer readout: only the latest point is evaluated (moves during a probe are coalesced).
let pending: [number, number] | null = null;
let busy = false;
let lastPoint: [number, number] | null = null;
async function pointAt(point: [number, number] | null): Promise<void> {
  for (const p of panels.values()) p.mark(point);
  lastPoint = point;
  if (!point) return renderReadout(readout, null, [], []);
  pending = point;
  if (busy) return;
  busy = true;
  try {
    while (pending) {
      const [x, y] = pending;
      pending = null;
      const rows = await probe(x, y);
      const classes = [...loaded.values()][0]?.model.info.classes ?? ['0', '1'];
      renderReadout(readout, [x, y], classes, rows);
      readout.dataset.x = String(x);
      readout.dataset.y = String(y);
    }
  } finally {
    busy = false;
  }
}

function applyMeanField(lambda: number): void {
  demo.meanField = lambda;
  sliderValue.textContent = `λ = ${lambda.toFixed(3)}${lambda <= 0 ? ' (plain softmax)' : ''}`;
  drawMethod('sngp');
  if (lastPoint) void pointAt(lastPoint);
}

async function main(): Promise<void> {
  const container = el<HTMLElement>('panels');
  for (const method of METHODS) {
    const panel = new MethodPanel(method, LABELS[method]);
    panel.probability.onPointer((p) => void pointAt(p));
    panel.uncertainty.onPointer((p) => void pointAt(p));
    panels.set(method, panel);
    container.append(panel.element);
  }
  // SNGP's mean-field factor: re-renders from stored logits and variance, no inference.
  const label = document.createElement('label');
  label.textContent = 'mean-field factor ';
  Object.assign(slider, { type: 'range', min: '0', max: '3', step: 'any', id: 'mean-field' });
  slider.addEventListener('input', () => {
    slider.dataset.touched = 'true';
    applyMeanField(Number(slider.value));
  });
  label.append(slider, sliderValue);
  panels.get('sngp')!.extra.append(label);
  demo.setMeanField(demo.meanField);
  renderReadout(readout, null, [], []);

  const adapter = await webgpuAdapter();
  demo.webgpuAvailable = adapter !== null;
  el<HTMLElement>('adapter').textContent = adapter ?? 'none';
  document.body.dataset.webgpu = String(demo.webgpuAvailable);
  const radios = document.querySelectorAll<HTMLInputElement>('input[name="provider"]');
  for (const r of radios) {
    if (r.value === 'webgpu' && !demo.webgpuAvailable) {
      r.disabled = true;
      r.parentElement!.title = 'this browser offers no WebGPU adapter';
    }
    r.addEventListener('change', () => void run(r.value as Provider));
  }
  const first: Provider = demo.webgpuAvailable ? 'webgpu' : 'wasm';
  for (const r of radios) r.checked = r.value === first;
  await run(first);
}

main().catch((e) => {
  document.body.dataset.fatal = String(e);
  el<HTMLElement>('panels').textContent = `The demo failed to start: ${e instanceof Error ? e.message : String(e)}`;
});
