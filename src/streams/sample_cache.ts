/**
 * Samples held in memory, for data that fits: collected once, then every epoch is a full
 * seeded Fisher–Yates permutation, with no re-reading or re-parsing of the source.
 *
 * @module
 */

import type { FloatArray } from "../kernels/types.ts";
import { Random } from "../random.ts";
import { SampleRows } from "./_rows.ts";
import { dtypeOfArray, Slab } from "./_blocks.ts";
import type { Batch } from "./batches.ts";
import type { Sample } from "./sample.ts";
import { shuffleInPlace } from "./shuffle.ts";
import { type IdxSamplesOptions, readIdxInto } from "./idx_samples.ts";
import { type Arrivals, fillInWorker, idxWorkerAvailable } from "./_idx_in_worker.ts";
import { bytesOf } from "./_fetch.ts";

/** Samples a cache starts room for, before doubling. */
const INITIAL_CAPACITY = 256;

/**
 * Samples held in memory as typed arrays, each sample one row (a class as its index, not its
 * one-hot `y`), and never larger than `limitBytes`. Fill it with
 * {@linkcode SampleCache.collect} (or {@linkcode SampleCache.add}); then every epoch can stream
 * it in a new order with {@linkcode SampleCache.shuffled}, without reading or parsing the
 * source again.
 *
 * Emitted samples are views into the cache, like a source's shared blocks: copy what you
 * keep, and do not write to them.
 *
 * @example Collect once, then one full shuffle per epoch
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochSeed, type Sample, SampleCache } from "@fullmatrix/backprop";
 * const samples: Sample[] = [0, 1, 2, 3].map((v) => ({ x: new Float32Array([v]), y: new Float32Array([1]) }));
 * const cache = await SampleCache.collect(ReadableStream.from(samples), 1 << 20);
 * assert.ok(cache);
 * for (let epoch = 1; epoch <= 2; epoch++) {
 *   const order: number[] = await Array.fromAsync(cache.shuffled(epochSeed(42, epoch)), (s) => s.x[0]);
 *   assert.deepEqual(order.toSorted(), [0, 1, 2, 3]);
 * }
 * ```
 */
export class SampleCache {
  /** The most bytes the arrays may take. */
  readonly limitBytes: number;
  #rows: SampleRows | null = null;
  #count = 0;
  #capacity = 0;
  #overflowed = false;
  /** Samples to make room for at the first growth (see `reserve`). */
  #reserved = 0;
  /** How the samples arrive, for a cache a worker fills; null once made or filled here. */
  #arrivals: Arrivals | null = null;

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

  /**
   * Reads an IDX pair (images and labels, raw or gzipped, as {@linkcode idxSamples} takes them)
   * straight into a new cache: each pixel converted into the cache's own array, with no sample
   * stream between. Or, when the header announces more than `limitBytes` of samples,
   * cancels both inputs and returns `undefined` (stream them with `idxSamples` instead).
   * Fashion-MNIST's 60,000 training images: 0.40–0.46 s, against 0.5–0.65 s for
   * `collect(idxSamples(…))`, which made and copied a sample per image.
   *
   * With `worker`, a worker reads the pair on another core and the cache comes back as soon as
   * the header is read, its samples arriving in order: {@linkcode SampleCache.stream} (stored
   * order) hands each out once it is in, so training can start at once; a full shuffle
   * (`shuffled`, `batches`) waits for all of them, as {@linkcode SampleCache.ready} does. An
   * error after the header rejects `ready` and errors those streams. Where no worker can start
   * (no SharedArrayBuffer, or in Deno no read permission for this package's files) the pair is
   * read on the calling thread. Default false.
   *
   * With `after`, the reading waits until that promise resolves (and rejects with its reason,
   * reading nothing, if it rejects), while the worker starts at once: a pair read after
   * another, with no worker's start-up between (the CLI's test files after its training files:
   * in 130–165 ms after them, against 175–190 ms with the worker started then).
   *
   * Each input is a byte stream, or a `URL` to fetch (`file:`, `http:`, `https:`; a failed
   * request or a status other than 2xx is a `DataError`): with `worker`, the worker fetches it
   * itself, and the calling thread does not touch its bytes (Fashion-MNIST's 30 MB: 40–60 ms
   * of the calling thread's time before its first step, read and posted).
   *
   * @example Two tiny IDX files built in memory
   * ```ts
   * import assert from "node:assert/strict";
   * import { SampleCache } from "@fullmatrix/backprop";
   *
   * // Two 1×2 images, [0, 255] labelled 1 and [51, 0] labelled 0.
   * const images = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 51, 0]);
   * const labels = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 1, 0]);
   * const cache = await SampleCache.fromIdx(
   *   ReadableStream.from([images]),
   *   ReadableStream.from([labels]),
   *   { classes: 2 },
   * );
   * assert.ok(cache);
   * assert.deepEqual([...cache.get(0).x, cache.get(0).label], [0, 1, 1]);
   * assert.deepEqual([...cache.get(1).y], [1, 0]);
   * ```
   */
  static async fromIdx(
    images: ReadableStream<Uint8Array> | URL,
    labels: ReadableStream<Uint8Array> | URL,
    options: IdxSamplesOptions & {
      limitBytes?: number;
      worker?: boolean;
      after?: Promise<unknown>;
    } = {},
  ): Promise<SampleCache | undefined> {
    const { limitBytes = Infinity, worker = false, after: awaited, ...idx } = options;
    // Inputs that `after` leaves unread are cancelled, closing their files.
    const after = awaited?.catch((e) => {
      for (const input of [images, labels]) {
        if (!(input instanceof URL)) input.cancel(e).catch(() => {});
      }
      throw e;
    });
    const cache = new SampleCache(limitBytes);
    if (worker && idxWorkerAvailable()) {
      const filling = await fillInWorker(images, labels, idx, limitBytes, after);
      if (!filling) return undefined;
      cache.#hold(filling.rows, filling.count);
      cache.#arrivals = filling.arrivals;
      return cache;
    }
    await after;
    const [imageBytes, labelBytes] = await Promise.all([
      bytesOf(images, idx.source?.images),
      bytesOf(labels, idx.source?.labels),
    ]);
    const filled = await readIdxInto(imageBytes, labelBytes, idx, (header) => {
      const rows = SampleRows.forImages(header, limitBytes, false);
      if (rows) cache.#hold(rows, header.count);
      return rows && { x: rows.x, labels: rows.labels! };
    });
    return filled ? cache : undefined;
  }

  #hold(rows: SampleRows, count: number): void {
    [this.#rows, this.#count, this.#capacity] = [rows, count, count];
  }

  /**
   * Settles once every sample is in: at once, except for a cache that
   * {@linkcode SampleCache.fromIdx} fills with a `worker`, which rejects with the reading's
   * error if there is one.
   */
  get ready(): Promise<void> {
    return this.#arrivals?.done ?? Promise.resolve();
  }

  /** The length of every sample's `x` (0 while the cache is empty). */
  get features(): number {
    return this.#rows?.nx ?? 0;
  }

  /** Throws unless every sample is in: `what` would see only some of them. */
  #settled(what: string): void {
    if (this.#arrivals && this.#arrivals.filled < this.#count) {
      throw new RangeError(`SampleCache: ${what} while samples are still arriving (await ready)`);
    }
  }

  /**
   * What a stream waits for before sample `i` (or, for `"all"`, before a full order or its
   * end): nothing once every sample is in and checked, and for a cache made or filled here.
   */
  #pending(i: number | "all"): Promise<void> | undefined {
    const arrivals = this.#arrivals;
    if (!arrivals || (arrivals.settled && !arrivals.failed)) return undefined;
    if (i === "all") return arrivals.done;
    if (i < arrivals.filled) return undefined;
    return (async () => {
      while (i >= arrivals.filled) await arrivals.more();
    })();
  }

  /** The number of samples held. */
  get length(): number {
    return this.#count;
  }

  /** The bytes the arrays take now (room for more samples included). */
  get bytes(): number {
    return this.#rows?.bytes ?? 0;
  }

  /** Whether a sample did not fit: the cache then holds nothing and takes nothing more. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /**
   * Copies a sample in and returns true; or, when it would pass `limitBytes`, frees the
   * arrays, marks the cache {@linkcode SampleCache.overflowed} and returns false. Every
   * sample must have the lengths of the first, and a class (`label`) if the first has one.
   */
  add(sample: Sample): boolean {
    this.#settled("add");
    if (this.#overflowed) return false;
    this.#rows ??= SampleRows.like(sample, 0);
    this.#rows.check(sample, "SampleCache", this.#count);
    if (this.#count === this.#capacity && !this.#grow()) {
      this.#overflowed = true;
      this.#rows = null;
      this.#count = this.#capacity = 0;
      return false;
    }
    this.#rows.put(this.#count++, sample);
    return true;
  }

  /**
   * Makes room for `count` samples in all, within the limit, so that a source that announces
   * its size (an IDX header) is copied in without the doubling's copies: for Fashion-MNIST's
   * 188 MB of features, 0.15 s of a 0.9 s load. Takes effect once the first sample is added.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SampleCache } from "@fullmatrix/backprop";
   * const cache = new SampleCache();
   * cache.reserve(1000);
   * cache.add({ x: new Float32Array(4), y: new Float32Array(1) });
   * assert.equal(cache.bytes, 1000 * (4 + 1) * 4);
   * ```
   */
  reserve(count: number): void {
    if (!(Number.isInteger(count) && count >= 0)) {
      throw new RangeError(`SampleCache: reserve needs a count >= 0, got ${count}`);
    }
    this.#reserved = Math.max(this.#reserved, count);
    if (this.#rows && count > this.#capacity) this.#grow();
  }

  /** Sample `i` as views into the cache. */
  get(i: number): Sample {
    if (!(Number.isInteger(i) && i >= 0 && i < this.#count)) {
      throw new RangeError(`SampleCache: no sample ${i} among ${this.#count}`);
    }
    if (this.#arrivals && i >= this.#arrivals.filled) {
      throw new RangeError(`SampleCache: sample ${i} has not arrived yet`);
    }
    return this.#rows!.view(i);
  }

  /**
   * Maps every cached feature `i` to `(x − offset[i]) · factor[i]` and, given `targets`, every
   * regression target likewise, in place: scaling once instead of every epoch.
   *
   * @example Standardise one feature
   * ```ts
   * import assert from "node:assert/strict";
   * import { SampleCache } from "@fullmatrix/backprop";
   * const cache = new SampleCache();
   * for (const v of [1, 3]) cache.add({ x: new Float32Array([v]), y: new Float32Array([v]) });
   * cache.transform({ offset: [2], factor: [1] }, { offset: [0], factor: [0.5] });
   * assert.deepEqual([cache.get(0).x[0], cache.get(1).x[0], cache.get(1).y[0]], [-1, 1, 1.5]);
   * ```
   */
  transform(
    features: { offset: ArrayLike<number>; factor: ArrayLike<number> },
    targets?: { offset: ArrayLike<number>; factor: ArrayLike<number> },
  ): void {
    this.#settled("transform");
    const rows = this.#rows;
    if (!rows) return;
    apply(rows.x, rows.nx, this.#count, features);
    if (targets) apply(rows.y, rows.ny, this.#count, targets);
  }

  /**
   * Sets the classes once they are known, for samples cached while they were being found:
   * `place[i]` is the class of provisional label `i`, among `classes` classes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SampleCache } from "@fullmatrix/backprop";
   * const cache = new SampleCache();
   * for (const label of [0, 1, 0]) cache.add({ x: new Float32Array([label]), y: new Float32Array(0), label });
   * cache.relabel(Uint32Array.of(1, 0), 2); // first seen "b", then "a": sorted, a = 0, b = 1
   * assert.deepEqual([...cache.get(0).y], [0, 1]);
   * assert.equal(cache.get(1).label, 0);
   * ```
   */
  relabel(place: Uint32Array, classes: number): void {
    this.#settled("relabel");
    this.#rows?.relabel(this.#count, place, classes);
  }

  /**
   * The samples in stored order, or in `order` (indices), one per pull. While a worker fills
   * the cache, each sample in stored order comes once it is in, and an order waits for all.
   */
  stream(order?: ArrayLike<number>): ReadableStream<Sample> {
    const count = order?.length ?? this.#count;
    let k = 0;
    return new ReadableStream<Sample>({
      pull: (controller) => {
        const next = (): void => {
          if (k === count) return controller.close();
          controller.enqueue(this.get(order ? order[k] : k));
          k++;
        };
        const wait = this.#pending(order || k === count ? "all" : k);
        return wait ? wait.then(next) : next();
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
   * would otherwise rival the training step's. Each batch is new storage (cut from larger
   * arrays: one allocation for several batches), built straight from the cache's arrays
   * (`SampleRows.batch`).
   *
   * With a `window`, the order is shuffled within each run of `window` samples in stored order
   * instead of across all: a batch then needs only the samples up to the end of its window, so
   * a cache still being filled is batched as it fills, the first batch as soon as the first
   * window is in, in an order that the timing does not change.
   *
   * @example Windows of 4: each batch draws from its own four samples
   * ```ts
   * import assert from "node:assert/strict";
   * import { SampleCache } from "@fullmatrix/backprop";
   * const cache = new SampleCache();
   * for (let v = 0; v < 8; v++) cache.add({ x: new Float32Array([v]), y: new Float32Array(1) });
   * const batches = await Array.fromAsync(cache.batches(4, 42, 4), (b) => [...b.x.data]);
   * assert.deepEqual(batches.map((b) => b.toSorted()), [[0, 1, 2, 3], [4, 5, 6, 7]]);
   * ```
   */
  batches(size: number, seed?: number, window?: number): ReadableStream<Batch> {
    if (window !== undefined && !(Number.isInteger(window) && window >= 1)) {
      throw new RangeError(`SampleCache: window must be an integer >= 1, got ${window}`);
    }
    const order = seed === undefined
      ? this.#identity()
      : window === undefined
      ? this.#order(seed)
      : this.#windows(seed, window);
    const slab = new Slab(this.#rows ? dtypeOfArray(this.#rows.x) : "float32");
    let start = 0;
    return new ReadableStream<Batch>({
      pull: (controller) => {
        const end = Math.min(start + size, this.#count);
        const next = (): void => {
          if (start >= this.#count) return controller.close();
          controller.enqueue(this.#rows!.batch(order, start, end, slab));
          start = end;
        };
        // What this batch may hold: up to its own last sample in stored order, to its window's
        // last when windowed, any in a full shuffle; past the end, all have been checked.
        const last = start >= this.#count
          ? "all"
          : seed === undefined
          ? end - 1
          : window
          ? Math.min(this.#count, Math.ceil(end / window) * window) - 1
          : "all";
        const wait = this.#pending(last);
        return wait ? wait.then(next) : next();
      },
    }, { highWaterMark: 0 });
  }

  /** Stored order shuffled within each run of `window`, the runs drawn in turn from `seed`. */
  #windows(seed: number, window: number): Uint32Array {
    const order = this.#identity(), random = new Random(seed);
    for (let at = 0; at < order.length; at += window) {
      shuffleInPlace(order.subarray(at, at + window), random);
    }
    return order;
  }

  #order(seed: number): Uint32Array {
    return shuffleInPlace(this.#identity(), new Random(seed));
  }

  #identity(): Uint32Array {
    const order = new Uint32Array(this.#count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return order;
  }

  /** A new cache with copies of the samples at `indices`, in that order. */
  subset(indices: ArrayLike<number>): SampleCache {
    this.#settled("subset");
    const out = new SampleCache();
    for (let k = 0; k < indices.length; k++) out.add(this.get(indices[k]));
    return out;
  }

  /** Doubles the room, within the limit; false when no more fits. */
  #grow(): boolean {
    const rows = this.#rows!;
    const most = SampleRows.most(rows.bytesPerRow, this.limitBytes);
    const room = Math.min(most, Math.max(INITIAL_CAPACITY, 2 * this.#count, this.#reserved));
    if (room <= this.#count) return false;
    rows.resize(this.#count, room);
    this.#capacity = room;
    return true;
  }
}

/**
 * `values[s·width + i] ← (values[s·width + i] − offset[i]) · factor[i]` for the first `count`
 * rows. A map that is one factor for all (`--idx`'s pixels) is one multiply per value, or
 * nothing for a factor of 1; offsets and factors are read from typed arrays. Fashion-MNIST's
 * 47M features took 0.5 s through the general loop over `ArrayLike`s, and 0.04 s so.
 */
function apply(
  values: FloatArray,
  width: number,
  count: number,
  map: { offset: ArrayLike<number>; factor: ArrayLike<number> },
): void {
  const offset = Float64Array.from(map.offset), factor = Float64Array.from(map.factor);
  if (offset.every((o) => o === 0) && factor.every((f) => f === factor[0])) {
    if (width > 0 && factor[0] !== 1) scaleAll(values, width * count, factor[0]);
  } else affineRows(values, width, count, offset, factor);
}

/** `values[i] ← values[i] · f` for the first `n`. (Apart from `affineRows`, so that each loop is
 * optimised for itself: in one function the second loop ran 25× slower the first time.) */
function scaleAll(values: FloatArray, n: number, f: number): void {
  for (let i = 0; i < n; i++) values[i] *= f;
}

function affineRows(
  values: FloatArray,
  width: number,
  count: number,
  offset: Float64Array,
  factor: Float64Array,
): void {
  for (let o = 0, end = width * count; o < end; o += width) {
    for (let i = 0; i < width; i++) values[o + i] = (values[o + i] - offset[i]) * factor[i];
  }
}
