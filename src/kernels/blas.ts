/**
 * The system's BLAS through `Deno.dlopen`: the three products of backprop as
 * `cblas_sgemm`/`cblas_dgemm` calls on the network's own wasm memory.
 *
 * WebAssembly has 128-bit vectors only, and Deno runs it with software bounds
 * checks; OpenBLAS has AVX-512 kernels. On B's shapes (784-128-64-10, batch
 * 64) one thread of `cblas_sgemm` measured 187–237 GFLOP/s where the wasm
 * relaxed-SIMD product does 58–65. FFI takes a `Float32Array` view into a
 * wasm memory (plain or shared) as a buffer argument, so the matrices stay
 * where the element-wise wasm kernels work on them: nothing is copied, and a
 * call costs about 0.2 µs.
 *
 * Where the library is looked for, first found wins: the `path` given, the
 * `BACKPROP_BLAS` environment variable (read only where that permission is
 * already granted: the library never prompts), then the usual places of
 * OpenBLAS and Accelerate ({@linkcode blasCandidates}). A candidate is tried
 * only when FFI is granted for it, so a program allowed `--allow-ffi=FILE`
 * loads exactly FILE. Outside Deno, or without a grant, there is no BLAS.
 *
 * @module
 */

import type { FloatArray } from "./types.ts";
import type { RunProduct } from "./wasm/kernels.ts";

/** CBLAS enum values (cblas.h): row-major storage, no transpose, transpose. */
const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

/** The environment variable naming the library file, for programs run with `--allow-env=BACKPROP_BLAS`. */
export const BLAS_ENV = "BACKPROP_BLAS";

const gemmParams = (real: "f32" | "f64") =>
  [
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    real,
    "buffer",
    "i32",
    "buffer",
    "i32",
    real,
    "buffer",
    "i32",
  ] as const;

const SYMBOLS = {
  cblas_sgemm: { parameters: gemmParams("f32"), result: "void" },
  cblas_dgemm: { parameters: gemmParams("f64"), result: "void" },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
} as const;

type Library = Deno.DynamicLibrary<typeof SYMBOLS>;

/** A loaded BLAS: the file, what it calls itself, and its products. */
export interface Blas {
  /** The library file that was opened. */
  readonly path: string;
  /** What the library says it is, e.g. `OpenBLAS 0.3.21 … Cooperlake`, or the file name. */
  readonly name: string;
  /**
   * `C = op(A)·op(B)` (`C += …` with `accumulate`), row-major, `C` being `m×n`
   * with rows `ldc` apart; `transA`/`transB` say whether `A` is stored `k×m`
   * (rows `lda` apart) rather than `m×k`, `B` stored `n×k` rather than `k×n`.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    lda: number,
    b: FloatArray,
    ldb: number,
    c: FloatArray,
    ldc: number,
    accumulate: boolean,
  ): void;
  /** Threads the library's products use (OpenBLAS; a no-op where the library has no such call). */
  setThreads(threads: number): void;
}

/**
 * Absolute paths where a CBLAS usually is on this platform, OpenBLAS first:
 * Debian/Ubuntu's `libopenblas0`, Fedora's, a local build, Homebrew's, then
 * macOS's Accelerate. The reference `libblas.so.3` is left out: it is slower
 * than the wasm kernels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blasCandidates } from "./blas.ts";
 * assert.ok(blasCandidates("linux", "x86_64").includes("/usr/lib/x86_64-linux-gnu/libopenblas.so.0"));
 * ```
 */
export function blasCandidates(os: string, arch: string): string[] {
  if (os === "darwin") {
    return [
      "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
      "/usr/local/opt/openblas/lib/libopenblas.dylib",
      "/System/Library/Frameworks/Accelerate.framework/Accelerate",
    ];
  }
  if (os !== "linux") return [];
  return [
    `/usr/lib/${arch}-linux-gnu/libopenblas.so.0`,
    `/usr/lib/${arch}-linux-gnu/openblas-pthread/libopenblas.so.0`,
    "/usr/lib64/libopenblas.so.0",
    "/usr/lib/libopenblas.so.0",
    "/usr/local/lib/libopenblas.so.0",
  ];
}

/** The `Deno` namespace where the runtime has one (Node and browsers do not). */
function deno(): typeof Deno | undefined {
  return (globalThis as { Deno?: typeof Deno }).Deno;
}

/** Whether `descriptor` is granted now; asking never prompts. */
function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return deno()?.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false; // a runtime without the query (an old Deno, Deno Deploy): not granted
  }
}

/**
 * The file {@linkcode loadBlas} would try first without a `path`: `BACKPROP_BLAS`
 * where readable, else the platform's first candidate. The CLI's launcher grants
 * FFI for this one file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultBlasPath } from "./blas.ts";
 * const path = defaultBlasPath();
 * assert.ok(path === undefined || path.startsWith("/"));
 * ```
 */
export function defaultBlasPath(): string | undefined {
  return searchPaths()[0];
}

/** `BACKPROP_BLAS` where readable, then the platform's candidates. */
function searchPaths(): string[] {
  const d = deno();
  if (!d) return [];
  const env = granted({ name: "env", variable: BLAS_ENV }) ? d.env.get(BLAS_ENV) : undefined;
  return [...(env ? [env] : []), ...blasCandidates(d.build.os, d.build.arch)];
}

const loaded = new Map<string, Blas | undefined>();

/**
 * The first CBLAS that loads, from `path` when given, else `BACKPROP_BLAS`
 * (where readable), else {@linkcode blasCandidates}; `undefined` when none
 * does, outside Deno, or where FFI is not granted. Each file is opened once per process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadBlas } from "./blas.ts";
 * // Without an FFI grant there is no BLAS, and no prompt.
 * const blas = loadBlas();
 * assert.ok(blas === undefined || typeof blas.gemm === "function");
 * ```
 */
export function loadBlas(path?: string): Blas | undefined {
  const d = deno();
  if (!d || typeof d.dlopen !== "function") return undefined;
  for (const file of path ? [path] : searchPaths()) {
    if (!granted({ name: "ffi", path: file })) continue;
    if (!loaded.has(file)) loaded.set(file, open(d, file));
    const blas = loaded.get(file);
    if (blas) return blas;
  }
  return undefined;
}

/**
 * OpenBLAS's own description (version, kernel, e.g. `OpenBLAS 0.3.21 … Cooperlake`).
 * Reading a C string needs FFI granted for every library, not one file: with a
 * grant for one file the name is the file's.
 */
function describe(d: typeof Deno, config: (() => Deno.PointerValue) | null): string | undefined {
  try {
    const pointer = config?.();
    return pointer ? new d.UnsafePointerView(pointer).getCString() : undefined;
  } catch {
    return undefined;
  }
}

/** The library at `file` as a {@linkcode Blas}, or `undefined` when it is missing or lacks CBLAS. */
function open(d: typeof Deno, file: string): Blas | undefined {
  let lib: Library;
  try {
    lib = d.dlopen(file, SYMBOLS);
  } catch {
    return undefined; // not there, or no cblas_sgemm in it: the wasm kernels stand, silently
  }
  const { cblas_sgemm, cblas_dgemm, openblas_set_num_threads, openblas_get_config } = lib.symbols;
  const base = file.split("/").pop()!;
  const name = describe(d, openblas_get_config) ??
    (/openblas/i.test(base) ? `OpenBLAS, ${base}` : base);
  let threads = 0;
  return {
    path: file,
    name,
    gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate) {
      const ta = transA ? TRANS : NO_TRANS, tb = transB ? TRANS : NO_TRANS, beta = +accumulate;
      if (a instanceof Float64Array) {
        cblas_dgemm(ROW_MAJOR, ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc);
      } else cblas_sgemm(ROW_MAJOR, ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc);
    },
    setThreads(count) {
      // The count is global to the library: set it only when it changes (networks may differ).
      if (count !== threads && openblas_set_num_threads) openblas_set_num_threads(count);
      threads = count;
    },
  };
}

/**
 * Runs the wasm kernels' checked products on `blas` with `threads` threads: a
 * product's strides say which operand is stored transposed. Where both strides
 * of an operand are one element it is a vector, stored the same either way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blasRunner, loadBlas } from "./blas.ts";
 * const blas = loadBlas();
 * if (blas) assert.equal(typeof blasRunner(blas, 1), "function");
 * ```
 */
export function blasRunner(blas: Blas, threads: number): RunProduct {
  return (job, a, b, c) => {
    const { m, n, k } = job, s = job.f64 ? 8 : 4;
    if (m === 0 || n === 0) return;
    blas.setThreads(threads);
    const transA = job.sap !== s, transB = job.sbj !== s;
    const lda = transA ? Math.max(job.sap / s, m, 1) : Math.max(job.sai / s, k, 1);
    const ldb = transB ? Math.max(job.sbj / s, k, 1) : Math.max(job.sbp / s, n, 1);
    blas.gemm(transA, transB, m, n, k, a, lda, b, ldb, c, job.ldc / s, job.acc !== 0);
  };
}
