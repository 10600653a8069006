/**
 * The core refuses what makes no sense, clearly: loss/output pairings the
 * registry does not list, bad arguments to the library's entry points (each a
 * RangeError or TypeError naming the argument), and an update that would make
 * the parameters non-finite (the run stops with those of the last good step).
 */

import assert from "node:assert/strict";
import {
  activationNames,
  type Batch,
  type EndEvent,
  evaluate,
  fromRows,
  hiddenActivationNames,
  lossFor,
  lossNames,
  makeOptimizer,
  Network,
  NonFiniteLossError,
  optimizerNames,
  parseSchedule,
  resolveActivation,
  type Sample,
  scheduleNames,
  SGD,
  type StepEvent,
  train,
  type TrainOptions,
  TrainStream,
  zeros,
} from "../mod.ts";

const params = (net: Network) => net.layers.flatMap(({ W, b }) => [...W.data, ...b.data]);

Deno.test("binary cross-entropy over sigmoid outputs: the value by hand, δ = (A − Y)/M", () => {
  const net = new Network({ sizes: [1, 2], activations: "sigmoid", dtype: "float64" });
  net.layers[0].W.data.set([0, 0]);
  const x = fromRows([[1]], "float64"), y = fromRows([[1], [1]], "float64"); // two labels both on
  const { loss, grads } = net.gradients(x, y, "cross-entropy");
  // A = 0.5 for both outputs: C = −2 log 0.5; the categorical form would give the same only
  // by accident, so also check an off label: (1 − y) log(1 − a) must count.
  assert.ok(Math.abs(loss - 2 * Math.LN2) < 1e-15);
  assert.deepEqual([...grads[0].db.data], [-0.5, -0.5]);
  const off = net.gradients(x, fromRows([[1], [0]], "float64"), "cross-entropy");
  assert.ok(Math.abs(off.loss - 2 * Math.LN2) < 1e-15);
  assert.deepEqual([...off.grads[0].db.data], [-0.5, 0.5]);
});

Deno.test("softmax + cross-entropy: δ = (A·Σy − Y)/M, so a zero target gives a zero gradient", () => {
  const net = new Network({ sizes: [2, 3], activations: "softmax", dtype: "float64", seed: 2 });
  const { loss, grads } = net.gradients(
    fromRows([[0.3], [-0.7]], "float64"),
    zeros(3, 1, "float64"),
    "cross-entropy",
  );
  assert.equal(loss, 0);
  assert.deepEqual([...grads[0].dW.data, ...grads[0].db.data], new Array(9).fill(0));
});

Deno.test("pairings the registry does not list are a RangeError that names them", async () => {
  assert.throws(
    () => lossFor("cross-entropy", "identity"),
    /loss cross-entropy does not pair with identity outputs; it needs softmax or sigmoid/,
  );
  const regression = new Network({ sizes: [2, 1], activations: "identity" });
  const x = fromRows([[1], [2]]), y = fromRows([[3]]);
  assert.throws(() => regression.gradients(x, y, "cross-entropy"), /does not pair with identity/);
  const opts: TrainOptions = {
    network: regression,
    loss: "cross-entropy",
    optimizer: new SGD({ learningRate: 0.1 }),
    batchData: () => ReadableStream.from([{ x, y }]),
  };
  await assert.rejects(Array.fromAsync(train(opts)), /does not pair with identity/);
  const data = ReadableStream.from([{ x: new Float32Array([1, 2]), y: new Float32Array([3]) }]);
  await assert.rejects(evaluate(regression, data, { loss: "cross-entropy" }), RangeError);
  assert.throws(
    () => new Network({ sizes: [2, 1], activations: "softmax" }),
    /softmax needs at least 2 units, layer 1 has 1/,
  );
  assert.throws(
    () => new Network({ sizes: [2, 3, 2], activations: ["softmax", "softmax"] }),
    /softmax is for the output layer only/,
  );
  assert.throws(() => lossFor("hinge" as "quadratic", "identity"), /unknown loss "hinge"/);
});

Deno.test("quadratic pairs with every activation; every other pairing is listed", () => {
  for (const name of activationNames) assert.ok(lossFor("quadratic", name));
  assert.deepEqual(lossNames, ["quadratic", "cross-entropy"]);
});

Deno.test("name lists derive from the registries (what the CLI offers)", () => {
  assert.ok(hiddenActivationNames.every((n) => activationNames.includes(n)));
  assert.ok(!hiddenActivationNames.includes("softmax"));
  assert.ok(optimizerNames.includes("sgd") && optimizerNames.includes("adam"));
  assert.ok(scheduleNames.includes("cosine"));
});

Deno.test("unknown names are refused, prototype keys included", () => {
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "ReLU"]) {
    assert.throws(
      () => new Network({ sizes: [2, 1], activations: name as "relu" }),
      (e) => e instanceof RangeError && e.message.startsWith(`unknown activation "${name}"`),
    );
    assert.throws(() => makeOptimizer(name as "sgd", { learningRate: 1 }), /unknown optimizer/);
    assert.throws(() => parseSchedule(name, 0.1, 10), /unknown schedule/);
    assert.throws(() => lossFor(name as "quadratic", "identity"), /unknown loss/);
  }
  assert.throws(() => resolveActivation("relu:0.5"), /relu takes 0 parameter\(s\) \(none\), got 1/);
  assert.throws(
    () => resolveActivation({ name: "relu", slope: 1 }),
    /activation relu has no parameter "slope"/,
  );
  assert.throws(() => resolveActivation(3 as unknown as "relu"), TypeError);
});

Deno.test("Network: bad options are errors naming the option", () => {
  const bad: [object, RegExp][] = [
    [{ sizes: [2, 1], activations: "relu", threads: 0 }, /threads must be an integer in \[1, /],
    [{ sizes: [2, 1], activations: "relu", threads: 1.5 }, /threads/],
    [{ sizes: [2, 1], activations: "relu", dtype: "float16" }, /dtype must be/],
    [{ sizes: [2, 1], activations: "relu", seed: NaN }, /seed must be an integer/],
    [{ sizes: [2, 0], activations: "relu" }, /sizes must be at least two positive integers/],
    [{ sizes: [2, NaN], activations: "relu" }, /sizes/],
    [{ sizes: [2, 2, 1], activations: ["relu"] }, /2 layers need 2 activations, got 1/],
  ];
  for (const [options, message] of bad) {
    assert.throws(
      () => new Network(options as never),
      (e) => e instanceof RangeError && message.test(e.message),
    );
  }
});

Deno.test("Network: a network too large to store says so, not a WebAssembly message", () => {
  for (const backend of ["wasm", "typescript"] as const) {
    assert.throws(
      () => new Network({ sizes: [1e9, 1e9], activations: "relu", backend }),
      (e) =>
        e instanceof RangeError &&
        /^Network: the network is too large: \[1000000000, 1000000000\] has 1000000001000000000 parameters/
          .test(e.message),
    );
  }
});

Deno.test("Network: x.data shorter or longer than rows × cols is refused (it reused stale data)", () => {
  const net = new Network({ sizes: [2, 1], activations: "sigmoid" });
  const short = { rows: 2, cols: 3, data: new Float32Array(4) };
  assert.throws(() => net.forward(short), /input.data has 4 values, but input is 2×3 = 6/);
  assert.throws(() => net.forward({ ...short, data: new Float32Array(8) }), /input.data has 8/);
  assert.throws(
    () => net.forward({ rows: 2, cols: 1, data: [1, 2] as unknown as Float32Array }),
    TypeError,
  );
  const x = zeros(2, 3), y = { rows: 1, cols: 3, data: new Float32Array(2) };
  assert.throws(() => net.gradients(x, y, "quadratic"), /target.data has 2 values/);
});

Deno.test("train: bad settings reject the stream with an error naming the setting", async () => {
  const network = new Network({ sizes: [2, 1], activations: "sigmoid" });
  const base: TrainOptions = {
    network,
    loss: "quadratic",
    optimizer: new SGD({ learningRate: 0.1 }),
    data: () => ReadableStream.from<Sample>([]),
  };
  const bad: [Partial<TrainOptions>, RegExp][] = [
    [{ epochs: NaN }, /train: epochs must be an integer >= 1, got NaN/],
    [{ epochs: 0 }, /epochs/],
    [{ epochs: 2.5 }, /epochs/],
    [{ batchSize: 0 }, /train: batchSize must be an integer >= 1, got 0/],
    [{ batchSize: -1 }, /batchSize/],
    [{ batchSize: 1.5 }, /batchSize/],
    [{ batchSize: "8" as unknown as number }, /batchSize/],
    [{ snapshotEvery: -1 }, /snapshotEvery/],
    [{ shuffle: { seed: 1, bufferSize: 0 } }, /shuffle.bufferSize/],
    [{ start: { epoch: -1, step: 0, samplesSeen: 0 } }, /start.epoch/],
  ];
  for (const [over, message] of bad) {
    await assert.rejects(
      Array.fromAsync(train({ ...base, ...over })),
      (e) => e instanceof RangeError && message.test(e.message),
      message.source,
    );
  }
  await assert.rejects(
    Array.fromAsync(train({ ...base, optimizer: {} as never })),
    (e) => e instanceof TypeError && /optimizer must be an Optimizer/.test(e.message),
  );
});

for (const backend of ["auto", "typescript"] as const) {
  Deno.test(`an update that overflows the parameters is not kept: they stay those of the last good step (${backend})`, async () => {
    const net = new Network({ sizes: [1, 1], activations: "identity", seed: 1, backend });
    const good: Batch = { x: fromRows([[1]]), y: fromRows([[1]]) };
    // A finite loss (about 5e29 in float64) and gradient (about 1e30 < float32's 3.4e38), but the
    // step η·g = 1e60 overflows float32: w becomes −Infinity unless the update is refused.
    const huge: Batch = { x: fromRows([[1e15]]), y: fromRows([[0]]) };
    const stream = new TrainStream(net, {
      loss: "quadratic",
      optimizer: new SGD({ learningRate: 0.1 }),
      schedule: (step) => (step === 0 ? 0.1 : 1e30),
      snapshotEvery: 1,
      classification: false,
    });
    const reader = ReadableStream.from([good, huge]).pipeThrough(stream).getReader();
    const first = (await reader.read()).value as StepEvent;
    assert.ok(Number.isFinite(first.loss));
    const error = await reader.read().then(() => undefined, (e) => e);
    assert.ok(error instanceof NonFiniteLossError, String(error));
    assert.match(
      error.message,
      /^the update made parameters non-finite \(batch loss [\d.e+]+\) at epoch 1, step 2; stopped with the parameters of the last good step/,
    );
    assert.ok(params(net).every(Number.isFinite));
    assert.deepEqual(params(net), [...first.snapshot![0].W.data, ...first.snapshot![0].b.data]);
  });
}

Deno.test("train() ends a diverging run with reason non-finite and finite parameters", async () => {
  const net = new Network({ sizes: [1, 1], activations: "identity", seed: 1 });
  let lastGood: number[] = [];
  let end: EndEvent | undefined;
  const batchData = () =>
    ReadableStream.from<Batch>([
      { x: fromRows([[1]]), y: fromRows([[1]]) },
      { x: fromRows([[1e15]]), y: fromRows([[0]]) },
    ]);
  for await (
    const e of train({
      network: net,
      loss: "quadratic",
      optimizer: new SGD({ learningRate: 0.1 }),
      schedule: (step) => (step === 0 ? 0.1 : 1e30),
      batchData,
      classification: false,
    })
  ) {
    if (e.type === "step") lastGood = params(net);
    if (e.type === "end") end = e;
  }
  assert.equal(end?.reason, "non-finite");
  assert.match(
    end!.message!,
    /update made parameters non-finite at|update made parameters non-finite/,
  );
  assert.deepEqual(params(net), lastGood);
});

Deno.test("TrainStream and evaluate: bad counts are a RangeError naming them", async () => {
  const net = new Network({ sizes: [1, 2], activations: "softmax" });
  const optimizer = new SGD({ learningRate: 0.1 });
  for (
    const [over, name] of [[{ step: -1 }, "step"], [{ epoch: 0 }, "epoch"], [
      { snapshotEvery: 0.5 },
      "snapshotEvery",
    ]] as const
  ) {
    assert.throws(
      () => new TrainStream(net, { loss: "cross-entropy", optimizer, ...over }),
      new RegExp(`TrainStream: ${name} must be an integer`),
    );
  }
  const data = ReadableStream.from([{ x: new Float32Array([1]), y: new Float32Array([1, 0]) }]);
  await assert.rejects(
    evaluate(net, data, { loss: "cross-entropy", batchSize: 0 }),
    /evaluate: batchSize must be an integer >= 1, got 0/,
  );
});
