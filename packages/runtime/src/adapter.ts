/**
 * The browser's WebGPU adapter, classified as a real GPU or a software renderer. `device: 'auto'`
 * skips software adapters (SwiftShader, llvmpipe, fallback adapters): on them these small MLPs run
 * several times slower than the wasm backend (the web demo measured 11-19 s for SNGP's grid on
 * SwiftShader against well under a second on wasm).
 */

/** What the runtime knows about a WebGPU adapter. */
export interface AdapterReport {
  /** "vendor architecture description" as the browser reports it ('unknown adapter' when empty). */
  name: string;
  /** The browser marks it as a fallback adapter (`isFallbackAdapter`). */
  fallback: boolean;
  /** A CPU renderer (SwiftShader, llvmpipe, ...) or a fallback adapter. */
  software: boolean;
  /** Why it counts as software, e.g. '"swiftshader" is a CPU renderer'; '' for a real GPU. */
  reason: string;
}

/** The strings a WebGPU adapter reports about itself (`GPUAdapter.info`). */
export interface AdapterInfo {
  /** e.g. "google", "nvidia". */
  vendor?: string;
  /** e.g. "swiftshader", "hopper". */
  architecture?: string;
  /** Free text, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  description?: string;
}

/** Names of CPU (software) WebGPU / Vulkan / D3D renderers as adapters report them. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|microsoft basic|warp\b|cpu/i;

/**
 * Is this adapter a software renderer? Pure: no browser needed.
 * @param info - the adapter's vendor / architecture / description strings.
 * @param isFallbackAdapter - the adapter's `isFallbackAdapter` flag (or `info.isFallbackAdapter`).
 * @returns the classification, with the reason when it is software.
 */
export function classifyAdapter(info: AdapterInfo, isFallbackAdapter = false): AdapterReport {
  const name = [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') || 'unknown adapter';
  const match = SOFTWARE_ADAPTER.exec(name);
  const reason = isFallbackAdapter ? 'the browser marks it as a fallback adapter' : match ? `"${match[0].toLowerCase()}" is a CPU renderer` : '';
  return { name, fallback: isFallbackAdapter, software: reason !== '', reason };
}

// Own minimal types: the DOM lib's GPUAdapter typing varies across TypeScript versions.
interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: AdapterInfo & { isFallbackAdapter?: boolean };
}
interface GpuLike {
  requestAdapter(): Promise<AdapterLike | null>;
}

/** The outcome of asking for a WebGPU adapter: the adapter, or why there is none. */
export type AdapterLookup = { adapter: AdapterReport; missing: null } | { adapter: null; missing: string };

/**
 * Ask the browser for its default WebGPU adapter and classify it. Where there is no
 * `navigator.gpu` (Node, browsers without WebGPU) it says so.
 * @returns the classified adapter, or the reason there is none.
 */
export async function lookUpAdapter(): Promise<AdapterLookup> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return { adapter: null, missing: 'this browser has no WebGPU (navigator.gpu is undefined)' };
  try {
    const a = await gpu.requestAdapter();
    if (!a) return { adapter: null, missing: 'no WebGPU adapter' };
    const info = a.info ?? {};
    return { adapter: classifyAdapter(info, Boolean(a.isFallbackAdapter ?? info.isFallbackAdapter)), missing: null };
  } catch (e) {
    return { adapter: null, missing: `no WebGPU adapter (${e instanceof Error ? e.message : String(e)})` };
  }
}

/**
 * The browser's WebGPU adapter, classified (software or real GPU), or null if there is none
 * (`navigator.gpu` alone is not enough). What `device: 'auto'` looks at; a page can show it.
 * @returns the adapter report, or null without an adapter (always null in Node).
 */
export async function webgpuAdapter(): Promise<AdapterReport | null> {
  return (await lookUpAdapter()).adapter;
}
