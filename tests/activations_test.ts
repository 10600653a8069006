/**
 * The activations the registry adds beyond the seed's: their values, their
 * parameters in both spellings, their initialiser, and that a model file keeps
 * their parameters. Their gradients are checked in gradients_test.ts.
 */

import assert from "node:assert/strict";
import {
  activation,
  activationNames,
  activations,
  decodeModel,
  encodeModel,
  fromRows,
  hiddenActivationNames,
  Network,
  resolveActivation,
  zeros,
} from "../mod.ts";

const apply = (
  spec: Parameters<typeof activation>[0],
  values: number[],
) => [
  ...activation(spec).forward(fromRows([values], "float64"), zeros(1, values.length, "float64"))
    .data,
];

Deno.test("leaky-relu: z for z > 0, slope·z otherwise; the default slope is 0.01", () => {
  assert.deepEqual(apply("leaky-relu", [-2, 0, 3]), [-0.02, 0, 3]);
  assert.deepEqual(apply("leaky-relu:0.5", [-2, 0, 3]), [-1, 0, 3]);
  assert.deepEqual(apply({ name: "leaky-relu", slope: 0.5 }, [-2, 3]), [-1, 3]);
  assert.ok(activationNames.includes("leaky-relu") && hiddenActivationNames.includes("leaky-relu"));
  assert.equal(activations["leaky-relu"].init, "he");
});

Deno.test("leaky-relu: both spellings resolve to one canonical text; bad slopes are refused", () => {
  assert.equal(resolveActivation({ name: "leaky-relu", slope: 0.1 }).text, "leaky-relu:0.1");
  assert.equal(resolveActivation("leaky-relu:0.1").text, "leaky-relu:0.1");
  assert.equal(resolveActivation("leaky-relu").text, "leaky-relu:0.01");
  assert.deepEqual(resolveActivation("leaky-relu:0.2").params, { slope: 0.2 });
  for (
    const bad of [
      "leaky-relu:x",
      "leaky-relu:",
      "leaky-relu:-0.1",
      "leaky-relu:2",
      "leaky-relu:NaN",
    ]
  ) {
    assert.throws(() => resolveActivation(bad as "leaky-relu"), RangeError, bad);
  }
  assert.throws(
    () => resolveActivation("leaky-relu:0.1:0.2"),
    /takes 1 parameter\(s\) \(slope\), got 2/,
  );
  assert.throws(
    () => resolveActivation({ name: "leaky-relu", slope: "0.1" }),
    /slope must be a number/,
  );
});

Deno.test("leaky-relu: He initialisation (variance 2/fan_in), as for relu", () => {
  const he = new Network({
    sizes: [400, 300, 1],
    activations: ["leaky-relu:0.1", "identity"],
    seed: 5,
  });
  const w = he.layers[0].W.data;
  const variance = Array.from(w).reduce((s, v) => s + v * v, 0) / w.length;
  assert.ok(Math.abs(variance - 2 / 400) < 0.05 * (2 / 400), `variance ${variance}`);
  const relu = new Network({ sizes: [400, 300, 1], activations: ["relu", "identity"], seed: 5 });
  assert.deepEqual([...relu.layers[0].W.data], [...w]); // same initialiser, same draws
});

Deno.test("a model file keeps each layer's activation parameters", () => {
  const net = new Network({
    sizes: [3, 4, 2],
    activations: [{ name: "leaky-relu", slope: 0.2 }, "softmax"],
    seed: 1,
  });
  assert.deepEqual(net.activations, ["leaky-relu:0.2", "softmax"]);
  const { network } = decodeModel(encodeModel(net));
  assert.deepEqual(network.activations, ["leaky-relu:0.2", "softmax"]);
  const x = fromRows([[-1, 2], [0.5, -3], [1, 1]]);
  assert.deepEqual([...network.forward(x).data], [...net.forward(x).data]);
});
