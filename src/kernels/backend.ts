/**
 * Where a matrix's storage lives, and so which kernels compute with it.
 *
 * The WebAssembly kernels can only read their own memory, so a network that
 * uses them keeps all its matrices (parameters, gradients, activations) in one
 * wasm memory and copies each batch in once; no operation copies anything
 * after that. A registry remembers which memory every buffer belongs to, so
 * `matmul` and friends pick the wasm kernels exactly when all their operands
 * live there, and the TypeScript kernels otherwise. The `blas` backend is the
 * same wasm storage with its products handed to the system's BLAS, which reads
 * and writes the wasm memory in place through FFI.
 *
 * @module
 */

import type { DType, FloatArray } from "./types.ts";
import { blasRunner, loadBlas } from "./blas.ts";
import { createWasmKernels, kernelParts, Kernels, type WasmKernels } from "./wasm/kernels.ts";
import { createThreadedKernels } from "./wasm/threads.ts";

/**
 * The kernel backends, one line each on what computes; every name, type, check
 * and CLI choice derives from this table. Fastest first where available:
 * `blas` is the system's BLAS through FFI for the products, with the wasm
 * element-wise kernels; `wasm` is WebAssembly SIMD with relaxed-SIMD fused
 * multiply-add where the engine has it, `wasm-simd` plain SIMD only; `auto`
 * takes the fastest that loads and is permitted, silently.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backends } from "./backend.ts";
 * assert.ok("blas" in backends && "typescript" in backends);
 * ```
 */
export const backends = {
  auto: "the fastest that loads and is permitted: blas, else wasm, else typescript",
  blas: "system BLAS (OpenBLAS, Accelerate) through FFI for the products, wasm element-wise",
  wasm: "WebAssembly SIMD, with relaxed-SIMD fused multiply-add where the engine has it",
  "wasm-simd": "WebAssembly SIMD without relaxed SIMD",
  typescript: "plain TypeScript loops",
} as const;

/**
 * The name of a kernel backend: a key of {@linkcode backends}.
 *
 * @example
 * ```ts
 * import type { BackendName } from "@fullmatrix/backprop";
 * const b: BackendName = "wasm";
 * ```
 */
export type BackendName = keyof typeof backends;

/**
 * Every backend name, in the order of {@linkcode backends}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backendNames } from "./backend.ts";
 * assert.equal(backendNames[0], "auto");
 * ```
 */
export const backendNames: readonly BackendName[] = Object.keys(backends) as BackendName[];

/** A place to allocate matrix storage; the allocation decides which kernels run. */
export interface Storage {
  /**
   * What computes on this storage: `typescript`, `wasm-simd`, `wasm-relaxed-simd`
   * (with `×N threads`), or `blas (OpenBLAS …) + wasm-relaxed-simd element-wise`.
   */
  readonly kernels: string;
  /**
   * Whether its products read a batch's inputs fastest with the samples as rows (`M × N0`):
   * on `blas`, `W·Xᵀ` and `δ·X` took 66–73 ms for an epoch of A's first layer (30×784, batches
   * of 10), `W·X` and `δ·Xᵀ` 105–116; on B's 128×784 and on wasm the two were within noise, or
   * the rows slower (`wasm-simd`: 12%).
   */
  readonly inputsAsRows: boolean;
  /** A zeroed array of `length` elements. */
  alloc(length: number, dtype: DType): FloatArray;
  /** Stops the worker threads, if any; the kernels go on, on one thread. */
  close(): void;
}

const owners = new WeakMap<ArrayBufferLike, WasmKernels>();

const typescript: Storage = {
  kernels: "typescript",
  inputsAsRows: false,
  alloc: (length, dtype) =>
    dtype === "float64" ? new Float64Array(length) : new Float32Array(length),
  close() {},
};

/**
 * Storage for the backend `name`; each wasm storage is a memory of its own,
 * freed with its last matrix. With `threads > 1` the products are split
 * between the caller and `threads − 1` workers, which must be stopped with
 * `close()` (or, on `blas`, run on the library's own threads). `blas` names the
 * library file (see `blas.ts` for where it is looked for otherwise).
 * A backend that was asked for by name and cannot run throws a `RangeError`.
 */
export function storageFor(name: BackendName, threads = 1, blas?: string): Storage {
  switch (name) {
    case "typescript":
      return typescript;
    case "auto":
      return blasStorage(threads, blas) ?? wasmStorage(true, threads) ?? typescript;
    case "blas":
      return blasStorage(threads, blas) ?? unavailable(
        `no CBLAS library loads${blas ? ` from ${blas}` : ""} (or FFI is not granted for it)`,
      );
    case "wasm":
    case "wasm-simd":
      return wasmStorage(name === "wasm", threads) ??
        unavailable("this JavaScript engine has no WebAssembly SIMD");
    default: {
      const unknown: never = name;
      throw new RangeError(`unknown backend "${unknown}"; expected ${backendNames.join(", ")}`);
    }
  }
}

function unavailable(why: string): never {
  throw new RangeError(`${why}; use backend "typescript" or "auto"`);
}

/** Storage over `kernels`: every array it hands out is registered as theirs. */
function wasmBacked(
  kernels: WasmKernels & { close?(): void },
  description: string,
  inputsAsRows = false,
): Storage {
  return {
    kernels: description,
    inputsAsRows,
    close: () => kernels.close?.(),
    alloc(length, dtype) {
      const array = kernels.alloc(length, dtype);
      owners.set(array.buffer, kernels);
      return array;
    },
  };
}

function wasmStorage(relaxed: boolean, threads: number): Storage | undefined {
  const kernels = threads > 1
    ? createThreadedKernels({ threads, relaxed })
    : createWasmKernels({ relaxed });
  if (!kernels) return undefined;
  // The threads that run, not those asked for: where threads cannot run there is one.
  const running = (kernels as { threads?: number }).threads ?? 1;
  return wasmBacked(
    kernels,
    `wasm-${kernels.features}${running > 1 ? ` ×${running} threads` : ""}`,
  );
}

/** The wasm kernels with their products handed to the system BLAS, on `threads` of its threads. */
function blasStorage(threads: number, path?: string): Storage | undefined {
  const blas = loadBlas(path), parts = blas && kernelParts({});
  if (!parts) return undefined;
  const kernels = new Kernels(parts, blasRunner(blas, threads));
  const on = threads > 1 ? ` ×${threads} threads` : "";
  const description = `blas (${blas.name}${on}) + wasm-${parts.features} element-wise`;
  return wasmBacked(kernels, description, true);
}

/** The wasm kernels that own every one of `arrays`, or undefined when any lives elsewhere. */
export function wasmKernelsOf(...arrays: FloatArray[]): WasmKernels | undefined {
  const kernels = owners.get(arrays[0].buffer);
  return kernels && arrays.every((a) => owners.get(a.buffer) === kernels) ? kernels : undefined;
}

/**
 * Threads to train a network of layer `sizes` with batches of `batch` on
 * `backend`: what `--threads auto` picks. On a 2-core machine shared with
 * other work, a second thread gave B (784-128-64-10, batch 64, 6.9M
 * multiply-adds a step) anything from 0.55× to 1.3× the one-thread rate over
 * six `deno task bench` runs, on wasm and on OpenBLAS alike: a second thread
 * pays only when a core is free, which a library cannot know. So one thread,
 * which is never slower than one thread, except where a step has at least 32M
 * multiply-adds and there are four cores or more (not measured: a bound set
 * high so that a step's products stay large beside the hand-off to a worker).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recommendedThreads } from "./backend.ts";
 * assert.equal(recommendedThreads([784, 30, 10], 10, "auto"), 1);
 * ```
 */
export function recommendedThreads(
  sizes: readonly number[],
  batch: number,
  backend: BackendName,
): number {
  if (backend === "typescript") return 1;
  const work = sizes.slice(1).reduce((sum, n, l) => sum + n * sizes[l] * batch, 0);
  const cores = typeof navigator === "object" ? navigator.hardwareConcurrency ?? 1 : 1;
  return cores >= 4 && work >= 32_000_000 ? 2 : 1;
}
