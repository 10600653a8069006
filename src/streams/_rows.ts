/**
 * Samples kept in flat typed arrays, one row each: the storage of the shuffle buffer and of the
 * sample cache. A sample with a class keeps its index, not its one-hot `y`, so `n` samples of
 * `k` classes take `n` integers rather than `n · k` floats.
 *
 * @module
 */

import type { DType, FloatArray } from "../kernels/types.ts";
import { type Batch, gatherColumns, oneHotColumns, RowsBatch } from "./batches.ts";
import { dtypeOfArray, floats, type Slab } from "./_blocks.ts";
import { OneHot } from "./_one_hot.ts";
import type { Sample } from "./sample.ts";

/** Typed-array rows of samples that all have the lengths, element type and kind of the first. */
export class SampleRows {
  readonly nx: number;
  /** The length of `y`: the class count for samples with a class. */
  ny: number;
  x: FloatArray;
  /** Regression targets (or one-hot vectors given without a class), when not classes. */
  y: FloatArray;
  /** Classes, when the samples have them. */
  labels: Int32Array | null;
  #oneHot: OneHot | null;

  constructor(
    nx: number,
    ny: number,
    rows: number,
    dtype: "float32" | "float64",
    classes: boolean,
  ) {
    this.nx = nx;
    this.ny = ny;
    this.x = floats(dtype, rows * nx);
    this.labels = classes ? new Int32Array(rows) : null;
    this.y = floats(dtype, classes ? 0 : rows * ny);
    this.#oneHot = classes && ny > 0 ? new OneHot(ny, dtype) : null;
  }

  /**
   * Room for the `count` images of an IDX header and their classes, on SharedArrayBuffers when
   * `shared` (for a worker to fill); none when they would take more than `limitBytes`.
   */
  static forImages(
    header: { count: number; pixels: number; classes: number; dtype: DType },
    limitBytes: number,
    shared: boolean,
  ): SampleRows | undefined {
    const { count, pixels, classes, dtype } = header;
    const rows = new SampleRows(pixels, classes, 0, dtype, true);
    if (count > SampleRows.most(rows.bytesPerRow, limitBytes)) return undefined;
    rows.x = floats(dtype, count * pixels, shared);
    rows.labels = shared ? new Int32Array(new SharedArrayBuffer(4 * count)) : new Int32Array(count);
    return rows;
  }

  /**
   * The most rows of `bytesPerRow` bytes that `limitBytes` holds, and 2^32 at most: shuffled
   * orders index samples with 32-bit integers.
   */
  static most(bytesPerRow: number, limitBytes: number): number {
    return Math.min(Math.floor(limitBytes / Math.max(bytesPerRow, 1)), 2 ** 32);
  }

  /** Rows over the arrays of {@linkcode SampleRows.forImages} (filled, or being filled, elsewhere). */
  static overImages(
    x: FloatArray,
    labels: Int32Array,
    pixels: number,
    classes: number,
  ): SampleRows {
    const rows = new SampleRows(pixels, classes, 0, dtypeOfArray(x), true);
    rows.x = x;
    rows.labels = labels;
    return rows;
  }

  /** Room for `rows` samples like `sample`. */
  static like(sample: Sample, rows: number): SampleRows {
    return new SampleRows(
      sample.x.length,
      sample.y.length,
      rows,
      dtypeOfArray(sample.x),
      sample.label !== undefined,
    );
  }

  /** The bytes one sample takes. */
  get bytesPerRow(): number {
    const labels = this.labels ? 4 : this.ny * this.y.BYTES_PER_ELEMENT;
    return this.nx * this.x.BYTES_PER_ELEMENT + labels;
  }

  /** The bytes the arrays take. */
  get bytes(): number {
    return this.x.byteLength + this.y.byteLength + (this.labels?.byteLength ?? 0);
  }

  /** Throws a RangeError naming `who` unless `sample` is like the first. */
  check(sample: Sample, who: string, index?: number): void {
    const classes = this.labels !== null;
    if (
      sample.x.length === this.nx && sample.y.length === this.ny &&
      (sample.label !== undefined) === classes
    ) return;
    const which = index === undefined ? "a sample" : `sample ${index}`;
    const kind = (s: boolean): string => s ? " with a class" : "";
    throw new RangeError(
      `${who}: ${which} of ${sample.x.length} + ${sample.y.length} values${
        kind(sample.label !== undefined)
      }, expected ${this.nx} + ${this.ny}${kind(classes)}`,
    );
  }

  /** Copies `sample` into row `j`. */
  put(j: number, sample: Sample): void {
    this.x.set(sample.x, j * this.nx);
    if (this.labels) this.labels[j] = sample.label!;
    else this.y.set(sample.y, j * this.ny);
  }

  /** Row `j` as views (its one-hot `y` shared by its class): read-only. */
  view(j: number): Sample {
    const { nx, ny } = this;
    const x = this.x.subarray(j * nx, (j + 1) * nx);
    if (!this.labels) return { x, y: this.y.subarray(j * ny, (j + 1) * ny) };
    const label = this.labels[j];
    return { x, y: this.#oneHot ? this.#oneHot.of(label) : this.y, label };
  }

  /**
   * Rows `order[from..to-1]` as a batch in new storage cut from `slab` (the consumer may keep
   * it), built from the flat arrays with no view, sample object or one-hot vector per sample:
   * a Fashion batch of 64 took 65 µs against 131 µs through views and `toBatch`
   * (bench/batches_bench.ts). Its `x` is gathered when first read; a network writes the inputs
   * straight into its own storage through `inputs` instead.
   */
  batch(order: ArrayLike<number>, from: number, to: number, slab: Slab): Batch {
    const m = to - from;
    const y = { rows: this.ny, cols: m, data: slab.take(this.ny * m) };
    if (this.labels) oneHotColumns(y, this.labels, order, from);
    else gatherColumns(y, this.y, order, from);
    return new RowsBatch(this.x, this.nx, order, from, y, (length) => slab.take(length));
  }

  /** Row `j` with its own copy of `x` (and of `y`, unless it is a shared one-hot vector). */
  copy(j: number): Sample {
    const s = this.view(j);
    if (s.label === undefined) return { x: s.x.slice(), y: s.y.slice() };
    return { x: s.x.slice(), y: s.y, label: s.label };
  }

  /** Moves the first `rows` rows into arrays with room for `capacity`. */
  resize(rows: number, capacity: number): void {
    const grow = <T extends FloatArray | Int32Array>(a: T, per: number): T => {
      const out = new (a.constructor as new (n: number) => T)(capacity * per);
      out.set(a.subarray(0, rows * per));
      return out;
    };
    this.x = grow(this.x, this.nx);
    if (this.labels) this.labels = grow(this.labels, 1);
    else this.y = grow(this.y, this.ny);
  }

  /**
   * Sets the classes of the first `rows` rows once they are known: `place[i]` is the class of
   * provisional index `i`, among `classes` classes.
   */
  relabel(rows: number, place: Uint32Array, classes: number): void {
    const labels = this.labels;
    if (!labels) throw new RangeError("SampleCache: relabel needs samples with classes");
    for (let j = 0; j < rows; j++) labels[j] = place[labels[j]];
    this.ny = classes;
    this.#oneHot = new OneHot(classes, dtypeOfArray(this.x));
  }
}
