/**
 * The kernel module: every generated function of both precisions, in one module.
 *
 * One module means one instance over one memory, so float32 and float64
 * matrices can share an arena. Its bytes depend only on the SIMD level and on
 * whether the imported memory is shared, so each of those four variants is
 * compiled once per process and instantiated per memory, which is cheap.
 *
 * @module
 */

import { isShared } from "./arena.ts";
import { encodeModule, type Func } from "./encoder.ts";
import { elementwiseFuncs } from "./elementwise.ts";
import { gemmFuncs } from "./gemm.ts";
import { precision } from "./precision.ts";

/**
 * The functions of one precision, as the module exports them: pointers and
 * strides in bytes, lengths in elements. `gemm` is described in `gemm.ts`, the
 * others in `elementwise.ts`.
 */
export interface PrecisionExports {
  /** `C = A·B` (or `C += A·B` when `acc`), strided; `C` rows `ldc` bytes apart. */
  gemm(
    m: number,
    n: number,
    k: number,
    pa: number,
    sai: number,
    sap: number,
    pb: number,
    sbp: number,
    sbj: number,
    pc: number,
    ldc: number,
    acc: number,
    scratch: number,
  ): void;
  /** `out = max(z, 0)`. */
  relu(out: number, z: number, len: number): void;
  /** `out = z > 0 ? g : 0`. */
  relu_backward(out: number, z: number, g: number, len: number): void;
  /** `out = y + alpha·x`. */
  axpy(out: number, y: number, x: number, len: number, alpha: number): void;
  /** `x(i, j) += bias[i]`. */
  add_column(x: number, bias: number, rows: number, cols: number): void;
  /** `out[i] = Σⱼ x(i, j)`. */
  row_sums(out: number, x: number, rows: number, cols: number): void;
  /** `out = x`, and `Σ x` stored at `total`. */
  copy_sum(out: number, x: number, len: number, total: number): void;
  /** `y += alpha·x`, then `copy = y`; returns `Σ y`. */
  axpy_copy_sum(y: number, x: number, len: number, alpha: number, copy: number): number;
  /** `out = σ(z)`; float32 only. */
  sigmoid?(out: number, z: number, len: number): void;
  /** `out = g · a(1 − a)`; float32 only. */
  sigmoid_backward?(out: number, a: number, g: number, len: number): void;
  /** Each column of `z` (`rows×cols`) to its softmax in `out`; float32 only. */
  softmax?(out: number, z: number, rows: number, cols: number): void;
}

/** The functions of an instance, by element type. */
export interface KernelExports {
  /** The float32 kernels. */
  readonly f32: PrecisionExports;
  /** The float64 kernels. */
  readonly f64: PrecisionExports;
}

/**
 * The module with every kernel, for relaxed or plain SIMD, importing a shared or non-shared memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelModuleBytes } from "./module.ts";
 * assert.ok(WebAssembly.validate(kernelModuleBytes(false, false)));
 * ```
 */
export function kernelModuleBytes(relaxed: boolean, shared: boolean): Uint8Array<ArrayBuffer> {
  const funcs: Func[] = [];
  for (const dtype of ["float32", "float64"] as const) {
    const p = precision(dtype, relaxed);
    funcs.push(...gemmFuncs(p, funcs.length), ...elementwiseFuncs(p));
  }
  return encodeModule(funcs, shared);
}

/** Compiled modules by variant: compiling takes milliseconds, instantiating microseconds. */
const modules = new Map<string, WebAssembly.Module>();

/**
 * The module of {@linkcode kernelModuleBytes}, compiled once per variant. A
 * module can be posted to a worker, which then instantiates it over the same
 * shared memory without compiling it again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelModule } from "./module.ts";
 * assert.equal(kernelModule(false, true), kernelModule(false, true));
 * ```
 */
export function kernelModule(relaxed: boolean, shared: boolean): WebAssembly.Module {
  const key = `${relaxed} ${shared}`;
  let module = modules.get(key);
  if (!module) {
    modules.set(key, module = new WebAssembly.Module(kernelModuleBytes(relaxed, shared)));
  }
  return module;
}

/**
 * The name under which the module exports function `name` of one precision.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exportName } from "./module.ts";
 * assert.equal(exportName("gemm", "f64"), "gemm_f64");
 * ```
 */
export function exportName(name: string, suffix: keyof KernelExports): string {
  return `${name}_${suffix}`;
}

/** The exports of one precision, found by their suffix. */
function exportsOf(all: WebAssembly.Exports, suffix: keyof KernelExports): PrecisionExports {
  const names = ["gemm", "relu", "relu_backward", "axpy", "add_column", "row_sums", "copy_sum"];
  names.push("axpy_copy_sum", "sigmoid", "sigmoid_backward", "softmax"); // the last three: float32 only
  return Object.fromEntries(
    names.map((name) => [name, all[exportName(name, suffix)]]),
  ) as unknown as PrecisionExports;
}

/**
 * An instance of the module over `memory`, with relaxed SIMD's multiply-add when `relaxed`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { instantiateKernels } from "./module.ts";
 * const kernels = instantiateKernels(new WebAssembly.Memory({ initial: 1 }), false);
 * assert.equal(typeof kernels.f64.gemm, "function");
 * ```
 */
export function instantiateKernels(memory: WebAssembly.Memory, relaxed: boolean): KernelExports {
  const instance = new WebAssembly.Instance(kernelModule(relaxed, isShared(memory)), {
    env: { memory },
  });
  return { f32: exportsOf(instance.exports, "f32"), f64: exportsOf(instance.exports, "f64") };
}
