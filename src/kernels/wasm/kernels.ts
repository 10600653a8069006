/**
 * WebAssembly SIMD kernels for backprop: the entry point of `src/kernels/wasm/`.
 *
 * {@linkcode createWasmKernels} generates the module (both precisions, every
 * kernel) as bytes, compiles it synchronously, and instantiates it over a
 * memory it makes. The matrices live in that memory: allocate them with
 * {@linkcode WasmKernels.alloc} and pass the views; the wrappers check them and
 * hand the kernels byte offsets. When the engine lacks SIMD it returns
 * `undefined` and the caller keeps the TypeScript kernels.
 *
 * The memory is imported rather than defined by the module so that JavaScript
 * owns it, and so that it can be shared: with `shared: true` (the default where
 * `SharedArrayBuffer` exists) it can also grow without detaching views, and
 * workers can run kernels on the same matrices: `threads.ts` builds on
 * {@linkcode kernelParts} and {@linkcode Kernels} to run the products on
 * several threads, each with its own packing scratch.
 *
 * Speed on one core: the products run 5–13× faster than the TypeScript
 * kernel (`bench/wasm_gemm_bench.ts`). Deno runs wasm without a trap handler, so V8
 * bounds-checks every load in software; the tiles are shaped to load little
 * (see `gemm.ts`).
 *
 * @module
 */

import type { DType, FloatArray } from "../types.ts";
import { Arena } from "./arena.ts";
import { detectFeatures, type WasmFeatures } from "./features.ts";
import { PACK_BYTES_PER_K } from "./gemm.ts";
import { instantiateKernels, type KernelExports, type PrecisionExports } from "./module.ts";
import { type GemmJob, runGemm } from "./worker_source.ts";

export type { DType, FloatArray, KernelExports, WasmFeatures };

/** `k` per call of the product when `B` is packed (`gemmNT`); longer runs go in chunks that accumulate. */
const PACK_K = 2048;
/** Bytes of one thread's packing scratch; the scratches sit at the bottom of the memory, below the arena. */
const SCRATCH_BYTES = PACK_K * PACK_BYTES_PER_K;

/** Options of {@linkcode createWasmKernels}. */
export interface WasmKernelOptions {
  /** Use relaxed SIMD's fused multiply-add where the engine has it (default `true`). */
  relaxed?: boolean;
  /** Bytes of memory to start with: all there will ever be when not `shared` (default 16 MiB). */
  initialBytes?: number;
  /** Make the memory shared, so it can grow without detaching views (default: where `SharedArrayBuffer` exists). */
  shared?: boolean;
}

/** A product on row-major arrays in the kernels' memory, `C` being `m×n`; see each product for `A` and `B`. */
export type Gemm = (
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  accumulate?: boolean,
) => void;

/**
 * Kernels over one memory. Every array passed in must come from
 * {@linkcode WasmKernels.alloc} (or be a subarray of one), all of one element
 * type; matrices are row-major, and outputs must not overlap the inputs of a
 * product.
 */
export interface WasmKernels {
  /** The memory every array lives in. */
  readonly memory: WebAssembly.Memory;
  /** The SIMD level the kernels were built for. */
  readonly features: WasmFeatures;
  /**
   * A zeroed, 64-byte aligned array of `length` elements in {@linkcode WasmKernels.memory}.
   * A shared memory grows as needed; a non-shared one throws a `RangeError` when full,
   * since growing it would detach every view handed out before.
   */
  alloc(length: number, dtype: DType): FloatArray;
  /** Whether `a` is a view into {@linkcode WasmKernels.memory}. */
  owns(a: FloatArray): boolean;
  /** Frees every array at once; arrays allocated before must not be used again. */
  reset(): void;
  /** `C = A·B` (`C += A·B` with `accumulate`): `A` is `m×k`, `B` is `k×n`, `C` is `m×n`. */
  gemmNN: Gemm;
  /** `C = Aᵀ·B` (or `+=`): `A` is `k×m`, `B` is `k×n`, `C` is `m×n`. */
  gemmTN: Gemm;
  /** `C = A·Bᵀ` (or `+=`): `A` is `m×k`, `B` is `n×k`, `C` is `m×n`. */
  gemmNT: Gemm;
  /** `out = max(z, 0)`, NaN giving 0; `out` may be `z`. */
  relu(z: FloatArray, out: FloatArray): void;
  /** `out = z > 0 ? g : 0`, ReLU's `g ⊙ σ'(z)`; `out` may be `g`. */
  reluBackward(z: FloatArray, g: FloatArray, out: FloatArray): void;
  /** `y += alpha·x`; SGD's step is `axpy(-lr, grad, param)`. */
  axpy(alpha: number, x: FloatArray, y: FloatArray): void;
  /** `x(i, j) += bias[i]` for the `rows×cols` matrix `x`: the bias added to every sample. */
  addColumn(rows: number, cols: number, x: FloatArray, bias: FloatArray): void;
  /** `out[i] = Σⱼ x(i, j)` for the `rows×cols` matrix `x`: the bias gradient. */
  rowSums(rows: number, cols: number, x: FloatArray, out: FloatArray): void;
  /** `out = x`, and `total[0] = Σ x` (summed in `x`'s precision, in SIMD lanes). */
  copySum(x: FloatArray, out: FloatArray, total: FloatArray): void;
  /** `y += alpha·x` as `axpy` does it, then `copy = y`, and returns `Σ y`: in one pass. */
  axpyCopySum(alpha: number, x: FloatArray, y: FloatArray, copy: FloatArray): number;
  /** `out = σ(z)` for float32 arrays, true; false (nothing done) for float64 ones. */
  sigmoid(z: FloatArray, out: FloatArray): boolean;
  /** `out = g · a(1 − a)`, sigmoid's `g ⊙ σ'` from `a = σ(z)`, for float32 arrays; as `sigmoid`. */
  sigmoidBackward(a: FloatArray, g: FloatArray, out: FloatArray): boolean;
  /** Each column of the `rows×cols` matrix `z` to its softmax in `out`, float32; as `sigmoid`. */
  softmax(rows: number, cols: number, z: FloatArray, out: FloatArray): boolean;
}

/**
 * Kernels on this engine, or `undefined` when it has no WebAssembly SIMD.
 *
 * @example Forward product of a 2×3 layer on a batch of one
 * ```ts
 * import assert from "node:assert/strict";
 * import { createWasmKernels } from "./kernels.ts";
 * const wasm = createWasmKernels();
 * if (wasm) {
 *   const w = wasm.alloc(6, "float32"), x = wasm.alloc(3, "float32"), z = wasm.alloc(2, "float32");
 *   w.set([1, 2, 3, 4, 5, 6]), x.set([1, 1, 1]);
 *   wasm.gemmNN(2, 1, 3, w, x, z);
 *   assert.deepEqual([...z], [6, 15]);
 * }
 * ```
 */
export function createWasmKernels(options: WasmKernelOptions = {}): WasmKernels | undefined {
  const parts = kernelParts(options);
  return parts && new Kernels(parts);
}

/** What {@linkcode Kernels} are made of: a memory, an instance over it, and packing scratches. */
export interface KernelParts {
  /** The memory, with the scratches at its bottom and the arena above. */
  readonly memory: WebAssembly.Memory;
  /** The SIMD level the instance was built for. */
  readonly features: WasmFeatures;
  /** The calling thread's instance. */
  readonly exports: KernelExports;
  /** Byte offsets of the packing scratches, one per thread that runs products; the caller's first. */
  readonly scratches: readonly number[];
}

/**
 * A memory for `options` with a packing scratch for each of `threads`, and an
 * instance over it; `undefined` without WebAssembly SIMD.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelParts } from "./kernels.ts";
 * const parts = kernelParts({ shared: true }, 2);
 * if (parts) assert.equal(parts.scratches.length, 2);
 * ```
 */
export function kernelParts(options: WasmKernelOptions, threads = 1): KernelParts | undefined {
  const detected = detectFeatures();
  if (!detected) return undefined;
  const features = detected === "relaxed-simd" && options.relaxed !== false ? detected : "simd";
  const shared = options.shared ?? typeof SharedArrayBuffer === "function";
  const reserved = threads * SCRATCH_BYTES;
  const pages = Math.ceil(
    Math.max(options.initialBytes ?? 1 << 24, reserved + SCRATCH_BYTES) / 65536,
  );
  const memory = new WebAssembly.Memory({
    initial: pages,
    maximum: shared ? 65536 : pages,
    shared,
  });
  const exports = instantiateKernels(memory, features === "relaxed-simd");
  const scratches = Array.from({ length: threads }, (_, t) => t * SCRATCH_BYTES);
  return { memory, features, exports, scratches };
}

/** How a checked product runs: on the calling thread, or on several. */
export type RunGemm = (job: GemmJob) => void;

/**
 * What {@linkcode Kernels} hand a checked product to: a {@linkcode RunGemm},
 * or a system BLAS, which also takes the operands themselves (views at the job's offsets).
 */
export type RunProduct = (job: GemmJob, a: FloatArray, b: FloatArray, c: FloatArray) => void;

/**
 * Runs products on the calling thread, with its instance and its scratch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelParts, runOnCaller } from "./kernels.ts";
 * const parts = kernelParts({});
 * if (parts) assert.equal(typeof runOnCaller(parts), "function");
 * ```
 */
export function runOnCaller(parts: KernelParts): RunGemm {
  const gemms = [parts.exports.f32.gemm, parts.exports.f64.gemm], scratch = parts.scratches[0];
  return (job) => runGemm(gemms[job.f64], job, scratch);
}

/**
 * {@linkcode WasmKernels} over `parts`, whose products are checked and handed
 * to `run` (by default {@linkcode runOnCaller}).
 *
 * @example
 * ```ts
 * import { Kernels, kernelParts } from "./kernels.ts";
 * const parts = kernelParts({});
 * if (parts) {
 *   const wasm = new Kernels(parts), x = wasm.alloc(1, "float64");
 *   x[0] = 3;
 *   wasm.gemmNN(1, 1, 1, x, x, wasm.alloc(1, "float64"));
 * }
 * ```
 */
export class Kernels implements WasmKernels {
  readonly features: WasmFeatures;
  readonly #arena: Arena;
  readonly #exports: KernelExports;
  readonly #run: RunProduct;

  /** Kernels over `parts`, their arena above the scratches. */
  constructor(parts: KernelParts, run: RunProduct = runOnCaller(parts)) {
    this.#arena = new Arena(parts.memory, parts.scratches.length * SCRATCH_BYTES);
    this.features = parts.features;
    this.#exports = parts.exports;
    this.#run = run;
  }

  get memory(): WebAssembly.Memory {
    return this.#arena.memory;
  }

  alloc(length: number, dtype: DType): FloatArray {
    return this.#arena.alloc(length, dtype);
  }

  owns(a: FloatArray): boolean {
    return this.#arena.owns(a);
  }

  reset(): void {
    this.#arena.reset();
  }

  // Each product is the strided driver with its operands' strides: (row, column) of A and of B.
  gemmNN: Gemm = (m, n, k, a, b, c, accumulate = false) =>
    this.#gemm(m, n, k, a, [k, 1], b, [n, 1], c, accumulate);

  gemmTN: Gemm = (m, n, k, a, b, c, accumulate = false) =>
    this.#gemm(m, n, k, a, [1, m], b, [n, 1], c, accumulate);

  gemmNT: Gemm = (m, n, k, a, b, c, accumulate = false) =>
    this.#gemm(m, n, k, a, [k, 1], b, [1, k], c, accumulate);

  relu(z: FloatArray, out: FloatArray): void {
    const n = z.length;
    this.#precision(z, out).relu(this.#sized(n, out), z.byteOffset, n);
  }

  reluBackward(z: FloatArray, g: FloatArray, out: FloatArray): void {
    const n = z.length, e = this.#precision(z, g, out);
    e.relu_backward(this.#sized(n, out), z.byteOffset, this.#sized(n, g), n);
  }

  axpy(alpha: number, x: FloatArray, y: FloatArray): void {
    const n = x.length, py = this.#sized(n, y);
    this.#precision(x, y).axpy(py, py, x.byteOffset, n, alpha);
  }

  addColumn(rows: number, cols: number, x: FloatArray, bias: FloatArray): void {
    const e = this.#precision(x, bias);
    e.add_column(this.#sized(rows * cols, x), this.#sized(rows, bias), rows, cols);
  }

  rowSums(rows: number, cols: number, x: FloatArray, out: FloatArray): void {
    const e = this.#precision(x, out);
    e.row_sums(this.#sized(rows, out), this.#sized(rows * cols, x), rows, cols);
  }

  copySum(x: FloatArray, out: FloatArray, total: FloatArray): void {
    const n = x.length, e = this.#precision(x, out, total);
    e.copy_sum(this.#sized(n, out), x.byteOffset, n, this.#sized(1, total));
  }

  axpyCopySum(alpha: number, x: FloatArray, y: FloatArray, copy: FloatArray): number {
    const n = x.length, e = this.#precision(x, y, copy);
    return e.axpy_copy_sum(this.#sized(n, y), x.byteOffset, n, alpha, this.#sized(n, copy));
  }

  sigmoid(z: FloatArray, out: FloatArray): boolean {
    const n = z.length, e = this.#precision(z, out);
    if (!e.sigmoid) return false;
    e.sigmoid(this.#sized(n, out), z.byteOffset, n);
    return true;
  }

  sigmoidBackward(a: FloatArray, g: FloatArray, out: FloatArray): boolean {
    const n = a.length, e = this.#precision(a, g, out);
    if (!e.sigmoid_backward) return false;
    e.sigmoid_backward(this.#sized(n, out), a.byteOffset, this.#sized(n, g), n);
    return true;
  }

  softmax(rows: number, cols: number, z: FloatArray, out: FloatArray): boolean {
    const e = this.#precision(z, out);
    if (!e.softmax) return false;
    e.softmax(this.#sized(rows * cols, out), this.#sized(rows * cols, z), rows, cols);
    return true;
  }

  /** `C = A·B` with `A(i,p) = a[i·sai + p·sap]`, `B(p,j) = b[p·sbp + j·sbj]` (element strides). */
  #gemm(
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    [sai, sap]: number[],
    b: FloatArray,
    [sbp, sbj]: number[],
    c: FloatArray,
    accumulate: boolean,
  ): void {
    this.#check(m, n, k, a, b, c);
    const s = a.BYTES_PER_ELEMENT;
    this.#run(
      {
        f64: +(s === 8),
        m,
        n,
        k,
        pa: a.byteOffset,
        sai: sai * s,
        sap: sap * s,
        pb: b.byteOffset,
        sbp: sbp * s,
        sbj: sbj * s,
        pc: c.byteOffset,
        ldc: n * s,
        acc: +accumulate,
        // Rows of B that are not contiguous are packed into a scratch, which holds
        // PACK_K steps of p: a longer k then runs in chunks that add up.
        chunk: sbj === 1 ? k : PACK_K,
      },
      a,
      b,
      c,
    );
  }

  /** Checks the operands of a product: sizes, element types, ownership, overlap. */
  #check(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
    this.#precision(a, b, c);
    [this.#sized(m * k, a), this.#sized(k * n, b), this.#sized(m * n, c)];
    for (const input of [a, b]) {
      const apart = c.byteOffset + m * n * c.BYTES_PER_ELEMENT <= input.byteOffset ||
        input.byteOffset + input.byteLength <= c.byteOffset;
      if (!apart && m * n > 0) throw new RangeError("wasm gemm: the output overlaps an input");
    }
  }

  /** Checks that `a` holds at least `length` elements and returns its byte offset. */
  #sized(length: number, a: FloatArray): number {
    if (!(length <= a.length)) {
      throw new RangeError(`wasm kernel: ${length} elements needed, ${a.length} given`);
    }
    return a.byteOffset;
  }

  /** The kernels for the arrays' element type, once each is known to be a view into the memory. */
  #precision(...arrays: FloatArray[]): PrecisionExports {
    const Type = arrays[0].constructor;
    for (const a of arrays) {
      if (!this.owns(a)) {
        throw new TypeError("wasm kernel: an array is not a view into the kernels' memory");
      }
      if (a.constructor !== Type) {
        throw new TypeError("wasm kernel: arrays of different element types");
      }
    }
    return Type === Float64Array ? this.#exports.f64 : this.#exports.f32;
  }
}
