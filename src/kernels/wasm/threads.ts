/**
 * The three products of backprop on several cores: workers over the kernels' shared memory.
 *
 * At 784-128-64-10 with a batch of 64 a product takes a few hundred
 * microseconds on one core, and a training step is mostly products; a second
 * core halves that if the threads can meet in much less time than a product
 * takes. Waking a sleeping worker (`Atomics.wait`/`notify` or a message) costs
 * about 45 µs; a thread spinning on a shared flag sees it change in under a
 * microsecond. So each worker spins for a while after a product (by default
 * {@linkcode DEFAULT_SPIN_MICROS}) in case another follows, as it does in a
 * training step, and only then sleeps.
 *
 * **Splitting.** `C` is cut into one band per thread, of rows or of columns
 * (`bands.ts`, bit-identical to one thread); the calling thread runs a band
 * too (see `worker_source.ts` for how bands are claimed).
 *
 * **Small products** run on the calling thread: below
 * {@linkcode DEFAULT_MIN_WORK} multiply-adds (`m·n·k`) meeting costs more than
 * the second core saves. On two idle cores (`bench/wasm_threads_bench.ts`) the
 * products of the first 784-128 layer at batch 64 run 1.9× faster, a whole
 * step of 784-128-64-10 1.8–1.9×, and one of 784-30-10 at batch 10 1.3–1.5×.
 *
 * **No permissions.** The worker is made from a blob URL of generated
 * source, and is sent the compiled module and the shared memory in a message:
 * nothing is read from disk or the network.
 *
 * **Lifetime.** Deno's `Worker` has no `unref`, and a live worker keeps the
 * process from exiting: call {@linkcode ThreadedKernels.close} when done. It
 * asks the workers to return before it terminates them: Deno (2.9) cannot end
 * a worker that is spinning or in `Atomics.wait`, and its process then hangs at exit.
 *
 * **Where threads cannot run** the kernels run on the calling thread alone,
 * and {@linkcode ThreadedKernels.threads} says 1: without `Worker` (Node has
 * only `node:worker_threads`, whose workers the browser-shaped worker source
 * does not fit), without `SharedArrayBuffer` or cross-origin isolation (a
 * browser page without COOP/COEP headers), or where `Atomics.wait` is not
 * allowed on the calling thread (a browser's main thread), since the caller
 * sleeps in it while workers finish their bands. This is decided when the
 * kernels are made, never halfway through training.
 *
 * **Errors.** A band that throws on a worker fails the product with the
 * worker's error text as the cause; a worker that fails to start fails the
 * next product with its error as the cause.
 *
 * **Busy machines.** Two threads need two idle cores. When other processes
 * want them too, a worker can be descheduled in the middle of its band, and
 * the caller then waits for it for a time slice (milliseconds): on a loaded
 * machine, `threads: 1` is faster.
 *
 * @module
 */

import {
  type KernelParts,
  kernelParts,
  Kernels,
  type RunGemm,
  runOnCaller,
  type WasmKernels,
} from "./kernels.ts";
import { exportName, kernelModule } from "./module.ts";
import { type GemmJob, splitJob } from "./bands.ts";
import {
  Control,
  failureText,
  type Gemm,
  runBands,
  waitWhileEqual,
  workerSource,
} from "./worker_source.ts";

/**
 * Multiply-adds (`m·n·k`) below which a product runs on the calling thread.
 * Measured on two idle cores, handing half a product to a worker costs about
 * 1.5 µs; two threads break even around 32×32×64 (65,536, some 5 µs on one
 * thread) and gain 1.2–1.5× at 64×64×32 (131,072). Of the network's products,
 * the `10×64` layer's (40,960) stay on one thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MIN_WORK } from "./threads.ts";
 * assert.ok(10 * 64 * 64 < DEFAULT_MIN_WORK && DEFAULT_MIN_WORK <= 64 * 64 * 32);
 * ```
 */
export const DEFAULT_MIN_WORK = 131072;

/**
 * How long a worker spins for the next product before it sleeps, in
 * microseconds: longer than the gaps between the products of a training step.
 * The caller spins as long for the workers' bands.
 *
 * @example Workers that sleep sooner, for a machine shared with other work
 * ```ts
 * import assert from "node:assert/strict";
 * import { createThreadedKernels, DEFAULT_SPIN_MICROS } from "./threads.ts";
 * const wasm = createThreadedKernels({ threads: 2, spinMicros: DEFAULT_SPIN_MICROS / 4 });
 * assert.equal(wasm?.threads, 2);
 * wasm?.close();
 * ```
 */
export const DEFAULT_SPIN_MICROS = 200;

/** Options of {@linkcode createThreadedKernels}. */
export interface ThreadedKernelOptions {
  /** Threads that run products, the caller included (default: 2, or 1 on one core). */
  threads?: number;
  /** Use relaxed SIMD's fused multiply-add where the engine has it (default `true`). */
  relaxed?: boolean;
  /** Bytes of memory to start with; it grows as needed (default 16 MiB). */
  initialBytes?: number;
  /** Multiply-adds below which a product runs on the caller (default {@linkcode DEFAULT_MIN_WORK}). */
  minWork?: number;
  /** How long threads spin before they sleep (default {@linkcode DEFAULT_SPIN_MICROS}). */
  spinMicros?: number;
}

/**
 * {@linkcode WasmKernels} whose products run on several threads. The
 * elementwise kernels, which are bound by memory, stay on the caller.
 */
export interface ThreadedKernels extends WasmKernels {
  /** Threads that run products, the caller included: 1 after {@linkcode ThreadedKernels.close}. */
  readonly threads: number;
  /**
   * Ends the workers. The kernels keep working, on the calling thread alone;
   * a process with workers left open does not exit.
   */
  close(): void;
}

/**
 * Kernels whose products run on `threads` threads, or `undefined` when the
 * engine has no WebAssembly SIMD. Where threads cannot run (see
 * {@linkcode threadsAvailable}), they run on one.
 *
 * @example Same surface as `createWasmKernels`, and `close` when done
 * ```ts
 * import assert from "node:assert/strict";
 * import { createThreadedKernels } from "./threads.ts";
 * const wasm = createThreadedKernels({ threads: 2 });
 * if (wasm) {
 *   const w = wasm.alloc(128 * 784, "float32"), a = wasm.alloc(784 * 64, "float32");
 *   const z = wasm.alloc(128 * 64, "float32");
 *   w.fill(1), a.fill(0.5);
 *   wasm.gemmNN(128, 64, 784, w, a, z);
 *   assert.ok(z.every((x) => x === 392));
 *   wasm.close();
 * }
 * ```
 */
export function createThreadedKernels(
  options: ThreadedKernelOptions = {},
): ThreadedKernels | undefined {
  const threads = threadCount(options.threads);
  const shared = threads > 1 ? true : undefined;
  const parts = kernelParts({
    relaxed: options.relaxed,
    initialBytes: options.initialBytes,
    shared,
  }, threads);
  if (!parts) return undefined;
  const pool = new Pool(parts, {
    minWork: options.minWork ?? DEFAULT_MIN_WORK,
    spinMs: (options.spinMicros ?? DEFAULT_SPIN_MICROS) / 1000,
  });
  return new Threaded(parts, pool);
}

/** The threads to use: as asked (checked), else two where the machine has them; one where threads cannot run. */
function threadCount(asked: number | undefined): number {
  if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1)) {
    throw new RangeError(`threads must be a positive integer, not ${asked}`);
  }
  if (!threadsAvailable()) return 1;
  return asked ?? Math.min(2, navigator.hardwareConcurrency || 1);
}

/**
 * Whether products can be shared with workers here: `Worker` and
 * `SharedArrayBuffer` exist, the context is cross-origin isolated where the
 * runtime has that notion (browsers), and this thread may block in
 * `Atomics.wait` (a browser's main thread may not: it throws).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { threadsAvailable } from "./threads.ts";
 * assert.equal(threadsAvailable(), typeof Worker === "function"); // true in Deno
 * ```
 */
export function threadsAvailable(): boolean {
  if (typeof Worker !== "function" || typeof SharedArrayBuffer !== "function") return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    // Returns "not-equal" at once where waiting is allowed; throws a TypeError where it is not.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false; // the answer is "no": there is nothing to report
  }
}

class Threaded extends Kernels implements ThreadedKernels {
  readonly #pool: Pool;

  constructor(parts: KernelParts, pool: Pool) {
    super(parts, (job) => pool.run(job));
    this.#pool = pool;
  }

  get threads(): number {
    return this.#pool.threads;
  }

  close(): void {
    this.#pool.close();
  }
}

/** How a pool decides and waits. */
interface PoolSettings {
  minWork: number;
  spinMs: number;
}

/** The workers, the control block they watch, and the caller's share of the work. */
class Pool {
  readonly #control: Int32Array;
  readonly #gemms: Gemm[];
  readonly #scratch: number;
  readonly #caller: RunGemm;
  readonly #settings: PoolSettings;
  readonly #workers: Worker[];
  /** The error of a worker that failed outside a band (at start, say): it fails the next product. */
  #lost: unknown;

  constructor(parts: KernelParts, settings: PoolSettings) {
    // Shared only when there are workers: a page without isolation has no SharedArrayBuffer.
    const bytes = Control.ints * 4;
    const shared = parts.scratches.length > 1;
    this.#control = new Int32Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    this.#gemms = [parts.exports.f32.gemm, parts.exports.f64.gemm];
    this.#scratch = parts.scratches[0];
    this.#caller = runOnCaller(parts);
    this.#settings = settings;
    this.#workers = parts.scratches.slice(1).map((scratch) =>
      startWorker(
        parts,
        { control: this.#control.buffer, scratch, spinMs: settings.spinMs },
        (error) => (this.#lost ??= error),
      )
    );
  }

  get threads(): number {
    return this.#workers.length + 1;
  }

  /** Runs `job`: on the caller when it is small, else in bands on every thread. */
  run(job: GemmJob): void {
    if (this.#lost !== undefined) {
      throw new Error("wasm gemm: a worker thread failed", { cause: this.#lost });
    }
    const split = splitJob(job, this.threads, this.#settings.minWork);
    if (!split) return this.#caller(job);
    this.#post(job, split.bands, split.byColumns);
    const own = runBands(this.#control, this.#gemms, this.#scratch);
    this.#awaitBands(split.bands, own);
  }

  /** Stops the workers: they return first, since Deno cannot end a worker that runs JavaScript. */
  close(): void {
    const control = this.#control;
    Atomics.store(control, Control.stop, 1);
    Atomics.add(control, Control.seq, 1);
    Atomics.notify(control, Control.seq);
    for (const worker of this.#workers) worker.terminate();
    this.#workers.length = 0;
  }

  /** Writes `job` into the control block, opens it for claims, and wakes the workers. */
  #post(job: GemmJob, bands: number, byColumns: boolean): void {
    // No other thread reads or writes these between jobs: the last one's bands are all done.
    const control = this.#control;
    Control.fields.forEach((field, i) => (control[Control.job + i] = job[field]));
    control[Control.bands] = bands;
    control[Control.byColumns] = +byColumns;
    control[Control.done] = control[Control.failed] = 0;
    Atomics.store(control, Control.left, bands);
    Atomics.add(control, Control.seq, 1);
    Atomics.notify(control, Control.seq);
  }

  /**
   * Waits until every band of the job is done; throws if one failed, with the
   * caller's own error (`own`) as the cause, or else the failing worker's text.
   */
  #awaitBands(bands: number, own: unknown): void {
    const control = this.#control;
    for (let done; (done = Atomics.load(control, Control.done)) !== bands;) {
      waitWhileEqual(control, Control.done, done, this.#settings.spinMs);
    }
    if (!control[Control.failed]) return;
    const cause = own ?? new Error(`on a worker: ${failureText(control)}`);
    throw new Error("wasm gemm: a band of the product failed", { cause });
  }
}

/** What a worker needs besides the module and the memory. */
interface WorkerInit {
  control: ArrayBufferLike;
  scratch: number;
  spinMs: number;
}

/** The blob URL of the worker's source, made once: a worker may load it any time after it starts. */
let workerUrl: string | undefined;

/**
 * A worker over `parts`' memory, from generated source: no file, so no
 * permission. An error that escapes the worker goes to `onFailure` (and the
 * next product fails with it), not to the process, which it would end.
 */
function startWorker(
  parts: KernelParts,
  init: WorkerInit,
  onFailure: (error: unknown) => void,
): Worker {
  workerUrl ??= URL.createObjectURL(new Blob([workerSource()], { type: "text/javascript" }));
  const worker = new Worker(workerUrl, { type: "module" });
  worker.onerror = (event) => {
    event.preventDefault();
    onFailure(event.error ?? new Error(event.message));
  };
  worker.postMessage({
    ...init,
    module: kernelModule(parts.features === "relaxed-simd", true),
    memory: parts.memory,
    gemmNames: [exportName("gemm", "f32"), exportName("gemm", "f64")],
  });
  return worker;
}
