/**
 * Sample blocks: readers put many samples in one typed array and hand out views of it, one
 * allocation per block instead of two per sample. A block is bounded so that one kept view
 * pins little memory.
 *
 * @module
 */

import type { DType, FloatArray } from "../kernels/types.ts";

/** Elements per sample block: 256 KiB of float32. */
const BLOCK_ELEMENTS = 1 << 16;

/** How many samples of `stride` elements a block holds: at least one. */
export function blockRows(stride: number): number {
  return Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(stride, 1)));
}

/** A zeroed array of `length` elements of `dtype`. */
export function floats(dtype: DType, length: number): FloatArray {
  return dtype === "float64" ? new Float64Array(length) : new Float32Array(length);
}
