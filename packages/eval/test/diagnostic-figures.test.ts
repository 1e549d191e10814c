import { calibrationBins, rocCurve } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { histogram, reliabilitySpec, rocSpec, scoreHistogramSpec, thinCurve } from '../src/diagnostic-figures.js';
import { renderSvg } from '../src/figures.js';

describe('histogram', () => {
  it('bins two series on shared edges as fractions of each', () => {
    const h = histogram([[0, 1, 2, 3], [3, 3]], 3, 0);
    expect(h.edges).toEqual([0, 1, 2, 3]);
    expect(h.fractions[0]).toEqual([0.25, 0.25, 0.5]); // the maximum falls in the last bin
    expect(h.fractions[1]).toEqual([0, 0, 1]);
    expect(h.clipped).toBe(0);
  });

  it('cuts a long low tail at the quantile and counts it in the first bin', () => {
    const values = [-1000, ...Array.from({ length: 199 }, (_, i) => i / 10)];
    const h = histogram([values], 10, 0.01);
    expect(h.edges[0]).toBeCloseTo(0.1, 12); // the 1% quantile of 200 values is the third smallest
    expect(h.clipped).toBe(2); // -1000 and 0
    expect(h.fractions[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('leaves out non-finite values and survives a constant series', () => {
    const h = histogram([[2, 2, NaN, -Infinity]], 5);
    expect(h.edges).toEqual([1.5, 2.5]);
    expect(h.fractions[0]).toEqual([1]);
  });
});

describe('thinCurve', () => {
  it('keeps the ends and every move of at least the step', () => {
    const fpr = [0, 0.0001, 0.0002, 0.01, 0.0101, 1];
    const tpr = [0, 0.5, 0.5001, 0.6, 0.6, 1];
    expect(thinCurve(fpr, tpr, 0.002)).toEqual([0, 1, 3, 5]);
    const n = 10_001;
    const line = Array.from({ length: n }, (_, i) => i / (n - 1));
    const kept = thinCurve(line, line, 0.002);
    expect(kept.length).toBeLessThan(600);
    expect(kept[kept.length - 1]).toBe(n - 1);
  });
});

describe('figure specs render', () => {
  it('histogram, ROC and reliability specs compile and render to SVG with their titles', async () => {
    const test = [0.1, 0.2, 0.3, 0.35];
    const ood = [0.3, 0.8, 0.9];
    const hist = await renderSvg(scoreHistogramSpec([{ name: 'm1', test, ood, auroc: 0.9 }], 'score'));
    expect(hist).toContain('m1: OOD AUROC 0.9000');
    const scores = [...test, ...ood];
    const positive = scores.map((_, i) => (i >= test.length ? 1 : 0));
    const roc = await renderSvg(rocSpec([{ label: 'm1: score', ...rocCurve(scores, positive), auroc: 0.9 }]));
    expect(roc).toContain('m1: score (AUROC 0.9000)');
    const bins = calibrationBins([0.9, 0.1, 0.2, 0.8, 0.6, 0.4], [0, 1, 1], 2, 15);
    const rel = await renderSvg(reliabilitySpec([{ name: 'm1', bins, ece: 0.1234 }]));
    expect(rel).toContain('m1: ECE 0.1234');
  });
});
