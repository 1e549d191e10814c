import { SngpError } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { openOnDevice, planDevice, type ProviderBackend } from '../src/devices.js';
import { loadModel } from '../src/node.js';
import { METHODS, maxAbsDiff, modelPath, sampleFeatures } from './fixtures.js';

const { rows } = sampleFeatures();

async function probsOn(method: (typeof METHODS)[number], device: 'cpu' | 'webgpu' | 'wasm') {
  const model = await loadModel(modelPath(method), { device, strict: true });
  try {
    expect(model.info.provider).toBe(device);
    return await model.predict(rows, { seed: 11 });
  } finally {
    await model.dispose();
  }
}

describe('Node providers', () => {
  it('webgpu (SwiftShader) gives the same probabilities as cpu within 1e-3, for every method', async () => {
    for (const m of METHODS) {
      const cpu = await probsOn(m, 'cpu');
      const gpu = await probsOn(m, 'webgpu');
      expect(maxAbsDiff(gpu.probs, cpu.probs), m).toBeLessThan(1e-3);
      if (cpu.variance) expect(maxAbsDiff(gpu.variance!, cpu.variance), m).toBeLessThan(1e-3);
    }
  });

  it('wasm (onnxruntime-web in Node) matches cpu', async () => {
    for (const m of METHODS) {
      const cpu = await probsOn(m, 'cpu');
      const wasm = await probsOn(m, 'wasm');
      expect(maxAbsDiff(wasm.probs, cpu.probs), m).toBeLessThan(1e-4);
    }
  });

  it('cuda without the CUDA provider libraries falls back to cpu with one warning line', async () => {
    const warnings: string[] = [];
    const model = await loadModel(modelPath('sngp'), { device: 'cuda', onWarning: (w) => warnings.push(w) });
    try {
      expect(model.info.provider).toBe('cpu');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/device "cuda" is not available .*running on cpu$/);
      expect(warnings[0]).not.toContain('\n');
      const p = await model.predict(rows);
      const cpu = await probsOn('sngp', 'cpu');
      expect(maxAbsDiff(p.probs, cpu.probs)).toBe(0);
    } finally {
      await model.dispose();
    }
  });

  it('cuda with strict: true throws a one-line SngpError', async () => {
    const err = await loadModel(modelPath('sngp'), { device: 'cuda', strict: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SngpError);
    expect((err as Error).message).toMatch(/sngp\.onnx: device "cuda" is not available/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('auto picks a provider that works and says which', async () => {
    const warnings: string[] = [];
    const model = await loadModel(modelPath('deterministic'), { onWarning: (w) => warnings.push(w) });
    expect(model.info.provider).toBe('cpu');
    expect(warnings).toEqual([]);
    await model.dispose();
  });

  it('rejects an unknown device name', async () => {
    await expect(loadModel(modelPath('sngp'), { device: 'tpu' as 'cpu' })).rejects.toThrow(
      /options.device: expected one of auto, cpu, cuda, webgpu, wasm, got "tpu"/,
    );
  });
});

describe('device planning (pure)', () => {
  const fake = (works: string[], unavailable: Record<string, string> = {}): ProviderBackend<string> & { opened: string[] } => {
    const opened: string[] = [];
    return {
      opened,
      unavailable: async (p) => unavailable[p] ?? null,
      open: async (p) => {
        opened.push(p);
        if (!works.includes(p)) throw new Error(`${p} failed\nsecond line of native noise`);
        return `session-${p}`;
      },
    };
  };

  it('browser auto prefers webgpu, then wasm, silently', async () => {
    const warn: string[] = [];
    const a = await openOnDevice(planDevice('auto', 'browser'), fake(['webgpu', 'wasm']), false, (w) => warn.push(w));
    expect(a.provider).toBe('webgpu');
    const b = await openOnDevice(planDevice('auto', 'browser'), fake(['wasm'], { webgpu: 'no adapter' }), false, (w) => warn.push(w));
    expect(b.provider).toBe('wasm');
    expect(warn).toEqual([]);
  });

  it('an explicit device that fails to open falls back with the first line of the error', async () => {
    const warn: string[] = [];
    const r = await openOnDevice(planDevice('webgpu', 'node'), fake(['cpu']), false, (w) => warn.push(w));
    expect(r).toEqual({ session: 'session-cpu', provider: 'cpu' });
    expect(warn).toEqual(['warning: device "webgpu" is not available (webgpu: webgpu failed); running on cpu']);
    await expect(openOnDevice(planDevice('webgpu', 'node'), fake(['cpu']), true, () => {})).rejects.toThrow(SngpError);
  });

  it('browser cpu means the wasm backend; cuda is not a browser provider', async () => {
    expect(planDevice('cpu', 'browser')).toEqual({ device: 'cpu', try: ['wasm'], fallback: null });
    const warn: string[] = [];
    const r = await openOnDevice(planDevice('cuda', 'browser'), fake(['wasm'], { cuda: 'no CUDA in browsers' }), false, (w) => warn.push(w));
    expect(r.provider).toBe('wasm');
    expect(warn[0]).toContain('no CUDA in browsers');
  });
});
