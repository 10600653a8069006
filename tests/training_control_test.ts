/**
 * Control over a run: early stopping restores the best epoch, an AbortSignal
 * stops after the current batch, a NaN loss stops with the last good
 * parameters, a resumed run is bit-identical, a shuffle buffer reorders each epoch.
 */

import assert from "node:assert/strict";
import {
  EarlyStopping,
  type EndEvent,
  type EpochEvent,
  Network,
  type Sample,
  SGD,
  snapshot,
  type StepEvent,
  train,
  type TrainEvent,
  type TrainOptions,
} from "../mod.ts";

/** A small separable problem: the class is the sign of x₀ − x₁. */
function samples(n: number): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const a = Math.sin(i * 1.7), b = Math.cos(i * 2.3);
    return { x: new Float32Array([a, b]), y: new Float32Array(a > b ? [1, 0] : [0, 1]) };
  });
}

const data = samples(64);
const options = (over: Partial<TrainOptions> = {}): TrainOptions => ({
  network: new Network({ sizes: [2, 8, 2], activations: ["tanh", "softmax"], seed: 3 }),
  loss: "cross-entropy",
  optimizer: new SGD({ learningRate: 0.2, momentum: 0.9 }),
  data: () => ReadableStream.from(data),
  batchSize: 8,
  ...over,
});

const collect = (o: TrainOptions) => Array.fromAsync(train(o)) as Promise<TrainEvent[]>;
const params = (net: Network) => net.layers.flatMap(({ W, b }) => [...W.data, ...b.data]);

Deno.test("early stopping stops after `patience` epochs without improvement and restores the best", async () => {
  const o = options({
    epochs: 50,
    earlyStopping: new EarlyStopping({ monitor: "trainLoss", patience: 2, minDelta: 1 }),
  });
  const events = await collect(o);
  // minDelta 1 is never beaten after the first epoch: epochs 2 and 3 are the two without improvement.
  const epochs = events.filter((e): e is EpochEvent => e.type === "epoch");
  assert.deepEqual(epochs.map((e) => e.best), [true, false, false]);
  const end = events.at(-1) as EndEvent;
  assert.deepEqual([end.reason, end.epoch, end.bestEpoch, end.restoredBest], [
    "early-stopping",
    3,
    1,
    true,
  ]);
  assert.deepEqual(params(o.network), params({ layers: o.earlyStopping!.bestLayers! } as Network));
});

Deno.test("early stopping restores the best parameters also when the epochs run out", async () => {
  const best: number[][] = [];
  const o = options({
    epochs: 6,
    earlyStopping: new EarlyStopping({ monitor: "validationLoss", patience: 100 }),
  });
  o.validation = () =>
    ReadableStream.from(
      samples(16).map((s, i) => (i % 3 ? s : { ...s, y: s.y.slice().reverse() })),
    );
  let bestEpoch = 0;
  for await (const e of train(o)) {
    if (e.type === "epoch" && e.best) [bestEpoch, best[0]] = [e.epoch, params(o.network)];
    if (e.type === "end") assert.equal(e.reason, "completed");
  }
  assert.ok(bestEpoch >= 1);
  assert.deepEqual(params(o.network), best[0]);
});

Deno.test("early stopping on validation metrics without validation data is refused up front", async () => {
  const o = options({ earlyStopping: new EarlyStopping({ monitor: "validationAccuracy" }) });
  await assert.rejects(collect(o), /monitors validationAccuracy, but there is no validation data/);
});

Deno.test("an AbortSignal stops after the current batch and closes the source", async () => {
  const abort = new AbortController();
  let pulled = 0;
  const o = options({
    epochs: 3,
    signal: abort.signal,
    data: () =>
      new ReadableStream<Sample>({
        pull(c) {
          c.enqueue(data[pulled++ % data.length]);
        },
      }, { highWaterMark: 0 }),
  });
  const steps: StepEvent[] = [];
  let end: EndEvent | undefined;
  for await (const e of train(o)) {
    if (e.type === "step") {
      steps.push(e);
      if (e.step === 5) abort.abort();
    }
    if (e.type === "end") end = e;
  }
  assert.equal(steps.length, 5);
  assert.deepEqual([end!.reason, end!.step, end!.epoch], ["aborted", 5, 0]);
  assert.ok(pulled <= 8 * 7, `pulled ${pulled} samples`);
});

Deno.test("a NaN loss ends the run with a clear message and the parameters of the last good step", async () => {
  let batch = 0;
  const poisoned = (): ReadableStream<Sample> =>
    ReadableStream.from(
      data.map((s, i) => (i === 8 * 3 + 2 ? { ...s, x: new Float32Array([NaN, 0]) } : s)),
    );
  const o = options({ data: poisoned, epochs: 2 });
  let before: number[] = [];
  let end: EndEvent | undefined;
  for await (const e of train(o)) {
    if (e.type === "step") [batch, before] = [e.step, params(o.network)];
    if (e.type === "end") end = e;
  }
  assert.equal(batch, 3);
  assert.equal(end!.reason, "non-finite");
  assert.match(
    end!.message!,
    /loss became NaN at epoch 1, step 4; stopped with the parameters of the last good step/,
  );
  assert.deepEqual(params(o.network), before);
});

Deno.test("stopping after epoch k and resuming gives bit-identical parameters", async () => {
  const run = async (
    epochs: number,
    from?: { o: TrainOptions; end: EndEvent; samplesSeen: number },
  ) => {
    const o = options({
      epochs,
      shuffle: { seed: 9, bufferSize: 16 },
      earlyStopping: new EarlyStopping({ monitor: "trainLoss", patience: 50 }),
    });
    if (from) {
      o.network.layers.forEach((l, i) => {
        l.W.data.set(snapshot(from.o.network)[i].W.data);
        l.b.data.set(snapshot(from.o.network)[i].b.data);
      });
      o.optimizer.loadState(from.o.optimizer.state());
      o.earlyStopping!.loadState(from.o.earlyStopping!.state(), from.o.earlyStopping!.bestLayers);
      o.start = { epoch: from.end.epoch, step: from.end.step, samplesSeen: from.samplesSeen };
    }
    let end: EndEvent | undefined, samplesSeen = 0;
    for await (const e of train(o)) {
      if (e.type === "epoch") samplesSeen = e.samplesSeen;
      if (e.type === "end") end = e;
    }
    return { o, end: end!, samplesSeen };
  };
  const whole = await run(5);
  const firstPart = await run(2);
  const resumed = await run(5, firstPart);
  assert.deepEqual(params(resumed.o.network), params(whole.o.network));
  assert.notDeepEqual(params(firstPart.o.network), params(whole.o.network));
});

Deno.test("a shuffle buffer gives each epoch its own order, the same for the same seed", async () => {
  const order = async (seed: number) => {
    const seen: number[][] = [];
    const o = options({
      epochs: 2,
      batchSize: 64,
      shuffle: { seed, bufferSize: 16 },
      data: () => ReadableStream.from(data.map((s, i) => ({ ...s, x: new Float32Array([i, 0]) }))),
      network: new Network({ sizes: [2, 2], activations: "softmax" }),
    });
    o.network.batchGradients = ((batch, loss, into) => {
      const { x } = batch;
      seen.push(Array.from({ length: x.cols }, (_, j) => x.data[j]));
      return Network.prototype.batchGradients.call(o.network, batch, loss, into);
    }) as Network["batchGradients"];
    await collect(o);
    return seen;
  };
  const [a, b] = [await order(1), await order(1)];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], a[1]);
  assert.deepEqual([...a[0]].sort((x, y) => x - y), data.map((_, i) => i));
  assert.notDeepEqual(a[0], data.map((_, i) => i));
});

Deno.test("stopping mid-epoch (the signal) and resuming with batchesIntoEpoch is bit-identical too", async () => {
  const base = () => options({ epochs: 3, shuffle: { seed: 5, bufferSize: 16 } });
  const whole = base();
  await collect(whole);

  const abort = new AbortController();
  const first = { ...base(), signal: abort.signal };
  let last: StepEvent | undefined;
  for await (const e of train(first)) {
    if (e.type === "step") {
      last = e;
      if (e.step === 11) abort.abort(); // epoch 2 of 8 batches each: 3 of its batches done
    }
  }
  const second = base();
  second.network.layers.forEach((l, i) => {
    l.W.data.set(first.network.layers[i].W.data);
    l.b.data.set(first.network.layers[i].b.data);
  });
  second.optimizer.loadState(first.optimizer.state());
  second.start = {
    epoch: 1,
    step: last!.step,
    samplesSeen: last!.samplesSeen,
    batchesIntoEpoch: 3,
  };
  await collect(second);
  assert.deepEqual(params(second.network), params(whole.network));
});

Deno.test("regression runs report validation MSE and MAE per epoch instead of accuracy", async () => {
  const points = Array.from(
    { length: 32 },
    (_, i) => ({ x: new Float32Array([i / 32]), y: new Float32Array([i / 16]) }),
  );
  const events = await collect({
    network: new Network({ sizes: [1, 1], activations: "identity", seed: 2 }),
    loss: "quadratic",
    optimizer: new SGD({ learningRate: 0.5 }),
    data: () => ReadableStream.from(points),
    validation: () => ReadableStream.from(points),
    classification: false,
    epochs: 40,
    batchSize: 8,
  });
  const epochs = events.filter((e): e is EpochEvent => e.type === "epoch");
  const [first, last] = [epochs[0], epochs.at(-1)!];
  assert.equal(last.validationAccuracy, undefined);
  assert.ok(
    last.validationMSE! < first.validationMSE! / 10,
    `${first.validationMSE} → ${last.validationMSE}`,
  );
  assert.ok(last.validationMAE! < 0.05);
});
