/**
 * The decisions view of a grid (pure): conformal prediction-set size as a categorical map and the
 * abstain region's outline, from the runtime's `setSize` and `abstain` of every grid cell.
 */
import type { Rgb } from './colormap.js';

/**
 * Colours of set sizes 0, 1 and 2, pale so the class-coloured points and the red OOD diamonds stay
 * visible: an empty set (no class is plausible enough) light grey, one class pale green, both
 * classes ("cannot tell") lavender. Larger sets (more classes) use the last.
 */
export const SET_SIZE_COLOURS: readonly Rgb[] = [
  [217, 217, 217],
  [199, 233, 192],
  [203, 201, 226],
];

/** The outline colour of the abstain region. */
export const ABSTAIN_COLOUR = '#111';

/** How many grid cells have each set size and how many abstain. */
export interface DecisionCounts {
  /** Cells per set size: index = size (0, 1, 2, ...). */
  setSize: number[];
  /** Cells with abstain = 1. */
  abstain: number;
  /** Cells. */
  cells: number;
}

/**
 * Count set sizes and abstain flags.
 * @param setSize - [N] set sizes.
 * @param abstain - [N] abstain flags (1 = hand over).
 * @returns the counts.
 */
export function decisionCounts(setSize: ArrayLike<number>, abstain: ArrayLike<number>): DecisionCounts {
  const sizes: number[] = [];
  let off = 0;
  for (let i = 0; i < setSize.length; i++) {
    const s = setSize[i];
    while (sizes.length <= s) sizes.push(0);
    sizes[s]++;
    off += abstain[i] ? 1 : 0;
  }
  return { setSize: sizes, abstain: off, cells: setSize.length };
}

/**
 * RGBA pixels of a size x size grid of set sizes, one pixel per cell, rows flipped as in
 * surfacePixels (grid row 0 is the bottom).
 * @param setSize - [size * size] set sizes, moonsGrid order.
 * @param size - cells per axis.
 * @returns the pixels.
 * @throws Error if the value count is not size * size.
 */
export function setSizePixels(setSize: ArrayLike<number>, size: number): Uint8ClampedArray<ArrayBuffer> {
  if (setSize.length !== size * size) throw new Error(`decision map: expected ${size * size} set sizes, got ${setSize.length}`);
  const px = new Uint8ClampedArray(size * size * 4);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      const rgb = SET_SIZE_COLOURS[Math.min(setSize[r * size + c], SET_SIZE_COLOURS.length - 1)];
      px.set([rgb[0], rgb[1], rgb[2], 255], ((size - 1 - r) * size + c) * 4);
    }
  return px;
}

/**
 * The abstain region's boundary as cell edges: every edge between an abstaining cell and a kept
 * one (or the grid's border), in cell units with (0, 0) the bottom-left corner of cell 0.
 * @param abstain - [size * size] flags, moonsGrid order.
 * @param size - cells per axis.
 * @returns segments [x0, y0, x1, y1].
 */
export function abstainOutline(abstain: ArrayLike<number>, size: number): [number, number, number, number][] {
  const on = (r: number, c: number) => r >= 0 && r < size && c >= 0 && c < size && abstain[r * size + c] === 1;
  const out: [number, number, number, number][] = [];
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      if (!on(r, c)) continue;
      if (!on(r, c - 1)) out.push([c, r, c, r + 1]);
      if (!on(r, c + 1)) out.push([c + 1, r, c + 1, r + 1]);
      if (!on(r - 1, c)) out.push([c, r, c + 1, r]);
      if (!on(r + 1, c)) out.push([c, r + 1, c + 1, r + 1]);
    }
  return out;
}
