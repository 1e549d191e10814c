import { SngpError } from '@sngp/core';
import type { Device } from './types.js';

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
      case 'auto': return { device, try: ['cuda'], fallback: 'cpu' };
      case 'cpu': return { device, try: ['cpu'], fallback: null };
      // 'wasm' in Node runs onnxruntime-web's wasm backend (same engine as browsers).
      default: return { device, try: [device], fallback: 'cpu' };
    }
  }
  switch (device) {
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
  /** Null if the provider may work, else the reason it cannot (checked before trying to open). */
  unavailable(provider: string): Promise<string | null>;
  /** Open a session of the model on `provider`; rejects if onnxruntime cannot. */
  open(provider: string): Promise<S>;
}

/**
 * Open a session following the plan; returns it with the provider that actually runs.
 * @param plan - from {@link planDevice}.
 * @param backend - the platform's providers.
 * @param strict - throw instead of falling back for an explicit device.
 * @param warn - receives the one-line fallback warning.
 * @returns the session and its provider.
 * @throws SngpError when nothing opens (listing each provider's reason) or `strict` forbids the
 *   fallback; a provider's SngpError passes through.
 */
export async function openOnDevice<S>(
  plan: DevicePlan,
  backend: ProviderBackend<S>,
  strict: boolean,
  warn: (msg: string) => void,
): Promise<{ session: S; provider: string }> {
  // Nothing to fall back to: let the provider's own error through (usually a model problem).
  if (plan.fallback === null && plan.try.length === 1) return { session: await backend.open(plan.try[0]), provider: plan.try[0] };
  const reasons: string[] = [];
  for (const provider of plan.try) {
    const reason = await backend.unavailable(provider);
    if (reason !== null) {
      reasons.push(`${provider}: ${reason}`);
      continue;
    }
    try {
      return { session: await backend.open(provider), provider };
    } catch (e) {
      if (e instanceof SngpError) throw e;
      reasons.push(`${provider}: ${oneLine(e)}`);
    }
  }
  const why = reasons.join('; ');
  if (plan.fallback === null || (strict && plan.device !== 'auto'))
    throw new SngpError(`device "${plan.device}" is not available (${why})`);
  if (plan.device !== 'auto') warn(`warning: device "${plan.device}" is not available (${why}); running on ${plan.fallback}`);
  return { session: await backend.open(plan.fallback), provider: plan.fallback };
}
