/**
 * The code of a threaded product, which runs both in the workers and on the calling thread.
 *
 * A threaded product is a *job* written into a control block of Int32s in a
 * `SharedArrayBuffer`: the operands as the module's `gemm` takes them, and the
 * number of *bands* (contiguous rows, or columns, of `C`) it is cut into. Each
 * thread, the caller included, claims bands from an atomic counter until none is
 * left, runs them, and counts them done; the caller then waits for the count.
 * Claiming rather than assigning bands means that a worker that is asleep,
 * still starting, or gone leaves its band to the caller: a product never waits
 * for a worker that has not started on it.
 *
 * The worker is made from source text, so that no file has to be read and the
 * library needs no permission: {@linkcode workerSource} joins the text of the
 * functions here. Each of them must therefore be self-contained: it may use its
 * parameters, the other functions of the worker, {@linkcode Control} and
 * globals, and nothing imported. The caller runs the very same functions, so a
 * band gives the same bits whichever thread runs it. (A bundler that renames
 * `Control` would break the worker; the functions themselves are joined under
 * whatever names they have.)
 *
 * @module
 */

import { PACK_BYTES_PER_K } from "./gemm.ts";
import type { PrecisionExports } from "./module.ts";

export type { PrecisionExports };

/** The module's product of one precision (see `gemm.ts`). */
export type Gemm = PrecisionExports["gemm"];

/**
 * A product in the module's terms: pointers and strides in bytes, sizes in
 * elements. The fields are Int32s so that a job fits the control block; an
 * offset past 2 GiB reads back negative, which is the same i32 to wasm.
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

/** The fields of a job in the control block, in order. */
const JOB_FIELDS = [
  "f64",
  "m",
  "n",
  "k",
  "pa",
  "sai",
  "sap",
  "pb",
  "sbp",
  "sbj",
  "pc",
  "ldc",
  "acc",
  "chunk",
] as const satisfies readonly (keyof GemmJob)[];

/**
 * The layout of the control block (Int32 indices) and the constants the worker needs.
 *
 * @example The block a pool allocates
 * ```ts
 * import { Control } from "./worker_source.ts";
 * const control = new Int32Array(new SharedArrayBuffer(Control.ints * 4));
 * console.assert(control.length === Control.job + Control.fields.length);
 * ```
 */
export const Control = {
  /** Bumped once per job, and once to stop: what idle workers watch. */
  seq: 0,
  /** Set when the workers are to return. */
  stop: 1,
  /** Bands not yet claimed; claims count it down, so a claim on a finished job finds it `≤ 0`. */
  left: 2,
  /** Bands finished. */
  done: 3,
  /** Set when a band threw. */
  failed: 4,
  /** Bands in the job. */
  bands: 5,
  /** 1 when the bands are columns of `C`, 0 when rows. */
  byColumns: 6,
  /** The job's fields, in the order of {@linkcode Control.fields}, from this index on. */
  job: 7,
  fields: JOB_FIELDS,
  /** Int32s in the block. */
  ints: 7 + JOB_FIELDS.length,
  /**
   * Column bands start at multiples of this many bytes of a row of `C`: whole
   * full-width tiles, so that every column lands in the same kind of tile
   * (vector or scalar, which may round differently) as when one thread does it
   * all, and at least a cache line, so that threads do not write the same line.
   */
  columnBytes: Math.ceil(64 / PACK_BYTES_PER_K) * PACK_BYTES_PER_K,
};

/**
 * Runs `job` with `gemm`, packing into `scratch` when it must; `k` goes in
 * chunks of `job.chunk` that accumulate.
 *
 * @example `C = A·B` for 1×1 matrices at byte offsets 0, 4 and 8
 * ```ts
 * import { runGemm } from "./worker_source.ts";
 * const gemm = (...args: number[]) => console.assert(args[2] === 1 && args[11] === 0);
 * runGemm(gemm, {
 *   f64: 0, m: 1, n: 1, k: 1, pa: 0, sai: 4, sap: 4, pb: 4, sbp: 4, sbj: 4,
 *   pc: 8, ldc: 4, acc: 0, chunk: 1,
 * }, 0);
 * ```
 */
export function runGemm(gemm: Gemm, job: GemmJob, scratch: number): void {
  const { m, n, k, pa, sai, sap, pb, sbp, sbj, pc, ldc, acc, chunk } = job;
  let p = 0;
  do {
    const kc = Math.min(chunk, k - p), add = +(acc !== 0 || p > 0);
    gemm(m, n, kc, pa + p * sap, sai, sap, pb + p * sbp, sbp, sbj, pc, ldc, add, scratch);
    p += chunk;
  } while (p < k);
}

/**
 * Band `band` of `bands` of `job`: a contiguous share of its rows, or of its
 * columns in units of {@linkcode Control.columnBytes}, as a job of its own.
 *
 * @example The second half of the rows of a 4×2 `C`
 * ```ts
 * import { bandJob } from "./worker_source.ts";
 * const job = {
 *   f64: 0, m: 4, n: 2, k: 3, pa: 0, sai: 12, sap: 4, pb: 64, sbp: 8, sbj: 4,
 *   pc: 128, ldc: 8, acc: 0, chunk: 3,
 * };
 * const half = bandJob(job, 1, 2, false);
 * console.assert(half.m === 2 && half.pa === 24 && half.pc === 144);
 * ```
 */
export function bandJob(job: GemmJob, band: number, bands: number, byColumns: boolean): GemmJob {
  const bytes = job.f64 ? 8 : 4, unit = byColumns ? Control.columnBytes / bytes : 1;
  const total = byColumns ? job.n : job.m, units = Math.ceil(total / unit);
  const start = (b: number) => Math.min(total, Math.floor((units * b) / bands) * unit);
  const from = start(band), size = start(band + 1) - from;
  return byColumns
    ? { ...job, n: size, pb: job.pb + from * job.sbj, pc: job.pc + from * bytes }
    : { ...job, m: size, pa: job.pa + from * job.sai, pc: job.pc + from * job.ldc };
}

/**
 * The job in the control block.
 *
 * @example
 * ```ts
 * import { Control, readJob } from "./worker_source.ts";
 * const control = new Int32Array(Control.ints);
 * control[Control.job + Control.fields.indexOf("k")] = 7;
 * console.assert(readJob(control).k === 7);
 * ```
 */
export function readJob(control: Int32Array): GemmJob {
  // A plain loop: Object.fromEntries took twice as long, and this runs for every band.
  const job: Record<string, number> = {};
  for (let i = 0; i < Control.fields.length; i++) job[Control.fields[i]] = control[Control.job + i];
  return job as unknown as GemmJob;
}

/**
 * Claims bands of the current job until none is left, runs each with the
 * `gemms` of this thread (`[f32, f64]`) and its `scratch`, and counts it done.
 * A band that throws is marked failed and still counted, so the caller never waits forever.
 *
 * @example With no job posted there is nothing to claim
 * ```ts
 * import { Control, runBands } from "./worker_source.ts";
 * const control = new Int32Array(new SharedArrayBuffer(Control.ints * 4));
 * runBands(control, [], 0);
 * console.assert(control[Control.done] === 0);
 * ```
 */
export function runBands(control: Int32Array, gemms: readonly Gemm[], scratch: number): void {
  for (let left; (left = Atomics.sub(control, Control.left, 1)) > 0;) {
    // A claim that succeeded saw the job opened, after its fields were written.
    try {
      const job = readJob(control), byColumns = control[Control.byColumns] === 1;
      runGemm(gemms[job.f64], bandJob(job, left - 1, control[Control.bands], byColumns), scratch);
    } catch {
      Atomics.store(control, Control.failed, 1);
    }
    Atomics.add(control, Control.done, 1);
    Atomics.notify(control, Control.done);
  }
}

/**
 * Returns once `control[slot]` is no longer `value`, or after a wake-up: spins
 * for `spinMs` first, since waking a sleeping thread costs tens of microseconds
 * and a product of the network's size takes about that long. The caller checks
 * again and calls it again if it must.
 *
 * @example
 * ```ts
 * import { waitWhileEqual } from "./worker_source.ts";
 * const control = new Int32Array(new SharedArrayBuffer(4));
 * waitWhileEqual(control, 0, 1, 0.1);
 * ```
 */
export function waitWhileEqual(
  control: Int32Array,
  slot: number,
  value: number,
  spinMs: number,
): void {
  const until = performance.now() + spinMs;
  while (Atomics.load(control, slot) === value) {
    if (performance.now() > until) {
      Atomics.wait(control, slot, value);
      return;
    }
  }
}

/**
 * The worker's body: on its one message (the compiled module, the shared
 * memory, the control block, the names of the `gemm` exports, its scratch and
 * how long to spin), it instantiates the module over the memory and runs
 * bands of each job until told to stop. It must return then: Deno cannot end
 * a worker that is running JavaScript, and its process then never exits.
 */
function workerMain(): void {
  addEventListener("message", (event) => {
    const { module, memory, control, gemmNames, scratch, spinMs } = (event as MessageEvent).data;
    const { exports } = new WebAssembly.Instance(module, { env: { memory } });
    const gemms = gemmNames.map((name: string) => exports[name]);
    const ints = new Int32Array(control);
    for (let seen = 0; !Atomics.load(ints, Control.stop);) {
      waitWhileEqual(ints, Control.seq, seen, spinMs);
      seen = Atomics.load(ints, Control.seq);
      runBands(ints, gemms, scratch);
    }
  }, { once: true });
}

/**
 * The worker's source: {@linkcode Control} and the functions above as text, then a call of its body.
 *
 * @example
 * ```ts
 * import { workerSource } from "./worker_source.ts";
 * console.assert(workerSource().includes("function runBands("));
 * ```
 */
export function workerSource(): string {
  const functions = [runGemm, bandJob, readJob, runBands, waitWhileEqual];
  return [
    `const Control = ${JSON.stringify(Control)};`,
    ...functions.map(String),
    `(${workerMain})();`,
  ].join("\n");
}
