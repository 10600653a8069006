/**
 * One-hot targets from class indices. Readers and buffers keep a sample's class as its index
 * and make `y` only when it is asked for: a buffer of `n` samples of `k` classes then holds
 * `n` indices, not `n · k` floats (100k classes once took 2.5 GB in a shuffle buffer).
 *
 * @module
 */

import type { DType, FloatArray } from "../kernels/types.ts";
import { floats } from "./_blocks.ts";

/** Up to this many classes the vectors are made once and shared (at most 16 MiB of float32). */
const SHARED_CLASSES = 2048;

/**
 * The one-hot vectors of `classes` classes. Up to {@linkcode SHARED_CLASSES} classes a class's
 * vector is made once and shared by every sample of it, so consumers must not write to it (as
 * with any sample view); beyond, each call makes a new one.
 */
export class OneHot {
  /** The number of classes, the length of each vector. */
  readonly classes: number;
  readonly #dtype: DType;
  readonly #shared: (FloatArray | undefined)[] | null;

  /** The vectors of `classes` classes, of element type `dtype`. */
  constructor(classes: number, dtype: DType) {
    this.classes = classes;
    this.#dtype = dtype;
    this.#shared = classes <= SHARED_CLASSES ? [] : null;
  }

  /** The vector of class `id`, which must be in `0..classes-1`. */
  of(id: number): FloatArray {
    const shared = this.#shared;
    let v = shared?.[id];
    if (v === undefined) {
      v = floats(this.#dtype, this.classes);
      v[id] = 1;
      if (shared) shared[id] = v;
    }
    return v;
  }
}
