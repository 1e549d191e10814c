/** The stage manifests: what each stage did and how long it took, read back by the summary. */
import { existsSync, readFileSync } from 'node:fs';
import type { PipelineConfig } from './config.js';

export interface TrainRecord {
  method: string;
  /** Relative to the artifacts folder. */
  checkpoint: string;
  seconds: number;
  msPerStep: number | null;
  metrics: Record<string, number>;
}

export interface ExportRecord {
  method: string;
  /** Relative to the artifacts folder. */
  onnx: string;
  seconds: number;
}

export interface StageManifest<R> {
  config: PipelineConfig;
  /** Wall time of the whole stage (its jobs may run side by side). */
  totalSeconds: number;
  records: R[];
}

export function readManifest<R>(path: string): StageManifest<R> | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as StageManifest<R>) : null;
}
