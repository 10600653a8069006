/**
 * A small seeded pseudo-random generator, so that a seed fixes a run bit for bit.
 *
 * The generator is xoshiro128** (Blackman and Vigna): four 32-bit words of
 * state, fast in JavaScript's 32-bit integer arithmetic. Nothing saves its
 * state: every use derives its generator from a seed (the shuffle's from
 * `(seed, epoch)`), which is what makes a resumed run match.
 *
 * @module
 */

/**
 * Seeded random numbers: uniform floats, integers and normal deviates.
 *
 * @example Two generators with one seed give one sequence
 * ```ts
 * import assert from "node:assert/strict";
 * import { Random } from "./random.ts";
 * const a = new Random(42), b = new Random(42);
 * assert.ok(a.next() === b.next());
 * ```
 */
export class Random {
  #s: Uint32Array;

  /** Seeds the state from a 32-bit integer through splitmix32, so nearby seeds diverge. */
  constructor(seed = 0) {
    this.#s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n > 0 && n <= 4294967296)) {
      throw new RangeError(`Random.int: n must be in (0, 2^32], got ${n}`);
    }
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32(); while (x >= limit);
    return x % n;
  }

  /** A standard normal deviate (Box–Muller; one of the pair is discarded to keep the state simple). */
  normal(): number {
    const u = 1 - this.next(); // in (0, 1]: log(u) is finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
