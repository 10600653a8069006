/**
 * Activation functions σ and how the error passes back through them.
 *
 * Each activation maps `Z` to `A = σ(Z)` and, going back, turns `∂C/∂A` into
 * `δ = ∂C/∂Z`. For the elementwise ones that is `∂C/∂A ⊙ σ'(Z)`, the `⊙ σ'`
 * of the four equations. Their derivatives are written in terms of `A` where
 * that is cheaper (sigmoid' = A(1−A), tanh' = 1−A²). Softmax mixes the rows of
 * a column, so its backward pass is the Jacobian–vector product per column.
 *
 * @module
 */

import { wasmKernelsOf } from "./kernels/backend.ts";
import type { WasmKernels } from "./kernels/wasm/kernels.ts";
import type { Matrix } from "./matrix.ts";

/**
 * The names of the activations.
 *
 * @example
 * ```ts
 * import type { ActivationName } from "@fullmatrix/backprop";
 * const hidden: ActivationName = "relu";
 * ```
 */
export type ActivationName = "sigmoid" | "tanh" | "relu" | "identity" | "softmax";

/**
 * An activation: the forward map and the backward product.
 *
 * @example
 * ```ts
 * import { activations, fromRows, zeros } from "@fullmatrix/backprop";
 * const a = activations.relu.forward(fromRows([[-1, 2]]), zeros(1, 2));
 * console.assert(a.data[0] === 0 && a.data[1] === 2);
 * ```
 */
export interface Activation {
  /** Writes `σ(z)` into `out` and returns it. */
  forward(z: Matrix, out: Matrix): Matrix;
  /** Writes `δ = ∂C/∂Z` into `out`, given `z`, `a = σ(z)` and `gradA = ∂C/∂A`; `out` may be `gradA`. */
  backward(z: Matrix, a: Matrix, gradA: Matrix, out: Matrix): Matrix;
}

function elementwise(f: (z: number) => number, df: (z: number, a: number) => number): Activation {
  return {
    forward(z, out) {
      const x = z.data, y = out.data;
      for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
      return out;
    },
    backward(z, a, gradA, out) {
      const x = z.data, y = a.data, g = gradA.data, o = out.data;
      for (let i = 0; i < x.length; i++) o[i] = g[i] * df(x[i], y[i]);
      return out;
    },
  };
}

/**
 * `loops`, except where every operand lives in one wasm memory: there the wasm
 * kernels run, one SIMD pass next to the data (ReLU forward and back on B's
 * hidden layers measured 4× faster than the loops).
 */
function onWasm(
  loops: Activation,
  forward: (wasm: WasmKernels, z: Matrix, out: Matrix) => void,
  backward: (wasm: WasmKernels, z: Matrix, gradA: Matrix, out: Matrix) => void,
): Activation {
  return {
    forward(z, out) {
      const wasm = wasmKernelsOf(z.data, out.data);
      if (!wasm) return loops.forward(z, out);
      forward(wasm, z, out);
      return out;
    },
    backward(z, a, gradA, out) {
      const wasm = wasmKernelsOf(z.data, gradA.data, out.data);
      if (!wasm) return loops.backward(z, a, gradA, out);
      backward(wasm, z, gradA, out);
      return out;
    },
  };
}

/** Subtracting the column's maximum keeps `exp` from overflowing; the result is unchanged. */
function softmaxForward(z: Matrix, out: Matrix): Matrix {
  const { rows, cols } = z, x = z.data, y = out.data;
  for (let j = 0; j < cols; j++) {
    let max = -Infinity;
    for (let i = 0; i < rows; i++) max = Math.max(max, x[i * cols + j]);
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += y[i * cols + j] = Math.exp(x[i * cols + j] - max);
    for (let i = 0; i < rows; i++) y[i * cols + j] = flushSubnormal(y[i * cols + j] / sum);
  }
  return out;
}

/** The smallest normal float32. */
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * Probabilities below float32's normal range are stored as 0: they change no
 * result worth having, and subnormal operands can make x86 multiplies many
 * times slower (a microcode assist per operation) in the products that follow.
 */
function flushSubnormal(v: number): number {
  return v < FLOAT32_MIN_NORMAL ? 0 : v;
}

/** Per column: `δ_i = a_i (g_i − Σ_k g_k a_k)`, the softmax Jacobian times `g`. */
function softmaxBackward(_z: Matrix, a: Matrix, gradA: Matrix, out: Matrix): Matrix {
  const { rows, cols } = a, y = a.data, g = gradA.data, o = out.data;
  for (let j = 0; j < cols; j++) {
    let dot = 0;
    for (let i = 0; i < rows; i++) dot += g[i * cols + j] * y[i * cols + j];
    for (let i = 0; i < rows; i++) o[i * cols + j] = y[i * cols + j] * (g[i * cols + j] - dot);
  }
  return out;
}

/**
 * The activations by name.
 *
 * @example
 * ```ts
 * import { activations, fromRows, zeros } from "@fullmatrix/backprop";
 * const a = activations.sigmoid.forward(fromRows([[0]]), zeros(1, 1));
 * console.assert(a.data[0] === 0.5);
 * ```
 */
export const activations: Readonly<Record<ActivationName, Activation>> = {
  sigmoid: elementwise((z) => flushSubnormal(1 / (1 + Math.exp(-z))), (_z, a) => a * (1 - a)),
  tanh: elementwise(Math.tanh, (_z, a) => 1 - a * a),
  relu: onWasm(
    elementwise((z) => (z > 0 ? z : 0), (z) => (z > 0 ? 1 : 0)),
    (wasm, z, out) => wasm.relu(z.data, out.data),
    (wasm, z, gradA, out) => wasm.reluBackward(z.data, gradA.data, out.data),
  ),
  identity: elementwise((z) => z, () => 1),
  softmax: { forward: softmaxForward, backward: softmaxBackward },
};
