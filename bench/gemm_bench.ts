/**
 * The TypeScript kernel on the products of one backprop step, per layer.
 *
 * A layer `in → out` on a batch of `b` samples does three products, each of
 * `2·out·in·b` flops, so GFLOP/s = (MFLOP in the group name) / (ms per call):
 *
 * | product | `m×k · k×n` | used for |
 * | --- | --- | --- |
 * | NN | `out×in · in×b` | `W·A`, the forward pass |
 * | TN | `in×out · out×b` | `Wᵀ·δ`, the error flowing back |
 * | NT | `out×b · b×in` | `δ·Aᵀ`, the weight gradient |
 *
 *     deno bench bench/gemm_bench.ts
 */

import { gemmStrided } from "../src/kernels/ts_gemm.ts";
import type { DType, FloatArray } from "../src/kernels/types.ts";

/** `[in, out, batch]`: layers of a 784-128-64-… network on batches of 64, and of a 784-30-10 one on batches of 10. */
const layers: [number, number, number][] = [
  [784, 128, 64],
  [128, 64, 64],
  [784, 30, 10],
  [30, 10, 10],
];

/** `[m, n, k]` and the strides `[sai, sap, sbp, sbj]` that `matrix.ts` passes for each product. */
function product(name: "NN" | "TN" | "NT", inputs: number, outputs: number, batch: number) {
  if (name === "NN") return { shape: [outputs, batch, inputs], strides: [inputs, 1, batch, 1] };
  if (name === "TN") return { shape: [inputs, batch, outputs], strides: [1, inputs, batch, 1] };
  return { shape: [outputs, inputs, batch], strides: [batch, 1, 1, batch] };
}

function filled(length: number, dtype: DType): FloatArray {
  const x = dtype === "float64" ? new Float64Array(length) : new Float32Array(length);
  return x.map((_, i) => ((i % 7) - 3) / 8);
}

for (const [inputs, outputs, batch] of layers) {
  const mflop = (2 * inputs * outputs * batch / 1e6).toPrecision(3);
  const group = `${inputs}→${outputs} batch ${batch} (${mflop} MFLOP per product)`;
  for (const name of ["NN", "TN", "NT"] as const) {
    for (const dtype of ["float32", "float64"] as const) {
      const { shape, strides } = product(name, inputs, outputs, batch);
      const [m, n, k] = shape, [sai, sap, sbp, sbj] = strides;
      const a = filled(m * k, dtype), b = filled(k * n, dtype), c = filled(m * n, dtype);
      const baseline = name === "NN" && dtype === "float32";
      Deno.bench(`${name} ${dtype}`, { group, baseline }, () => {
        gemmStrided(m, n, k, a, sai, sap, b, sbp, sbj, c, false);
      });
    }
  }
}
