/**
 * The batch stream: `M` samples in, one mini-batch out, samples as columns.
 *
 * @module
 */

import type { Matrix } from "../matrix.ts";
import type { Sample } from "./sample.ts";

/**
 * A mini-batch: inputs `x` (`N0 × M`) and targets `y` (`NL × M`), sample `j` in column `j`.
 *
 * @example
 * ```ts
 * import { type Batch, fromRows } from "@fullmatrix/backprop";
 * const b: Batch = { x: fromRows([[1, 2]]), y: fromRows([[0, 1]]) }; // two samples
 * console.assert(b.x.cols === 2);
 * ```
 */
export interface Batch {
  /** Inputs, one sample per column. */
  x: Matrix;
  /** Targets, one sample per column. */
  y: Matrix;
}

/**
 * A stream that gathers `size` samples into a {@linkcode Batch}. A short last
 * batch is emitted as it is (its `M` is its own sample count, so its loss is
 * averaged over the samples it has). Each batch is new storage the consumer may keep.
 *
 * @example
 * ```ts
 * import { batches, type Sample } from "@fullmatrix/backprop";
 * const samples: Sample[] = [0, 1, 2].map((v) => ({ x: new Float32Array([v]), y: new Float32Array([1]) }));
 * const out = await Array.fromAsync(ReadableStream.from(samples).pipeThrough(batches(2)));
 * console.assert(out.length === 2 && out[1].x.cols === 1);
 * ```
 */
export function batches(size: number): TransformStream<Sample, Batch> {
  if (!(Number.isInteger(size) && size > 0)) {
    throw new RangeError(`batches: size must be a positive integer, got ${size}`);
  }
  let pending: Sample[] = [];
  return new TransformStream<Sample, Batch>({
    transform(sample, controller) {
      // Sources may reuse their buffers, so the values are copied now, not at batch time.
      pending.push({ x: sample.x.slice(), y: sample.y.slice() });
      if (pending.length === size) {
        controller.enqueue(toBatch(pending));
        pending = [];
      }
    },
    flush(controller) {
      if (pending.length > 0) controller.enqueue(toBatch(pending));
    },
  });
}

/**
 * Lays samples out as columns of two matrices.
 *
 * @example
 * ```ts
 * import { toBatch } from "@fullmatrix/backprop";
 * const b = toBatch([{ x: new Float32Array([1, 2]), y: new Float32Array([3]) }]);
 * console.assert(b.x.rows === 2 && b.x.cols === 1);
 * ```
 */
export function toBatch(samples: readonly Sample[]): Batch {
  return { x: columns(samples.map((s) => s.x)), y: columns(samples.map((s) => s.y)) };
}

function columns(vectors: readonly Sample["x"][]): Matrix {
  const m = vectors.length, rows = vectors[0].length;
  const data = new (vectors[0] instanceof Float64Array ? Float64Array : Float32Array)(rows * m);
  vectors.forEach((v, j) => {
    if (v.length !== rows) {
      throw new RangeError(`batches: sample ${j} has ${v.length} values, expected ${rows}`);
    }
    for (let i = 0; i < rows; i++) data[i * m + j] = v[i];
  });
  return { rows, cols: m, data };
}
