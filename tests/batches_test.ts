/**
 * Batches built from the sample cache's flat arrays (tiles of 8 columns, one-hot `y` set from
 * the class) equal, bit for bit, the batches the per-sample path builds: the same shuffle order,
 * the same values, the same element type, the short last batch included.
 */

import assert from "node:assert/strict";
import type { FloatArray } from "../src/kernels/types.ts";
import { type Batch, batches, toBatch } from "../src/streams/batches.ts";
import type { Sample } from "../src/streams/sample.ts";
import { SampleCache } from "../src/streams/sample_cache.ts";

type Kind = { dtype: "float32" | "float64"; classes: boolean };
const KINDS: Kind[] = [
  { dtype: "float32", classes: true },
  { dtype: "float32", classes: false },
  { dtype: "float64", classes: true },
  { dtype: "float64", classes: false },
];

/** 37 samples of 19 features (with −0, NaN, subnormals, values float32 rounds) and 5 targets. */
function cacheOf({ dtype, classes }: Kind): SampleCache {
  const fill = (n: number, f: (k: number) => number): FloatArray => {
    const a = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
    for (let k = 0; k < n; k++) a[k] = f(k);
    return a;
  };
  const special = [-0, NaN, 5e-324, 1e-45, 0.1, -1 / 3, 1e38];
  const cache = new SampleCache();
  for (let i = 0; i < 37; i++) {
    const x = fill(19, (f) => (i * 19 + f) % 11 ? (i - f) / 7 : special[i % 7]);
    const label = (i * 7) % 5;
    const y = classes ? fill(5, (c) => Number(c === label)) : fill(5, (t) => Math.sin(i * 5 + t));
    assert.ok(cache.add(classes ? { x, y, label } : { x, y }));
  }
  return cache;
}

function bytes(a: FloatArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function sameBits(got: Batch, want: Batch, where: string): void {
  for (const k of ["x", "y"] as const) {
    assert.equal(got[k].data.constructor, want[k].data.constructor, `${where} ${k} type`);
    assert.deepEqual([got[k].rows, got[k].cols], [want[k].rows, want[k].cols], `${where} ${k}`);
    assert.deepEqual(bytes(got[k].data), bytes(want[k].data), `${where} ${k} bits`);
  }
}

for (const kind of KINDS) {
  const name = `${kind.dtype} ${kind.classes ? "classes" : "regression targets"}`;
  Deno.test(`SampleCache.batches equals the per-sample path bit for bit: ${name}`, async () => {
    const cache = cacheOf(kind);
    // Below, at and across the tile of 8 and its tails of pairs (10: 8 + 2; 13: 8 + 2 + 2 + 1);
    // 37 samples leave a short last batch each time.
    for (const size of [1, 3, 8, 10, 13, 16, 36, 64]) {
      for (const seed of [undefined, 11]) {
        const fast = await Array.fromAsync(cache.batches(size, seed));
        const order = seed === undefined ? cache.stream() : cache.shuffled(seed);
        const views: Sample[] = await Array.fromAsync(order);
        const piped = await Array.fromAsync(ReadableStream.from(views).pipeThrough(batches(size)));
        assert.equal(fast.length, Math.ceil(37 / size));
        assert.equal(fast.at(-1)!.x.cols, 37 - size * (fast.length - 1));
        fast.forEach((b, k) => {
          const where = `size ${size} seed ${seed} batch ${k}`;
          sameBits(b, piped[k], where);
          sameBits(b, toBatch(views.slice(k * size, (k + 1) * size)), where);
        });
      }
    }
  });
}

Deno.test("SampleCache.batches: each batch is new storage, kept batches stay as they were", async () => {
  const cache = cacheOf(KINDS[0]);
  const all = await Array.fromAsync(cache.batches(20, 3));
  const [a] = all;
  // Batches may share a larger buffer (a slab), never a byte of it.
  const regions = all.flatMap(({ x, y }) => [x.data, y.data]).filter((d) => d.length > 0);
  for (const [i, p] of regions.entries()) {
    for (const q of regions.slice(i + 1)) {
      const apart = p.buffer !== q.buffer || p.byteOffset + p.byteLength <= q.byteOffset ||
        q.byteOffset + q.byteLength <= p.byteOffset;
      assert.ok(apart, "two batches overlap");
    }
  }
  const again = await Array.fromAsync(cache.batches(20, 3));
  sameBits(a, again[0], "first");
});

Deno.test("SampleCache.batches: one-hot y past the shared vectors, and an empty cache", async () => {
  const cache = new SampleCache();
  for (let i = 0; i < 10; i++) {
    const y = new Float32Array(3000);
    y[i * 301] = 1;
    cache.add({ x: new Float32Array([i]), y, label: i * 301 });
  }
  const [batch] = await Array.fromAsync(cache.batches(10, 5));
  const views: Sample[] = await Array.fromAsync(cache.shuffled(5));
  sameBits(batch, toBatch(views), "3000 classes");
  assert.deepEqual(await Array.fromAsync(new SampleCache().batches(4, 1)), []);
});

Deno.test("SampleCache.batches and batches(): inputs.write gives x's values as columns, and as rows sample by sample", async () => {
  const cache = cacheOf(KINDS[0]);
  for (const size of [1, 10, 13]) {
    const piped = cache.shuffled(9).pipeThrough(batches(size));
    for (
      const batch of [
        ...await Array.fromAsync(cache.batches(size, 9)),
        ...await Array.fromAsync(piped),
      ]
    ) {
      const { features } = batch.inputs!, m = batch.y.cols;
      const columns = new Float32Array(features * m), rows = new Float32Array(features * m);
      batch.inputs!.write(columns, "columns"); // before x is made
      batch.inputs!.write(rows, "rows");
      const { x } = batch;
      assert.deepEqual([x.rows, x.cols], [features, m]);
      assert.deepEqual(bytes(columns), bytes(x.data));
      for (let j = 0; j < m; j++) {
        for (let i = 0; i < features; i++) assert.equal(rows[j * features + i], x.data[i * m + j]);
      }
      const again = new Float32Array(features * m);
      batch.inputs!.write(again, "columns"); // after: a copy of x
      assert.deepEqual(bytes(again), bytes(x.data));
      assert.throws(
        () => batch.inputs!.write(new Float32Array(features * m + 1), "rows"),
        /batch: \d+ values to write, the inputs are \d+×\d+/,
      );
    }
  }
});
