/**
 * Shuffling: the shuffle buffer and the in-memory cache emit permutations fixed by the
 * seed, read no further ahead than they must, copy what a source reuses, and the cache
 * keeps to its memory limit. The validation split is random, stratified and reproducible.
 */

import assert from "node:assert/strict";
import { type Batch, batches } from "../src/streams/batches.ts";
import type { Sample } from "../src/streams/sample.ts";
import { epochSeed, shuffleBuffer } from "../src/streams/shuffle.ts";
import { SampleCache } from "../src/streams/sample_cache.ts";
import { splitValidation } from "../src/validation_split.ts";

/** Sample `i`: x = [i, −i], y one-hot of class `i % classes`. */
const sample = (i: number, classes = 3): Sample => ({
  x: new Float32Array([i, -i]),
  y: Float32Array.from({ length: classes }, (_, c) => Number(c === i % classes)),
});
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const ids = (samples: Sample[]) => samples.map((s) => s.x[0]);

async function buffered(n: number, bufferSize: number, seed: number): Promise<number[]> {
  const source = ReadableStream.from(range(n).map((i) => sample(i)));
  return ids(await Array.fromAsync(source.pipeThrough(shuffleBuffer(bufferSize, seed))));
}

function isPermutation(order: number[], n: number): void {
  assert.deepEqual([...order].sort((a, b) => a - b), range(n));
}

Deno.test("shuffleBuffer: every sample exactly once, in a new order", async () => {
  const order = await buffered(100, 10, 1);
  isPermutation(order, 100);
  assert.notDeepEqual(order, range(100));
});

Deno.test("shuffleBuffer: the same seed gives the same order, another epoch another", async () => {
  const a = await buffered(50, 8, epochSeed(9, 1));
  assert.deepEqual(await buffered(50, 8, epochSeed(9, 1)), a);
  assert.notDeepEqual(await buffered(50, 8, epochSeed(9, 2)), a);
  assert.notDeepEqual(await buffered(50, 8, epochSeed(10, 1)), a);
});

Deno.test("shuffleBuffer: size 1 keeps the order; a buffer larger than the data shuffles it all", async () => {
  assert.deepEqual(await buffered(20, 1, 3), range(20));
  const all = await buffered(20, 1000, 3);
  isPermutation(all, 20);
  assert.notDeepEqual(all, range(20));
});

Deno.test("shuffleBuffer: a sample comes out at most bufferSize − 1 places early", async () => {
  const order = await buffered(200, 5, 4);
  order.forEach((id, position) => assert.ok(id - position <= 4, `${id} emitted at ${position}`));
  assert.ok(order.some((id, position) => position - id > 5)); // but may come out much later
});

Deno.test("shuffleBuffer: reads only as far ahead as the buffer needs", async () => {
  let produced = 0;
  const source = new ReadableStream<Sample>({
    pull(controller) {
      controller.enqueue(sample(produced++));
    },
  }, { highWaterMark: 0 });
  const reader = source.pipeThrough(shuffleBuffer(4, 1)).getReader();
  for (let i = 0; i < 3; i++) await reader.read();
  assert.ok(produced <= 4 + 3 + 2, `${produced} samples read for 3 out of a buffer of 4`);
  await reader.cancel();
});

Deno.test("shuffleBuffer: keeps copies, since sources reuse their buffers", async () => {
  const shared = new Float32Array(1);
  const source = ReadableStream.from(range(5)).pipeThrough(
    new TransformStream<number, Sample>({
      transform(i, controller) {
        shared[0] = i;
        controller.enqueue({ x: shared, y: shared });
      },
    }),
  );
  const out = await Array.fromAsync(source.pipeThrough(shuffleBuffer(3, 2)));
  isPermutation(ids(out), 5);
});

Deno.test("shuffleBuffer: refuses a size that is not a positive integer", () => {
  assert.throws(() => shuffleBuffer(0, 1), /bufferSize must be a positive integer, got 0/);
  assert.throws(() => shuffleBuffer(2.5, 1), RangeError);
});

function filled(n: number, classes = 3): SampleCache {
  const cache = new SampleCache();
  for (const i of range(n)) assert.ok(cache.add(sample(i, classes)));
  return cache;
}

Deno.test("SampleCache: collect, then stream in order or as a seeded full permutation", async () => {
  const cache = await SampleCache.collect(ReadableStream.from(range(30).map((i) => sample(i))));
  assert.ok(cache);
  assert.equal(cache.length, 30);
  assert.deepEqual(ids(await Array.fromAsync(cache.stream())), range(30));
  const a = ids(await Array.fromAsync(cache.shuffled(epochSeed(5, 1))));
  isPermutation(a, 30);
  assert.notDeepEqual(a, range(30));
  assert.deepEqual(ids(await Array.fromAsync(cache.shuffled(epochSeed(5, 1)))), a);
  assert.notDeepEqual(ids(await Array.fromAsync(cache.shuffled(epochSeed(5, 2)))), a);
  const { x, y } = cache.get(4);
  assert.deepEqual([...x, ...y], [4, -4, 0, 1, 0]);
});

Deno.test("SampleCache: copies samples in, keeping their element type", () => {
  const cache = new SampleCache();
  const x = new Float64Array([1, 2]);
  cache.add({ x, y: new Float64Array([3]) });
  x[0] = 99;
  assert.ok(cache.get(0).x instanceof Float64Array);
  assert.deepEqual([...cache.get(0).x], [1, 2]);
  assert.throws(
    () => cache.add({ x: new Float64Array(3), y: new Float64Array(1) }),
    /sample 1 of 3 \+ 1 values, expected 2 \+ 1/,
  );
  assert.throws(() => cache.get(1), /no sample 1 among 1/);
});

Deno.test("SampleCache: never takes more than its limit, and collect stops reading there", async () => {
  const perSample = (2 + 3) * 4; // float32 x of 2 and y of 3
  const cache = new SampleCache(100 * perSample);
  for (const i of range(100)) {
    assert.ok(cache.add(sample(i)));
    assert.ok(cache.bytes <= 100 * perSample);
  }
  assert.equal(cache.add(sample(100)), false);
  assert.ok(cache.overflowed);
  assert.equal(cache.length, 0);

  let produced = 0, cancelled = false;
  const endless = new ReadableStream<Sample>({
    pull: (controller) => controller.enqueue(sample(produced++)),
    cancel: () => void (cancelled = true),
  }, { highWaterMark: 0 });
  assert.equal(await SampleCache.collect(endless, 10 * perSample), undefined);
  assert.ok(cancelled);
  assert.ok(produced <= 12, `read ${produced} samples for a limit of 10`);
});

Deno.test("SampleCache: reserve makes room once, within the limit; later adds do not move it", () => {
  const cache = new SampleCache(64 * 4);
  cache.reserve(1000); // 16 samples fit the limit
  const sample = (v: number) => ({ x: new Float32Array([v, v, v]), y: new Float32Array([v]) });
  cache.add(sample(1));
  assert.equal(cache.bytes, 16 * 4 * 4);
  const x = cache.get(0).x;
  for (let v = 2; v <= 16; v++) assert.ok(cache.add(sample(v)));
  assert.equal(cache.get(0).x.buffer, x.buffer); // no growth: the first sample was not moved
  assert.equal(cache.add(sample(17)), false);
  assert.throws(() => new SampleCache().reserve(-1), RangeError);
});

Deno.test("SampleCache.transform: one factor for all and a map per feature scale alike", () => {
  const make = () => {
    const cache = new SampleCache();
    for (const v of [3, -5, 255]) {
      cache.add({ x: new Float32Array([v, 2 * v]), y: new Float32Array([v]) });
    }
    return cache;
  };
  const [uniform, mapped] = [make(), make()];
  uniform.transform({ offset: [0, 0], factor: [1 / 255, 1 / 255] });
  mapped.transform({ offset: [1, 0], factor: [1 / 255, 0.5] }, { offset: [1], factor: [2] });
  for (let i = 0; i < 3; i++) {
    const v = [3, -5, 255][i];
    assert.deepEqual([...uniform.get(i).x], [v / 255, 2 * v / 255].map(Math.fround));
    assert.deepEqual([...mapped.get(i).x], [(v - 1) / 255, v].map(Math.fround));
    assert.deepEqual([...mapped.get(i).y], [2 * (v - 1)]);
    assert.deepEqual([...uniform.get(i).y], [v]);
  }
});

Deno.test("SampleCache: subset copies the samples at the indices, in their order", () => {
  const part = filled(10).subset([7, 2, 7]);
  assert.deepEqual(ids(range(part.length).map((i) => part.get(i))), [7, 2, 7]);
});

Deno.test("splitValidation: stratified, each class within one of its share, disjoint and complete", () => {
  // Classes of 40, 40, 40 (i % 3), then 13 more samples of class 0: 53, 40, 40.
  const cache = filled(120);
  for (const i of range(13)) {
    cache.add({ x: new Float32Array([120 + i, 0]), y: new Float32Array([1, 0, 0]) });
  }
  const { train, validation } = splitValidation(cache, 0.3, 7);
  const trainIds = ids(range(train.length).map((i) => train.get(i)));
  const validationIds = ids(range(validation.length).map((i) => validation.get(i)));
  isPermutation([...trainIds, ...validationIds], 133);
  assert.equal(validation.length, Math.round(0.3 * 133));
  const classOf = (id: number) => id >= 120 ? 0 : id % 3;
  for (const [c, size] of [[0, 53], [1, 40], [2, 40]]) {
    const held = validationIds.filter((id) => classOf(id) === c).length;
    assert.ok(Math.abs(held - 0.3 * size) <= 1, `class ${c}: ${held} of ${size} held out`);
  }
  assert.deepEqual(validationIds, [...validationIds].sort((a, b) => a - b));
});

Deno.test("splitValidation: the same seed gives the same split, another seed another", () => {
  const cache = filled(60);
  const held = (seed: number) => {
    const { validation } = splitValidation(cache, 0.2, seed);
    return ids(range(validation.length).map((i) => validation.get(i)));
  };
  assert.deepEqual(held(1), held(1));
  assert.notDeepEqual(held(1), held(2));
  const tail = range(12).map((i) => 48 + i);
  assert.notDeepEqual(held(1), tail); // not "the last rows"
});

Deno.test("splitValidation: unstratified for regression; bad fractions refused", () => {
  const cache = filled(10, 1);
  assert.equal(splitValidation(cache, 0.5, 1, { stratify: false }).validation.length, 5);
  assert.throws(() => splitValidation(cache, 1, 1), /fraction must be in \(0, 1\), got 1/);
  assert.throws(() => splitValidation(cache, 0.01, 1), /leaves a part empty/);
});

Deno.test("SampleCache.batches gives the batches that shuffled(seed) through batches(size) gives", async () => {
  const cache = new SampleCache();
  for (let i = 0; i < 23; i++) {
    cache.add({ x: new Float32Array([i, -i]), y: new Float32Array([i % 2, 1 - (i % 2)]) });
  }
  for (const seed of [undefined, 7]) {
    const direct = await Array.fromAsync(cache.batches(5, seed));
    const piped = await Array.fromAsync(
      (seed === undefined ? cache.stream() : cache.shuffled(seed)).pipeThrough(batches(5)),
    );
    assert.deepEqual(direct.map((b) => b.x.cols), [5, 5, 5, 5, 3]);
    // Both carry a writer of their inputs beside x and y: the matrices are compared.
    const matrices = (list: Batch[]) => list.map(({ x, y }) => ({ x, y }));
    assert.deepEqual(matrices(direct), matrices(piped));
  }
});

Deno.test("classes are held as indices: the cache and the shuffle buffer give back one-hot y", async () => {
  const classes = 50_000;
  const labelled = (i: number): Sample => {
    const y = new Float32Array(classes);
    y[i * 997 % classes] = 1;
    return { x: new Float32Array([i]), y, label: i * 997 % classes };
  };
  const samples = range(300).map(labelled);
  const cache = new SampleCache();
  for (const s of samples) cache.add(s);
  // Held as one-hot rows this would be 300 × 50k floats (60 MB); as indices, 300 integers.
  assert.ok(cache.bytes < 10_000, `${cache.bytes} bytes`);
  const got = cache.get(7);
  assert.equal(got.label, 7 * 997 % classes);
  assert.deepEqual(got.y.indexOf(1), got.label);
  assert.equal([...got.y].filter((v) => v !== 0).length, 1);
  const shuffled = await Array.fromAsync(
    ReadableStream.from(samples).pipeThrough(shuffleBuffer(64, 3)),
  );
  assert.deepEqual(
    shuffled.map((s) => [s.x[0], s.y.indexOf(1), s.label!]).sort((a, b) => a[0] - b[0]),
    range(300).map((i) => [i, i * 997 % classes, i * 997 % classes]),
  );
  assert.throws(
    () => cache.add({ x: new Float32Array([1]), y: new Float32Array(classes) }),
    /with a class/,
  );
});
