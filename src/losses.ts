/**
 * Loss functions `C(A^L, Y)`, averaged over the `M` columns of a batch, the
 * output error `δ^L = ∂C/∂Z^L` where the backward pass starts, and the one
 * registry that says which output activations each loss pairs with.
 *
 * A loss is defined per output activation: cross-entropy over softmax outputs is
 * the categorical form (classes exclude each other), over sigmoid outputs the
 * binary form (each output its own yes/no: multi-label). Both have an exact
 * closed-form `δ^L` that needs no division by `A`. A pairing the registry does not
 * list (cross-entropy over an identity output: a regression) is refused with a
 * `RangeError` that names it.
 *
 * @module
 */

import type { Activation, ActivationName } from "./activations.ts";
import type { Matrix } from "./matrix.ts";

/**
 * A loss for one output activation: its value over a batch and the output error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, lossFor } from "@fullmatrix/backprop";
 * const c = lossFor("quadratic", "identity").value(fromRows([[1, 3]]), fromRows([[0, 1]]));
 * assert.equal(c, (1 + 4) / 2 / 2);
 * ```
 */
export interface Loss {
  /** `C`, averaged over the batch's columns. */
  value(a: Matrix, y: Matrix): number;
  /**
   * Writes `δ^L = ∂C/∂Z^L` into `out` and returns it, from `z = Z^L`, `a = A^L`, the
   * targets `y` and the output activation (used by losses whose δ has no closed form).
   */
  delta(z: Matrix, a: Matrix, y: Matrix, out: Matrix, output: Activation): Matrix;
}

/** The seed's loss: `C = (1/M) · ½ · ‖Y − A‖²`, so `∂C/∂A = (A − Y)/M`, then `⊙ σ'`. */
const quadratic: Loss = {
  value(a, y) {
    let s = 0;
    for (let i = 0; i < a.data.length; i++) s += (a.data[i] - y.data[i]) ** 2;
    return s / 2 / a.cols;
  },
  delta(z, a, y, out, output) {
    const m = a.cols;
    for (let i = 0; i < a.data.length; i++) out.data[i] = (a.data[i] - y.data[i]) / m;
    return output.backward(z, a, out, out);
  },
};

/**
 * Smallest probability fed to `log`: a confident wrong answer costs a large
 * finite loss instead of `Infinity`.
 */
const EPSILON = 1e-12;

/**
 * Categorical cross-entropy over softmax: `C = −(1/M) Σ Y ⊙ log A`. Per column,
 * `∂C/∂z_k = (a_k Σ_i y_i − y_k)/M`; with one-hot targets `Σ y = 1` and this is the
 * familiar `(A − Y)/M`, but the general form stays exact for targets that do not sum
 * to 1 (label smoothing done by hand, soft or empty targets) at the same cost.
 */
const softmaxCrossEntropy: Loss = {
  value(a, y) {
    let s = 0;
    for (let i = 0; i < a.data.length; i++) {
      if (y.data[i] !== 0) s -= y.data[i] * Math.log(Math.max(a.data[i], EPSILON));
    }
    return s / a.cols;
  },
  delta(_z, a, y, out) {
    const { rows, cols } = a, A = a.data, Y = y.data, o = out.data;
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += Y[i * cols + j];
      for (let i = 0; i < rows; i++) {
        o[i * cols + j] = (A[i * cols + j] * sum - Y[i * cols + j]) / cols;
      }
    }
    return out;
  },
};

/**
 * Binary cross-entropy over sigmoid outputs, each output a yes/no of its own
 * (multi-label): `C = −(1/M) Σ [Y log A + (1 − Y) log(1 − A)]`, whose output error
 * is exactly `(A − Y)/M` (σ' = A(1 − A) cancels the denominators).
 */
const binaryCrossEntropy: Loss = {
  value(a, y) {
    let s = 0;
    for (let i = 0; i < a.data.length; i++) {
      const p = a.data[i], t = y.data[i];
      if (t !== 0) s -= t * Math.log(Math.max(p, EPSILON));
      if (t !== 1) s -= (1 - t) * Math.log(Math.max(1 - p, EPSILON));
    }
    return s / a.cols;
  },
  delta(_z, a, y, out) {
    const m = a.cols;
    for (let i = 0; i < a.data.length; i++) out.data[i] = (a.data[i] - y.data[i]) / m;
    return out;
  },
};

/**
 * A registry entry: the loss for each output activation it pairs with; `any` for a
 * loss that pairs with every activation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { losses } from "@fullmatrix/backprop";
 * assert.deepEqual(Object.keys(losses["cross-entropy"]), ["softmax", "sigmoid"]);
 * ```
 */
export type LossEntry = { readonly any: Loss } | Partial<Record<ActivationName, Loss>>;

/**
 * The losses by name, each with the output activations it pairs with: the registry
 * every other list, type and check derives from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, losses } from "@fullmatrix/backprop";
 * const c = losses["cross-entropy"].softmax.value(fromRows([[0.5], [0.5]]), fromRows([[1], [0]]));
 * assert.ok(Math.abs(c - Math.LN2) < 1e-7);
 * ```
 */
export const losses = {
  quadratic: { any: quadratic },
  "cross-entropy": { softmax: softmaxCrossEntropy, sigmoid: binaryCrossEntropy },
} as const satisfies Record<string, LossEntry>;

/**
 * The names of the losses, derived from {@linkcode losses}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LossName, lossNames } from "@fullmatrix/backprop";
 * const loss: LossName = "cross-entropy";
 * assert.ok(lossNames.includes(loss));
 * ```
 */
export type LossName = keyof typeof losses;

/**
 * Every loss name, in registry order (for a command line's choices and help).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lossNames } from "@fullmatrix/backprop";
 * assert.deepEqual(lossNames, ["quadratic", "cross-entropy"]);
 * ```
 */
export const lossNames: readonly LossName[] = Object.keys(losses) as LossName[];

/**
 * The output activations `loss` pairs with, or `"any"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lossOutputs } from "@fullmatrix/backprop";
 * assert.deepEqual(lossOutputs("cross-entropy"), ["softmax", "sigmoid"]);
 * assert.equal(lossOutputs("quadratic"), "any");
 * ```
 */
export function lossOutputs(loss: LossName): readonly ActivationName[] | "any" {
  const e: LossEntry = checkedEntry(loss);
  return "any" in e ? "any" : Object.keys(e) as ActivationName[];
}

/**
 * The loss `loss` over an output layer with activation `output`, or a `RangeError`
 * naming a pairing the registry does not list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lossFor } from "@fullmatrix/backprop";
 * assert.throws(() => lossFor("cross-entropy", "identity"), /cross-entropy .* identity/);
 * assert.equal(typeof lossFor("cross-entropy", "sigmoid").value, "function");
 * ```
 */
export function lossFor(loss: LossName, output: ActivationName): Loss {
  const e: LossEntry = checkedEntry(loss);
  const found = "any" in e ? e.any : Object.hasOwn(e, output) ? e[output] : undefined;
  if (!found) {
    throw new RangeError(
      `loss ${loss} does not pair with ${output} outputs; it needs ${
        (lossOutputs(loss) as ActivationName[]).join(" or ")
      }`,
    );
  }
  return found;
}

function checkedEntry(loss: LossName): LossEntry {
  if (typeof loss !== "string" || !Object.hasOwn(losses, loss)) {
    throw new RangeError(
      `unknown loss ${JSON.stringify(loss)}; expected one of ${lossNames.join(", ")}`,
    );
  }
  return losses[loss];
}
