import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePng, fieldPixels, lookupTable, parseCssColour } from '../src/raster.js';

const grey = lookupTable((t) => [Math.round(255 * t), Math.round(255 * t), Math.round(255 * t)]);

describe('raster', () => {
  it('upsamples bilinearly, bottom grid row at the bottom of the image, corners exact', () => {
    // 2 x 2 grid, x fastest, row 0 at the bottom: bottom-left 0, the other three 1.
    const values = [0, 1, 1, 1];
    const px = fieldPixels(values, 2, 3, grey);
    const at = (row: number, col: number) => px[(row * 3 + col) * 4];
    expect(at(2, 0)).toBe(0); // bottom-left pixel = grid (0, 0)
    expect(at(0, 0)).toBe(255); // top-left = grid row 1
    expect(at(2, 2)).toBe(255);
    expect(at(1, 1)).toBe(Math.round(0.75 * 255)); // centre: mean of the four corners
    expect(at(2, 1)).toBe(Math.round(0.5 * 255)); // bottom edge midpoint
    expect(px[3]).toBe(255);
    expect(() => fieldPixels([1, 2, 3], 2, 3, grey)).toThrow(/expected 4 values, got 3/);
  });

  it('scales by max, clamps, and shows NaN as grey', () => {
    const px = fieldPixels([0.25, 0.25, 0.25, Number.NaN], 2, 2, grey, 0.25);
    expect(px[(1 * 2 + 0) * 4]).toBe(255); // bottom-left: 0.25 / 0.25
    expect(Array.from(px.subarray(4, 8))).toEqual([128, 128, 128, 255]); // top-right is the NaN cell
  });

  it('encodes a valid PNG: signature, IHDR, CRCs, and the pixels back from IDAT', () => {
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 9, 9, 9, 255]);
    const png = encodePng(rgba, 2, 2);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR');
    expect([view.getUint32(16), view.getUint32(20)]).toEqual([2, 2]);
    const idatLen = view.getUint32(33);
    expect(String.fromCharCode(...png.subarray(37, 41))).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(Array.from(raw)).toEqual([0, ...rgba.subarray(0, 8), 0, ...rgba.subarray(8)]);
    expect(String.fromCharCode(...png.subarray(png.length - 8, png.length - 4))).toBe('IEND');
    // CRC of IEND is a fixed, well-known value.
    expect(view.getUint32(png.length - 4)).toBe(0xae426082);
    expect(() => encodePng(rgba, 3, 2)).toThrow(/expected 24 bytes/);
  });

  it('parses the colours Vega schemes return', () => {
    expect(parseCssColour('rgb(68, 1, 84)')).toEqual([68, 1, 84]);
    expect(parseCssColour('#fde725')).toEqual([253, 231, 37]);
    expect(() => parseCssColour('viridis')).toThrow(/unsupported colour/);
  });
});
