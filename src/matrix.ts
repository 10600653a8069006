/**
 * The `Matrix` type and the operations the four equations of backprop need.
 *
 * A matrix is row-major storage plus its shape. In a mini-batch the samples are
 * **columns**: `X` is `N0 × M`, and column `j` of every activation belongs to
 * sample `j` alone. The three products of backprop take their operands as they
 * are stored, transposing by index arithmetic inside the kernel:
 *
 * | product | used for | function |
 * | --- | --- | --- |
 * | `W · A` | forward pass `Z = W A + b̂` | {@linkcode matmul} |
 * | `Wᵀ · δ` | error flowing back | {@linkcode matmulTN} |
 * | `δ · Aᵀ` | weight gradient | {@linkcode matmulNT} |
 *
 * @module
 */

import { wasmKernelsOf } from "./kernels/backend.ts";
import { gemmStrided } from "./kernels/ts_gemm.ts";
import type { DType, FloatArray } from "./kernels/types.ts";

export type { DType, FloatArray };

/**
 * A dense row-major matrix: element `(i, j)` is `data[i * cols + j]`.
 *
 * @example A 2×3 matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Matrix } from "@fullmatrix/backprop";
 * const m: Matrix = { rows: 2, cols: 3, data: new Float32Array([1, 2, 3, 4, 5, 6]) };
 * assert.ok(m.data[1 * m.cols + 2] === 6);
 * ```
 */
export interface Matrix {
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** Elements, row after row. */
  data: FloatArray;
}

/**
 * A new zero matrix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zeros } from "@fullmatrix/backprop";
 * const z = zeros(2, 2, "float64");
 * assert.ok(z.data instanceof Float64Array && z.data.length === 4);
 * ```
 */
export function zeros(rows: number, cols: number, dtype: DType = "float32"): Matrix {
  return { rows, cols, data: floatArray(dtype, rows * cols) };
}

/**
 * A zeroed array of `length` elements of type `dtype`: the one place that picks
 * `Float32Array` or `Float64Array` by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { floatArray } from "./matrix.ts";
 * assert.ok(floatArray("float64", 3) instanceof Float64Array);
 * assert.ok(floatArray("float32", 3) instanceof Float32Array);
 * ```
 */
export function floatArray(dtype: DType, length: number): FloatArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(length);
    case "float64":
      return new Float64Array(length);
    default: {
      const _: never = dtype;
      throw new RangeError(`unknown dtype ${JSON.stringify(_)}; expected float32 or float64`);
    }
  }
}

/**
 * A zero matrix with the element type of `like`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, zerosLike } from "./matrix.ts";
 * const z = zerosLike(fromRows([[1, 2]], "float64"), 3, 1);
 * assert.ok(z.data instanceof Float64Array && z.rows === 3);
 * ```
 */
export function zerosLike(
  like: Matrix,
  rows: number = like.rows,
  cols: number = like.cols,
): Matrix {
  return zeros(rows, cols, dtypeOf(like));
}

/**
 * A matrix from nested arrays, one inner array per row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows } from "@fullmatrix/backprop";
 * const m = fromRows([[1, 2], [3, 4]]);
 * assert.ok(m.rows === 2 && m.data[2] === 3);
 * ```
 */
export function fromRows(rows: readonly (readonly number[])[], dtype: DType = "float32"): Matrix {
  const m = zeros(rows.length, rows[0]?.length ?? 0, dtype);
  rows.forEach((row, i) => {
    if (row.length !== m.cols) {
      throw new RangeError(`fromRows: row ${i} has ${row.length} values, expected ${m.cols}`);
    }
    m.data.set(row, i * m.cols);
  });
  return m;
}

/**
 * The matrix as nested arrays of numbers, one inner array per row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, toRows } from "@fullmatrix/backprop";
 * assert.ok(toRows(fromRows([[1, 2]]))[0][1] === 2);
 * ```
 */
export function toRows(m: Matrix): number[][] {
  return Array.from(
    { length: m.rows },
    (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)),
  );
}

/**
 * The element type of a matrix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dtypeOf, zeros } from "./matrix.ts";
 * assert.ok(dtypeOf(zeros(1, 1)) === "float32");
 * ```
 */
export function dtypeOf(m: Matrix): DType {
  return m.data instanceof Float64Array ? "float64" : "float32";
}

/**
 * A deep copy: new storage, same shape and values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clone, fromRows } from "./matrix.ts";
 * const a = fromRows([[1]]), b = clone(a);
 * b.data[0] = 2;
 * assert.ok(a.data[0] === 1);
 * ```
 */
export function clone(m: Matrix): Matrix {
  return { rows: m.rows, cols: m.cols, data: m.data.slice() };
}

/**
 * A deep copy of each record of matrices (layers `{ W, b }`, gradients `{ dW, db }`):
 * new storage for every matrix, so the copies can be kept while the originals change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneAll, fromRows } from "./matrix.ts";
 * const layers = [{ W: fromRows([[1]]), b: fromRows([[0]]) }];
 * const copy = cloneAll(layers);
 * layers[0].W.data[0] = 5;
 * assert.equal(copy[0].W.data[0], 1);
 * ```
 */
export function cloneAll<T extends Record<keyof T, Matrix>>(records: readonly T[]): T[] {
  return records.map((r) =>
    Object.fromEntries(Object.entries<Matrix>(r).map(([k, m]) => [k, clone(m)])) as T
  );
}

/**
 * `A · B`, written into `out` when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, matmul } from "./matrix.ts";
 * const c = matmul(fromRows([[1, 2]]), fromRows([[3], [4]]));
 * assert.ok(c.data[0] === 11);
 * ```
 */
export function matmul(a: Matrix, b: Matrix, out: Matrix = zerosLike(a, a.rows, b.cols)): Matrix {
  checkProduct("matmul", a.cols, b.rows, out, a.rows, b.cols);
  const wasm = wasmKernelsOf(a.data, b.data, out.data);
  if (wasm) wasm.gemmNN(a.rows, b.cols, a.cols, a.data, b.data, out.data);
  else gemmStrided(a.rows, b.cols, a.cols, a.data, a.cols, 1, b.data, b.cols, 1, out.data, false);
  return out;
}

/**
 * `Aᵀ · B` without forming `Aᵀ`, written into `out` when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, matmulTN } from "./matrix.ts";
 * const c = matmulTN(fromRows([[1, 2]]), fromRows([[3]])); // [1;2]·[3]
 * assert.ok(c.rows === 2 && c.data[1] === 6);
 * ```
 */
export function matmulTN(a: Matrix, b: Matrix, out: Matrix = zerosLike(a, a.cols, b.cols)): Matrix {
  checkProduct("matmulTN", a.rows, b.rows, out, a.cols, b.cols);
  const wasm = wasmKernelsOf(a.data, b.data, out.data);
  if (wasm) wasm.gemmTN(a.cols, b.cols, a.rows, a.data, b.data, out.data);
  else gemmStrided(a.cols, b.cols, a.rows, a.data, 1, a.cols, b.data, b.cols, 1, out.data, false);
  return out;
}

/**
 * `A · Bᵀ` without forming `Bᵀ`, written into `out` when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, matmulNT } from "./matrix.ts";
 * const c = matmulNT(fromRows([[1, 2]]), fromRows([[3, 4]]));
 * assert.ok(c.data[0] === 11);
 * ```
 */
export function matmulNT(a: Matrix, b: Matrix, out: Matrix = zerosLike(a, a.rows, b.rows)): Matrix {
  checkProduct("matmulNT", a.cols, b.cols, out, a.rows, b.rows);
  const wasm = wasmKernelsOf(a.data, b.data, out.data);
  if (wasm) wasm.gemmNT(a.rows, b.rows, a.cols, a.data, b.data, out.data);
  else gemmStrided(a.rows, b.rows, a.cols, a.data, a.cols, 1, b.data, 1, b.cols, out.data, false);
  return out;
}

function checkProduct(
  name: string,
  inner1: number,
  inner2: number,
  out: Matrix,
  rows: number,
  cols: number,
): void {
  if (inner1 !== inner2) {
    throw new RangeError(`${name}: inner dimensions differ (${inner1} vs ${inner2})`);
  }
  if (out.rows !== rows || out.cols !== cols) {
    throw new RangeError(`${name}: out is ${out.rows}×${out.cols}, expected ${rows}×${cols}`);
  }
}

/**
 * Adds the column vector `b` (`rows × 1`) to every column of `z`, in place: `Z + b̂`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addColumn, fromRows } from "./matrix.ts";
 * const z = addColumn(fromRows([[1, 2], [3, 4]]), fromRows([[10], [20]]));
 * assert.ok(z.data[1] === 12 && z.data[2] === 23);
 * ```
 */
export function addColumn(z: Matrix, b: Matrix): Matrix {
  if (b.rows !== z.rows || b.cols !== 1) {
    throw new RangeError(`addColumn: bias is ${b.rows}×${b.cols}, expected ${z.rows}×1`);
  }
  const { rows, cols, data } = z;
  const wasm = wasmKernelsOf(data, b.data);
  if (wasm) return wasm.addColumn(rows, cols, data, b.data), z;
  for (let i = 0; i < rows; i++) {
    const bi = b.data[i];
    for (let j = i * cols, end = j + cols; j < end; j++) data[j] += bi;
  }
  return z;
}

/**
 * Sums each row: `M · ones(cols, 1)`, a `rows × 1` column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, rowSums } from "./matrix.ts";
 * assert.ok(rowSums(fromRows([[1, 2], [3, 4]])).data[1] === 7);
 * ```
 */
export function rowSums(m: Matrix, out: Matrix = zerosLike(m, m.rows, 1)): Matrix {
  const { rows, cols, data } = m;
  const wasm = wasmKernelsOf(data, out.data);
  if (wasm) return wasm.rowSums(rows, cols, data, out.data), out;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = i * cols, end = j + cols; j < end; j++) s += data[j];
    out.data[i] = s;
  }
  return out;
}

/**
 * The elementwise product `A ⊙ B`, written into `out` (by default into `a`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, hadamard } from "./matrix.ts";
 * assert.ok(hadamard(fromRows([[2, 3]]), fromRows([[4, 5]])).data[1] === 15);
 * ```
 */
export function hadamard(a: Matrix, b: Matrix, out: Matrix = a): Matrix {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(`hadamard: shapes differ (${a.rows}×${a.cols} vs ${b.rows}×${b.cols})`);
  }
  const x = a.data, y = b.data, o = out.data;
  for (let i = 0; i < x.length; i++) o[i] = x[i] * y[i];
  return out;
}

/**
 * Column `j` as a new `rows × 1` matrix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { column, fromRows } from "./matrix.ts";
 * assert.ok(column(fromRows([[1, 2], [3, 4]]), 1).data[1] === 4);
 * ```
 */
export function column(m: Matrix, j: number): Matrix {
  const out = zerosLike(m, m.rows, 1);
  for (let i = 0; i < m.rows; i++) out.data[i] = m.data[i * m.cols + j];
  return out;
}
