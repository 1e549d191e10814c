/**
 * Deep ensemble: `ensembleSize` independently initialised deterministic networks trained in one
 * optimizer step. The loss is the sum of the members' losses, so each member's gradient (and its
 * Adam state, which is per element) is exactly what training it alone would give; each member gets
 * its own batch stream (own shuffling) and its own dropout masks. The members' weights are stacked
 * per layer (see `stacked-net.ts` for why and how that is fast on wasm).
 *
 * Members are independent, so an ensemble can be trained in parts (a member range per process, to
 * use several cores): a part draws every random number the whole ensemble would draw (skipping the
 * other members' initialisation forks, batch streams and dropout masks), so each of its members
 * ends bit-identical to the same member trained with all the others; `ensemble-parts.ts` merges
 * the parts' checkpoints.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type HyperParameters, type NamedTensor, type Rng, SngpError } from '@sngp/core';
import { dropoutMasks, skipDropoutMasks } from '../layers/dropout.js';
import { type Batch, type StepResult, type TrainableModel } from './model.js';
import { StackedResidualNets } from './stacked-net.js';

/** Members `from` (inclusive) to `to` (exclusive) of an ensemble, 0-based. */
export interface MemberRange {
  /** First member trained. */
  from: number;
  /** One past the last member trained. */
  to: number;
}

export class DeepEnsemble implements TrainableModel {
  readonly method = 'ensemble' as const;
  /** The members trained here, with their weights stacked per layer. */
  readonly nets: StackedResidualNets;
  /** The members of the whole ensemble trained here (all of them by default). */
  readonly range: MemberRange;
  /** Members of the whole ensemble (`hp.ensembleSize` at construction). */
  readonly batchStreams: number;

  /**
   * @param hp - hyper-parameters; `ensembleSize` is the whole ensemble's size.
   * @param rng - the initialisation stream (member m uses its m-th fork).
   * @param range - the members to train (default all): a part of the ensemble.
   */
  constructor(
    readonly hp: HyperParameters,
    rng: Rng,
    range?: MemberRange,
  ) {
    const { ensembleSize, inputDim, hiddenDim, numLayers, numClasses } = hp;
    this.batchStreams = ensembleSize;
    this.range = range ?? { from: 0, to: ensembleSize };
    const { from, to } = this.range;
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= ensembleSize))
      throw new SngpError(`ensemble members ${from}:${to} are not a non-empty range within the ${ensembleSize} members`);
    for (let m = 0; m < from; m++) rng.fork(); // the earlier members' initialisation draws
    this.nets = new StackedResidualNets({ members: to - from, inputDim, hiddenDim, numLayers, numClasses }, rng);
  }

  /** Members trained here (their losses are summed). */
  get members(): number {
    return this.range.to - this.range.from;
  }

  get trainable(): tf.Variable[] {
    return this.nets.trainable;
  }

  beforeStep(): void {}

  /** `batches`: one per member of the whole ensemble ({@link batchStreams}); this part's are used. */
  loss(batches: Batch[], dropoutRng: Rng): StepResult {
    const { numLayers, hiddenDim, dropoutRate } = this.hp;
    const { from, to } = this.range;
    if (batches.length !== this.batchStreams) throw new Error(`ensemble step needs ${this.batchStreams} batches, got ${batches.length}`);
    const own = batches.slice(from, to);
    // Member by member, in the order separate deterministic models would draw them (the other
    // parts' members advance the stream without drawing their masks).
    const masks = batches.map((b, m) => {
      if (m >= from && m < to) return dropoutMasks(dropoutRng, numLayers, b.x.shape[0], hiddenDim, dropoutRate);
      skipDropoutMasks(dropoutRng, numLayers, dropoutRate);
      return null;
    }).slice(from, to);
    try {
      return this.nets.step(own, masks, 1 / (1 - dropoutRate));
    } finally {
      for (const m of masks) if (m) tf.dispose(m);
    }
  }

  /** Mean of the members' softmax probabilities (dropout off). */
  predictProbs(x: Float32Array, n: number): Float32Array {
    return this.nets.predictProbs(x, n);
  }

  /** Every member's logits [M, n, K] (dropout off). */
  sampleLogits(x: Float32Array, n: number): { samples: number; logits: Float32Array } {
    return { samples: this.members, logits: this.nets.memberLogits(x, n) };
  }

  validationLogits(x: Float32Array, n: number): { samples: number; logits: Float32Array } {
    return this.sampleLogits(x, n);
  }

  finalize(): void {}

  tensors(): Record<string, NamedTensor> {
    return this.nets.tensors();
  }

  dispose(): void {
    this.nets.dispose();
  }
}
