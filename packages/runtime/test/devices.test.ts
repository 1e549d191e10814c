import { SngpError } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { classifyAdapter, webgpuAdapter } from '../src/adapter.js';
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
    expect(model.info.deviceChoice).toMatchObject({ requested: 'auto', provider: 'cpu' });
    expect(model.info.deviceChoice.reason).toMatch(/^auto: cuda: the CUDA provider libraries of onnxruntime-node are not installed; using cpu; auto does not try webgpu/);
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

  it('browser auto prefers webgpu, then wasm, silently, and says why', async () => {
    const warn: string[] = [];
    const a = await openOnDevice(planDevice('auto', 'browser'), fake(['webgpu', 'wasm']), false, (w) => warn.push(w));
    expect(a.choice).toEqual({ requested: 'auto', provider: 'webgpu', reason: 'auto: using webgpu' });
    const b = await openOnDevice(planDevice('auto', 'browser'), fake(['wasm'], { webgpu: 'no adapter' }), false, (w) => warn.push(w));
    expect(b.choice).toEqual({ requested: 'auto', provider: 'wasm', reason: 'auto: webgpu: no adapter; using wasm' });
    expect(warn).toEqual([]);
  });

  it('auto may refuse a provider that explicit requests still get (a software adapter)', async () => {
    const seen: boolean[] = [];
    const backend: ProviderBackend<string> = {
      unavailable: async (p, auto) => {
        seen.push(auto);
        return p === 'webgpu' && auto ? 'the adapter is software' : null;
      },
      open: async (p) => `session-${p}`,
      describe: (p) => (p === 'webgpu' ? 'on a software adapter' : null),
    };
    const auto = await openOnDevice(planDevice('auto', 'browser'), backend, false, () => {});
    expect(auto.choice.reason).toBe('auto: webgpu: the adapter is software; using wasm');
    const asked = await openOnDevice(planDevice('webgpu', 'browser'), backend, true, () => {});
    expect(asked.choice).toEqual({ requested: 'webgpu', provider: 'webgpu', reason: 'webgpu requested (on a software adapter)' });
    expect(seen).toEqual([true, false]);
  });

  it('Node auto says that it does not try webgpu', async () => {
    const r = await openOnDevice(planDevice('auto', 'node'), fake(['cpu'], { cuda: 'no CUDA libraries' }), false, () => {});
    expect(r.choice.reason).toBe('auto: cuda: no CUDA libraries; using cpu; auto does not try webgpu in Node: onnxruntime cannot tell SwiftShader from a GPU');
  });

  it('an explicit device that fails to open falls back with the first line of the error', async () => {
    const warn: string[] = [];
    const r = await openOnDevice(planDevice('webgpu', 'node'), fake(['cpu']), false, (w) => warn.push(w));
    const why = 'device "webgpu" is not available (webgpu: webgpu failed); running on cpu';
    expect(r).toEqual({ session: 'session-cpu', choice: { requested: 'webgpu', provider: 'cpu', reason: why } });
    expect(warn).toEqual([`warning: ${why}`]);
    await expect(openOnDevice(planDevice('webgpu', 'node'), fake(['cpu']), true, () => {})).rejects.toThrow(SngpError);
  });

  it('browser cpu means the wasm backend; cuda is not a browser provider', async () => {
    expect(planDevice('cpu', 'browser')).toEqual({ device: 'cpu', try: ['wasm'], fallback: null });
    const cpu = await openOnDevice(planDevice('cpu', 'browser'), fake(['wasm']), false, () => {});
    expect(cpu.choice.reason).toBe('cpu requested, which onnxruntime runs as wasm');
    const warn: string[] = [];
    const r = await openOnDevice(planDevice('cuda', 'browser'), fake(['wasm'], { cuda: 'no CUDA in browsers' }), false, (w) => warn.push(w));
    expect(r.choice.provider).toBe('wasm');
    expect(warn[0]).toContain('no CUDA in browsers');
  });
});

describe('WebGPU adapter classification (pure)', () => {
  it('treats SwiftShader, llvmpipe and fallback adapters as software, a real GPU as hardware', () => {
    const swift = classifyAdapter({ vendor: 'google', architecture: 'swiftshader' });
    expect(swift).toMatchObject({ name: 'google swiftshader', software: true });
    expect(swift.reason).toMatch(/swiftshader/);
    expect(classifyAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).software).toBe(true);
    expect(classifyAdapter({ vendor: 'nvidia', architecture: 'hopper' }, true)).toMatchObject({ software: true, fallback: true });
    expect(classifyAdapter({ vendor: 'nvidia', architecture: 'hopper' })).toMatchObject({ name: 'nvidia hopper', software: false, reason: '' });
    expect(classifyAdapter({ vendor: 'apple', architecture: 'metal-3' }).software).toBe(false);
    expect(classifyAdapter({}).name).toBe('unknown adapter');
  });

  it('Node has no navigator.gpu: no adapter', async () => {
    expect(await webgpuAdapter()).toBeNull();
  });
});
