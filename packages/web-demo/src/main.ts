import { METHOD_CAPTIONS, METHOD_LABELS, METHODS, type Method, gridSurfaces, maxPlotUncertainty, moonsGrid, twoMoons, withDecisionRules } from '@sngp/core';
import { type AdapterReport, webgpuAdapter } from '@sngp/runtime';
import { decisionCounts, type DecisionCounts } from './decision-map.js';
import { calibrateRules, type DecisionRules, describeRules } from './decisions.js';
import {
  Cancelled,
  checkSignal,
  isRuntimeFailure,
  type Loaded,
  openBytes,
  openModel,
  predictGrid,
  type Provider,
  Serial,
  shownProbs,
} from './inference.js';
import { formatState, type PageState, parseState, type UncertaintyScale } from './page-state.js';
import { MethodPanel, type Overlay } from './panels.js';
import { Probe } from './probe.js';
import { EXTENT } from './surface.js';
import { announcement, decisionText, type PointReading, plottedUncertainty, renderReadout, throttleText } from './readout.js';
import './style.css';
import { mountTrainPanel } from './train/panel.js';

/** One run of every model on one provider, as recorded in window.__demo.passes. */
export interface PassRecord {
  provider: Provider;
  /** Models drawn by this pass. */
  drawn: number;
  outcome: 'running' | 'finished' | 'cancelled';
  /** performance.now() (ms since navigation) when its first / last surface was drawn. */
  firstSurfaceMs?: number;
  allMs?: number;
}

/** Machine-readable page state for tests and the curious (window.__demo). */
export interface DemoApi {
  /** Provider actually running the models ('' before the first load). */
  provider: string;
  /** What the provider switch asks for. */
  requested: Provider;
  webgpuAvailable: boolean;
  /** The WebGPU adapter, classified; null without one. */
  adapter: AdapterReport | null;
  /** Why the page started where it did (the banner's text), '' if nothing to say. */
  providerReason: string;
  ready: boolean;
  errors: Partial<Record<Method, string>>;
  /** The runtime itself failed to load ('' if not). */
  pageError: string;
  providers: Partial<Record<Method, string>>;
  timings: Partial<Record<Method, { loadMs: number; gridMs: number }>>;
  meanField: number;
  uncertainty: UncertaintyScale;
  /** Every pass so far, oldest first. */
  passes: PassRecord[];
  /** Every method's shown probabilities at (x, y), by live inference; null for a missing model. */
  probe(x: number, y: number): Promise<Record<string, number[] | null>>;
  /** Shown probabilities of grid cell `index` (moonsGrid order), or null. */
  cell(method: Method, index: number): number[] | null;
  setProvider(p: Provider): Promise<void>;
  /** Stop the pass in flight (after its current ORT run); resolves when it has stopped. */
  cancel(): Promise<void>;
  setMeanField(lambda: number): void;
  setUncertainty(scale: UncertaintyScale): void;
  /**
   * Show (or hide) a method's decisions view: calibrates its rules on the held-out draw the first
   * time, loads the model with them in its card and predicts the grid; resolves when drawn.
   */
  setDecisions(method: Method, on: boolean): Promise<void>;
  /** A method's rules and what they give over the grid (null before they are calibrated). */
  decisions(method: Method): { rules: DecisionRules; counts: DecisionCounts; setSize: number[]; abstain: number[] } | null;
}

/** The demo's SNGP panel has the lambda slider: its caption says what it does. */
const SNGP_LAMBDA_HINT = 'Raise λ to push far-away points further towards 0.5.';
const grid = moonsGrid();
const moons = twoMoons(0);
const overlay: Overlay = {
  train: { x: moons.train.x, y: moons.train.y ?? new Int32Array(moons.train.n), n: moons.train.n },
  ood: { x: moons.ood.x, n: moons.ood.n },
};
/** One ORT run at a time, grid chunks and probes alike. */
const queue = new Serial();
const loaded = new Map<Method, Loaded>();
/** Methods whose uncertainty plot shows the decisions view (the panels' toggles). */
const decisionsOn = new Set<Method>();
/** Rules calibrated for the models now loaded (cleared with them). */
const rules = new Map<Method, DecisionRules>();
/** Calibrations in flight. */
const attaching = new Map<Method, Promise<void>>();
const gridMax = new Map<Method, number>();
const panels = new Map<Method, MethodPanel>();
const urlState: PageState = parseState(location.search);

const el = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`index.html lacks #${id}`);
  return e as T;
};
const providerOut = el<HTMLOutputElement>('provider');
const progress = el<HTMLElement>('progress');
const banner = el<HTMLElement>('banner');
const pageError = el<HTMLElement>('page-error');
const readout = el<HTMLElement>('readout-values');
const readoutHelp = el<HTMLElement>('readout-help');
const announcer = el<HTMLElement>('announce');
const slider = document.createElement('input');
const sliderValue = document.createElement('output');

const demo: DemoApi = {
  provider: '',
  requested: 'wasm',
  webgpuAvailable: false,
  adapter: null,
  providerReason: '',
  ready: false,
  errors: {},
  pageError: '',
  providers: {},
  timings: {},
  meanField: Math.PI / 8,
  uncertainty: urlState.uncertainty ?? 'normalized',
  passes: [],
  probe: (x, y) => evaluate([x, y]).then((rows) => Object.fromEntries(rows.map((r) => [r.method, r.probs]))),
  cell(method, index) {
    const l = loaded.get(method);
    if (!l) return null;
    const k = l.grid.numClasses;
    return Array.from(shownProbs(method, l.grid, demo.meanField, l.model.info.card.temperature ?? 1).subarray(index * k, (index + 1) * k));
  },
  setProvider: (p) => run(p),
  async cancel() {
    const pass = current;
    pass?.controller.abort();
    await pass?.done;
  },
  setMeanField(lambda) {
    // A calibrated model's lambda can be far above the default range: widen it to fit.
    if (lambda > Number(slider.max)) slider.max = String(2 * lambda);
    slider.value = String(lambda);
    applyMeanField(lambda);
  },
  async setDecisions(method, on) {
    const panel = panels.get(method)!;
    panel.decisions.checked = on;
    if (on) decisionsOn.add(method);
    else decisionsOn.delete(method);
    panel.setScale(demo.uncertainty === 'normalized');
    if (on && loaded.has(method) && !rules.has(method)) await attachDecisions(method, current?.controller.signal).catch(reportDecisionError(method));
    describeDecisions(method);
    drawMethod(method);
    probe.refresh();
  },
  decisions(method) {
    const l = loaded.get(method);
    const r = rules.get(method);
    if (!l || !r || !l.grid.setSize || !l.grid.abstain) return null;
    return { rules: r, counts: decisionCounts(l.grid.setSize, l.grid.abstain), setSize: Array.from(l.grid.setSize), abstain: Array.from(l.grid.abstain) };
  },
  setUncertainty(scale) {
    demo.uncertainty = scale;
    for (const r of document.querySelectorAll<HTMLInputElement>('input[name="uncertainty"]')) r.checked = r.value === scale;
    for (const p of panels.values()) p.setScale(scale === 'normalized');
    for (const m of loaded.keys()) drawMethod(m);
    describeReadout();
    probe.refresh();
  },
};
(window as unknown as { __demo: DemoApi }).__demo = demo;

/** Write the user's choices into the URL (replaceState: no history entry per slider move). */
function saveState(change: PageState): void {
  Object.assign(urlState, change);
  history.replaceState(null, '', `${location.pathname}${formatState(urlState)}${location.hash}`);
}

function setReady(ready: boolean): void {
  demo.ready = ready;
  document.body.dataset.ready = String(ready);
}

const temperatureOf = (l: Loaded) => l.model.info.card.temperature ?? 1;

/** Draw one method's surfaces from its stored grid prediction (no inference). */
function drawMethod(method: Method): void {
  const l = loaded.get(method);
  const panel = panels.get(method);
  if (!l || !panel) return;
  const k = l.grid.numClasses;
  const s = gridSurfaces(shownProbs(method, l.grid, demo.meanField, temperatureOf(l)), k);
  let max = 0;
  for (const u of s.uncertainty) if (u > max) max = u;
  gridMax.set(method, max);
  panel.probability.draw(s.probability, overlay);
  const { setSize, abstain } = l.grid;
  if (decisionsOn.has(method) && setSize && abstain) panel.uncertainty.drawDecisions({ setSize, abstain, size: EXTENT.size }, overlay);
  else if (demo.uncertainty === 'normalized') panel.uncertainty.draw(max > 0 ? s.uncertainty.map((u) => u / max) : s.uncertainty, overlay, 1);
  else panel.uncertainty.draw(s.uncertainty, overlay, maxPlotUncertainty(k));
}

/**
 * Give a loaded model its decision rules: calibrate them on the held-out draw, load a copy of the
 * file with them in its card on the same provider, predict the grid with it (set sizes and abstain
 * flags come from the runtime's predict) and use it from then on. Stops, disposing what it made,
 * when the pass is cancelled.
 */
function attachDecisions(method: Method, signal?: AbortSignal): Promise<void> {
  // A second click while the first is still calibrating waits for it instead of doing it twice.
  let job = attaching.get(method);
  if (!job) {
    job = attachOnce(method, signal).finally(() => attaching.delete(method));
    attaching.set(method, job);
  }
  return job;
}

async function attachOnce(method: Method, signal?: AbortSignal): Promise<void> {
  const l = loaded.get(method);
  if (!l) return;
  const panel = panels.get(method)!;
  panel.decisionsNote.hidden = false;
  panel.decisionsNote.textContent = 'calibrating the rules on a held-out two-moons draw…';
  const found = await calibrateRules(l.model, queue);
  checkSignal(signal);
  const model = await openBytes(method, withDecisionRules(l.bytes, found, `models/${method}.onnx`), l.model.info.provider as Provider);
  try {
    checkSignal(signal);
    panel.decisionsNote.textContent = 'computing sets and abstain flags over the grid…';
    const decided = await predictGrid(model, grid.x, queue, { signal });
    if (loaded.get(method) !== l) throw new Cancelled();
    const old = l.model;
    Object.assign(l, { model, grid: decided });
    rules.set(method, found);
    await queue.run(() => old.dispose());
  } catch (e) {
    await queue.run(() => model.dispose());
    throw e;
  }
}

/** The decisions note under a method's toggle: the rules in words, hidden when the view is off. */
function describeDecisions(method: Method): void {
  const panel = panels.get(method)!;
  const r = rules.get(method);
  panel.decisionsNote.hidden = !decisionsOn.has(method);
  if (!decisionsOn.has(method)) return;
  if (!r) {
    if (!loaded.has(method)) panel.decisionsNote.textContent = 'shown once the model has run.';
    return;
  }
  const lambda = method === 'sngp' ? ' Sets and flags use the card’s λ, not the slider’s.' : '';
  panel.decisionsNote.textContent = describeRules(r) + lambda;
}

function reportDecisionError(method: Method): (e: unknown) => void {
  return (e) => {
    if (e instanceof Cancelled) return;
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`${method} decisions:`, e);
    panels.get(method)!.decisionsNote.textContent = `Could not calibrate the rules: ${msg}`;
  };
}

/** Axes and points at once, before any model ran. */
function drawEmpty(method: Method): void {
  const panel = panels.get(method)!;
  panel.probability.draw(null, overlay);
  panel.uncertainty.draw(null, overlay, demo.uncertainty === 'normalized' ? 1 : 0.25);
}

const RUNTIME_FAILED =
  'The model runtime (onnxruntime-web) could not load in this browser, so no model can run. Reload the page; if it persists, check that ort/*.wasm is served.';

/** The one page-level error: a plain headline, the technical message folded under it. */
function showPageError(message: string, headline = RUNTIME_FAILED): void {
  demo.pageError = message;
  pageError.hidden = false;
  pageError.replaceChildren();
  const p = document.createElement('p');
  p.textContent = headline;
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = 'technical details';
  const pre = document.createElement('pre');
  pre.textContent = message;
  details.append(summary, pre);
  pageError.append(p, details);
}

let current: { controller: AbortController; done: Promise<void> } | null = null;

/**
 * (Re)load every model on a provider and draw its surfaces, one model at a time. A newer call
 * cancels this one: it stops after the ORT run in flight (at most one grid chunk) and disposes
 * what it loaded; it never runs on to the end.
 */
async function run(provider: Provider): Promise<void> {
  const previous = current;
  previous?.controller.abort();
  const controller = new AbortController();
  const signal = controller.signal;
  let finish!: () => void;
  current = { controller, done: new Promise<void>((ok) => (finish = ok)) };
  const pass: PassRecord = { provider, drawn: 0, outcome: 'running' };
  demo.passes.push(pass);
  try {
    setReady(false);
    demo.requested = provider;
    document.body.dataset.requested = provider;
    for (const r of document.querySelectorAll<HTMLInputElement>('input[name="provider"]')) r.checked = r.value === provider;
    providerOut.textContent = `starting ${provider}…`;
    if (previous) await previous.done;
    if (signal.aborted) throw new Cancelled();
    for (const l of loaded.values()) await queue.run(() => l.model.dispose());
    loaded.clear();
    rules.clear();
    demo.errors = {};
    demo.providers = {};
    demo.timings = {};
    for (const m of METHODS) {
      panels.get(m)!.loading('waiting', 'waiting');
      drawEmpty(m);
    }
    probe.refresh();
    // The method the user looks at (or the link names) comes first: its surfaces appear soonest.
    const order = [selected, ...METHODS.filter((m) => m !== selected)];
    for (const [i, method] of order.entries()) {
      if (demo.pageError) {
        panels.get(method)!.failed('Not run: the model runtime did not load (see the message at the top of the page).', false);
        continue;
      }
      const panel = panels.get(method)!;
      const step = `${i + 1} of ${METHODS.length}: ${METHOD_LABELS[method]}`;
      progress.textContent = `${step}, loading the model on ${provider}…`;
      panel.loading(`loading on ${provider}…`);
      let l: Loaded | null = null;
      try {
        const { model, bytes, loadMs } = await openModel(method, `models/${method}.onnx`, provider, signal);
        l = { method, model, bytes, loadMs, gridMs: 0, grid: { numClasses: model.info.classes.length, probs: new Float32Array(0) } };
        const t = performance.now();
        l.grid = await predictGrid(model, grid.x, queue, {
          signal,
          onProgress: (done, total) => {
            const pct = Math.round((100 * done) / total);
            progress.textContent = `${step}, computing the grid (${pct} %)`;
            panel.loading(`computing the grid on ${provider} (${pct} %)`);
          },
        });
        l.gridMs = performance.now() - t;
        loaded.set(method, l);
        demo.providers[method] = model.info.provider;
        demo.timings[method] = { loadMs: l.loadMs, gridMs: l.gridMs };
        if (method === 'sngp' && model.info.card.meanFieldFactor !== null && slider.dataset.touched !== 'true')
          demo.setMeanField(model.info.card.meanFieldFactor);
        drawMethod(method);
        panel.ready(model.info.provider, l.loadMs, l.gridMs);
        if (decisionsOn.has(method)) {
          await attachDecisions(method, signal).catch((e) => {
            if (signal.aborted) throw new Cancelled();
            reportDecisionError(method)(e);
          });
          describeDecisions(method);
          drawMethod(method);
        }
        pass.drawn++;
        pass.firstSurfaceMs ??= performance.now();
        probe.refresh();
      } catch (e) {
        if (l && !loaded.has(method)) await queue.run(() => l!.model.dispose());
        if (e instanceof Cancelled || signal.aborted) throw new Cancelled();
        const msg = e instanceof Error ? e.message : String(e);
        console.error(`${method}:`, e);
        if (isRuntimeFailure(msg)) {
          showPageError(msg);
          panel.failed('Not run: the model runtime did not load (see the message at the top of the page).', false);
        } else {
          demo.errors[method] = msg;
          panel.failed(`Could not run this model: ${msg}`);
        }
      }
    }
    const running = [...new Set(Object.values(demo.providers))];
    demo.provider = running.length ? running.join(', ') : 'none';
    providerOut.textContent = running.length ? running.join(', ') : 'no model loaded';
    document.body.dataset.provider = demo.provider;
    pass.outcome = 'finished';
    pass.allMs = performance.now();
    const failed = METHODS.length - pass.drawn;
    progress.textContent = `${pass.drawn} of ${METHODS.length} models drawn on ${demo.provider}${failed ? `, ${failed} failed` : ''}.`;
    announce(progress.textContent);
    setReady(true);
  } catch (e) {
    if (!(e instanceof Cancelled)) throw e;
    pass.outcome = 'cancelled';
    if (current?.controller === controller) {
      // Stopped with no newer pass: say so, keep what was drawn usable.
      progress.textContent = `Stopped: ${pass.drawn} of ${METHODS.length} models drawn on ${provider}.`;
      const running = [...new Set(Object.values(demo.providers))];
      demo.provider = running.join(', ') || 'none';
      providerOut.textContent = demo.provider;
      for (const [m, panel] of panels) if (!loaded.has(m) && !demo.errors[m] && !demo.pageError) panel.loading('stopped', 'waiting');
      setReady(true);
    }
    // The newer pass disposes what this one loaded.
  } finally {
    finish();
  }
}

/** Live inference of every loaded model at one point (MC dropout with the default noise seed, as the grid). */
async function evaluate([x, y]: [number, number]): Promise<PointReading[]> {
  const rows: PointReading[] = [];
  for (const method of METHODS) {
    const l = loaded.get(method);
    if (!l) {
      rows.push({ method, label: METHOD_LABELS[method], probs: null, error: demo.errors[method] });
      continue;
    }
    const pred = await queue.run(() => l.model.predict(new Float32Array([x, y])));
    const probs = Array.from(shownProbs(method, pred, demo.meanField, temperatureOf(l)));
    const decision = decisionsOn.has(method) && pred.sets && pred.abstain ? decisionText(pred.sets[0].labels, pred.abstain[0] === 1) : undefined;
    rows.push({ method, label: METHOD_LABELS[method], probs, p0: probs[0], uncertainty: plottedUncertainty(probs, gridMax.get(method) ?? 0, demo.uncertainty === 'normalized'), decision });
  }
  return rows;
}

const announce = throttleText((text) => (announcer.textContent = text), 1500);
/** The method the user looks at (its plot has focus or the pointer): announced, kept in the URL. */
let selected: Method = urlState.method ?? 'sngp';

function select(method: Method): void {
  selected = method;
  if (urlState.method === method) return;
  saveState({ method });
}

const probe = new Probe<PointReading[]>({
  mark: (point) => {
    for (const p of panels.values()) p.mark(point);
  },
  evaluate,
  render: (point, rows) => {
    renderReadout(readout, point, rows ?? [], demo.uncertainty === 'normalized');
    const reading = rows?.find((r) => r.method === selected);
    if (point && reading) announce(announcement(point, reading, demo.uncertainty === 'normalized'));
  },
});

function describeReadout(): void {
  const norm = demo.uncertainty === 'normalized';
  readoutHelp.replaceChildren();
  const items: [string, string][] = [
    ['p(class 0)', 'the left plots: the model’s probability of the blue class; 0.5 means “cannot tell”.'],
    [
      norm ? 'p(1−p) / max' : 'p(1−p)',
      norm
        ? 'the right plots: predictive uncertainty p(1 − p) divided by its largest value on the grid, so 1 is this model’s most uncertain spot.'
        : 'the right plots: predictive uncertainty p(1 − p), from 0 (certain) to 0.25 (a coin flip); comparable across models and λ.',
    ],
  ];
  for (const [term, text] of items) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = text;
    readoutHelp.append(dt, dd);
  }
}

function applyMeanField(lambda: number): void {
  demo.meanField = lambda;
  const text = lambda <= 0 ? 'λ = 0 (plain softmax)' : `λ = ${lambda.toFixed(2)}${Math.abs(lambda - Math.PI / 8) < 5e-4 ? ' (π/8, the default)' : ''}`;
  sliderValue.textContent = text;
  slider.setAttribute('aria-valuetext', text.replace('λ', 'lambda'));
  drawMethod('sngp');
  probe.refresh();
}

function setupControls(): void {
  const container = el<HTMLElement>('panels');
  for (const method of METHODS) {
    const panel = new MethodPanel(method, METHOD_LABELS[method], method === 'sngp' ? `${METHOD_CAPTIONS.sngp} ${SNGP_LAMBDA_HINT}` : METHOD_CAPTIONS[method]);
    for (const plot of [panel.probability, panel.uncertainty])
      plot.bind({
        hover: (p) => {
          if (p) select(method);
          probe.hover(p);
        },
        leave: () => probe.leave(),
        tap: (p) => {
          select(method);
          probe.tap(p);
        },
        focus: () => {
          select(method);
          probe.focus();
        },
        blur: () => {
          // Tabbing from plot to plot keeps the spot; leaving the plots clears it (unless a tap pinned it).
          setTimeout(() => {
            if (!probe.pinned && !document.activeElement?.closest('.stack')) probe.clear();
          }, 0);
        },
        step: (dx, dy) => probe.step(dx, dy),
        clear: () => probe.clear(),
      });
    panel.setScale(demo.uncertainty === 'normalized');
    panel.decisions.addEventListener('change', () => void demo.setDecisions(method, panel.decisions.checked));
    panels.set(method, panel);
    container.append(panel.element);
    drawEmpty(method);
  }
  // SNGP's mean-field factor: re-renders from stored logits and variance, no inference.
  const label = document.createElement('label');
  label.textContent = 'mean-field factor ';
  Object.assign(slider, { type: 'range', min: '0', max: '3', step: 'any', id: 'mean-field' });
  slider.addEventListener('input', () => {
    slider.dataset.touched = 'true';
    applyMeanField(Number(slider.value));
    saveState({ lambda: Number(slider.value) });
  });
  label.append(slider, sliderValue);
  panels.get('sngp')!.extra.append(label);
  if (urlState.lambda !== undefined) slider.dataset.touched = 'true';
  demo.setMeanField(urlState.lambda ?? demo.meanField);

  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="uncertainty"]')) {
    r.checked = r.value === demo.uncertainty;
    r.addEventListener('change', () => {
      demo.setUncertainty(r.value as UncertaintyScale);
      saveState({ uncertainty: demo.uncertainty });
    });
  }
  describeReadout();
  // On a phone the readout is a bar at the bottom of the screen: keep its explanation folded there.
  const narrow = matchMedia('(max-width: 1100px)');
  const about = el<HTMLDetailsElement>('readout-about');
  about.open = !narrow.matches;
  narrow.addEventListener('change', () => (about.open = !narrow.matches));
  renderReadout(readout, null, [], demo.uncertainty === 'normalized');
  if (urlState.method) panels.get(urlState.method)?.element.scrollIntoView({ block: 'start' });
}

async function main(): Promise<void> {
  setupControls();
  const adapter = await webgpuAdapter();
  demo.adapter = adapter;
  demo.webgpuAvailable = adapter !== null;
  el<HTMLElement>('adapter').textContent = adapter ? `${adapter.name}${adapter.software ? ' (software)' : ''}` : 'none';
  document.body.dataset.webgpu = String(demo.webgpuAvailable);
  const radios = document.querySelectorAll<HTMLInputElement>('input[name="provider"]');
  for (const r of radios) {
    if (r.value === 'webgpu' && !demo.webgpuAvailable) {
      r.disabled = true;
      r.parentElement!.title = 'this browser offers no WebGPU adapter';
    }
    r.addEventListener('change', () => {
      saveState({ provider: r.value as Provider });
      void run(r.value as Provider);
    });
  }
  let first: Provider = adapter && !adapter.software ? 'webgpu' : 'wasm';
  if (adapter?.software) {
    demo.providerReason = `Running on wasm: this browser’s WebGPU adapter (${adapter.name}) is a software renderer (${adapter.reason}), which is slower than wasm for these models. Choose WebGPU above to try it anyway.`;
  }
  if (urlState.provider && (urlState.provider === 'wasm' || demo.webgpuAvailable)) {
    first = urlState.provider;
    if (adapter?.software && first === 'webgpu') demo.providerReason = `Running on WebGPU as the link asks, on a software adapter (${adapter.name}): expect it to be slow.`;
  }
  if (demo.providerReason) {
    banner.textContent = demo.providerReason;
    banner.hidden = false;
  }
  await run(first);
}

// The in-browser training panel (src/train/) runs on its own, whatever the models above do.
const trainRoot = document.getElementById('train');
if (trainRoot) mountTrainPanel(trainRoot);

main().catch((e) => {
  const msg = e instanceof Error ? e.message : String(e);
  document.body.dataset.fatal = msg;
  showPageError(msg, 'The demo failed to start; reloading the page may help.');
});
