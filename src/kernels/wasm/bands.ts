/**
 * How a product is cut into bands for several threads, and what a job is.
 *
 * `C` is cut into contiguous *bands*, of rows or of columns, one per thread at
 * most. Each element of `C` is still summed by one thread in the same order
 * and in the same kind of tile as when one thread does it all, so the result
 * is bit-identical whatever the thread count and whoever runs which band.
 * Column bands start at multiples of {@linkcode COLUMN_BYTES} for that reason.
 *
 * {@linkcode bandJob} also runs inside the workers, whose source is its text
 * (see `worker_source.ts`): it may use its parameters, `COLUMN_BYTES` and
 * globals, and nothing else.
 *
 * @module
 */

import { PACK_BYTES_PER_K } from "./gemm.ts";

/**
 * A product in the module's terms: pointers and strides in bytes, sizes in
 * elements. The fields are Int32s so that a job fits a shared control block;
 * an offset past 2 GiB reads back negative, which is the same i32 to wasm.
 */
export interface GemmJob {
  /** 1 for float64, 0 for float32: the index of the precision's `gemm`. */
  f64: number;
  /** Rows of `C`. */
  m: number;
  /** Columns of `C`. */
  n: number;
  /** The dimension summed over. */
  k: number;
  /** Where `A(0, 0)` is. */
  pa: number;
  /** From `A(i, p)` to `A(i + 1, p)`. */
  sai: number;
  /** From `A(i, p)` to `A(i, p + 1)`. */
  sap: number;
  /** Where `B(0, 0)` is. */
  pb: number;
  /** From `B(p, j)` to `B(p + 1, j)`. */
  sbp: number;
  /** From `B(p, j)` to `B(p, j + 1)`: one element unless `B` must be packed. */
  sbj: number;
  /** Where `C(0, 0)` is. */
  pc: number;
  /** From one row of `C` to the next. */
  ldc: number;
  /** 1 to add to `C` rather than overwrite it. */
  acc: number;
  /** `k` per call of `gemm`: all of `k`, or what the packing scratch holds when `B` is packed. */
  chunk: number;
}

/**
 * Column bands start at multiples of this many bytes of a row of `C`: whole
 * full-width tiles, so that every column lands in the same kind of tile
 * (vector or scalar, which may round differently) as when one thread does it
 * all, and at least a cache line, so that threads do not write the same line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COLUMN_BYTES } from "./bands.ts";
 * assert.ok(COLUMN_BYTES >= 64);
 * ```
 */
export const COLUMN_BYTES: number = Math.ceil(64 / PACK_BYTES_PER_K) * PACK_BYTES_PER_K;

/** How a product is cut: into `bands` bands of columns (`byColumns`) or of rows. */
export interface Split {
  /** Bands, two or more. */
  bands: number;
  /** Whether the bands are columns of `C`, else rows. */
  byColumns: boolean;
}

/**
 * The bands `job` is cut into on `threads` threads, or `undefined` when it is
 * better run whole on the caller: below `minWork` multiply-adds, or when `C`
 * has too few rows and columns to give two threads a band each.
 *
 * `δ·Aᵀ` (whose `B` is packed) is cut by columns, so that each thread packs
 * only its own panels of `B`; the others by whichever of rows and column units
 * gives more tiles (a tile is 6 rows by one column unit).
 *
 * @example A 128×64 product on two threads
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitJob } from "./bands.ts";
 * const job = {
 *   f64: 0, m: 128, n: 64, k: 784, pa: 0, sai: 3136, sap: 4, pb: 0, sbp: 256, sbj: 4,
 *   pc: 0, ldc: 256, acc: 0, chunk: 784,
 * };
 * assert.deepEqual(splitJob(job, 2, 1000), { bands: 2, byColumns: false });
 * assert.equal(splitJob(job, 2, 128 * 64 * 784 + 1), undefined);
 * ```
 */
export function splitJob(job: GemmJob, threads: number, minWork: number): Split | undefined {
  if (threads < 2 || job.m * job.n * job.k < minWork) return undefined;
  const elementBytes = job.f64 ? 8 : 4;
  const columnUnits = Math.ceil(job.n / (COLUMN_BYTES / elementBytes));
  const byColumns = job.sbj !== elementBytes || columnUnits * 6 >= job.m;
  const bands = Math.min(threads, byColumns ? columnUnits : job.m);
  return bands < 2 ? undefined : { bands, byColumns };
}

/**
 * Band `band` of `bands` of `job`: a contiguous share of its rows, or of its
 * columns in units of {@linkcode COLUMN_BYTES}, as a job of its own.
 *
 * @example The second half of the rows of a 4×2 `C`
 * ```ts
 * import assert from "node:assert/strict";
 * import { bandJob } from "./bands.ts";
 * const job = {
 *   f64: 0, m: 4, n: 2, k: 3, pa: 0, sai: 12, sap: 4, pb: 64, sbp: 8, sbj: 4,
 *   pc: 128, ldc: 8, acc: 0, chunk: 3,
 * };
 * const half = bandJob(job, 1, 2, false);
 * assert.deepEqual([half.m, half.pa, half.pc], [2, 24, 144]);
 * ```
 */
export function bandJob(job: GemmJob, band: number, bands: number, byColumns: boolean): GemmJob {
  const bytes = job.f64 ? 8 : 4, unit = byColumns ? COLUMN_BYTES / bytes : 1;
  const total = byColumns ? job.n : job.m, units = Math.ceil(total / unit);
  const start = (b: number) => Math.min(total, Math.floor((units * b) / bands) * unit);
  const from = start(band), size = start(band + 1) - from;
  return byColumns
    ? { ...job, n: size, pb: job.pb + from * job.sbj, pc: job.pc + from * bytes }
    : { ...job, m: size, pa: job.pa + from * job.sai, pc: job.pc + from * job.ldc };
}
