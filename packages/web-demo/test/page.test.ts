import { describe, expect, it, vi } from 'vitest';
import { concatPredictions, isRuntimeFailure } from '../src/inference.js';
import { formatState, parseState } from '../src/page-state.js';
import { Probe } from '../src/probe.js';
import { announcement, decisionText, plottedUncertainty, throttleText } from '../src/readout.js';

describe('runtime failures', () => {
  it('tells a runtime that cannot load from a model that cannot', () => {
    expect(isRuntimeFailure('model bytes: onnxruntime cannot load the model: no available backend found. ERR: [wasm] RuntimeError: Aborted(both async and sync fetching of the wasm failed)')).toBe(true);
    expect(isRuntimeFailure('models/ensemble.onnx: HTTP 404 Not Found')).toBe(false);
    expect(isRuntimeFailure('model bytes: not an ONNX model (protobuf: index out of range)')).toBe(false);
  });
});

describe('grid chunks', () => {
  it('concatenates chunk predictions row-wise, keeping SNGP logits and variance', () => {
    const a = { numClasses: 2, probs: new Float32Array([0.1, 0.9]), logits: new Float32Array([1, 2]), variance: new Float32Array([0.5]) };
    const b = { numClasses: 2, probs: new Float32Array([0.3, 0.7, 0.6, 0.4]), logits: new Float32Array([3, 4, 5, 6]), variance: new Float32Array([1, 2]) };
    const c = concatPredictions([a, b]);
    expect(Array.from(c.probs)).toEqual(Array.from(new Float32Array([0.1, 0.9, 0.3, 0.7, 0.6, 0.4])));
    expect(Array.from(c.logits!)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(c.variance!)).toEqual([0.5, 1, 2]);
    expect(concatPredictions([{ numClasses: 2, probs: a.probs }, { numClasses: 2, probs: a.probs }]).variance).toBeUndefined();
  });
});

describe('URL state', () => {
  it('round-trips provider, lambda, method and scale, and ignores bad values', () => {
    const q = formatState({ provider: 'webgpu', lambda: Math.PI / 8, method: 'mc-dropout', uncertainty: 'raw' });
    expect(q).toBe('?provider=webgpu&lambda=0.3927&method=mc-dropout&uncertainty=raw');
    expect(parseState(q)).toEqual({ provider: 'webgpu', lambda: 0.3927, method: 'mc-dropout', uncertainty: 'raw' });
    expect(parseState('?provider=cuda&lambda=abc&method=svm&uncertainty=log')).toEqual({});
    expect(parseState('lambda=-1')).toEqual({});
    expect(parseState('lambda=0')).toEqual({ lambda: 0 });
    expect(formatState({})).toBe('');
  });
});

describe('readout', () => {
  it('shows the plotted values: p(1 - p), normalised by the grid maximum on request', () => {
    expect(plottedUncertainty([0.5, 0.5], 0.2, false)).toBeCloseTo(0.25, 12);
    expect(plottedUncertainty([0.9, 0.1], 0.18, true)).toBeCloseTo(0.5, 12);
    expect(plottedUncertainty([0.6, 0.3, 0.1], 0.4, false)).toBeCloseTo(0.4, 12);
    expect(plottedUncertainty([0.9, 0.1], 0, true)).toBeCloseTo(0.09, 12);
  });
  it('announces one short sentence', () => {
    const s = announcement([0.3, 0.2], { method: 'sngp', label: 'SNGP', probs: [0.52, 0.48], p0: 0.52, uncertainty: 0.98 }, true);
    expect(s).toBe('SNGP at 0.3, 0.2: class 0 probability 0.52, uncertainty 0.98 of the maximum.');
    expect(announcement([0, 0], { method: 'sngp', label: 'SNGP', probs: null }, true)).toBe('SNGP at 0.0, 0.0: not available.');
  });
  it('names the prediction set and the abstain flag when the decisions view is on', () => {
    expect(decisionText(['0'], false)).toBe('set {0}');
    expect(decisionText([], true)).toBe('set {}, abstain');
    const decision = decisionText(['0', '1'], true);
    const s = announcement([1, 2], { method: 'sngp', label: 'SNGP', probs: [0.5, 0.5], p0: 0.5, uncertainty: 0.25, decision }, false);
    expect(s).toBe('SNGP at 1.0, 2.0: class 0 probability 0.50, uncertainty 0.250, set {0, 1}, abstain.');
  });
  it('throttles announcements but never loses the last one', () => {
    vi.useFakeTimers();
    try {
      const said: string[] = [];
      const say = throttleText((t) => said.push(t), 1000);
      say('a');
      say('b');
      say('c');
      expect(said).toEqual(['a']);
      vi.advanceTimersByTime(999);
      expect(said).toEqual(['a']);
      vi.advanceTimersByTime(1);
      expect(said).toEqual(['a', 'c']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('probe', () => {
  /** A host whose evaluations resolve when the test says so. */
  function host() {
    const waiting: { point: [number, number]; resolve: (v: string) => void }[] = [];
    const shown: ([number, number] | null)[] = [];
    const results: (string | null)[] = [];
    const marks: ([number, number] | null)[] = [];
    const probe = new Probe<string>({
      mark: (p) => marks.push(p),
      evaluate: (point) => new Promise((resolve) => waiting.push({ point, resolve })),
      render: (p, r) => {
        shown.push(p);
        results.push(r);
      },
    });
    return { probe, waiting, shown, results, marks };
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('clears synchronously on leave and drops the late result of the old point', async () => {
    const h = host();
    h.probe.hover([1, 1]);
    expect(h.waiting).toHaveLength(1);
    h.probe.leave();
    expect(h.shown).toEqual([null]); // cleared at once, before the evaluation came back
    h.waiting[0].resolve('late');
    await tick();
    expect(h.results).toEqual([null]);
    expect(h.marks.at(-1)).toBeNull();
  });

  it('during fast moves evaluates only the newest point and shows only its result', async () => {
    const h = host();
    h.probe.hover([0, 0]);
    h.probe.hover([0.5, 0]);
    h.probe.hover([1, 0]);
    h.waiting[0].resolve('stale');
    await tick();
    expect(h.results).toEqual([]);
    expect(h.waiting).toHaveLength(2);
    expect(h.waiting[1].point).toEqual([1, 0]);
    h.waiting[1].resolve('fresh');
    await tick();
    expect(h.shown).toEqual([[1, 0]]);
    expect(h.results).toEqual(['fresh']);
  });

  it('a tap pins: leaving does not clear; arrows step from the centre and stay inside the plot', async () => {
    const h = host();
    h.probe.tap([1, 1]);
    h.probe.leave();
    expect(h.probe.point).toEqual([1, 1]);
    h.probe.clear();
    expect(h.probe.point).toBeNull();
    h.probe.focus();
    expect(h.probe.point).toEqual([0, 0]);
    h.probe.step(0.1, -0.1);
    expect(h.probe.point![0]).toBeCloseTo(0.1, 12);
    expect(h.probe.point![1]).toBeCloseTo(-0.1, 12);
    h.probe.step(100, 100);
    expect(h.probe.point).toEqual([3.5, 2.5]);
  });
});
