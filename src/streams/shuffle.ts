/**
 * Shuffling samples, seeded so that a run can be repeated and resumed exactly.
 *
 * Mini-batch SGD assumes each batch is a fair draw from the data; a file sorted by class
 * breaks that, and the network chases one class after another. Two ways to shuffle:
 *
 * - {@linkcode shuffleBuffer}, a stream stage with bounded memory for data of any size: it
 *   mixes samples within a window of `bufferSize`, a partial shuffle;
 * - {@linkcode SampleCache}, for data that fits in memory: collected once into two typed
 *   arrays, then every epoch is a full Fisher–Yates permutation, with no re-parsing.
 *
 * Either way the order of an epoch comes from `epochSeed(seed, epoch)`, so epoch `k` of a
 * resumed run is the epoch `k` of the run that never stopped.
 *
 * @module
 */

import type { FloatArray } from "../kernels/types.ts";
import { Random } from "../random.ts";
import { type Batch, toBatch } from "./batches.ts";
import type { Sample } from "./sample.ts";

/**
 * The seed of one epoch's shuffle, from the run's seed and the epoch number: each epoch
 * gets another order, and the same pair always the same one. Both are taken as 32-bit integers.
 *
 * @example
 * ```ts
 * import { epochSeed } from "@fullmatrix/backprop";
 * console.assert(epochSeed(7, 1) === epochSeed(7, 1) && epochSeed(7, 1) !== epochSeed(7, 2));
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
 * import { Random } from "../random.ts";
 * import { shuffleInPlace } from "./shuffle.ts";
 * const order = shuffleInPlace([0, 1, 2, 3], new Random(1));
 * console.assert(order.length === 4 && new Set(order).size === 4);
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
 * import { epochSeed, type Sample, shuffleBuffer } from "@fullmatrix/backprop";
 * const samples: Sample[] = [0, 1, 2, 3, 4].map((v) => ({ x: new Float32Array([v]), y: new Float32Array([1]) }));
 * const epoch = 3;
 * const out = await Array.fromAsync(
 *   ReadableStream.from(samples).pipeThrough(shuffleBuffer(2, epochSeed(42, epoch))),
 * );
 * console.assert(out.map((s) => s.x[0]).sort().join() === "0,1,2,3,4");
 * ```
 */
export function shuffleBuffer(bufferSize: number, seed: number): TransformStream<Sample, Sample> {
  if (!(Number.isInteger(bufferSize) && bufferSize > 0)) {
    throw new RangeError(`shuffleBuffer: bufferSize must be a positive integer, got ${bufferSize}`);
  }
  const random = new Random(seed);
  // Held samples live in two flat arrays, filled once: copies that wait ~bufferSize samples
  // would otherwise outlive the young generation and pile up until a full collection.
  let slots: { x: FloatArray; y: FloatArray; nx: number; ny: number } | undefined, count = 0;
  const take = (j: number): Sample => {
    const { x, y, nx, ny } = slots!;
    return { x: x.slice(j * nx, (j + 1) * nx), y: y.slice(j * ny, (j + 1) * ny) };
  };
  const put = (j: number, sample: Sample) => {
    slots!.x.set(sample.x, j * slots!.nx);
    slots!.y.set(sample.y, j * slots!.ny);
  };
  return new TransformStream<Sample, Sample>({
    transform(sample, controller) {
      slots ??= {
        x: new (sample.x.constructor as Float64ArrayConstructor)(bufferSize * sample.x.length),
        y: new (sample.y.constructor as Float64ArrayConstructor)(bufferSize * sample.y.length),
        nx: sample.x.length,
        ny: sample.y.length,
      };
      if (sample.x.length !== slots.nx || sample.y.length !== slots.ny) {
        throw new RangeError(
          `shuffleBuffer: a sample of ${sample.x.length} + ${sample.y.length} values, expected ${slots.nx} + ${slots.ny}`,
        );
      }
      if (count < bufferSize) return put(count++, sample);
      const j = random.int(bufferSize);
      controller.enqueue(take(j));
      put(j, sample);
    },
    flush(controller) {
      const order = shuffleInPlace(Array.from({ length: count }, (_, i) => i), random);
      for (const j of order) controller.enqueue(take(j));
    },
  });
}

/** Samples a cache starts room for, before doubling. */
const INITIAL_CAPACITY = 256;

/**
 * Samples held in memory as two typed arrays, `x` and `y` of each sample one row, and
 * never larger than `limitBytes`. Fill it with {@linkcode SampleCache.collect} (or
 * {@linkcode SampleCache.add}); then every epoch can stream it in a new order with
 * {@linkcode SampleCache.shuffled}, without reading or parsing the source again.
 *
 * Emitted samples are views into the cache, like a source's shared blocks: copy what you
 * keep, and do not write to them.
 *
 * @example Collect once, then one full shuffle per epoch
 * ```ts
 * import { epochSeed, type Sample, SampleCache } from "@fullmatrix/backprop";
 * const samples: Sample[] = [0, 1, 2, 3].map((v) => ({ x: new Float32Array([v]), y: new Float32Array([1]) }));
 * const cache = await SampleCache.collect(ReadableStream.from(samples), 1 << 20);
 * if (cache) {
 *   for (let epoch = 1; epoch <= 2; epoch++) {
 *     const order = await Array.fromAsync(cache.shuffled(epochSeed(42, epoch)), (s) => s.x[0]);
 *     console.assert(order.length === 4);
 *   }
 * }
 * ```
 */
export class SampleCache {
  /** The most bytes the two arrays may take. */
  readonly limitBytes: number;
  #x: FloatArray = new Float32Array(0);
  #y: FloatArray = new Float32Array(0);
  #nx = -1;
  #ny = -1;
  #count = 0;
  #capacity = 0;
  #overflowed = false;

  /** An empty cache that will hold at most `limitBytes` of sample data (default: no limit). */
  constructor(limitBytes: number = Infinity) {
    if (!(limitBytes >= 0)) {
      throw new RangeError(`SampleCache: limitBytes must be >= 0, got ${limitBytes}`);
    }
    this.limitBytes = limitBytes;
  }

  /**
   * Reads all of `input` into a new cache; or, once the data would pass `limitBytes`,
   * stops reading, cancels `input` and returns `undefined` (stream the source instead).
   */
  static async collect(
    input: ReadableStream<Sample>,
    limitBytes: number = Infinity,
  ): Promise<SampleCache | undefined> {
    const cache = new SampleCache(limitBytes);
    const reader = input.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      if (!cache.add(next.value)) {
        await reader.cancel("SampleCache: over its limit");
        return undefined;
      }
    }
    return cache;
  }

  /** The number of samples held. */
  get length(): number {
    return this.#count;
  }

  /** The bytes the arrays take now (room for more samples included). */
  get bytes(): number {
    return this.#x.byteLength + this.#y.byteLength;
  }

  /** Whether a sample did not fit: the cache then holds nothing and takes nothing more. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /**
   * Copies a sample in and returns true; or, when it would pass `limitBytes`, frees the
   * arrays, marks the cache {@linkcode SampleCache.overflowed} and returns false. Every
   * sample must have the lengths of the first.
   */
  add(sample: Sample): boolean {
    if (this.#overflowed) return false;
    if (this.#nx < 0) this.#start(sample);
    if (sample.x.length !== this.#nx || sample.y.length !== this.#ny) {
      throw new RangeError(
        `SampleCache: sample ${this.#count} has ${sample.x.length} + ${sample.y.length} values, ` +
          `expected ${this.#nx} + ${this.#ny}`,
      );
    }
    if (this.#count === this.#capacity && !this.#grow()) {
      this.#overflowed = true;
      this.#x = this.#y = new Float32Array(0);
      this.#count = this.#capacity = 0;
      return false;
    }
    this.#x.set(sample.x, this.#count * this.#nx);
    this.#y.set(sample.y, this.#count * this.#ny);
    this.#count++;
    return true;
  }

  /** Sample `i` as views into the cache. */
  get(i: number): Sample {
    if (!(Number.isInteger(i) && i >= 0 && i < this.#count)) {
      throw new RangeError(`SampleCache: no sample ${i} among ${this.#count}`);
    }
    const nx = this.#nx, ny = this.#ny;
    return { x: this.#x.subarray(i * nx, (i + 1) * nx), y: this.#y.subarray(i * ny, (i + 1) * ny) };
  }

  /** Multiplies every cached feature by `factor`, in place: scaling once instead of every epoch. */
  scaleFeatures(factor: number): void {
    for (let i = 0; i < this.#count * this.#nx; i++) this.#x[i] *= factor;
  }

  /** The samples in stored order, or in `order` (indices), one per pull. */
  stream(order?: ArrayLike<number>): ReadableStream<Sample> {
    const count = order?.length ?? this.#count;
    let k = 0;
    return new ReadableStream<Sample>({
      pull: (controller) => {
        if (k === count) return controller.close();
        controller.enqueue(this.get(order ? order[k] : k));
        k++;
      },
    }, { highWaterMark: 0 });
  }

  /** All samples in a Fisher–Yates order drawn from `seed`. */
  shuffled(seed: number): ReadableStream<Sample> {
    return this.stream(this.#order(seed));
  }

  /**
   * The samples as ready mini-batches of `size` (the last one short), in the order
   * {@linkcode SampleCache.shuffled} gives for `seed`, or stored order without one. One pull
   * per batch instead of per sample: for small batches the stream's own cost per sample
   * would otherwise rival the training step's.
   */
  batches(size: number, seed?: number): ReadableStream<Batch> {
    const order = seed === undefined ? undefined : this.#order(seed);
    let start = 0;
    return new ReadableStream<Batch>({
      pull: (controller) => {
        if (start >= this.#count) return controller.close();
        const end = Math.min(start + size, this.#count);
        const samples = [];
        for (let k = start; k < end; k++) samples.push(this.get(order ? order[k] : k));
        controller.enqueue(toBatch(samples));
        start = end;
      },
    }, { highWaterMark: 0 });
  }

  #order(seed: number): Uint32Array {
    const order = Uint32Array.from({ length: this.#count }, (_, i) => i);
    return shuffleInPlace(order, new Random(seed));
  }

  /** A new cache with copies of the samples at `indices`, in that order. */
  subset(indices: ArrayLike<number>): SampleCache {
    const out = new SampleCache();
    for (let k = 0; k < indices.length; k++) out.add(this.get(indices[k]));
    return out;
  }

  /** Fixes the lengths and element types from the first sample. */
  #start({ x, y }: Sample): void {
    this.#nx = x.length;
    this.#ny = y.length;
    this.#x = new (x.constructor as Float64ArrayConstructor)(0);
    this.#y = new (y.constructor as Float64ArrayConstructor)(0);
  }

  /** Doubles the room, within the limit; false when no more fits. */
  #grow(): boolean {
    const perSample = this.#nx * this.#x.BYTES_PER_ELEMENT + this.#ny * this.#y.BYTES_PER_ELEMENT;
    // Shuffled orders index samples with 32-bit integers.
    const most = Math.min(Math.floor(this.limitBytes / Math.max(perSample, 1)), 2 ** 32);
    const room = Math.min(most, Math.max(INITIAL_CAPACITY, 2 * this.#count));
    if (room <= this.#count) return false;
    this.#x = resized(this.#x, room * this.#nx);
    this.#y = resized(this.#y, room * this.#ny);
    this.#capacity = room;
    return true;
  }
}

function resized(a: FloatArray, length: number): FloatArray {
  const out = new (a.constructor as Float64ArrayConstructor)(length);
  out.set(a);
  return out;
}
