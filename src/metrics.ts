/**
 * Classification metrics on network outputs: predicted classes and right answers.
 *
 * @module
 */

import type { Matrix } from "./matrix.ts";

/**
 * Whether targets are one-hot classes unless told otherwise: the one default that
 * {@linkcode TrainStream}, {@linkcode train} and {@linkcode evaluate} share.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLASSIFICATION_DEFAULT } from "./metrics.ts";
 * assert.equal(CLASSIFICATION_DEFAULT, true);
 * ```
 */
export const CLASSIFICATION_DEFAULT = true;

/**
 * The predicted class of each column: the row of its largest value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { argmaxColumns, fromRows } from "@fullmatrix/backprop";
 * assert.ok(argmaxColumns(fromRows([[0.1, 0.9], [0.9, 0.1]]))[0] === 1);
 * ```
 */
export function argmaxColumns(a: Matrix): Int32Array {
  const out = new Int32Array(a.cols);
  for (let j = 0; j < a.cols; j++) {
    let best = 0;
    for (let i = 1; i < a.rows; i++) {
      if (a.data[i * a.cols + j] > a.data[best * a.cols + j]) best = i;
    }
    out[j] = best;
  }
  return out;
}

/**
 * How many columns of `a` have their largest value in the row where `y` has its largest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countCorrect, fromRows } from "@fullmatrix/backprop";
 * assert.ok(countCorrect(fromRows([[0.9, 0.2], [0.1, 0.8]]), fromRows([[1, 1], [0, 0]])) === 1);
 * ```
 */
export function countCorrect(a: Matrix, y: Matrix): number {
  const predicted = argmaxColumns(a), actual = argmaxColumns(y);
  let n = 0;
  for (let j = 0; j < predicted.length; j++) if (predicted[j] === actual[j]) n++;
  return n;
}
