/**
 * Matrix products in plain TypeScript, shaped for what V8 compiles well.
 *
 * Backprop needs three products on row-major matrices — `W·A` (forward),
 * `Wᵀ·δ` (the error flowing back) and `δ·Aᵀ` (the weight gradient). They differ
 * only in where `A(i,p)` and `B(p,j)` sit in memory, so {@linkcode gemmStrided}
 * takes strides and serves all three. Every product is computed the same way:
 *
 * 1. **Pack.** Both operands are copied into float64 scratch by a native
 *    `TypedArray.set`, which also converts float32. Rows of `A` and columns of
 *    `B` that are not contiguous in that copy are then gathered into rows of
 *    length `k`. This is `O((m + n)·k)` work against the product's `O(m·n·k)`.
 * 2. **Multiply.** Each entry of `C` is the dot product of an `A` row and a
 *    `B` column; they are computed in 3×2 blocks.
 *
 * Why this shape (measured with V8 on x64; scalar code, since JS has no SIMD):
 *
 * - **Loads are what cost.** Each typed-array load carries a bounds check, a
 *   compare-and-branch that competes with the multiplies and adds for the same
 *   execution ports. In a block of `r×s` entries one iteration loads `r + s`
 *   values for `r·s` multiply-adds, so bigger blocks amortise loads better.
 * - **But sums must stay in registers.** V8 has 15 float registers and emits
 *   all products of an iteration before the adds, so a 3×2 block (6 sums,
 *   5 loaded values, the products) is the largest that fits. 4×2, 3×3 and 4×4
 *   blocks spill sums to the stack, which puts a store and a reload on each
 *   spilled sum's dependency chain every iteration; they measured slower.
 * - **One index for every load.** Each block reads five separate row views
 *   at the same `p`, so the loop does no index arithmetic but the increment.
 *   Reading `A(i+1,p)` as `a[base + p + k]` instead costs an add and a sign
 *   extension per load, and measured 15–20% slower.
 * - **One kind of array.** The kernel only ever sees `Float64Array`s this
 *   module allocated, so V8 compiles it once, for them, however callers mix
 *   float32 and float64 matrices (or arrays over other kinds of buffer).
 *
 * Edges need no code of their own: the lists of rows are padded to whole
 * blocks by repeating their last row, the extra results land in padding of
 * the scratch `C`, and only the `m×n` entries are copied out.
 *
 * The scratch buffers are kept between calls and grow to the largest product
 * seen. The functions here call nothing that could re-enter them, and a
 * worker has its own copy of the module, so sharing them is safe.
 *
 * @module
 */

import type { FloatArray } from "./types.ts";

/** Rows of `C` computed per block: one per `A` row loaded each iteration. */
const BLOCK_ROWS = 3;
/** Columns of `C` computed per block: one per `B` column loaded each iteration. */
const BLOCK_COLS = 2;

/**
 * `C = A·B` (or `C += A·B` with `accumulate`) where `C` is `m×n` row-major and
 * `A(i,p) = a[i·sai + p·sap]`, `B(p,j) = b[p·sbp + j·sbj]`.
 *
 * The result is the float64 sum of the products, rounded once when stored
 * into a float32 `c`. `c` may share storage with `a` or `b`: it is written
 * only after the product is complete.
 *
 * @example `W·A`, `Wᵀ·A` and `W·Aᵀ` on row-major storage
 * ```ts
 * import assert from "node:assert/strict";
 * import { gemmStrided } from "./ts_gemm.ts";
 * const w = new Float64Array([1, 2, 3, 4]); // [[1, 2], [3, 4]]
 * const c = new Float64Array(4);
 * gemmStrided(2, 2, 2, w, 2, 1, w, 2, 1, c, false); // W·W
 * assert.deepEqual([...c], [7, 10, 15, 22]);
 * gemmStrided(2, 2, 2, w, 1, 2, w, 2, 1, c, false); // Wᵀ·W
 * assert.deepEqual([...c], [10, 14, 14, 20]);
 * gemmStrided(2, 2, 2, w, 2, 1, w, 1, 2, c, true); // += W·Wᵀ
 * assert.deepEqual([...c], [15, 25, 25, 45]);
 * ```
 */
export function gemmStrided(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  sai: number,
  sap: number,
  b: FloatArray,
  sbp: number,
  sbj: number,
  c: FloatArray,
  accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  const aRows = packRows(a, m, k, sai, sap, scratch.a, BLOCK_ROWS);
  const bCols = packRows(b, n, k, sbj, sbp, scratch.b, BLOCK_COLS);
  const ldc = bCols.length; // the row stride of the padded scratch C
  const out = scratch.c.get(aRows.length * ldc);
  for (let i = 0; i < m; i += BLOCK_ROWS) {
    const a0 = aRows[i], a1 = aRows[i + 1], a2 = aRows[i + 2];
    for (let j = 0; j < n; j += BLOCK_COLS) {
      block(a0, a1, a2, bCols[j], bCols[j + 1], out, i * ldc + j, ldc);
    }
  }
  storeC(out, ldc, m, n, c, accumulate);
}

/**
 * The 3×2 dot products of rows `a0..a2` with columns `b0, b1`, stored into `c`
 * from index `at`, rows `ldc` apart.
 */
function block(
  a0: Float64Array,
  a1: Float64Array,
  a2: Float64Array,
  b0: Float64Array,
  b1: Float64Array,
  c: Float64Array,
  at: number,
  ldc: number,
): void {
  let c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0;
  // `| 0` keeps `p` an int32 without an overflow check, one branch fewer per iteration.
  for (let p = 0; p < a0.length; p = (p + 1) | 0) {
    const x0 = a0[p], x1 = a1[p], x2 = a2[p], y0 = b0[p], y1 = b1[p];
    c00 += x0 * y0, c01 += x0 * y1;
    c10 += x1 * y0, c11 += x1 * y1;
    c20 += x2 * y0, c21 += x2 * y1;
  }
  c[at] = c00, c[at + 1] = c01;
  c[at + ldc] = c10, c[at + ldc + 1] = c11;
  c[at + 2 * ldc] = c20, c[at + 2 * ldc + 1] = c21;
}

/**
 * The `count` rows `X(r,·)` of length `depth`, where `X(r,p) = x[r·sr + p·sp]`,
 * as float64 views, padded to a multiple of `multiple` by repeating the last.
 */
function packRows(
  x: FloatArray,
  count: number,
  depth: number,
  sr: number,
  sp: number,
  buffers: { copy: Scratch; rows: Scratch },
  multiple: number,
): Float64Array[] {
  // Converting first, natively, keeps the gather loop below float64-only too.
  const x64 = buffers.copy.get(x.length);
  x64.set(x);
  const inPlace = sp === 1 && sr === depth;
  const data = inPlace ? x64 : buffers.rows.get(count * depth);
  const rows: Float64Array[] = [];
  for (let r = 0; r < count; r++) {
    const row = data.subarray(r * depth, (r + 1) * depth);
    if (!inPlace) { for (let p = 0, at = r * sr; p < depth; p++, at += sp) row[p] = x64[at]; }
    rows.push(row);
  }
  while (rows.length % multiple !== 0) rows.push(rows[count - 1]);
  return rows;
}

/** Copies (or adds) the `m×n` entries of the padded scratch `out` into `c`. */
function storeC(
  out: Float64Array,
  ldc: number,
  m: number,
  n: number,
  c: FloatArray,
  accumulate: boolean,
): void {
  if (!accumulate && ldc === n) return c.set(out.subarray(0, m * n));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) c[i * n + j] = (accumulate ? c[i * n + j] : 0) + out[i * ldc + j];
  }
}

/** A float64 buffer kept between calls. */
class Scratch {
  #data = new Float64Array(0);

  /** The buffer, grown to at least `size` elements; its contents are left over. */
  get(size: number): Float64Array {
    if (this.#data.length < size) this.#data = new Float64Array(size);
    return this.#data;
  }
}

/** Each operand's float64 copy and its packed rows, and the padded `C`. */
const scratch = {
  a: { copy: new Scratch(), rows: new Scratch() },
  b: { copy: new Scratch(), rows: new Scratch() },
  c: new Scratch(),
};
