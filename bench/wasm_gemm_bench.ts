/**
 * The WebAssembly SIMD products against the TypeScript kernel, on the shapes
 * of one backprop step of a 784-128 layer with a batch of 64:
 *
 * | product | shape `m×n×k` | GFLOP per call |
 * | --- | --- | --- |
 * | `W·A` (NN) | 128×64×784 | 0.0128 |
 * | `Wᵀ·δ` (TN) | 784×64×128 | 0.0128 |
 * | `δ·Aᵀ` (NT) | 128×784×64 | 0.0128 |
 *
 * Each call does `2·m·n·k` = 12.8 MFLOP, so GFLOP/s = 12.8 / (time per call in ms).
 * One group per product and element type; the TypeScript kernel is the baseline.
 *
 *     deno bench bench/wasm_gemm_bench.ts
 */

import { gemmStrided } from "../src/kernels/ts_gemm.ts";
import type { DType, FloatArray } from "../src/kernels/types.ts";
import { createWasmKernels, type WasmKernels } from "../src/kernels/wasm/kernels.ts";

type Product = "NN" | "TN" | "NT";

const shapes: Record<Product, [number, number, number]> = {
  NN: [128, 64, 784],
  TN: [784, 64, 128],
  NT: [128, 784, 64],
};

/** The TypeScript kernel's strides for each product (element strides of `A(i,p)` and `B(p,j)`). */
function tsStrides(product: Product, m: number, n: number, k: number): number[] {
  if (product === "NN") return [k, 1, n, 1];
  if (product === "TN") return [1, m, n, 1];
  return [k, 1, 1, k];
}

/** Operands in wasm memory, filled with small values. */
function operands(w: WasmKernels, dtype: DType, m: number, n: number, k: number): FloatArray[] {
  const arrays = [w.alloc(m * k, dtype), w.alloc(k * n, dtype), w.alloc(m * n, dtype)];
  arrays.forEach((x) => x.forEach((_, i) => (x[i] = ((i % 7) - 3) / 8)));
  return arrays;
}

/** Relaxed SIMD where the engine has it, and plain SIMD; none without SIMD. */
const kernels = [createWasmKernels({ relaxed: true }), createWasmKernels({ relaxed: false })]
  .filter((w, i): w is WasmKernels =>
    w !== undefined && (i === 1 || w.features === "relaxed-simd")
  );

for (const product of ["NN", "TN", "NT"] as const) {
  for (const dtype of ["float32", "float64"] as const) {
    const [m, n, k] = shapes[product], group = `${product} ${dtype} ${m}×${n}×${k}`;
    const [sai, sap, sbp, sbj] = tsStrides(product, m, n, k);
    const [ta, tb, tc] = [m * k, k * n, m * n].map((len) =>
      dtype === "float64" ? new Float64Array(len).fill(0.25) : new Float32Array(len).fill(0.25)
    );
    Deno.bench("typescript", { group, baseline: true }, () => {
      gemmStrided(m, n, k, ta, sai, sap, tb, sbp, sbj, tc, false);
    });
    for (const w of kernels) {
      const [a, b, c] = operands(w, dtype, m, n, k);
      Deno.bench(`wasm ${w.features}`, { group }, () => w[`gemm${product}`](m, n, k, a, b, c));
    }
  }
}
