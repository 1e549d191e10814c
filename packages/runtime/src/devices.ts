import { SngpError } from '@sngp/core';
import type { Device, DeviceChoice } from './types.js';

/** Every {@link Device} value, in the order error messages list them (for validation and UIs). */
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'webgpu', 'wasm'];
/** Which entry loads the model: onnxruntime-node (plus web's wasm) or onnxruntime-web. */
export type Platform = 'node' | 'browser';

/**
 * How a device request maps to execution providers on a platform: `try` in order (the first that
 * opens wins); if none does and `fallback` is set, use it, warning (or throwing when strict) for an
 * explicit request. `auto` falls back silently: it means "the best that works".
 */
export interface DevicePlan {
  /** The device that was asked for. */
  device: Device;
  /** Execution providers to try, in order. */
  try: string[];
  /** The provider to use when none of `try` opens, or null (then the error is thrown). */
  fallback: string | null;
  /** Said at the end of the choice's reason (why the plan is what it is), if anything. */
  note?: string;
}

/**
 * Check `options.device` from the caller.
 * @param value - the option as given (undefined means `auto`).
 * @returns the device.
 * @throws SngpError if it is not one of {@link DEVICES}.
 */
export function parseDevice(value: unknown): Device {
  if (value === undefined) return 'auto';
  if (typeof value === 'string' && (DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new SngpError(`options.device: expected one of ${DEVICES.join(', ')}, got ${JSON.stringify(value)}`);
}

/**
 * The providers a device means on a platform (the README's "Devices" table, as code).
 * @param device - the requested device.
 * @param platform - where it runs.
 * @returns what to try, in order, and the fallback.
 */
export function planDevice(device: Device, platform: Platform): DevicePlan {
  if (platform === 'node') {
    switch (device) {
      // webgpu is not in Node's auto list: ORT cannot tell a real GPU from SwiftShader, which is
      // slower than the CPU provider for these small MLPs. Ask for it explicitly.
      case 'auto': return { device, try: ['cuda'], fallback: 'cpu', note: 'auto does not try webgpu in Node: onnxruntime cannot tell SwiftShader from a GPU' };
      case 'cpu': return { device, try: ['cpu'], fallback: null };
      // 'wasm' in Node runs onnxruntime-web's wasm backend (same engine as browsers).
      default: return { device, try: [device], fallback: 'cpu' };
    }
  }
  switch (device) {
    // The browser backend refuses a software WebGPU adapter for auto (see ProviderBackend.unavailable).
    case 'auto': return { device, try: ['webgpu'], fallback: 'wasm' };
    // onnxruntime-web's CPU provider is its wasm backend.
    case 'cpu':
    case 'wasm': return { device, try: ['wasm'], fallback: null };
    default: return { device, try: [device], fallback: 'wasm' };
  }
}

/**
 * A provider that could not open: why, on one line (the first non-empty line, at most 200 chars).
 * @param e - whatever was thrown.
 * @returns the reason.
 */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split('\n').map((s) => s.trim()).find((s) => s.length > 0) ?? 'unknown error';
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** How one platform opens sessions: the part of loading that differs between Node and browsers. */
export interface ProviderBackend<S> {
  /**
   * Null if the provider may work, else the reason it cannot (checked before trying to open). With
   * `auto` true (device 'auto' asks) it may also refuse a provider that works but is a poor choice:
   * the browser's WebGPU on a software adapter.
   */
  unavailable(provider: string, auto: boolean): Promise<string | null>;
  /** Open a session of the model on `provider`; rejects if onnxruntime cannot. */
  open(provider: string): Promise<S>;
  /** What to add about a provider that opened (e.g. the WebGPU adapter it runs on), or null. */
  describe?(provider: string): string | null;
}

/**
 * Open a session following the plan; returns it with the provider that actually runs and why.
 * @param plan - from {@link planDevice}.
 * @param backend - the platform's providers.
 * @param strict - throw instead of falling back for an explicit device.
 * @param warn - receives the one-line fallback warning.
 * @returns the session and the choice (provider and reason).
 * @throws SngpError when nothing opens (listing each provider's reason) or `strict` forbids the
 *   fallback; a provider's SngpError passes through.
 */
export async function openOnDevice<S>(
  plan: DevicePlan,
  backend: ProviderBackend<S>,
  strict: boolean,
  warn: (msg: string) => void,
): Promise<{ session: S; choice: DeviceChoice }> {
  const auto = plan.device === 'auto';
  const chose = (session: S, provider: string, why: string) => {
    const about = backend.describe?.(provider);
    const reason = [why + (about ? ` (${about})` : ''), plan.note].filter((s) => s).join('; ');
    return { session, choice: { requested: plan.device, provider, reason } };
  };
  const asked = (provider: string) =>
    provider === plan.device ? `${provider} requested` : `${plan.device} requested, which onnxruntime runs as ${provider}`;
  // Nothing to fall back to: let the provider's own error through (usually a model problem).
  if (plan.fallback === null && plan.try.length === 1) return chose(await backend.open(plan.try[0]), plan.try[0], asked(plan.try[0]));
  const reasons: string[] = [];
  for (const provider of plan.try) {
    const reason = await backend.unavailable(provider, auto);
    if (reason !== null) {
      reasons.push(`${provider}: ${reason}`);
      continue;
    }
    try {
      const session = await backend.open(provider);
      return chose(session, provider, auto ? `auto: ${[...reasons, `using ${provider}`].join('; ')}` : asked(provider));
    } catch (e) {
      if (e instanceof SngpError) throw e;
      reasons.push(`${provider}: ${oneLine(e)}`);
    }
  }
  const why = reasons.join('; ');
  if (plan.fallback === null || (strict && !auto))
    throw new SngpError(`device "${plan.device}" is not available (${why})`);
  const fellBack = auto ? `auto: ${why}; using ${plan.fallback}` : `device "${plan.device}" is not available (${why}); running on ${plan.fallback}`;
  if (!auto) warn(`warning: ${fellBack}`);
  return chose(await backend.open(plan.fallback), plan.fallback, fellBack);
}
