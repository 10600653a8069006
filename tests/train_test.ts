/**
 * Training as a whole: it learns (XOR, the digits) and a seed fixes the run bit for bit.
 */

import assert from "node:assert/strict";
import { csvSamples, type EpochEvent, Network, type Sample, SGD, train } from "../mod.ts";
import { wasmKernelsOf } from "../src/kernels/backend.ts";

const digits = (path: string) => async () =>
  csvSamples((await Deno.open(path)).readable, { source: path, classes: 10, scale: 1 / 16 });

async function lastEpoch(events: ReadableStream<unknown>): Promise<EpochEvent> {
  let last: EpochEvent | undefined;
  for await (const e of events as ReadableStream<EpochEvent>) if (e.type === "epoch") last = e;
  return last!;
}

Deno.test("learns the UCI digits: test accuracy ≥ 0.95 on the held-out file", async () => {
  const network = new Network({ sizes: [64, 32, 10], activations: ["relu", "softmax"], seed: 1 });
  const result = await lastEpoch(train({
    network,
    loss: "cross-entropy",
    optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }),
    data: digits("data/digits_train.csv"),
    validation: digits("data/digits_test.csv"),
    epochs: 20,
    batchSize: 32,
  }));
  assert.ok(result.validationAccuracy! >= 0.95, `test accuracy ${result.validationAccuracy}`);
});

Deno.test("learns XOR with the seed's sigmoid network and quadratic loss", async () => {
  const xor: Sample[] = [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]].map(([a, b, c]) => ({
    x: new Float64Array([a, b]),
    y: new Float64Array([c]),
  }));
  const network = new Network({
    sizes: [2, 4, 1],
    activations: "sigmoid",
    seed: 2,
    dtype: "float64",
  });
  await lastEpoch(train({
    network,
    loss: "quadratic",
    optimizer: new SGD({ learningRate: 3 }),
    data: () => ReadableStream.from(xor),
    epochs: 3000,
    batchSize: 4,
    classification: false,
  }));
  const x = { rows: 2, cols: 4, data: new Float64Array([0, 0, 1, 1, 0, 1, 0, 1]) };
  const out = Array.from(network.forward(x).data);
  assert.deepEqual(out.map((v) => Math.round(v)), [0, 1, 1, 0], `outputs ${out}`);
  assert.ok(out.every((v, i) => Math.abs(v - [0, 1, 1, 0][i]) < 0.1), `outputs ${out}`);
});

Deno.test("the same seed gives bit-identical parameters after an epoch; another seed does not", async () => {
  const run = async (seed: number) => {
    const network = new Network({ sizes: [64, 16, 10], activations: ["tanh", "softmax"], seed });
    await lastEpoch(train({
      network,
      loss: "cross-entropy",
      optimizer: new SGD({ learningRate: 0.05, momentum: 0.5 }),
      data: digits("data/digits_train.csv"),
      batchSize: 10,
    }));
    const bytes = (
      a: Float32Array | Float64Array,
    ) => [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];
    return network.layers.flatMap(({ W, b }) => [...bytes(W.data), ...bytes(b.data)]);
  };
  const [a, b, c] = [await run(7), await run(7), await run(8)];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("epochs do not grow the network's storage: its step buffers are made once", async () => {
  // 64-1024-10: a set of buffers shaped like the parameters is 300 KB; 40 epochs of three sets
  // each would pass the 16 MiB the storage starts with.
  const net = new Network({ sizes: [64, 1024, 10], activations: ["relu", "softmax"], seed: 1 });
  const data = () =>
    ReadableStream.from<Sample>(Array.from({ length: 8 }, (_, i) => ({
      x: new Float32Array(64).fill(i / 8),
      y: Float32Array.from({ length: 10 }, (_, k) => (k === i % 10 ? 1 : 0)),
    })));
  const kernels = wasmKernelsOf(net.layers[0].W.data);
  assert.ok(kernels, `the test needs wasm storage, not ${net.kernels}`);
  const storage = () => kernels.memory.buffer.byteLength;
  const run = (epochs: number) =>
    Array.fromAsync(train({
      network: net,
      loss: "cross-entropy",
      optimizer: new SGD({ learningRate: 0.1 }),
      data,
      batchSize: 4,
      epochs,
    }));
  await run(1);
  const after = storage();
  await run(40);
  assert.equal(storage(), after);
  net.close();
});
