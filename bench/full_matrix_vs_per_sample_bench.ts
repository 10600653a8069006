/**
 * The seed's speed claim: one full-matrix backprop over a batch against the
 * per-sample method (one column at a time) on the same network and kernels.
 *
 *     deno bench bench/full_matrix_vs_per_sample_bench.ts
 *
 * Deno prints the ratio of each group's cases to its baseline (per-sample).
 */

import {
  type ActivationName,
  type LossName,
  Network,
  perSampleGradients,
  Random,
  zeros,
} from "../mod.ts";

const configs: {
  name: string;
  sizes: number[];
  activations: ActivationName[];
  loss: LossName;
  batch: number;
}[] = [
  {
    name: "A 784-30-10 sigmoid, quadratic, M=10",
    sizes: [784, 30, 10],
    activations: ["sigmoid", "sigmoid"],
    loss: "quadratic",
    batch: 10,
  },
  {
    name: "B 784-128-64-10 relu, softmax, M=64",
    sizes: [784, 128, 64, 10],
    activations: ["relu", "relu", "softmax"],
    loss: "cross-entropy",
    batch: 64,
  },
  {
    name: "digits 64-32-10 relu, softmax, M=32",
    sizes: [64, 32, 10],
    activations: ["relu", "softmax"],
    loss: "cross-entropy",
    batch: 32,
  },
];

for (const c of configs) {
  const net = new Network({ sizes: c.sizes, activations: c.activations, seed: 1 });
  const random = new Random(2);
  const x = zeros(c.sizes[0], c.batch), y = zeros(c.sizes.at(-1)!, c.batch);
  x.data.forEach((_, i) => x.data[i] = random.next());
  for (let j = 0; j < c.batch; j++) y.data[random.int(y.rows) * c.batch + j] = 1;
  Deno.bench(`per-sample`, { group: c.name, baseline: true }, () => {
    perSampleGradients(net, x, y, c.loss);
  });
  Deno.bench(`full-matrix`, { group: c.name }, () => {
    net.gradients(x, y, c.loss);
  });
}
