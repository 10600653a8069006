/**
 * One thread against two for the WebAssembly products, on the shapes of training.
 *
 * Config B is 784-128-64-10 with a batch of 64, config A 784-30-10 with a
 * batch of 10. Each group times one product with one thread (the baseline) and
 * with two; the last groups time every product of a training step in turn, as
 * training runs them, so a worker that spins between products is measured too.
 *
 * | group | product | `m×n×k` |
 * | --- | --- | --- |
 * | B `W·A` | NN | 128×64×784 |
 * | B `Wᵀ·δ` | TN | 784×64×128 |
 * | B `δ·Aᵀ` | NT | 128×784×64 |
 * | B layer 2 `W·A` | NN | 64×64×128 |
 * | B layer 3 `W·A` | NN | 10×64×64 |
 * | A `W·A` | NN | 30×10×784 |
 * | A `Wᵀ·δ` | TN | 784×10×30 |
 * | A `δ·Aᵀ` | NT | 30×784×10 |
 *
 * The two-thread kernels use the default size threshold, so the smallest
 * products run on one thread there too. The kernels are not closed: `deno
 * bench` ends the process itself. Two threads need two idle cores; on a busy
 * machine the second thread waits for a core and the numbers say little.
 *
 * Measured on a 2-vCPU VM while it was idle (the best and the typical of
 * repeated runs): the three layer-1 products of B 1.9× (typical 1.4–1.7×),
 * `64×64×128` 1.7×, a whole step of B 1.96× in float32 and 1.98× in float64
 * (typical 1.5–1.9×); A's `Wᵀ·δ` and `δ·Aᵀ` 1.5–1.8×, its `W·A` (`n` = 10, so
 * split 15 + 15 rows) 1.0–1.35×, a step of A 1.3–1.5×; `10×64×64` is below the
 * threshold, 1.0×.
 *
 *     deno bench bench/wasm_threads_bench.ts
 */

import type { DType, FloatArray } from "../src/kernels/types.ts";
import { createThreadedKernels, type ThreadedKernels } from "../src/kernels/wasm/threads.ts";

type Product = "NN" | "TN" | "NT";
type Step = [Product, number, number, number];

const single: Step[] = [
  ["NN", 128, 64, 784],
  ["TN", 784, 64, 128],
  ["NT", 128, 784, 64],
  ["NN", 64, 64, 128],
  ["NN", 10, 64, 64],
  ["NN", 30, 10, 784],
  ["TN", 784, 10, 30],
  ["NT", 30, 784, 10],
];

/** Every product of one training step of a network with these layer sizes. */
function stepProducts(sizes: number[], batch: number): Step[] {
  const steps: Step[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const [inputs, outputs] = [sizes[l - 1], sizes[l]];
    steps.push(["NN", outputs, batch, inputs], ["NT", outputs, inputs, batch]);
    if (l > 1) steps.push(["TN", inputs, batch, outputs]);
  }
  return steps;
}

const kernels = [1, 2].map((threads) => createThreadedKernels({ threads }))
  .filter((w): w is ThreadedKernels => w !== undefined);

/** A call of `product` on operands in `w`'s memory, filled with small values. */
function call(w: ThreadedKernels, dtype: DType, [product, m, n, k]: Step): () => void {
  const [a, b, c] = [m * k, k * n, m * n].map((len) => w.alloc(len, dtype)) as FloatArray[];
  [a, b].forEach((x) => x.forEach((_, i) => (x[i] = ((i % 7) - 3) / 8)));
  return () => w[`gemm${product}`](m, n, k, a, b, c);
}

/** One bench per thread count, in `group`, of running `steps` in turn. */
function compare(group: string, dtype: DType, steps: Step[]): void {
  for (const w of kernels) {
    const calls = steps.map((step) => call(w, dtype, step));
    Deno.bench(`${w.threads} thread${w.threads > 1 ? "s" : ""}`, {
      group,
      baseline: w.threads === 1,
    }, () => calls.forEach((run) => run()));
  }
}

for (const dtype of ["float32", "float64"] as const) {
  for (const step of single) {
    compare(`${dtype} ${step[0]} ${step.slice(1).join("×")}`, dtype, [step]);
  }
  compare(`${dtype} step of 784-128-64-10, batch 64`, dtype, stepProducts([784, 128, 64, 10], 64));
  compare(`${dtype} step of 784-30-10, batch 10`, dtype, stepProducts([784, 30, 10], 10));
}
