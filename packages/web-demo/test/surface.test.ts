import { moonsGrid } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { colormapTable, viridis } from '../src/colormap.js';
import { abstainOutline, decisionCounts, SET_SIZE_COLOURS, setSizePixels } from '../src/decision-map.js';
import { dataToPixel, EXTENT, nearestCell, pixelToData, surfacePixels } from '../src/surface.js';

describe('viridis', () => {
  // Reference colours of matplotlib's viridis at 0, .25, .5, .75, 1.
  const reference: [number, string][] = [[0, '#440154'], [0.25, '#3b528b'], [0.5, '#21918c'], [0.75, '#5ec962'], [1, '#fde725']];
  it.each(reference)('matches matplotlib at t = %s', (t, hex) => {
    const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const got = viridis(t);
    for (let c = 0; c < 3; c++) expect(Math.abs(got[c] - want[c])).toBeLessThanOrEqual(4);
  });
  it('clamps out-of-range input and shows NaN as grey', () => {
    expect(viridis(-1)).toEqual(viridis(0));
    expect(viridis(2)).toEqual(viridis(1));
    expect(viridis(Number.NaN)).toEqual([128, 128, 128]);
  });
  it('builds an opaque 256-entry table', () => {
    const lut = colormapTable();
    expect(lut.length).toBe(1024);
    expect(Array.from(lut.slice(4 * 255, 4 * 256))).toEqual([...viridis(1), 255]);
  });
});

describe('surfaces', () => {
  it('flips rows so the bottom grid row (y0) is the last image row', () => {
    const lut = colormapTable();
    const values = new Float32Array(4);
    values[0] = 1; // grid row 0 (bottom), column 0
    const px = surfacePixels(values, 2, lut);
    expect(Array.from(px.slice(8, 12))).toEqual([...viridis(1), 255]); // image row 1, col 0
    expect(Array.from(px.slice(0, 4))).toEqual([...viridis(0), 255]);
    expect(() => surfacePixels(new Float32Array(3), 2, lut)).toThrow(/expected 4 values, got 3/);
  });
  it('maps pixels and data coordinates both ways, and finds the grid cell of a point', () => {
    const frame = { left: 10, top: 20, width: 300, height: 200 };
    const [px, py] = dataToPixel(frame, 1.25, -0.75);
    const back = pixelToData(frame, px, py)!;
    expect(back[0]).toBeCloseTo(1.25, 9);
    expect(back[1]).toBeCloseTo(-0.75, 9);
    expect(dataToPixel(frame, EXTENT.x[0], EXTENT.y[1])).toEqual([10, 20]);
    expect(pixelToData(frame, 5, 30)).toBeNull();
    const grid = moonsGrid();
    for (const i of [0, 99, 4321, 9999]) expect(nearestCell(grid.x[2 * i], grid.x[2 * i + 1])).toBe(i);
  });
});

describe('decisions map', () => {
  // 3 x 3 grid, row 0 at the bottom: set sizes and one abstaining block (the top-right 2 x 2).
  const sizes = [1, 1, 0, 1, 2, 0, 1, 1, 0];
  const abstain = [0, 0, 0, 0, 1, 1, 0, 1, 1];
  it('counts set sizes and abstain flags', () => {
    expect(decisionCounts(sizes, abstain)).toEqual({ setSize: [3, 5, 1], abstain: 4, cells: 9 });
  });
  it('colours each cell by its set size, top row first', () => {
    const px = setSizePixels(sizes, 3);
    const at = (row: number, col: number) => Array.from(px.subarray((row * 3 + col) * 4, (row * 3 + col) * 4 + 3));
    expect(at(2, 0)).toEqual([...SET_SIZE_COLOURS[1]]); // grid row 0, col 0
    expect(at(1, 1)).toEqual([...SET_SIZE_COLOURS[2]]);
    expect(at(0, 2)).toEqual([...SET_SIZE_COLOURS[0]]);
    expect(() => setSizePixels([1, 2], 3)).toThrow(/expected 9 set sizes, got 2/);
  });
  it('outlines the abstain region by the edges between flagged and kept cells', () => {
    const edges = abstainOutline(abstain, 3);
    // The block's boundary: 2 + 2 + 2 + 2 unit edges around a 2 x 2 square.
    expect(edges).toHaveLength(8);
    const length = edges.reduce((a, [x0, y0, x1, y1]) => a + Math.abs(x1 - x0) + Math.abs(y1 - y0), 0);
    expect(length).toBe(8);
    for (const [x0, y0, x1, y1] of edges) for (const v of [x0, y0, x1, y1]) expect(v).toBeGreaterThanOrEqual(1);
    expect(abstainOutline([0, 0, 0, 0], 2)).toEqual([]);
  });
});
