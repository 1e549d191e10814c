/**
 * E DeepResNet classifiers (the deterministic architecture) whose trainable weights are stacked
 * into one variable per layer: kernels [E, in, out], biases [E, out]. One optimizer step then
 * updates all members with a handful of large Adam updates instead of E times as many small ones
 * (Adam dominated the unstacked ensemble's step: ~2.5x the cost of the same update on stacked
 * variables, measured on wasm).
 *
 * The members' mathematics stays separate: each has its own initialisation, batch and dropout
 * masks, and the loss is the SUM of the members' mean cross-entropies, so each member's gradient
 * (and the element-wise Adam state) is exactly what training it alone gives.
 *
 * Why not one batched matMul ([E, B, in] x [E, in, out]): on the wasm backend BatchMatMul with a
 * batch dimension runs a naive loop, ~15x slower than E plain 2-D matMuls (which use XNNPACK), and
 * slicing a member out of a stacked tensor on the backend (slice, unstack, split, gather) copies the
 * whole tensor per slice (~0.3-0.4 ms for [10, 128, 128]). So each step reads the stacked weights
 * back once (one copy per layer), uploads each member's block as its own tensor, runs the members
 * as 2-D products, and back-propagates by hand (`step`, a custom gradient) into stacked
 * gradients. The hand-written backward also skips work autodiff would do: no gradient for the
 * frozen input layer or for the first block's input, bias gradients as ones^T dz products, and the
 * transposed kernels built in JS (no backend transpose).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NamedTensor, type Rng, meanSoftmax, tensor } from '@sngp/core';
import { glorotUniform } from '../layers/initializers.js';
import { type Batch, EVAL_CHUNK } from './model.js';

/** Sizes of the stacked members. */
export interface StackedNetConfig {
  /** Members E. */
  members: number;
  inputDim: number;
  hiddenDim: number;
  numLayers: number;
  numClasses: number;
}

/** One member's weights for one step, as separate backend tensors (disposed by the caller). */
interface MemberWeights {
  kernels: tf.Tensor2D[];
  biases: tf.Tensor1D[];
  outputKernel: tf.Tensor2D;
  outputBias: tf.Tensor1D;
}

/** What one member's forward pass leaves for the backward pass. */
interface Trace {
  /** Each block's input h_{i-1}. */
  inputs: tf.Tensor2D[];
  /** Each block's dropped-out activation r_i = relu(z_i) * mask_i. */
  dropped: tf.Tensor2D[];
  /** The output layer's input h_L. */
  last: tf.Tensor2D | null;
}

/** The loss of one step over all members, with accuracy. */
export interface StackedStep {
  /** Sum over members of each member's mean cross-entropy. */
  loss: tf.Scalar;
  /** Fraction of all members' rows predicted correctly (the members' mean; batches are equal). */
  accuracy: tf.Scalar;
}

/** Copy `data` [rows, cols] transposed into a new array [cols, rows], times `scale`. */
function transposed(data: Float32Array, offset: number, rows: number, cols: number, scale: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const src = offset + i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[src + j] * scale;
  }
  return out;
}

/**
 * x @ w + b (then ReLU) as one fused backend kernel. Called directly: `tf.fused.matMul` unfuses
 * whenever a gradient is being recorded, and this forward runs inside a custom gradient, whose
 * backward is written by hand.
 */
function denseForward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: 'linear' | 'relu'): tf.Tensor2D {
  // The kernel takes rank-3 operands (as tf.fused.matMul passes them).
  const [rows, cols] = [x.shape[0], w.shape[1]];
  const out = tf.engine().runKernel(
    tf._FusedMatMul,
    { a: tf.reshape(x, [1, ...x.shape]), b: tf.reshape(w, [1, ...w.shape]), bias: b } as unknown as tf.NamedTensorMap,
    { transposeA: false, transposeB: false, activation } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor3D;
  return tf.reshape(out, [rows, cols]);
}

/**
 * E residual classifiers with stacked trainable weights: `step` gives the summed training loss with
 * a hand-written gradient into the stacked variables, `predictProbs` the members' mean
 * probabilities, `tensors` the per-member checkpoint tensors.
 */
export class StackedResidualNets {
  /** Frozen input projections, one [D, H] per member (never stacked: they get no gradient). */
  readonly inputKernels: tf.Tensor2D[];
  /** The frozen input bias: zero for every member (as in the tutorial). */
  readonly inputBias: tf.Tensor1D;
  /** Block kernels, one variable [E, H, H] per block. */
  readonly kernels: tf.Variable<tf.Rank.R3>[] = [];
  /** Block biases, one variable [E, H] per block. */
  readonly biases: tf.Variable<tf.Rank.R2>[] = [];
  /** Output kernels [E, H, K]. */
  readonly outputKernel: tf.Variable<tf.Rank.R3>;
  /** Output biases [E, K]. */
  readonly outputBias: tf.Variable<tf.Rank.R2>;

  /**
   * Members are initialised as `DeterministicClassifier`s built from `rng.fork()` one after the
   * other would be (same draws, same order), so a seed gives the same initial members as before.
   */
  constructor(
    readonly config: StackedNetConfig,
    rng: Rng,
  ) {
    const { members: e, inputDim: d, hiddenDim: h, numLayers: l, numClasses: k } = config;
    const blockKernels = Array.from({ length: l }, () => new Float32Array(e * h * h));
    const outKernels = new Float32Array(e * h * k);
    this.inputKernels = [];
    for (let m = 0; m < e; m++) {
      const r = rng.fork();
      this.inputKernels.push(tf.keep(tf.tensor2d(glorotUniform(r, d, h), [d, h])));
      for (let i = 0; i < l; i++) blockKernels[i].set(glorotUniform(r, h, h), m * h * h);
      outKernels.set(glorotUniform(r, h, k), m * h * k);
    }
    this.inputBias = tf.keep(tf.zeros([h]) as tf.Tensor1D);
    for (let i = 0; i < l; i++) {
      this.kernels.push(tf.variable(tf.tensor3d(blockKernels[i], [e, h, h]), true, undefined, 'float32'));
      this.biases.push(tf.variable(tf.zeros([e, h]) as tf.Tensor2D, true, undefined, 'float32'));
    }
    this.outputKernel = tf.variable(tf.tensor3d(outKernels, [e, h, k]), true, undefined, 'float32');
    this.outputBias = tf.variable(tf.zeros([e, k]) as tf.Tensor2D, true, undefined, 'float32');
  }

  /** The stacked variables, in the order the step's gradient returns them. */
  get trainable(): tf.Variable[] {
    return [...this.kernels, ...this.biases, this.outputKernel, this.outputBias];
  }

  /** Each member's current weights as separate tensors, from one read-back per stacked variable. */
  private memberWeights(): { members: MemberWeights[]; kernelData: Float32Array[]; outputData: Float32Array } {
    const { members: e, hiddenDim: h, numClasses: k } = this.config;
    const kernelData = this.kernels.map((v) => v.dataSync() as Float32Array);
    const biasData = this.biases.map((v) => v.dataSync() as Float32Array);
    const outputData = this.outputKernel.dataSync() as Float32Array;
    const outputBiasData = this.outputBias.dataSync() as Float32Array;
    const members = Array.from({ length: e }, (_, m) => ({
      kernels: kernelData.map((d) => tf.tensor2d(d.subarray(m * h * h, (m + 1) * h * h), [h, h])),
      biases: biasData.map((d) => tf.tensor1d(d.subarray(m * h, (m + 1) * h))),
      outputKernel: tf.tensor2d(outputData.subarray(m * h * k, (m + 1) * h * k), [h, k]),
      outputBias: tf.tensor1d(outputBiasData.subarray(m * k, (m + 1) * k)),
    }));
    return { members, kernelData, outputData };
  }

  /**
   * Member m's forward pass with dropout masks (or none). Returns the logits; when `trace` is
   * given, records each block's input and dropped-out activation and the output layer's input.
   */
  private memberForward(m: number, w: MemberWeights, x: tf.Tensor2D, masks: tf.Tensor2D[] | null, trace?: Trace): tf.Tensor2D {
    let h = denseForward(x, this.inputKernels[m], this.inputBias, 'linear');
    for (let i = 0; i < w.kernels.length; i++) {
      const a = denseForward(h, w.kernels[i], w.biases[i], 'relu');
      const r = masks ? (tf.mul(a, masks[i]) as tf.Tensor2D) : a;
      trace?.inputs.push(h);
      trace?.dropped.push(r);
      h = tf.add(h, r);
    }
    if (trace) trace.last = h;
    return denseForward(h, w.outputKernel, w.outputBias, 'linear');
  }

  /**
   * The loss of one step: the sum over members of each member's mean cross-entropy on its own
   * batch, with its own dropout masks; differentiable with respect to `trainable` (hand-written
   * gradient). Call it inside the optimizer's minimize.
   * @param batches - one batch per member, all with the same number of rows.
   * @param masks - per member, one [B, H] mask per block with values in {0, keep}; or null for all
   *   members (no dropout).
   * @param keep - the masks' kept-unit scale 1 / (1 - rate).
   */
  step(batches: Batch[], masks: (tf.Tensor2D[] | null)[], keep: number): StackedStep {
    const { members: e } = this.config;
    const rows = batches[0].x.shape[0];
    if (batches.length !== e || batches.some((b) => b.x.shape[0] !== rows))
      throw new Error(`stacked step needs ${e} batches of equal size`);
    const dropout = masks[0] !== null;
    if (masks.length !== e || masks.some((mk) => (mk !== null) !== dropout)) throw new Error('stacked step needs masks for all members or none');
    let accuracy: tf.Scalar | null = null;
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const { value, acc, saved, backward } = this.forwardAndBackward(batches, masks, dropout ? keep : 1);
      accuracy = acc;
      save(saved);
      return { value, gradFunc: backward };
    });
    const loss = op(...this.trainable) as tf.Scalar;
    return { loss, accuracy: accuracy! };
  }

  private forwardAndBackward(
    batches: Batch[],
    masks: (tf.Tensor2D[] | null)[],
    keep: number,
  ): { value: tf.Scalar; acc: tf.Scalar; saved: tf.Tensor[]; backward: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] } {
    const { members: e, hiddenDim: h, numLayers: l, numClasses: k } = this.config;
    const rows = batches[0].x.shape[0];
    const { members, kernelData, outputData } = this.memberWeights();
    const traces: Trace[] = members.map(() => ({ inputs: [], dropped: [], last: null }));
    const logits = tf.concat(members.map((w, m) => this.memberForward(m, w, batches[m].x, masks[m], traces[m])), 0);
    for (const w of members) tf.dispose([...w.kernels, ...w.biases, w.outputKernel, w.outputBias]);
    const oneHot = tf.concat(batches.map((b) => b.oneHot), 0);
    const logp = tf.logSoftmax(logits);
    // Sum over members of mean-over-rows CE = sum over all E * B rows / B (equal batch sizes).
    const value = tf.div(tf.neg(tf.sum(tf.mul(oneHot, logp))), rows) as tf.Scalar;
    const dLogits = tf.div(tf.sub(tf.exp(logp), oneHot), rows);
    const y = tf.concat(batches.map((b) => b.y), 0);
    const acc = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')) as tf.Scalar);
    // What the backward pass reads must go through save(): the forward runs in a tidy scope.
    const saved: tf.Tensor[] = [dLogits];
    for (const t of traces) saved.push(t.last!, ...t.inputs, ...t.dropped);

    const backward = (dy: tf.Tensor, s: tf.Tensor[]): tf.Tensor[] => {
      const gs = tf.split(tf.mul(s[0], dy), e, 0) as tf.Tensor2D[];
      const ones = tf.ones([1, rows]) as tf.Tensor2D;
      const keepRow = keep === 1 ? ones : (tf.fill([1, rows], keep) as tf.Tensor2D);
      const dKernels: tf.Tensor2D[][] = Array.from({ length: l }, () => []);
      const dBiases: tf.Tensor2D[][] = Array.from({ length: l }, () => []);
      const dOut: tf.Tensor2D[] = [];
      const dOutBias: tf.Tensor2D[] = [];
      for (let m = 0; m < e; m++) {
        const at = 1 + m * (1 + 2 * l);
        const last = s[at] as tf.Tensor2D;
        const inputs = s.slice(at + 1, at + 1 + l) as tf.Tensor2D[];
        const dropped = s.slice(at + 1 + l, at + 1 + 2 * l) as tf.Tensor2D[];
        dOut.push(tf.matMul(tf.transpose(last), gs[m]));
        dOutBias.push(tf.matMul(ones, gs[m]));
        let dh = tf.matMul(gs[m], tf.tensor2d(transposed(outputData, m * h * k, h, k, 1), [k, h]));
        for (let i = l - 1; i >= 0; i--) {
          // r = relu(z) * mask, mask in {0, keep}: dr/dz = keep * [r > 0]. u = dh * [r > 0]; the
          // factor keep goes into the bias row, the transposed kernel and the stacked kernel grads.
          const u = tf.mul(dh, tf.step(dropped[i])) as tf.Tensor2D;
          dKernels[i].push(tf.matMul(tf.transpose(inputs[i]), u));
          dBiases[i].push(tf.matMul(keepRow, u));
          // The first block's input comes from the frozen input layer: no gradient needed.
          if (i > 0) dh = tf.add(dh, tf.matMul(u, tf.tensor2d(transposed(kernelData[i], m * h * h, h, h, keep), [h, h])));
        }
      }
      return [
        ...dKernels.map((ds) => (keep === 1 ? tf.stack(ds) : tf.mul(tf.stack(ds), keep))),
        ...dBiases.map((ds) => tf.concat(ds, 0)),
        tf.stack(dOut),
        tf.concat(dOutBias, 0),
      ];
    };
    return { value, acc, saved, backward };
  }

  /** Each member's softmax probabilities averaged, dropout off, for row-major features [n, D]. */
  predictProbs(x: Float32Array, n: number): Float32Array {
    return meanSoftmax(this.memberLogits(x, n), this.config.members, this.config.numClasses);
  }

  /** Each member's logits, dropout off, for row-major features [n, D]: [members, n, K]. */
  memberLogits(x: Float32Array, n: number): Float32Array {
    const { members: e, inputDim: d, numClasses: k } = this.config;
    const out = new Float32Array(e * n * k);
    const { members } = this.memberWeights();
    try {
      for (let start = 0; start < n; start += EVAL_CHUNK) {
        const rows = Math.min(EVAL_CHUNK, n - start);
        members.forEach((w, m) => {
          const t = tf.tidy(() => this.memberForward(m, w, tf.tensor2d(x.subarray(start * d, (start + rows) * d), [rows, d]), null));
          out.set(t.dataSync() as Float32Array, (m * n + start) * k);
          t.dispose();
        });
      }
    } finally {
      for (const w of members) tf.dispose([...w.kernels, ...w.biases, w.outputKernel, w.outputBias]);
    }
    return out;
  }

  /** The checkpoint tensors of every member: `members.{m}.` + the deterministic names. */
  tensors(): Record<string, NamedTensor> {
    const { members: e, inputDim: d, hiddenDim: h, numClasses: k } = this.config;
    const kernels = this.kernels.map((v) => v.dataSync() as Float32Array);
    const biases = this.biases.map((v) => v.dataSync() as Float32Array);
    const outK = this.outputKernel.dataSync() as Float32Array;
    const outB = this.outputBias.dataSync() as Float32Array;
    const out: Record<string, NamedTensor> = {};
    for (let m = 0; m < e; m++) {
      const p = `members.${m}.`;
      out[`${p}input.kernel`] = tensor(Float32Array.from(this.inputKernels[m].dataSync() as Float32Array), [d, h]);
      out[`${p}input.bias`] = tensor(new Float32Array(h), [h]);
      kernels.forEach((data, i) => {
        out[`${p}blocks.${i}.kernel`] = tensor(data.slice(m * h * h, (m + 1) * h * h), [h, h]);
        out[`${p}blocks.${i}.bias`] = tensor(biases[i].slice(m * h, (m + 1) * h), [h]);
      });
      out[`${p}output.kernel`] = tensor(outK.slice(m * h * k, (m + 1) * h * k), [h, k]);
      out[`${p}output.bias`] = tensor(outB.slice(m * k, (m + 1) * k), [k]);
    }
    return out;
  }

  /** Release every tensor and variable of the members. */
  dispose(): void {
    tf.dispose([...this.inputKernels, this.inputBias, ...this.kernels, ...this.biases, this.outputKernel, this.outputBias]);
  }
}
