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

Deno.test("gelu: values and derivatives match PyTorch's gelu(approximate='tanh') in float64", () => {
  const z = [-3, -1, -0.5, 0, 0.5, 1, 3];
  // torch.nn.functional.gelu(z, approximate="tanh") and its autograd derivative, float64 (torch 1.13, Debian's python3-torch).
  const torchValues = [
    -0.0036373920817729943,
    -0.15880800939172324,
    -0.15428599017485606,
    0,
    0.34571400982514394,
    0.8411919906082768,
    2.996362607918227,
  ];
  const torchGrads = [
    -0.011584166630969648,
    -0.08296408384578252,
    0.13263009646535764,
    0.5,
    0.8673699035346424,
    1.0829640838457826,
    1.0115841666309695,
  ];
  const zm = fromRows([z], "float64"), a = zeros(1, z.length, "float64");
  const gelu = activation("gelu");
  gelu.forward(zm, a);
  const ones = fromRows([z.map(() => 1)], "float64"), delta = zeros(1, z.length, "float64");
  gelu.backward(zm, a, ones, delta);
  z.forEach((_, i) => {
    assert.ok(Math.abs(a.data[i] - torchValues[i]) < 1e-15, `value at ${z[i]}`);
    assert.ok(Math.abs(delta.data[i] - torchGrads[i]) < 1e-15, `derivative at ${z[i]}`);
  });
  assert.equal(activations.gelu.init, "he");
  assert.ok(hiddenActivationNames.includes("gelu"));
});
