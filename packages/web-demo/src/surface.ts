import { MOONS_DEFAULTS } from '@sngp/core';

/** The data window of the two-moons grid, the tutorial's plot extent. */
export const EXTENT = {
  x: MOONS_DEFAULTS.gridX,
  y: MOONS_DEFAULTS.gridY,
  size: MOONS_DEFAULTS.gridSize,
} as const;

/**
 * RGBA pixels of a size x size field through a colour table. Grid row 0 is the bottom (y0), image
 * row 0 the top, so rows are flipped (matplotlib's origin="lower").
 */
export function surfacePixels(values: ArrayLike<number>, size: number, lut: Uint8ClampedArray): Uint8ClampedArray<ArrayBuffer> {
  if (values.length !== size * size) throw new Error(`surface: expected ${size * size} values, got ${values.length}`);
  const px = new Uint8ClampedArray(size * size * 4);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      const v = values[r * size + c];
      const idx = Number.isNaN(v) ? 0 : Math.max(0, Math.min(255, Math.round(v * 255)));
      const o = ((size - 1 - r) * size + c) * 4;
      px[o] = lut[4 * idx];
      px[o + 1] = lut[4 * idx + 1];
      px[o + 2] = lut[4 * idx + 2];
      px[o + 3] = 255;
    }
  return px;
}

/** Maps data coordinates to pixels of a plot rectangle and back. */
export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function dataToPixel(f: Frame, x: number, y: number): [number, number] {
  const px = f.left + ((x - EXTENT.x[0]) / (EXTENT.x[1] - EXTENT.x[0])) * f.width;
  const py = f.top + (1 - (y - EXTENT.y[0]) / (EXTENT.y[1] - EXTENT.y[0])) * f.height;
  return [px, py];
}

/** Pixel to data coordinates, or null outside the plot rectangle. */
export function pixelToData(f: Frame, px: number, py: number): [number, number] | null {
  const u = (px - f.left) / f.width;
  const v = (py - f.top) / f.height;
  if (u < 0 || u > 1 || v < 0 || v > 1) return null;
  return [EXTENT.x[0] + u * (EXTENT.x[1] - EXTENT.x[0]), EXTENT.y[1] - v * (EXTENT.y[1] - EXTENT.y[0])];
}

/** Index of the grid cell nearest to (x, y), x varying fastest like core's moonsGrid(). */
export function nearestCell(x: number, y: number): number {
  const n = EXTENT.size;
  const c = Math.round(((x - EXTENT.x[0]) / (EXTENT.x[1] - EXTENT.x[0])) * (n - 1));
  const r = Math.round(((y - EXTENT.y[0]) / (EXTENT.y[1] - EXTENT.y[0])) * (n - 1));
  const clampI = (i: number) => Math.max(0, Math.min(n - 1, i));
  return clampI(r) * n + clampI(c);
}
