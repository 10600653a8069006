/**
 * The batch stream: `M` samples in, one mini-batch out, samples as columns.
 *
 * @module
 */

import type { FloatArray, Matrix } from "../matrix.ts";
import type { Sample } from "./sample.ts";
import { dtypeOfArray, floats } from "./_blocks.ts";

/**
 * A mini-batch: inputs `x` (`N0 × M`) and targets `y` (`NL × M`), sample `j` in column `j`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Batch, fromRows } from "@fullmatrix/backprop";
 * const b: Batch = { x: fromRows([[1, 2]]), y: fromRows([[0, 1]]) }; // two samples
 * assert.equal(b.x.cols, 2);
 * ```
 */
export interface Batch {
  /** Inputs, one sample per column. */
  x: Matrix;
  /** Targets, one sample per column. */
  y: Matrix;
  /** Writes the inputs where a consumer wants them, without making `x`; optional. */
  inputs?: InputWriter;
}

/**
 * A batch's inputs, written into storage its consumer owns (a network's workspace), in the
 * layout the consumer reads fastest, instead of copied out of `x`. Batches from
 * {@linkcode SampleCache.batches} have one: they gather the samples straight from the cache,
 * and make `x` only if it is read; those of {@linkcode batches} from their own copy of the
 * samples. A network on `blas` takes them as rows: a stream's epoch through `train` ran
 * 147–181k samples/s on A and 107–124k on B, against 115–132k and 85–103k through `x`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SampleCache } from "@fullmatrix/backprop";
 * const cache = new SampleCache();
 * for (const v of [1, 2]) cache.add({ x: new Float32Array([v, 10 * v]), y: new Float32Array([1]) });
 * const [batch] = await Array.fromAsync(cache.batches(2));
 * const rows = new Float32Array(4);
 * batch.inputs!.write(rows, "rows");
 * assert.deepEqual([...rows], [1, 10, 2, 20]); // sample by sample
 * assert.deepEqual([...batch.x.data], [1, 2, 10, 20]); // x: one sample per column
 * ```
 */
export interface InputWriter {
  /** Values per sample: `x.rows`. */
  readonly features: number;
  /**
   * Writes the `features × M` values of `x` into `out`: as `x` lays them out (`"columns"`), or
   * one sample after another (`"rows"`, `M × features`).
   */
  write(out: FloatArray, layout: "columns" | "rows"): void;
}

/**
 * A stream that gathers `size` samples into a {@linkcode Batch}. A short last
 * batch is emitted as it is (its `M` is its own sample count, so its loss is
 * averaged over the samples it has). Each batch is new storage the consumer may keep; it
 * carries an {@linkcode InputWriter}, and makes `x` when it is first read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batches, type Sample } from "@fullmatrix/backprop";
 * const samples: Sample[] = [0, 1, 2].map((v) => ({ x: new Float32Array([v]), y: new Float32Array([1]) }));
 * const out = await Array.fromAsync(ReadableStream.from(samples).pipeThrough(batches(2)));
 * assert.equal(out.length, 2);
 * assert.equal(out[1].x.cols, 1);
 * ```
 */
export function batches(size: number): TransformStream<Sample, Batch> {
  if (!(Number.isInteger(size) && size > 0)) {
    throw new RangeError(`batches: size must be a positive integer, got ${size}`);
  }
  // Sources may reuse their buffers, so each sample is copied at once, whole, into a row of the
  // batch's own staging rows; the batch then hands out its inputs gathered from those rows as a
  // consumer reads them (a network on `blas` takes them as rows, one copy), and makes `x`, laid
  // out as columns by the tiled gather, only if it is read. On B's 784 × 64 the gather took
  // 60 µs a batch, where writing each sample as a strided column took 174 µs.
  const order = Uint32Array.from({ length: size }, (_, j) => j);
  let rows: { x: FloatArray; y: FloatArray } | undefined, count = 0;
  const emit = (n: number): Batch => {
    const { x, y } = rows!;
    const out = matrixFor(y.subarray(0, y.length / size), n);
    gatherColumns(out, y, order, 0);
    rows = undefined;
    const take = (length: number) => floats(dtypeOfArray(x), length);
    return new RowsBatch(x, x.length / size, order, 0, out, take);
  };
  return new TransformStream<Sample, Batch>({
    transform(sample, controller) {
      rows ??= {
        x: floats(dtypeOfArray(sample.x), sample.x.length * size),
        y: floats(dtypeOfArray(sample.y), sample.y.length * size),
      };
      putRow(rows.x, count, sample.x, "x", size);
      putRow(rows.y, count, sample.y, "y", size);
      if (++count === size) {
        controller.enqueue(emit(size));
        count = 0;
      }
    },
    flush(controller) {
      if (count > 0) controller.enqueue(emit(count));
    },
  });
}

/**
 * A batch whose inputs are rows `order[from…]` of `rows` (`features` values each), gathered on
 * demand: into a consumer's storage by `inputs.write`, or into `x`, in an array of `take` made
 * the first time it is read. The batches of {@linkcode batches} (from their own staging rows)
 * and of `SampleCache.batches` (from the cache's rows, in a shuffled order) are such.
 */
export class RowsBatch implements Batch {
  readonly y: Matrix;
  readonly inputs: InputWriter;
  #x?: Matrix;
  readonly #rows: FloatArray;
  readonly #order: ArrayLike<number>;
  readonly #from: number;
  readonly #take: (length: number) => FloatArray;

  constructor(
    rows: FloatArray,
    features: number,
    order: ArrayLike<number>,
    from: number,
    y: Matrix,
    take: (length: number) => FloatArray,
  ) {
    [this.#rows, this.#order, this.#from, this.y, this.#take] = [rows, order, from, y, take];
    this.inputs = { features, write: (out, layout) => this.#write(out, layout) };
  }

  get x(): Matrix {
    if (!this.#x) {
      const nx = this.inputs.features, m = this.y.cols;
      this.#x = { rows: nx, cols: m, data: this.#take(nx * m) };
      gatherColumns(this.#x, this.#rows, this.#order, this.#from);
    }
    return this.#x;
  }

  #write(out: FloatArray, layout: "columns" | "rows"): void {
    const nx = this.inputs.features, m = this.y.cols;
    if (out.length !== nx * m) {
      throw new RangeError(`batch: ${out.length} values to write, the inputs are ${nx}×${m}`);
    }
    if (layout === "rows") gatherRows(out, nx, this.#rows, this.#order, this.#from, m);
    else if (this.#x) out.set(this.#x.data); // read already: a copy
    else gatherColumns({ rows: nx, cols: m, data: out }, this.#rows, this.#order, this.#from);
  }
}

/** Copies `v` into row `j` of `rows` (rows of `rows.length / size` values). */
function putRow(rows: FloatArray, j: number, v: FloatArray, name: string, size: number): void {
  const n = rows.length / size;
  if (v.length !== n) {
    throw new RangeError(`batches: sample ${j} has ${v.length} ${name} values, expected ${n}`);
  }
  rows.set(v, j * n);
}

function matrixFor(v: FloatArray, cols: number): Matrix {
  return {
    rows: v.length,
    cols,
    data: floats(dtypeOfArray(v), v.length * cols),
  };
}

function putColumn(m: Matrix, j: number, v: FloatArray, name: string): void {
  if (v.length !== m.rows) {
    throw new RangeError(`batches: sample ${j} has ${v.length} ${name} values, expected ${m.rows}`);
  }
  const { cols, data } = m;
  for (let i = 0; i < v.length; i++) data[i * cols + j] = v[i];
}

/**
 * Lays samples out as columns of two matrices, one strided column write per sample: the plain
 * layout, and the reference {@linkcode gatherColumns} is tested against.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toBatch } from "./batches.ts";
 * const b = toBatch([{ x: new Float32Array([1, 2]), y: new Float32Array([3]) }]);
 * assert.equal(b.x.rows, 2);
 * assert.equal(b.x.cols, 1);
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

/**
 * Sets column `j` of `out` to row `order[from + j]` of `rows` (rows of `out.rows` values), for
 * every column. Samples go in tiles of 8, each row of the tile written as 8 adjacent values:
 * on Fashion's 784 × 64 the copy took 42 µs against 95 µs one column at a time, where the
 * loop's own cost was the bound; tiles of rows × samples with a loop over both took 80-160 µs.
 */
export function gatherColumns(
  out: Matrix,
  rows: FloatArray,
  order: ArrayLike<number>,
  from: number,
): void {
  let j = 0;
  for (; j + 8 <= out.cols; j += 8) gather8(out, rows, order, from + j, j);
  for (; j + 2 <= out.cols; j += 2) gather2(out, rows, order, from + j, j);
  if (j < out.cols) gather1(out, rows, order[from + j] * out.rows, j);
}

/** Columns `j…` of `out` from rows `order[k…]` of `rows`, a few at a time. */
type GatherTile = (
  out: Matrix,
  rows: FloatArray,
  order: ArrayLike<number>,
  k: number,
  j: number,
) => void;

/** Columns `j..j+7` of `out` from rows `order[k..k+7]`, unrolled: 8 offsets stay in registers. */
const gather8: GatherTile = (out, rows, order, k, j) => {
  const { rows: n, cols, data } = out;
  const r0 = order[k] * n, r1 = order[k + 1] * n, r2 = order[k + 2] * n, r3 = order[k + 3] * n;
  const r4 = order[k + 4] * n, r5 = order[k + 5] * n, r6 = order[k + 6] * n, r7 = order[k + 7] * n;
  for (let i = 0, o = j; i < n; i++, o += cols) {
    data[o] = rows[r0 + i], data[o + 1] = rows[r1 + i];
    data[o + 2] = rows[r2 + i], data[o + 3] = rows[r3 + i];
    data[o + 4] = rows[r4 + i], data[o + 5] = rows[r5 + i];
    data[o + 6] = rows[r6 + i], data[o + 7] = rows[r7 + i];
  }
};

/**
 * Columns `j, j+1` of `out` from rows `order[k], order[k+1]`: the tail of a batch that is not a
 * multiple of 8. On A's batches of 10 the two columns took 45% of the gather one at a time
 * (`gather1`: 90 ms of 256 in four epochs), where a pair costs about what a column does.
 */
const gather2: GatherTile = (out, rows, order, k, j) => {
  const { rows: n, cols, data } = out;
  const r0 = order[k] * n, r1 = order[k + 1] * n;
  for (let i = 0, o = j; i < n; i++, o += cols) data[o] = rows[r0 + i], data[o + 1] = rows[r1 + i];
};

/**
 * Sets row `j` of `out` (rows of `n` values) to row `order[from + j]` of `rows`, for `count`
 * rows: one contiguous copy per sample. Random rows of a large cache are memory-bound either
 * way: on Fashion (784 values) this took what {@linkcode gatherColumns} took, 60–65 ms an epoch.
 */
export function gatherRows(
  out: FloatArray,
  n: number,
  rows: FloatArray,
  order: ArrayLike<number>,
  from: number,
  count: number,
): void {
  for (let j = 0; j < count; j++) {
    const r = order[from + j] * n;
    out.set(rows.subarray(r, r + n), j * n);
  }
}

/** Column `j` of `out` from the row that starts at `r`. */
function gather1(out: Matrix, rows: FloatArray, r: number, j: number): void {
  const { rows: n, cols, data } = out;
  for (let i = 0, o = j; i < n; i++, o += cols) data[o] = rows[r + i];
}

/**
 * Sets column `j` of the zeroed `out` to the one-hot vector of class `labels[order[from + j]]`:
 * one write per column instead of copying `out.rows` values from a shared vector. A class
 * outside `0..rows-1` leaves its column zero, as the shared vector's out-of-range write did.
 */
export function oneHotColumns(
  out: Matrix,
  labels: Int32Array,
  order: ArrayLike<number>,
  from: number,
): void {
  const { rows, cols, data } = out;
  for (let j = 0; j < cols; j++) {
    const c = labels[order[from + j]];
    if (c >= 0 && c < rows) data[c * cols + j] = 1;
  }
}
