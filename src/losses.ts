/**
 * Loss functions `C(A^L, Y)`, averaged over the `M` columns of a batch, and
 * their gradient `∂C/∂A^L`, where the backward pass starts.
 *
 * @module
 */

import type { Matrix } from "./matrix.ts";

/**
 * The names of the losses.
 *
 * @example
 * ```ts
 * import type { LossName } from "@fullmatrix/backprop";
 * const loss: LossName = "cross-entropy";
 * ```
 */
export type LossName = "quadratic" | "cross-entropy";

/**
 * A loss: its value over a batch and its gradient with respect to the output.
 *
 * @example
 * ```ts
 * import { fromRows } from "@fullmatrix/backprop";
 * import { losses } from "./losses.ts";
 * const c = losses.quadratic.value(fromRows([[1, 3]]), fromRows([[0, 1]]));
 * console.assert(c === (1 + 4) / 2 / 2);
 * ```
 */
export interface Loss {
  /** `C`, averaged over the batch's columns. */
  value(a: Matrix, y: Matrix): number;
  /** Writes `∂C/∂A` into `out` and returns it. */
  gradient(a: Matrix, y: Matrix, out: Matrix): Matrix;
}

/** The seed's loss: `C = (1/M) · ½ · ‖Y − A‖²`, so `∂C/∂A = (A − Y)/M`. */
const quadratic: Loss = {
  value(a, y) {
    let s = 0;
    for (let i = 0; i < a.data.length; i++) s += (a.data[i] - y.data[i]) ** 2;
    return s / 2 / a.cols;
  },
  gradient(a, y, out) {
    const m = a.cols;
    for (let i = 0; i < a.data.length; i++) out.data[i] = (a.data[i] - y.data[i]) / m;
    return out;
  },
};

/**
 * Smallest probability fed to `log`: a confident wrong answer costs a large
 * finite loss instead of `Infinity`, and the gradient stays finite.
 */
const EPSILON = 1e-12;

/** Categorical cross-entropy: `C = −(1/M) Σ Y ⊙ log A`, so `∂C/∂A = −Y/(M·A)`. */
const crossEntropy: Loss = {
  value(a, y) {
    let s = 0;
    for (let i = 0; i < a.data.length; i++) {
      if (y.data[i] !== 0) s -= y.data[i] * Math.log(Math.max(a.data[i], EPSILON));
    }
    return s / a.cols;
  },
  gradient(a, y, out) {
    const m = a.cols;
    for (let i = 0; i < a.data.length; i++) {
      out.data[i] = -y.data[i] / (m * Math.max(a.data[i], EPSILON));
    }
    return out;
  },
};

/**
 * The losses by name.
 *
 * @example
 * ```ts
 * import { fromRows } from "@fullmatrix/backprop";
 * import { losses } from "./losses.ts";
 * const c = losses["cross-entropy"].value(fromRows([[0.5], [0.5]]), fromRows([[1], [0]]));
 * console.assert(Math.abs(c - Math.LN2) < 1e-7);
 * ```
 */
export const losses: Readonly<Record<LossName, Loss>> = {
  quadratic,
  "cross-entropy": crossEntropy,
};
