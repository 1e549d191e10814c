/** Loading models through @sngp/runtime, with errors that name the file. */
import { existsSync, statSync } from 'node:fs';
import { SngpError } from '@sngp/core';
import { DEVICES, loadModel, type Device } from '@sngp/runtime';
import type { EvalModel } from './types.js';

/** A device name as the runtime knows it (`DEVICES`); errors name the `--device` flag. */
export function parseDevice(s: string): Device {
  if (!(DEVICES as readonly string[]).includes(s))
    throw new SngpError(`--device: unknown device "${s}" (expected one of: ${DEVICES.join(', ')})`);
  return s as Device;
}

export async function loadEvalModel(path: string, device: Device | undefined, warn: (msg: string) => void): Promise<EvalModel> {
  if (!existsSync(path)) throw new SngpError(`${path}: file does not exist`);
  if (statSync(path).isDirectory()) throw new SngpError(`${path}: is a directory, expected an .onnx model file`);
  try {
    return await loadModel(path, { device, onWarning: warn });
  } catch (e) {
    if (e instanceof SngpError || (e as Error).name === 'SngpError') throw e;
    // onnxruntime's own parse errors are long and multi-line: keep the first line.
    const first = String((e as Error).message ?? e).split('\n')[0];
    throw new SngpError(`${path}: not a loadable ONNX model (${first})`);
  }
}
