/**
 * Colour maps for the surfaces. The tutorial's figures use matplotlib's default, viridis; we use
 * a degree-6 polynomial fit of it (max error < 1/255 per channel), which needs no 256-entry table.
 */
export type Rgb = [number, number, number];

// Per-channel coefficients c0..c6 of r, g, b(t) = sum_i c_i t^i (fit of matplotlib's viridis).
const VIRIDIS: readonly (readonly number[])[] = [
  [0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486, 6.228269936347081, 4.776384997670288, -5.435455855934631],
  [0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585, 14.17993336680509, -13.74514537774601, 4.645852612178535],
  [0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987, 56.69055260068105, -65.35303263337234, 26.3124352495832],
];

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** viridis(t) as 0..255 RGB; t is clamped to [0, 1], NaN maps to mid-grey (visible, not silent). */
export function viridis(t: number): Rgb {
  if (Number.isNaN(t)) return [128, 128, 128];
  const x = clamp01(t);
  const channel = (c: readonly number[]): number => {
    let v = 0;
    for (let i = c.length - 1; i >= 0; i--) v = v * x + c[i];
    return Math.round(255 * clamp01(v));
  };
  return [channel(VIRIDIS[0]), channel(VIRIDIS[1]), channel(VIRIDIS[2])];
}

/** A 256-entry RGBA lookup table, so colouring a 100 x 100 surface is one table read per cell. */
export function colormapTable(map: (t: number) => Rgb = viridis): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = map(i / 255);
    lut.set([r, g, b, 255], 4 * i);
  }
  return lut;
}

export function rgbCss([r, g, b]: Rgb, alpha = 1): string {
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
