/**
 * Shuffling samples, seeded so that a run can be repeated and resumed exactly.
 *
 * Mini-batch SGD assumes each batch is a fair draw from the data; a file sorted by class
 * breaks that, and the network chases one class after another. Two ways to shuffle:
 *
 * - {@linkcode shuffleBuffer}, a stream stage with bounded memory for data of any size: it
 *   mixes samples within a window of `bufferSize`, a partial shuffle;
 * - `SampleCache` (sample_cache.ts), for data that fits in memory: collected once into typed
 *   arrays, then every epoch is a full Fisher–Yates permutation, with no re-parsing.
 *
 * Either way the order of an epoch comes from `epochSeed(seed, epoch)`, so epoch `k` of a
 * resumed run is the epoch `k` of the run that never stopped.
 *
 * @module
 */

import { Random } from "../random.ts";
import { SampleRows } from "./_rows.ts";
import type { Sample } from "./sample.ts";

/**
 * The seed of one epoch's shuffle, from the run's seed and the epoch number: each epoch
 * gets another order, and the same pair always the same one. Both are taken as 32-bit integers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochSeed } from "@fullmatrix/backprop";
 * assert.equal(epochSeed(7, 1), epochSeed(7, 1));
 * assert.notEqual(epochSeed(7, 1), epochSeed(7, 2));
 * ```
 */
export function epochSeed(seed: number, epoch: number): number {
  // Multiplying by the golden ratio's 32-bit fraction spreads consecutive epochs over all bits;
  // Random mixes the result further.
  return (seed ^ Math.imul(epoch, 0x9e3779b1)) >>> 0;
}

/**
 * Shuffles `items` in place by Fisher–Yates: each of the `n!` orders is equally likely.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Random } from "../random.ts";
 * import { shuffleInPlace } from "./shuffle.ts";
 * const order = shuffleInPlace([0, 1, 2, 3], new Random(1));
 * assert.deepEqual([...order].sort(), [0, 1, 2, 3]);
 * ```
 */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(
  items: T,
  random: Random,
): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * A seeded shuffle buffer: it fills with `bufferSize` samples, then for each incoming
 * sample emits a random buffered one and keeps the newcomer in its place; at the end it
 * emits the rest in a random order. A sample comes out at most `bufferSize − 1` places
 * earlier than it went in (so `bufferSize` 1 keeps the order), and any number later. It reads
 * ahead only to keep its buffer full, so memory is `bufferSize` samples, and it keeps
 * copies of them, as sources may reuse their buffers.
 *
 * @example Shuffle each epoch differently, reproducibly
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochSeed, type Sample, shuffleBuffer } from "@fullmatrix/backprop";
 * const samples: Sample[] = [0, 1, 2, 3, 4].map((v) => ({ x: new Float32Array([v]), y: new Float32Array([1]) }));
 * const epoch = 3;
 * const out = await Array.fromAsync(
 *   ReadableStream.from(samples).pipeThrough(shuffleBuffer(2, epochSeed(42, epoch))),
 * );
 * assert.deepEqual(out.map((s) => s.x[0]).sort(), [0, 1, 2, 3, 4]);
 * ```
 */
export function shuffleBuffer(bufferSize: number, seed: number): TransformStream<Sample, Sample> {
  if (!(Number.isInteger(bufferSize) && bufferSize > 0)) {
    throw new RangeError(`shuffleBuffer: bufferSize must be a positive integer, got ${bufferSize}`);
  }
  const random = new Random(seed);
  // Held samples live in flat arrays, filled once: copies that wait ~bufferSize samples would
  // otherwise outlive the young generation and pile up until a full collection. A class is
  // held as its index, not its one-hot y.
  let slots: SampleRows | undefined, count = 0;
  const take = (j: number): Sample => slots!.copy(j);
  return new TransformStream<Sample, Sample>({
    transform(sample, controller) {
      slots ??= SampleRows.like(sample, bufferSize);
      slots.check(sample, "shuffleBuffer");
      if (count < bufferSize) return slots.put(count++, sample);
      const j = random.int(bufferSize);
      controller.enqueue(take(j));
      slots.put(j, sample);
    },
    flush(controller) {
      const order = shuffleInPlace(Array.from({ length: count }, (_, i) => i), random);
      for (const j of order) controller.enqueue(take(j));
    },
  });
}
