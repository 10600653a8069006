/**
 * The four equations give the true gradient: they agree with central finite
 * differences, with the seed's per-sample method, and with a small network
 * worked out by hand.
 */

import assert from "node:assert/strict";
import {
  type ActivationSpec,
  fromRows,
  type LayerGradient,
  type LossName,
  type Matrix,
  Network,
  perSampleGradients,
  SGD,
  toRows,
  zeros,
} from "../mod.ts";
import { Random } from "../src/random.ts";

/** A random batch: inputs in [-1, 1], targets one-hot (classification) or in [0, 1]. */
function batch(
  sizes: number[],
  m: number,
  oneHot: boolean,
  seed: number,
): { x: Matrix; y: Matrix } {
  const random = new Random(seed);
  const x = zeros(sizes[0], m, "float64"), y = zeros(sizes[sizes.length - 1], m, "float64");
  x.data.forEach((_, i) => x.data[i] = 2 * random.next() - 1);
  if (oneHot) { for (let j = 0; j < m; j++) y.data[random.int(y.rows) * m + j] = 1; }
  else y.data.forEach((_, i) => y.data[i] = random.next());
  return { x, y };
}

/** `‖a − b‖ / max(‖a‖, ‖b‖)` over all parameters: one number per gradient. */
function relativeError(a: number[], b: number[]): number {
  let diff = 0, na = 0, nb = 0;
  a.forEach((v, i) => {
    diff += (v - b[i]) ** 2;
    na += v * v;
    nb += b[i] * b[i];
  });
  return Math.sqrt(diff) / Math.max(Math.sqrt(na), Math.sqrt(nb), 1e-300);
}

const flatten = (grads: LayerGradient[]) => grads.flatMap(({ dW, db }) => [...dW.data, ...db.data]);

/** Central differences `(C(θ+h) − C(θ−h)) / 2h` for every parameter, in layer order. */
function numericGradient(net: Network, x: Matrix, y: Matrix, loss: LossName, h = 1e-6): number[] {
  const cost = () => net.gradients(x, y, loss).loss;
  return net.layers.flatMap(({ W, b }) =>
    [W, b].flatMap((p) =>
      Array.from(p.data, (_, i) => {
        const keep = p.data[i];
        p.data[i] = keep + h;
        const plus = cost();
        p.data[i] = keep - h;
        const minus = cost();
        p.data[i] = keep;
        return (plus - minus) / (2 * h);
      })
    )
  );
}

const cases: {
  name: string;
  sizes: number[];
  activations: ActivationSpec[];
  loss: LossName;
  oneHot: boolean;
}[] = [
  {
    name: "sigmoid + quadratic (the seed's)",
    sizes: [4, 5, 3],
    activations: ["sigmoid", "sigmoid"],
    loss: "quadratic",
    oneHot: false,
  },
  {
    name: "relu/tanh hidden + softmax + cross-entropy",
    sizes: [5, 6, 4, 3],
    activations: ["relu", "tanh", "softmax"],
    loss: "cross-entropy",
    oneHot: true,
  },
  {
    name: "identity + quadratic",
    sizes: [3, 4, 2],
    activations: ["identity", "identity"],
    loss: "quadratic",
    oneHot: false,
  },
  {
    name: "sigmoid output + binary cross-entropy, one-hot targets",
    sizes: [3, 4, 3],
    activations: ["tanh", "sigmoid"],
    loss: "cross-entropy",
    oneHot: true,
  },
  {
    name: "sigmoid output + binary cross-entropy, multi-label soft targets",
    sizes: [3, 4, 3],
    activations: ["relu", "sigmoid"],
    loss: "cross-entropy",
    oneHot: false,
  },
  {
    name: "softmax + cross-entropy, targets that do not sum to 1",
    sizes: [3, 4, 3],
    activations: ["tanh", "softmax"],
    loss: "cross-entropy",
    oneHot: false,
  },
  {
    name: "leaky-relu (slope 0.1) hidden + sigmoid + quadratic",
    sizes: [4, 5, 2],
    activations: ["leaky-relu:0.1", "sigmoid"],
    loss: "quadratic",
    oneHot: false,
  },
  {
    name: "gelu hidden + softmax + cross-entropy",
    sizes: [4, 5, 3],
    activations: ["gelu", "softmax"],
    loss: "cross-entropy",
    oneHot: true,
  },
  {
    name: "softmax + quadratic (softmax's Jacobian path)",
    sizes: [3, 4, 3],
    activations: ["relu", "softmax"],
    loss: "quadratic",
    oneHot: true,
  },
];

const backends = ["typescript", "wasm"] as const;

for (const c of cases) {
  Deno.test(`gradients match central finite differences: ${c.name}`, async (t) => {
    for (const backend of backends) {
      await t.step(backend, () => checkAgainstFiniteDifferences(c, backend));
    }
  });
}

function checkAgainstFiniteDifferences(
  c: typeof cases[number],
  backend: typeof backends[number],
): void {
  const net = new Network({
    sizes: c.sizes,
    activations: c.activations,
    seed: 3,
    dtype: "float64",
    backend,
  });
  const { x, y } = batch(c.sizes, 7, c.oneHot, 11);
  const analytic = flatten(net.gradients(x, y, c.loss).grads);
  const numeric = numericGradient(net, x, y, c.loss);
  const error = relativeError(analytic, numeric);
  assert.ok(error < 1e-6, `relative error ${error}`);
}

Deno.test("full-matrix and per-sample gradients agree within 1e-12, with the shapes of W and b", async (t) => {
  const shapes = [
    { sizes: [4, 5, 3], m: 1 },
    { sizes: [4, 5, 3], m: 10 },
    { sizes: [8, 16, 8, 4], m: 7 }, // a short last batch of a batch size 10
    { sizes: [2, 3, 3, 3, 2], m: 33 },
  ];
  for (const { sizes, m } of shapes) {
    for (const [c, backend] of cases.flatMap((c) => backends.map((b) => [c, b] as const))) {
      await t.step(`${sizes.join("-")}, M = ${m}, ${c.name}, ${backend}`, () => {
        const net = new Network({
          backend,
          sizes,
          activations: [...Array(sizes.length - 2).fill(c.activations[0]), c.activations.at(-1)!],
          seed: m,
          dtype: "float64",
        });
        const { x, y } = batch(sizes, m, c.oneHot, m + 1);
        const full = net.gradients(x, y, c.loss), each = perSampleGradients(net, x, y, c.loss);
        assert.ok(Math.abs(full.loss - each.loss) <= 1e-12 * Math.abs(full.loss));
        full.grads.forEach((g, l) => {
          const { W, b } = net.layers[l];
          assert.deepEqual([g.dW.rows, g.dW.cols, g.db.rows, g.db.cols], [
            W.rows,
            W.cols,
            b.rows,
            1,
          ]);
          assert.deepEqual([each.grads[l].dW.rows, each.grads[l].dW.cols], [W.rows, W.cols]);
        });
        const error = relativeError(flatten(full.grads), flatten(each.grads));
        assert.ok(error < 1e-12, `relative error ${error}`);
      });
    }
  }
});

Deno.test("a 2-2-1 network worked out by hand: relu hidden, identity output, quadratic loss", () => {
  const net = new Network({
    sizes: [2, 2, 1],
    activations: ["relu", "identity"],
    dtype: "float64",
  });
  net.layers[0].W.data.set([0.5, -0.5, 0.25, 0.75]);
  net.layers[0].b.data.set([0, 0.5]);
  net.layers[1].W.data.set([1, 2]);
  net.layers[1].b.data.set([0.5]);
  // Two samples, as columns: x¹ = (1, 2) → y¹ = 1,  x² = (0, 1) → y² = 2.
  const x = fromRows([[1, 0], [2, 1]], "float64"), y = fromRows([[1, 2]], "float64");
  // Z¹ = W¹X + b̂¹ = [[-0.5, -0.5], [2.25, 1.25]]; A¹ = relu(Z¹) = [[0, 0], [2.25, 1.25]]
  // Z² = A² = W²A¹ + b² = [5, 3];  C = ½·((5−1)² + (3−2)²) / 2 = 4.25
  assert.deepEqual(toRows(net.forward(x)), [[5, 3]]);
  const { loss, grads } = net.gradients(x, y, "quadratic");
  assert.equal(loss, 4.25);
  // δ² = (A² − Y)/M = [2, 0.5];  ∂C/∂W² = δ²A¹ᵀ = [0, 2·2.25 + 0.5·1.25];  ∂C/∂b² = 2.5
  assert.deepEqual(toRows(grads[1].dW), [[0, 5.125]]);
  assert.deepEqual(toRows(grads[1].db), [[2.5]]);
  // δ¹ = W²ᵀδ² ⊙ relu'(Z¹) = [[2, 0.5], [4, 1]] ⊙ [[0, 0], [1, 1]] = [[0, 0], [4, 1]]
  // ∂C/∂W¹ = δ¹Xᵀ = [[0, 0], [4·1 + 1·0, 4·2 + 1·1]];  ∂C/∂b¹ = [0, 5]
  assert.deepEqual(toRows(grads[0].dW), [[0, 0], [4, 9]]);
  assert.deepEqual(toRows(grads[0].db), [[0], [5]]);
  // One SGD step with η = 0.1 moves each parameter by −0.1 × its gradient.
  new SGD({ learningRate: 0.1 }).step(net.layers, grads);
  assert.deepEqual(toRows(net.layers[1].W), [[1, 2 - 0.1 * 5.125]]);
  assert.deepEqual(toRows(net.layers[0].b), [[0], [0.5 - 0.1 * 5]]);
});

for (const backend of ["typescript", "wasm"] as const) {
  Deno.test(`columns never mix: a sample's output does not depend on its batch mates (${backend})`, () => {
    const net = new Network({
      sizes: [3, 4, 2],
      activations: ["tanh", "softmax"],
      seed: 5,
      dtype: "float64",
      backend,
    });
    const { x } = batch([3, 4, 2], 6, true, 2);
    const together = toRows(net.forward(x));
    for (let j = 0; j < 6; j++) {
      const column = Float64Array.from({ length: 3 }, (_, i) => x.data[i * 6 + j]);
      const alone = net.forward({ rows: 3, cols: 1, data: column });
      for (const i of [0, 1]) {
        // The SIMD kernels fuse multiply-adds inside a tile but not at its edge,
        // so a column may round differently in the last bit by where it sits.
        const tolerance = backend === "typescript" ? 0 : 1e-15;
        assert.ok(
          Math.abs(alone.data[i] - together[i][j]) <= tolerance,
          `${alone.data[i]} vs ${together[i][j]}`,
        );
      }
    }
  });
}
