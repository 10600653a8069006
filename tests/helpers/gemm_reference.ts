/**
 * The reference the kernel tests hold every product to: a plain float64 loop,
 * with an error bound relative to `|C₀| + Σₚ |A(i,p)·B(p,j)|`, the size of the
 * terms summed, so that it holds however much the sum cancels.
 */

import assert from "node:assert/strict";
import type { DType, FloatArray } from "../../src/kernels/types.ts";
import { Random } from "../../src/random.ts";
import type { WasmKernels } from "../../src/kernels/wasm/kernels.ts";

/** Backprop's three products: `W·A`, `Wᵀ·δ`, `δ·Aᵀ`. */
export type Product = "NN" | "TN" | "NT";

export const tolerance: Record<DType, number> = { float32: 1e-5, float64: 1e-12 };

/** `[m, n, k]` of each product in the 784-128 layer of a batch of 64. */
export const networkShapes: Record<Product, [number, number, number]> = {
  NN: [128, 64, 784],
  TN: [784, 64, 128],
  NT: [128, 784, 64],
};

/** Strides `[sai, sap, sbp, sbj]` of each product on row-major storage: `A(i,p) = a[i·sai + p·sap]`. */
export function strides(product: Product, m: number, n: number, k: number): number[] {
  if (product === "NN") return [k, 1, n, 1]; // A is m×k, B is k×n
  if (product === "TN") return [1, m, n, 1]; // A is stored k×m, B is k×n
  return [k, 1, 1, k]; // A is m×k, B is stored n×k
}

/** Fills `a` with uniform values in [-1, 1) from `random`. */
export function fill(a: FloatArray, random: Random): FloatArray {
  for (let i = 0; i < a.length; i++) a[i] = 2 * random.next() - 1;
  return a;
}

/** Checks every element of `c` against the loop over `a`, `b` and the `c0` it started from. */
export function assertProduct(
  product: Product,
  dtype: DType,
  [m, n, k]: [number, number, number],
  accumulate: boolean,
  { a, b, c, c0 }: { a: FloatArray; b: FloatArray; c: FloatArray; c0: Float64Array },
): void {
  const [sai, sap, sbp, sbj] = strides(product, m, n, k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = accumulate ? c0[i * n + j] : 0, size = Math.abs(sum);
      for (let p = 0; p < k; p++) {
        const term = a[i * sai + p * sap] * b[p * sbp + j * sbj];
        sum += term, size += Math.abs(term);
      }
      const where = `${product} ${dtype} ${m}×${n}×${k} accumulate=${accumulate} at (${i}, ${j})`;
      assert.ok(
        Math.abs(c[i * n + j] - sum) <= tolerance[dtype] * size,
        `${where}: ${c[i * n + j]} vs ${sum}`,
      );
    }
  }
}

/** `[m, n, k]`: edges around the 6-row, 8- and 4-column tiles, then the network's products. */
export const shapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 1, 7],
  [2, 3, 0],
  [5, 3, 2],
  [7, 9, 5],
  [6, 8, 4],
  [11, 13, 17],
  [13, 12, 3],
  [3, 5, 4100],
  [10, 10, 30],
  [64, 64, 128],
  [30, 10, 784],
  [10, 30, 10],
];

/**
 * `A` (`m·k`), `B` (`k·n`) and `C` (`m·n`) from `alloc`, filled from a generator seeded by the
 * shape, and `C`'s starting values in float64.
 */
export function seededOperands(
  alloc: (length: number, dtype: DType) => FloatArray,
  dtype: DType,
  [m, n, k]: [number, number, number],
): { a: FloatArray; b: FloatArray; c: FloatArray; c0: Float64Array } {
  const random = new Random(m * 1_000_003 + n * 1009 + k);
  const a = fill(alloc(m * k, dtype), random), b = fill(alloc(k * n, dtype), random);
  const c = fill(alloc(m * n, dtype), random);
  return { a, b, c, c0: Float64Array.from(c) };
}

/** One product of `w` on operands from a seeded fill, checked against the loop. */
export function checkProduct(
  w: WasmKernels,
  product: Product,
  dtype: DType,
  [m, n, k]: [number, number, number],
  accumulate: boolean,
): void {
  const { a, b, c, c0 } = seededOperands((n, d) => w.alloc(n, d), dtype, [m, n, k]);
  w[`gemm${product}`](m, n, k, a, b, c, accumulate);
  assertProduct(product, dtype, [m, n, k], accumulate, { a, b, c, c0 });
}
