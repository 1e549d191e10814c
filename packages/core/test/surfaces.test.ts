import { describe, expect, it } from 'vitest';
import { gridSurfaces, maxPlotUncertainty } from '../src/surfaces.js';

describe('grid surfaces', () => {
  it('takes p(class 0) and p(1 - p) for two classes', () => {
    const s = gridSurfaces([0.9, 0.1, 0.5, 0.5, 0.2, 0.8], 2);
    expect(Array.from(s.probability)).toEqual([0.9, 0.5, 0.2].map(Math.fround));
    expect(s.uncertainty[0]).toBeCloseTo(0.09, 6);
    expect(s.uncertainty[1]).toBeCloseTo(0.25, 6);
    expect(s.uncertainty[2]).toBeCloseTo(0.16, 6);
  });

  it('normalises by the max on request: .09, .25, .16 -> divided by .25', () => {
    const s = gridSurfaces([0.9, 0.1, 0.5, 0.5, 0.2, 0.8], 2, { normalize: true });
    expect(s.uncertainty[0]).toBeCloseTo(0.36, 6);
    expect(s.uncertainty[1]).toBeCloseTo(1, 6);
    expect(s.uncertainty[2]).toBeCloseTo(0.64, 6);
  });

  it('uses 1 - max p for more classes and keeps an all-certain field at zero', () => {
    const s = gridSurfaces([0.5, 0.25, 0.25, 0.8, 0.1, 0.1], 3);
    expect(s.uncertainty[0]).toBeCloseTo(0.5, 6);
    expect(s.uncertainty[1]).toBeCloseTo(0.2, 6);
    expect(gridSurfaces([0.5, 0.25, 0.25, 0.8, 0.1, 0.1], 3, { normalize: true }).uncertainty[1]).toBeCloseTo(0.4, 6);
    expect(Array.from(gridSurfaces([1, 0, 0, 1], 2, { normalize: true }).uncertainty)).toEqual([0, 0]);
  });

  it('bounds the plotted uncertainty by maxPlotUncertainty', () => {
    expect(maxPlotUncertainty(2)).toBe(0.25);
    expect(maxPlotUncertainty(4)).toBe(0.75);
    const uniform = gridSurfaces([0.25, 0.25, 0.25, 0.25], 4);
    expect(uniform.uncertainty[0]).toBeCloseTo(maxPlotUncertainty(4), 6);
  });
});
