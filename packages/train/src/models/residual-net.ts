/**
 * The DeepResNet body of the SNGP tutorial: a frozen linear input projection, then residual blocks
 * h = h + Dropout(ReLU(h @ W_i + b_i)). Kernels are [in, out].
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NamedTensor, type Rng, tensor } from '@sngp/core';
import { glorotUniform } from '../layers/initializers.js';
import { dense } from '../layers/linear.js';

export interface ResidualNetConfig {
  inputDim: number;
  hiddenDim: number;
  numLayers: number;
}

export class ResidualNet {
  /** Frozen (as in the tutorial): a fixed random projection of the input. */
  readonly inputKernel: tf.Tensor2D;
  readonly inputBias: tf.Tensor1D;
  readonly kernels: tf.Variable<tf.Rank.R2>[] = [];
  readonly biases: tf.Variable<tf.Rank.R1>[] = [];

  constructor(readonly config: ResidualNetConfig, rng: Rng) {
    const { inputDim: d, hiddenDim: h, numLayers } = config;
    this.inputKernel = tf.keep(tf.tensor2d(glorotUniform(rng, d, h), [d, h]));
    this.inputBias = tf.keep(tf.zeros([h]) as tf.Tensor1D);
    for (let i = 0; i < numLayers; i++) {
      this.kernels.push(tf.variable(tf.tensor2d(glorotUniform(rng, h, h), [h, h]), true, undefined, 'float32'));
      this.biases.push(tf.variable(tf.zeros([h]) as tf.Tensor1D, true, undefined, 'float32'));
    }
  }

  get trainable(): tf.Variable[] {
    return [...this.kernels, ...this.biases];
  }

  /** Hidden representation; `masks` (one per block, broadcastable to [rows, H]) applies dropout. */
  forward(x: tf.Tensor2D, masks: tf.Tensor2D[] | null): tf.Tensor2D {
    let h = dense(x, this.inputKernel, this.inputBias);
    for (let i = 0; i < this.kernels.length; i++) {
      let r = tf.relu(dense(h, this.kernels[i], this.biases[i]));
      if (masks) r = tf.mul(r, masks[i]);
      h = tf.add(h, r);
    }
    return h;
  }

  tensors(prefix = ''): Record<string, NamedTensor> {
    const { inputDim: d, hiddenDim: h } = this.config;
    const out: Record<string, NamedTensor> = {
      [`${prefix}input.kernel`]: tensor(f32(this.inputKernel), [d, h]),
      [`${prefix}input.bias`]: tensor(f32(this.inputBias), [h]),
    };
    this.kernels.forEach((k, i) => {
      out[`${prefix}blocks.${i}.kernel`] = tensor(f32(k), [h, h]);
      out[`${prefix}blocks.${i}.bias`] = tensor(f32(this.biases[i]), [h]);
    });
    return out;
  }

  dispose(): void {
    tf.dispose([this.inputKernel, this.inputBias, ...this.kernels, ...this.biases]);
  }
}

/** A copy of a tensor's values as Float32Array. */
export function f32(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}
