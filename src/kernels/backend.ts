/**
 * Where a matrix's storage lives, and so which kernels compute with it.
 *
 * The WebAssembly kernels can only read their own memory, so a network that
 * uses them keeps all its matrices (parameters, gradients, activations) in one
 * wasm memory and copies each batch in once; no operation copies anything
 * after that. A registry remembers which memory every buffer belongs to, so
 * `matmul` and friends pick the wasm kernels exactly when all their operands
 * live there, and the TypeScript kernels otherwise.
 *
 * @module
 */

import type { DType, FloatArray } from "./types.ts";
import { createWasmKernels, type WasmKernels } from "./wasm/kernels.ts";
import { createThreadedKernels } from "./wasm/threads.ts";

/**
 * The kernel backends: `"auto"` takes the fastest one the engine supports;
 * `"wasm"` is WebAssembly SIMD with relaxed-SIMD fused multiply-add where the
 * engine has it, `"wasm-simd"` plain SIMD only.
 *
 * @example
 * ```ts
 * import type { BackendName } from "@fullmatrix/backprop";
 * const b: BackendName = "wasm";
 * ```
 */
export type BackendName = "auto" | "wasm" | "wasm-simd" | "typescript";

/** A place to allocate matrix storage; the allocation decides which kernels run. */
export interface Storage {
  /** What computes on this storage: `typescript`, `wasm-simd` or `wasm-relaxed-simd`. */
  readonly kernels: string;
  /** A zeroed array of `length` elements. */
  alloc(length: number, dtype: DType): FloatArray;
  /** Stops the worker threads, if any; the kernels go on, on one thread. */
  close(): void;
}

const owners = new WeakMap<ArrayBufferLike, WasmKernels>();

const typescript: Storage = {
  kernels: "typescript",
  alloc: (length, dtype) =>
    dtype === "float64" ? new Float64Array(length) : new Float32Array(length),
  close() {},
};

/**
 * Storage for the backend `name`; each wasm storage is a memory of its own,
 * freed with its last matrix. With `threads > 1` the products are split
 * between the caller and `threads − 1` workers, which must be stopped with `close()`.
 */
export function storageFor(name: BackendName, threads = 1): Storage {
  if (name === "typescript") return typescript;
  const relaxed = name !== "wasm-simd";
  const kernels: WasmKernels & { close?(): void } | undefined = threads > 1
    ? createThreadedKernels({ threads, relaxed })
    : createWasmKernels({ relaxed });
  if (!kernels) {
    if (name !== "auto") {
      throw new Error('this JavaScript engine has no WebAssembly SIMD; use backend "typescript"');
    }
    return typescript;
  }
  // The threads that run, not those asked for: where threads cannot run there is one.
  const running = (kernels as { threads?: number }).threads ?? 1;
  return {
    kernels: `wasm-${kernels.features}${running > 1 ? ` ×${running} threads` : ""}`,
    close: () => kernels.close?.(),
    alloc(length, dtype) {
      const array = kernels.alloc(length, dtype);
      owners.set(array.buffer, kernels);
      return array;
    },
  };
}

/** The wasm kernels that own every one of `arrays`, or undefined when any lives elsewhere. */
export function wasmKernelsOf(...arrays: FloatArray[]): WasmKernels | undefined {
  const kernels = owners.get(arrays[0].buffer);
  return kernels && arrays.every((a) => owners.get(a.buffer) === kernels) ? kernels : undefined;
}
