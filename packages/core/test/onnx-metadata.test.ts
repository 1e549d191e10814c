import { describe, expect, it } from 'vitest';
import { readOnnxHeader, replaceOnnxMetadata, withDecisionRules } from '../src/index.js';

// A minimal ModelProto: ir_version 8 (field 1), graph (field 7, empty), two metadata entries, opset (field 8).
const enc = new TextEncoder();
const ld = (field: number, payload: number[]) => [field * 8 + 2, payload.length, ...payload];
const entry = (k: string, v: string) => ld(14, [...ld(1, [...enc.encode(k)]), ...ld(2, [...enc.encode(v)])]);
const model = Uint8Array.from([8, 8, ...entry('a', '1'), ...ld(7, [10, 1, 120]), ...ld(8, [16, 17]), ...entry('b', '2')]);

describe('replaceOnnxMetadata', () => {
  it('replaces metadata_props and keeps every other field byte for byte', () => {
    const out = replaceOnnxMetadata(model, { a: 'x', c: 'long value '.repeat(20) }, 'm.onnx');
    const h = readOnnxHeader(out, 'out');
    expect(h.metadata).toEqual({ a: 'x', c: 'long value '.repeat(20) });
    expect(h.irVersion).toBe(8);
    expect(h.opsets).toEqual([{ domain: '', version: 17 }]);
    // The non-metadata fields come first, unchanged.
    expect(Array.from(out.subarray(0, 2 + 5 + 4))).toEqual([8, 8, ...ld(7, [10, 1, 120]), ...ld(8, [16, 17])]);
  });
  it('refuses bytes that are not ONNX', () => {
    expect(() => replaceOnnxMetadata(Uint8Array.from([1, 2, 3]), {}, 'x.onnx')).toThrow(/x.onnx: not an ONNX model/);
  });
});

describe('withDecisionRules', () => {
  const conformal = { alpha: 0.1, score: 'lac' as const, quantile: 0.2, n: 19, source: 'c.csv' };
  it('writes the rules, keeps every other entry, and a null rule removes its key', () => {
    const out = withDecisionRules(model, { conformal, abstain: null }, 'm.onnx');
    expect(readOnnxHeader(out, 'out').metadata).toEqual({ a: '1', b: '2', 'sngp.conformal': JSON.stringify(conformal) });
    expect(readOnnxHeader(withDecisionRules(out, { conformal: null, abstain: null }, 'out'), 'again').metadata).toEqual({ a: '1', b: '2' });
  });
});
