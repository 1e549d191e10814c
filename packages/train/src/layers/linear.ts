/**
 * Matrix product with a hand-written gradient. tfjs's own MatMul gradient uses the transposeA/B
 * flags, which on the wasm backend are 10-40x slower than an explicit transpose followed by a plain
 * matMul; this version does the latter (same math, same results up to float rounding).
 */
import * as tf from '@tensorflow/tfjs-core';

const fastMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
});

/** x @ w for 2-D tensors ([N, in] x [in, out]). */
export function matMul(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return fastMatMul(x, w) as tf.Tensor2D;
}

/** x @ w + b. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.add(matMul(x, w), b);
}
