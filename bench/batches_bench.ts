/**
 * Building mini-batches from the in-memory sample cache, the old way and the new, in one run:
 * µs per batch of `SampleCache.batches` over one epoch of 60,000 random 784-feature samples of
 * 10 classes at batch 64 (Fashion B) and 10 (A), then one epoch of B through `train()` on
 * those cached batches, each way (the best of 3, alternating).
 *
 *     deno run --allow-ffi=/usr/lib/x86_64-linux-gnu/libopenblas.so.0 bench/batches_bench.ts
 *
 * The old way is the code this replaced: per sample a view (`cache.get`), then `toBatch`'s
 * one strided column write per sample, with `y` copied from a shared one-hot vector.
 *
 * @module
 */

import { epochSeed, Network, SampleCache, SGD, train } from "../mod.ts";
import { loadBlas } from "../src/kernels/blas.ts";
import { Random } from "../src/random.ts";
import { type Batch, toBatch } from "../src/streams/batches.ts";
import { shuffleInPlace } from "../src/streams/shuffle.ts";

const N = 60_000, FEATURES = 784, CLASSES = 10, SEED = 42;

function randomCache(): SampleCache {
  const rnd = new Random(1), cache = new SampleCache();
  const x = new Float32Array(FEATURES);
  for (let i = 0; i < N; i++) {
    for (let f = 0; f < FEATURES; f++) x[f] = rnd.next();
    cache.add({ x, y: new Float32Array(CLASSES), label: Math.floor(rnd.next() * CLASSES) });
  }
  return cache;
}

/** The replaced `SampleCache.batches`: the same order, one view per sample, `toBatch`. */
function oldBatches(cache: SampleCache, size: number, seed: number): ReadableStream<Batch> {
  const order = shuffleInPlace(
    Uint32Array.from({ length: cache.length }, (_, i) => i),
    new Random(seed),
  );
  let start = 0;
  return new ReadableStream<Batch>({
    pull: (controller) => {
      if (start >= cache.length) return controller.close();
      const end = Math.min(start + size, cache.length), samples = [];
      for (let k = start; k < end; k++) samples.push(cache.get(order[k]));
      controller.enqueue(toBatch(samples));
      start = end;
    },
  }, { highWaterMark: 0 });
}

type Way = (cache: SampleCache, size: number, seed: number) => ReadableStream<Batch>;
const WAYS: [string, Way][] = [
  ["old", oldBatches],
  ["new", (cache, size, seed) => cache.batches(size, seed)],
];

/**
 * µs per batch over one epoch (epoch `r` of the seed), each batch's `x` read (the cache's
 * batches make it only then).
 */
async function perBatch(cache: SampleCache, way: Way, size: number, r: number): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for await (const batch of way(cache, size, epochSeed(SEED, r))) n += batch.x.cols > 0 ? 1 : 0;
  return (performance.now() - t0) * 1000 / n;
}

/** Samples per second of one epoch of B (784-128-64-10, batch 64) on `way`'s batches. */
async function epochB(cache: SampleCache, way: Way): Promise<number> {
  const network = new Network({
    sizes: [784, 128, 64, 10],
    activations: ["relu", "relu", "softmax"],
    seed: 1,
    backend: loadBlas() ? "blas" : "auto",
  });
  let rate = 0;
  for await (
    const e of train({
      network,
      loss: "cross-entropy",
      optimizer: new SGD({ learningRate: 0.1 }),
      batchData: (epoch, size) => way(cache, size, epochSeed(SEED, epoch)),
      batchSize: 64,
    })
  ) if (e.type === "epoch") rate = e.samplesPerSec;
  network.close();
  return rate;
}

const cache = randomCache();
for (const size of [64, 10]) {
  for (const [, way] of WAYS) await perBatch(cache, way, size, 0); // warm up
  let best = { old: Infinity, new: Infinity };
  for (let r = 1; r <= 5; r++) { // alternating, the best of 5 epochs each
    best = {
      old: Math.min(best.old, await perBatch(cache, oldBatches, size, r)),
      new: Math.min(best.new, await perBatch(cache, WAYS[1][1], size, r)),
    };
  }
  console.log(
    `SampleCache.batches, batch ${size}: old ${best.old.toFixed(1)} µs, new ` +
      `${best.new.toFixed(1)} µs per batch (${(best.old / best.new).toFixed(2)}×)`,
  );
}
await epochB(cache, WAYS[1][1]); // warm up
const best = new Map<string, number>();
for (let r = 0; r < 3; r++) {
  for (const [name, way] of WAYS) {
    best.set(name, Math.max(best.get(name) ?? 0, await epochB(cache, way)));
  }
}
for (const [name, rate] of best) {
  console.log(`epoch of B on ${name} batches: ${Math.round(rate)} samples/s (best of 3)`);
}
