/**
 * One training example as it flows through the streams before batching.
 *
 * @module
 */

import type { FloatArray } from "../kernels/types.ts";

/**
 * A sample: its feature vector `x` (length `N0`) and target vector `y` (length
 * `NL`: one-hot for classes, the values for regression). Sources may hand out
 * views into a shared block; consumers copy what they keep.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Sample } from "@fullmatrix/backprop";
 * const s: Sample = { x: new Float32Array([0.5, 1]), y: new Float32Array([0, 1]) };
 * assert.equal(s.y[1], 1);
 * ```
 */
export interface Sample {
  /** The features. */
  x: FloatArray;
  /** The target. */
  y: FloatArray;
  /**
   * The class, when the source knows it: the index of the 1 in a one-hot `y` (or, while the
   * classes are still being found, in order of first appearance, with `y` empty). Buffers keep
   * this instead of `y`.
   */
  label?: number;
}
