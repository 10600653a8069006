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

/** The element type of `a`. */
export function dtypeOfArray(a: FloatArray): DType {
  return a instanceof Float64Array ? "float64" : "float32";
}

/** A zeroed array of `length` elements of `dtype`, on a SharedArrayBuffer when `shared`. */
export function floats(dtype: DType, length: number, shared = false): FloatArray {
  if (dtype === "float64") {
    return shared ? new Float64Array(new SharedArrayBuffer(8 * length)) : new Float64Array(length);
  }
  return shared ? new Float32Array(new SharedArrayBuffer(4 * length)) : new Float32Array(length);
}

/** Elements per slab: 1 MiB of float32. */
const SLAB_ELEMENTS = 1 << 18;

/**
 * Zeroed arrays cut from larger ones, one allocation for many: a 31 KB Float32Array (a batch
 * of 10 Fashion images) took 11 µs to allocate, a tenth of that batch's training step, where
 * a cut of a slab costs the slab's share, under 4 µs. Each cut is used once, so it stays
 * zeroed; a kept cut keeps its slab (at most 1 MiB, or the cut itself) alive.
 */
export class Slab {
  readonly #dtype: DType;
  #slab: FloatArray;
  #used = 0;

  constructor(dtype: DType) {
    this.#dtype = dtype;
    this.#slab = floats(dtype, 0);
  }

  /** A zeroed array of `length` elements. */
  take(length: number): FloatArray {
    if (this.#used + length > this.#slab.length) {
      this.#slab = floats(this.#dtype, Math.max(SLAB_ELEMENTS, length));
      this.#used = 0;
    }
    const cut = this.#slab.subarray(this.#used, this.#used + length);
    this.#used += length;
    return cut;
  }
}
