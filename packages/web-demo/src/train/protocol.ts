/**
 * The messages between the training panel (page) and its Web Worker. The page asks for one run;
 * the worker answers with progress, then each model's ONNX bytes as soon as it is exported (SNGP
 * first), then `done`. Cancelling is `worker.terminate()`: training is synchronous inside the worker.
 */
import type { ToyDataName } from '@sngp/core';

/** The two models the panel trains, in training order. */
export const PANEL_METHODS = ['sngp', 'deterministic'] as const;
/** A model the panel trains. */
export type PanelMethod = (typeof PANEL_METHODS)[number];

/** What the user picked: the data set and how it is drawn. */
export interface DataChoice {
  /** `moons`, `circles` or `spirals`. */
  dataset: ToyDataName;
  /** Standard deviation of the Gaussian noise per coordinate, in data units. */
  noise: number;
  /** Training points (half per class). */
  size: number;
  /** Seed of the training draw; the held-out test draw uses seed + 1. */
  seed: number;
}

/** Page -> worker: train both models on the data and export them. */
export interface TrainRequest {
  /** Message kind. */
  type: 'train';
  /** The data to draw (the worker draws it itself from the seed, as the page does for its plot). */
  data: DataChoice;
}

/** One finished epoch of one model. */
export interface EpochMessage {
  /** Message kind. */
  type: 'epoch';
  /** The model being trained. */
  method: PanelMethod;
  /** The epoch just finished, 1-based. */
  epoch: number;
  /** Epochs of the run. */
  epochs: number;
  /** Mean training loss of the epoch. */
  loss: number;
  /** Running training accuracy of the epoch (dropout on). */
  accuracy: number;
}

/** A model moved to another stage of the pipeline. */
export interface StageMessage {
  /** Message kind. */
  type: 'stage';
  /** The model concerned. */
  method: PanelMethod;
  /** What it is doing now. */
  stage: 'starting' | 'posterior' | 'exporting';
  /** The TensorFlow.js backend in use (known from `starting` on). */
  backend?: string;
}

/** One model trained and exported: its ONNX file and what the worker measured. */
export interface ModelMessage {
  /** Message kind. */
  type: 'model';
  /** The model. */
  method: PanelMethod;
  /** The exported .onnx file (transferred, not copied). */
  onnx: Uint8Array;
  /** Accuracy of the trained TensorFlow.js model on the training points (dropout off). */
  trainAccuracy: number;
  /** Wall time of the training loop, seconds. */
  trainSeconds: number;
  /** Mean milliseconds per optimizer step after the first epoch. */
  msPerStep: number;
  /** Wall time of the ONNX export (SNGP: the posterior covariance baked in float64), milliseconds. */
  exportMs: number;
  /** The TensorFlow.js backend that trained it. */
  backend: string;
  /** SNGP: the kernel scale the auto rule chose. */
  kernelScale?: number;
}

/** The run is over: every model was sent. */
export interface DoneMessage {
  /** Message kind. */
  type: 'done';
}

/** The run failed (bad input or an internal error); the message is one line. */
export interface ErrorMessage {
  /** Message kind. */
  type: 'error';
  /** What went wrong. */
  message: string;
}

/** Worker -> page. */
export type WorkerMessage = EpochMessage | StageMessage | ModelMessage | DoneMessage | ErrorMessage;
