/**
 * Surfaces as smooth images: a field over the grid, upsampled bilinearly, coloured with viridis and
 * encoded as PNG (pngjs). The figures embed it as one image instead of 10,000 rectangles: no seams
 * between cells, the tutorial's smooth look, and much faster to render.
 */
import { PNG } from 'pngjs';

/** An RGB colour as 0..255 channels. */
export type Rgb = [number, number, number];

/**
 * A 256-entry RGBA lookup table from a colour function of t in [0, 1].
 * @param colour - the colour map (e.g. Vega's viridis interpolator, parsed).
 * @returns 1024 bytes: entry i is colour(i / 255), opaque.
 */
export function lookupTable(colour: (t: number) => Rgb): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(1024);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = colour(i / 255);
    lut.set([r, g, b, 255], 4 * i);
  }
  return lut;
}

/**
 * Parse a CSS colour of the forms "rgb(r, g, b)" and "#rrggbb" (what Vega's schemes return).
 * @param css - the colour.
 * @returns its channels.
 * @throws Error for any other form.
 */
export function parseCssColour(css: string): Rgb {
  const m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(css);
  if (m) return [Math.round(+m[1]), Math.round(+m[2]), Math.round(+m[3])];
  const h = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (h) return [parseInt(h[1], 16), parseInt(h[2], 16), parseInt(h[3], 16)];
  throw new Error(`unsupported colour "${css}"`);
}

/**
 * RGBA pixels of a size x size field (grid row 0 at the bottom, x fastest) upsampled bilinearly to
 * `out` x `out` pixels spanning exactly the grid's first to last point, image row 0 at the top.
 * @param values - the field, [size * size]; NaN shows as grey.
 * @param size - grid points per side.
 * @param out - output pixels per side.
 * @param lut - colour table from {@link lookupTable}.
 * @param max - the value mapped to the table's top colour (values are clamped to [0, max]).
 * @returns out * out * 4 bytes.
 */
export function fieldPixels(values: ArrayLike<number>, size: number, out: number, lut: Uint8ClampedArray, max = 1): Uint8ClampedArray {
  if (values.length !== size * size) throw new Error(`field: expected ${size * size} values, got ${values.length}`);
  const px = new Uint8ClampedArray(out * out * 4);
  const scale = (size - 1) / Math.max(1, out - 1);
  for (let row = 0; row < out; row++) {
    const gy = (out - 1 - row) * scale; // grid row coordinate (0 = bottom)
    const r0 = Math.min(size - 2, Math.floor(gy));
    const fy = gy - r0;
    for (let col = 0; col < out; col++) {
      const gx = col * scale;
      const c0 = Math.min(size - 2, Math.floor(gx));
      const fx = gx - c0;
      // Corners with zero weight are skipped, so a NaN cell does not spread to its neighbours' pixels.
      const i0 = r0 * size + c0;
      let v = 0;
      const add = (w: number, i: number) => {
        if (w > 0) v += w * values[i];
      };
      add((1 - fx) * (1 - fy), i0);
      add(fx * (1 - fy), i0 + 1);
      add((1 - fx) * fy, i0 + size);
      add(fx * fy, i0 + size + 1);
      const o = (row * out + col) * 4;
      if (Number.isNaN(v)) {
        px.set([128, 128, 128, 255], o);
        continue;
      }
      const idx = 4 * Math.max(0, Math.min(255, Math.round((v / max) * 255)));
      px[o] = lut[idx];
      px[o + 1] = lut[idx + 1];
      px[o + 2] = lut[idx + 2];
      px[o + 3] = 255;
    }
  }
  return px;
}

/**
 * Encode RGBA pixels as a PNG (8-bit RGBA, no interlace, filter 0 on every row), with pngjs.
 * @param rgba - width * height * 4 bytes, rows top to bottom.
 * @param width - pixels per row.
 * @param height - rows.
 * @returns the PNG file's bytes.
 * @throws Error when rgba does not hold width * height pixels.
 */
export function encodePng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  if (rgba.length !== width * height * 4) throw new Error(`png: expected ${width * height * 4} bytes, got ${rgba.length}`);
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return new Uint8Array(PNG.sync.write(png, { filterType: 0, deflateLevel: 6 }));
}

/**
 * A field as a PNG data URL, ready for an SVG / Vega image mark.
 * @param values - the field (see {@link fieldPixels}).
 * @param size - grid points per side.
 * @param lut - colour table.
 * @param max - the value of the top colour.
 * @param out - output pixels per side (default 400: smooth at the figures' 2x scale).
 * @returns "data:image/png;base64,...".
 */
export function fieldDataUrl(values: ArrayLike<number>, size: number, lut: Uint8ClampedArray, max = 1, out = 400): string {
  const png = encodePng(fieldPixels(values, size, out, lut, max), out, out);
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}
