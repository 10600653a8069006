/**
 * Holding out validation data: a seeded random split of a {@linkcode SampleCache},
 * stratified by class.
 *
 * Taking "the last 10 % of the rows" goes wrong whenever a file is ordered (by class, by
 * date, by source): the validation set is then a different distribution from the training
 * set. A random split avoids that, and stratifying keeps each class's share the same in
 * both parts, which matters for small or rare classes.
 *
 * @module
 */

import { Random } from "./random.ts";
import type { SampleCache } from "./streams/sample_cache.ts";
import { shuffleInPlace } from "./streams/shuffle.ts";

/**
 * The two parts of a split.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SampleCache, splitValidation, type ValidationSplit } from "@fullmatrix/backprop";
 * const cache = new SampleCache();
 * for (let i = 0; i < 10; i++) cache.add({ x: new Float32Array([i]), y: new Float32Array([i]) });
 * const split: ValidationSplit = splitValidation(cache, 0.3, 1, { stratify: false });
 * assert.deepEqual([split.train.length, split.validation.length], [7, 3]);
 * ```
 */
export interface ValidationSplit {
  /** The samples to train on, in their original order. */
  train: SampleCache;
  /** The held-out samples, in their original order. */
  validation: SampleCache;
}

/**
 * Settings of {@linkcode splitValidation}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SampleCache, splitValidation, type SplitOptions } from "@fullmatrix/backprop";
 * const cache = new SampleCache();
 * for (let i = 0; i < 4; i++) cache.add({ x: new Float32Array([i]), y: new Float32Array([i / 4]) });
 * const regression: SplitOptions = { stratify: false }; // stratified, every value would be its own class
 * assert.equal(splitValidation(cache, 0.5, 7, regression).validation.length, 2);
 * ```
 */
export interface SplitOptions {
  /**
   * Split each class (the argmax of a one-hot `y`) on its own, so every class has the
   * same share in both parts; default true. Set false for regression.
   */
  stratify?: boolean;
}

/**
 * Splits `cache` at random into a training and a validation part, `round(fraction · n)`
 * samples going to validation. Stratified, each class gives `fraction` of its samples to
 * validation, within one sample (rounding is shared out by largest remainder, so the
 * total is still `round(fraction · n)`). The same seed gives the same split. Both parts
 * are new caches with copies of the samples; the input may be dropped afterwards.
 *
 * @example Hold out a quarter, class by class
 * ```ts
 * import assert from "node:assert/strict";
 * import { SampleCache, splitValidation } from "@fullmatrix/backprop";
 * const cache = new SampleCache();
 * for (let i = 0; i < 8; i++) {
 *   cache.add({ x: new Float32Array([i]), y: new Float32Array(i < 4 ? [1, 0] : [0, 1]) });
 * }
 * const { train, validation } = splitValidation(cache, 0.25, 42);
 * assert.ok(train.length === 6 && validation.length === 2);
 * assert.ok(validation.get(0).y[0] === 1 && validation.get(1).y[1] === 1); // one of each class
 * ```
 */
export function splitValidation(
  cache: SampleCache,
  fraction: number,
  seed: number,
  options: SplitOptions = {},
): ValidationSplit {
  if (!(fraction > 0 && fraction < 1)) {
    throw new RangeError(`splitValidation: fraction must be in (0, 1), got ${fraction}`);
  }
  const random = new Random(seed);
  const groups = (options.stratify ?? true) ? byClass(cache) : [indices(cache.length)];
  const held: number[] = [], kept: number[] = [];
  quotas(groups.map((g) => g.length), fraction).forEach((quota, c) => {
    const group = shuffleInPlace(groups[c], random);
    held.push(...group.slice(0, quota));
    kept.push(...group.slice(quota));
  });
  if (held.length === 0 || kept.length === 0) {
    throw new RangeError(
      `splitValidation: a fraction of ${fraction} of ${cache.length} samples leaves a part empty`,
    );
  }
  const ascending = (a: number, b: number) => a - b;
  return {
    train: cache.subset(kept.sort(ascending)),
    validation: cache.subset(held.sort(ascending)),
  };
}

function indices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The sample indices of each class present, classes in increasing order. */
function byClass(cache: SampleCache): number[][] {
  const classes = new Map<number, number[]>();
  for (let i = 0; i < cache.length; i++) {
    const c = argmax(cache.get(i).y);
    if (!classes.has(c)) classes.set(c, []);
    classes.get(c)!.push(i);
  }
  return [...classes.keys()].sort((a, b) => a - b).map((c) => classes.get(c)!);
}

function argmax(y: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < y.length; i++) if (y[i] > y[best]) best = i;
  return best;
}

/**
 * How many of each group go to validation: `⌊fraction · size⌋` each, then one more to the
 * groups with the largest remainders (the earlier group on a tie) until the total is
 * `round(fraction · n)`.
 */
function quotas(sizes: number[], fraction: number): number[] {
  const exact = sizes.map((size) => fraction * size);
  const out = exact.map(Math.floor);
  const total = Math.round(fraction * sizes.reduce((a, b) => a + b, 0));
  const byRemainder = indices(sizes.length).sort((a, b) =>
    (exact[b] - out[b]) - (exact[a] - out[a]) || a - b
  );
  let missing = total - out.reduce((a, b) => a + b, 0);
  for (const g of byRemainder) {
    if (missing <= 0) break;
    if (exact[g] > out[g]) [out[g], missing] = [out[g] + 1, missing - 1];
  }
  return out;
}
