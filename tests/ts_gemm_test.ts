/**
 * The TypeScript kernel agrees with a plain float64 triple loop.
 *
 * Each of backprop's three products (`W·A`, `Wᵀ·δ`, `δ·Aᵀ`, as `matrix.ts`
 * calls them) runs on shapes that leave every kind of partial 3×2 block, on
 * `k = 0` and on the network's own shapes, in both precisions, with and
 * without `accumulate`. The error is measured against `|C₀| + Σₚ |A(i,p)·B(p,j)|`,
 * the size of what is summed, so the bound holds however much the sum cancels.
 */

import assert from "node:assert/strict";
import { gemmStrided } from "../src/kernels/ts_gemm.ts";
import type { DType, FloatArray } from "../src/kernels/types.ts";
import { Random } from "../src/random.ts";
import {
  assertProduct,
  fill,
  networkShapes,
  type Product,
  seededOperands,
  strides,
} from "./helpers/gemm_reference.ts";

/** `[m, n, k]`: one short of, equal to and past the 3×2 block in each direction, and `k = 0`. */
const edgeShapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 1, 7],
  [2, 3, 0],
  [3, 2, 1],
  [4, 3, 5],
  [5, 1, 2],
  [7, 9, 5],
  [6, 8, 4],
  [11, 13, 17],
  [13, 12, 3],
  [3, 5, 300],
  [10, 10, 30],
  [30, 10, 784],
  [64, 64, 128],
];

/** A plain typed array of `length` elements (the TypeScript kernel needs no wasm memory). */
function plain(length: number, dtype: DType): FloatArray {
  return dtype === "float64" ? new Float64Array(length) : new Float32Array(length);
}

function filled(length: number, dtype: DType, random: Random): FloatArray {
  return fill(plain(length, dtype), random);
}

function checkProduct(
  product: Product,
  dtype: DType,
  [m, n, k]: [number, number, number],
  accumulate: boolean,
): void {
  const { a, b, c, c0 } = seededOperands(plain, dtype, [m, n, k]);
  const [sai, sap, sbp, sbj] = strides(product, m, n, k);
  gemmStrided(m, n, k, a, sai, sap, b, sbp, sbj, c, accumulate);
  assertProduct(product, dtype, [m, n, k], accumulate, { a, b, c, c0 });
}

for (const product of ["NN", "TN", "NT"] as const) {
  for (const dtype of ["float32", "float64"] as const) {
    Deno.test(`gemmStrided ${product} ${dtype} matches a float64 loop on edge shapes`, () => {
      for (const shape of edgeShapes) {
        checkProduct(product, dtype, shape, false);
        checkProduct(product, dtype, shape, true);
      }
    });
    Deno.test(`gemmStrided ${product} ${dtype} matches a float64 loop on the network shape`, () => {
      checkProduct(product, dtype, networkShapes[product], false);
      checkProduct(product, dtype, networkShapes[product], true);
    });
  }
}

Deno.test("gemmStrided with k = 0 sets C to zero, or leaves it with accumulate", () => {
  const c = new Float32Array([1, 2, 3, 4, 5, 6]);
  gemmStrided(2, 3, 0, new Float32Array(0), 0, 1, new Float32Array(0), 3, 1, c, true);
  assert.deepEqual([...c], [1, 2, 3, 4, 5, 6]);
  gemmStrided(2, 3, 0, new Float32Array(0), 0, 1, new Float32Array(0), 3, 1, c, false);
  assert.deepEqual([...c], [0, 0, 0, 0, 0, 0]);
});

Deno.test("gemmStrided may write into one of its operands", () => {
  const w = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9]); // [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
  gemmStrided(3, 3, 3, w, 3, 1, w, 3, 1, w, false); // W ← W·W
  assert.deepEqual([...w], [30, 36, 42, 66, 81, 96, 102, 126, 150]);
});

Deno.test("gemmStrided results do not depend on earlier calls", () => {
  // The scratch buffers are reused across calls, shapes and precisions; nothing stale may leak.
  const random = new Random(7);
  const a = filled(7 * 3, "float32", random), b = filled(3 * 5, "float32", random);
  const product = () => {
    const c = new Float32Array(7 * 5);
    gemmStrided(7, 5, 3, a, 3, 1, b, 1, 3, c, false);
    return c;
  };
  const first = product();
  const big = filled(40 * 40, "float64", random);
  gemmStrided(40, 40, 40, big, 1, 40, big, 40, 1, new Float64Array(40 * 40), false);
  assert.deepEqual(product(), first);
});
