/**
 * The code of a threaded product, which runs both in the workers and on the calling thread.
 *
 * A threaded product is a *job* (see `bands.ts`) written into a control block
 * of Int32s in a `SharedArrayBuffer`: the operands as the module's `gemm` takes
 * them, and the number of *bands* it is cut into. Each
 * thread, the caller included, claims bands from an atomic counter until none is
 * left, runs them, and counts them done; the caller then waits for the count.
 * Claiming rather than assigning bands means that a worker that is asleep,
 * still starting, or gone leaves its band to the caller: a product never waits
 * for a worker that has not started on it.
 *
 * The worker is made from source text, so that no file has to be read and the
 * library needs no permission: {@linkcode workerSource} joins the text of the
 * functions here and of `bandJob`. Each of them must therefore be
 * self-contained: it may use its parameters, the other functions of the
 * worker, {@linkcode Control}, `COLUMN_BYTES` and globals, and nothing imported. The caller runs the very same functions, so a
 * band gives the same bits whichever thread runs it. (A bundler that renames
 * `Control` or `COLUMN_BYTES` would break the worker; the functions themselves
 * are joined under whatever names they have.)
 *
 * @module
 */

import { bandJob, COLUMN_BYTES, type GemmJob } from "./bands.ts";
import type { PrecisionExports } from "./module.ts";

export type { GemmJob, PrecisionExports };

/** The module's product of one precision (see `gemm.ts`). */
export type Gemm = PrecisionExports["gemm"];

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
 * import assert from "node:assert/strict";
 * import { Control } from "./worker_source.ts";
 * const control = new Int32Array(new SharedArrayBuffer(Control.ints * 4));
 * assert.equal(control.length, Control.message + 1 + Control.messageUnits);
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
  /** Where a worker's error is written, as its length and UTF-16 code units, from this index on. */
  message: 7 + JOB_FIELDS.length,
  /** Code units of an error message that the block keeps. */
  messageUnits: 200,
  /** Int32s in the block. */
  ints: 7 + JOB_FIELDS.length + 1 + 200,
};

/**
 * Runs `job` with `gemm`, packing into `scratch` when it must; `k` goes in
 * chunks of `job.chunk` that accumulate.
 *
 * @example `C = A·B` for 1×1 matrices at byte offsets 0, 4 and 8
 * ```ts
 * import assert from "node:assert/strict";
 * import { runGemm } from "./worker_source.ts";
 * const calls: number[][] = [];
 * const gemm = (...args: number[]) => void calls.push(args);
 * runGemm(gemm, {
 *   f64: 0, m: 1, n: 1, k: 1, pa: 0, sai: 4, sap: 4, pb: 4, sbp: 4, sbj: 4,
 *   pc: 8, ldc: 4, acc: 0, chunk: 1,
 * }, 0);
 * assert.deepEqual(calls, [[1, 1, 1, 0, 4, 4, 4, 4, 4, 8, 4, 0, 0]]);
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
 * The job in the control block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Control, readJob } from "./worker_source.ts";
 * const control = new Int32Array(Control.ints);
 * control[Control.job + Control.fields.indexOf("k")] = 7;
 * assert.equal(readJob(control).k, 7);
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
 * A band that throws is marked failed and still counted, so the caller never
 * waits forever; the first failure of the job writes its error's text into
 * the block (see {@linkcode failureText}), since an error object cannot cross
 * threads through shared memory. Returns the first error thrown on this thread.
 *
 * @example With no job posted there is nothing to claim
 * ```ts
 * import assert from "node:assert/strict";
 * import { Control, runBands } from "./worker_source.ts";
 * const control = new Int32Array(new SharedArrayBuffer(Control.ints * 4));
 * assert.equal(runBands(control, [], 0), undefined);
 * assert.equal(control[Control.done], 0);
 * ```
 */
export function runBands(control: Int32Array, gemms: readonly Gemm[], scratch: number): unknown {
  let failure: unknown;
  for (let left; (left = Atomics.sub(control, Control.left, 1)) > 0;) {
    // A claim that succeeded saw the job opened, after its fields were written.
    try {
      const job = readJob(control), byColumns = control[Control.byColumns] === 1;
      runGemm(gemms[job.f64], bandJob(job, left - 1, control[Control.bands], byColumns), scratch);
    } catch (error) {
      failure ??= error;
      if (Atomics.compareExchange(control, Control.failed, 0, 1) === 0) {
        const text = String(error).slice(0, Control.messageUnits);
        control[Control.message] = text.length;
        for (let i = 0; i < text.length; i++) control[Control.message + 1 + i] = text.charCodeAt(i);
      }
    }
    // Sequentially consistent: the caller that sees the count sees the message too.
    Atomics.add(control, Control.done, 1);
    Atomics.notify(control, Control.done);
  }
  return failure;
}

/**
 * The text of the error that failed the job, as {@linkcode runBands} wrote it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Control, failureText, runBands } from "./worker_source.ts";
 * const control = new Int32Array(new SharedArrayBuffer(Control.ints * 4));
 * control[Control.left] = control[Control.bands] = 1;
 * runBands(control, [() => { throw new RangeError("out of bounds"); }], 0);
 * assert.equal(failureText(control), "RangeError: out of bounds");
 * ```
 */
export function failureText(control: Int32Array): string {
  const units = control.subarray(
    Control.message + 1,
    Control.message + 1 + control[Control.message],
  );
  return String.fromCharCode(...units);
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
 * The worker's source: {@linkcode Control}, `COLUMN_BYTES` and the functions above and
 * `bandJob` as text, then a call of its body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workerSource } from "./worker_source.ts";
 * assert.ok(workerSource().includes("function bandJob("));
 * ```
 */
export function workerSource(): string {
  const functions = [runGemm, bandJob, readJob, runBands, waitWhileEqual];
  return [
    `const Control = ${JSON.stringify(Control)};`,
    `const COLUMN_BYTES = ${COLUMN_BYTES};`,
    ...functions.map(String),
    `(${workerMain})();`,
  ].join("\n");
}
