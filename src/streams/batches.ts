/**
 * The batch stream: `M` samples in, one mini-batch out, samples as columns.
 *
 * @module
 */

import type { FloatArray, Matrix } from "../matrix.ts";
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
  let x: Matrix | undefined, y: Matrix | undefined, count = 0;
  return new TransformStream<Sample, Batch>({
    transform(sample, controller) {
      x ??= matrixFor(sample.x, size);
      y ??= matrixFor(sample.y, size);
      // Sources may reuse their buffers, so the values are copied now, straight into place.
      putColumn(x, count, sample.x, "x");
      putColumn(y, count, sample.y, "y");
      if (++count === size) {
        controller.enqueue({ x, y });
        [x, y, count] = [undefined, undefined, 0];
      }
    },
    flush(controller) {
      if (count > 0) controller.enqueue({ x: firstColumns(x!, count), y: firstColumns(y!, count) });
    },
  });
}

function matrixFor(v: FloatArray, cols: number): Matrix {
  return {
    rows: v.length,
    cols,
    data: new (v instanceof Float64Array ? Float64Array : Float32Array)(v.length * cols),
  };
}

function putColumn(m: Matrix, j: number, v: FloatArray, name: string): void {
  if (v.length !== m.rows) {
    throw new RangeError(`batches: sample ${j} has ${v.length} ${name} values, expected ${m.rows}`);
  }
  const { cols, data } = m;
  for (let i = 0; i < v.length; i++) data[i * cols + j] = v[i];
}

/** The first `n` columns of `m`, as a new `rows × n` matrix. */
function firstColumns(m: Matrix, n: number): Matrix {
  const out = matrixFor(m.data.subarray(0, m.rows), n);
  for (let i = 0; i < m.rows; i++) out.data.set(m.data.subarray(i * m.cols, i * m.cols + n), i * n);
  return out;
}

/**
 * Lays samples out as columns of two matrices.
 *
 * @example
 * ```ts
 * import { toBatch } from "./batches.ts";
 * const b = toBatch([{ x: new Float32Array([1, 2]), y: new Float32Array([3]) }]);
 * console.assert(b.x.rows === 2 && b.x.cols === 1);
 * ```
 */
export function toBatch(samples: readonly Sample[]): Batch {
  const x = matrixFor(samples[0].x, samples.length), y = matrixFor(samples[0].y, samples.length);
  samples.forEach((s, j) => {
    putColumn(x, j, s.x, "x");
    putColumn(y, j, s.y, "y");
  });
  return { x, y };
}
