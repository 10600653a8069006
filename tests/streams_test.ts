/**
 * The pipeline as streams: batches lay samples out as columns, TrainStream
 * respects backpressure, cancellation releases the file, an error arrives once.
 */

import assert from "node:assert/strict";
import {
  type Batch,
  batches,
  csvSamples,
  Network,
  type Sample,
  SGD,
  toRows,
  train,
  TrainStream,
} from "../mod.ts";

const sample = (v: number): Sample => ({
  x: new Float32Array([v, -v]),
  y: new Float32Array([v % 2, 1 - (v % 2)]),
});

Deno.test("batches: M samples become the columns of X and Y, a short last batch keeps its own M", async () => {
  const out = await Array.fromAsync(
    ReadableStream.from([0, 1, 2, 3, 4].map(sample)).pipeThrough(batches(2)),
  );
  assert.deepEqual(out.map((b) => b.x.cols), [2, 2, 1]);
  assert.deepEqual(toRows(out[1].x), [[2, 3], [-2, -3]]);
  assert.deepEqual(toRows(out[1].y), [[0, 1], [1, 0]]);
  assert.deepEqual(toRows(out[2].x), [[4], [-4]]);
});

Deno.test("batches: a source that reuses one buffer for every sample gives each sample's values, x and rows read late", async () => {
  const x = new Float32Array(2), y = new Float32Array(2);
  let v = 0;
  const reused = new ReadableStream<Sample>({
    pull(controller) {
      if (v === 11) return controller.close();
      x.set([v, -v]), y.set([v % 2, 1 - (v % 2)]);
      controller.enqueue({ x, y });
      v++;
    },
  }, { highWaterMark: 0 });
  // Every batch is taken before any is read: each made x, and wrote its rows, only now.
  const out = await Array.fromAsync(reused.pipeThrough(batches(8)));
  const rows = new Float32Array(6);
  out[1].inputs!.write(rows, "rows");
  assert.deepEqual([...rows], [8, -8, 9, -9, 10, -10]);
  const fresh = await Array.fromAsync(
    ReadableStream.from(Array.from({ length: 11 }, (_, i) => sample(i))).pipeThrough(batches(8)),
  );
  assert.deepEqual(
    out.map((b) => [toRows(b.x), toRows(b.y)]),
    fresh.map((b) => [toRows(b.x), toRows(b.y)]),
  );
  assert.deepEqual(toRows(out[1].x), [[8, 9, 10], [-8, -9, -10]]);
});

Deno.test("batches: a sample of the wrong length is an error, not a silent misalignment", async () => {
  const bad = [sample(0), { x: new Float32Array([1]), y: new Float32Array([1, 0]) }];
  await assert.rejects(
    Array.fromAsync(ReadableStream.from(bad).pipeThrough(batches(2))),
    /sample 1 has 1 x values, expected 2/,
  );
});

Deno.test("TrainStream: a slow consumer keeps the producer a bounded number of batches ahead", async () => {
  const net = new Network({ sizes: [2, 3, 2], activations: ["tanh", "softmax"] });
  let produced = 0;
  const source = new ReadableStream<Batch>({
    pull(controller) {
      produced++;
      controller.enqueue({
        x: { rows: 2, cols: 1, data: new Float32Array([produced, 0]) },
        y: { rows: 2, cols: 1, data: new Float32Array([1, 0]) },
      });
    },
  }, { highWaterMark: 0 });
  const events = source.pipeThrough(
    new TrainStream(net, { loss: "cross-entropy", optimizer: new SGD({ learningRate: 0.1 }) }),
  );
  const reader = events.getReader();
  for (let i = 1; i <= 5; i++) {
    const { value } = await reader.read();
    assert.equal(value!.step, i);
    await new Promise((r) => setTimeout(r, 10)); // a slow consumer: the producer must wait
    assert.ok(produced - i <= 3, `producer ran ${produced - i} batches ahead of the consumer`);
  }
  await reader.cancel();
});

Deno.test("TrainStream: snapshots are deep copies taken every snapshotEvery steps", async () => {
  const net = new Network({ sizes: [2, 2], activations: "sigmoid" });
  const batch = (v: number): Batch => ({
    x: { rows: 2, cols: 1, data: new Float32Array([v, 1]) },
    y: { rows: 2, cols: 1, data: new Float32Array([1, 0]) },
  });
  const events = await Array.fromAsync(
    ReadableStream.from([1, 2, 3, 4].map(batch)).pipeThrough(
      new TrainStream(net, {
        loss: "quadratic",
        optimizer: new SGD({ learningRate: 1 }),
        snapshotEvery: 2,
      }),
    ),
  );
  assert.deepEqual(events.map((e) => e.snapshot !== undefined), [false, true, false, true]);
  const [first, second] = [events[1].snapshot!, events[3].snapshot!];
  assert.notDeepEqual(Array.from(first[0].W.data), Array.from(second[0].W.data)); // training went on after the copy
  assert.deepEqual(Array.from(second[0].W.data), Array.from(net.layers[0].W.data));
  assert.notEqual(second[0].W.data, net.layers[0].W.data);
});

async function writeCsv(rows: number): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  const lines = Array.from({ length: rows }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2}`);
  await Deno.writeTextFile(path, "a,b,label\n" + lines.join("\n") + "\n");
  return path;
}

Deno.test("train: breaking out mid-epoch cancels the pipeline and closes the file (resource sanitizer)", async () => {
  const path = await writeCsv(5000);
  try {
    const net = new Network({ sizes: [2, 4, 2], activations: ["relu", "softmax"] });
    let opened = 0;
    const events = train({
      network: net,
      loss: "cross-entropy",
      optimizer: new SGD({ learningRate: 0.1 }),
      data:
        async () => (opened++,
          csvSamples((await Deno.open(path)).readable, { source: path, classes: 2 })),
      batchSize: 4,
      epochs: 3,
    });
    let steps = 0;
    for await (const e of events) if (e.type === "step" && ++steps === 10) break;
    assert.equal(steps, 10);
    assert.equal(opened, 1);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("train: an error in the middle of the data reaches the caller once, and the file is closed", async () => {
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  await Deno.writeTextFile(
    path,
    "a,label\n" + "1,0\n".repeat(100) + "oops,1\n" + "1,1\n".repeat(100),
  );
  try {
    const events = train({
      network: new Network({ sizes: [1, 2], activations: "softmax" }),
      loss: "cross-entropy",
      optimizer: new SGD({ learningRate: 0.1 }),
      data: async () => csvSamples((await Deno.open(path)).readable, { source: path, classes: 2 }),
      batchSize: 8,
    });
    let steps = 0, errors = 0;
    try {
      for await (const e of events) if (e.type === "step") steps++;
    } catch (e) {
      errors++;
      assert.match((e as Error).message, new RegExp(`${path}:102:1: not a number: "oops"`));
    }
    assert.equal(errors, 1);
    assert.ok(steps <= 100 / 8 + 1, `trained on ${steps} batches`);
  } finally {
    await Deno.remove(path);
  }
});
