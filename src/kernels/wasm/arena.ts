/**
 * A bump allocator handing out typed-array views into one `WebAssembly.Memory`.
 *
 * The kernels can only touch their own memory, so the matrices they work on
 * must live there; allocating them once and keeping them (weights, gradients,
 * activations of a fixed batch size) avoids copying in and out on each step.
 * A bump pointer fits that use: allocation is an addition, and everything is
 * freed at once with {@linkcode Arena.reset}.
 *
 * **Growth and views.** Growing a non-shared memory detaches its buffer, and
 * every view of it would silently become empty. So a non-shared arena never
 * grows: its size is fixed when the memory is made, and running out throws.
 * A shared memory does not detach when it grows (old views keep their place
 * and length over the same bytes), so a shared arena grows as needed. It
 * grows only in `alloc`, between kernel calls: without a trap handler (Deno
 * has none) a wasm call running in another thread would not see the new size
 * until it returns.
 *
 * @module
 */

import type { DType, FloatArray } from "../types.ts";

/** Every view starts on a cache line: SIMD loads are aligned, and future threads share no lines. */
const ALIGN = 64;
const PAGE = 65536;

/**
 * Whether `memory` is shared: its buffer is a `SharedArrayBuffer`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isShared } from "./arena.ts";
 * assert.equal(isShared(new WebAssembly.Memory({ initial: 1 })), false);
 * ```
 */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * Views into `memory` from byte `reserved` on; the bytes below are left to the owner.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Arena } from "./arena.ts";
 * const arena = new Arena(new WebAssembly.Memory({ initial: 1 }), 1024);
 * const x = arena.alloc(3, "float32");
 * assert.equal(x.byteOffset, 1024);
 * assert.ok(arena.owns(x));
 * ```
 */
export class Arena {
  /** The memory the views are taken from. */
  readonly memory: WebAssembly.Memory;
  readonly #reserved: number;
  readonly #shared: boolean;
  /** Every buffer object the memory has shown: a shared memory shows a new one after each growth. */
  readonly #buffers = new WeakSet<ArrayBufferLike>();
  #top: number;

  /** An empty arena over `memory`, keeping its first `reserved` bytes out of the allocations. */
  constructor(memory: WebAssembly.Memory, reserved: number) {
    this.memory = memory;
    this.#reserved = this.#top = Math.ceil(reserved / ALIGN) * ALIGN;
    this.#shared = isShared(memory);
    this.#buffers.add(memory.buffer);
  }

  /**
   * A zeroed view of `length` elements, 64-byte aligned. Throws a `RangeError`
   * when a non-shared memory is full, or a shared one cannot grow enough.
   */
  alloc(length: number, dtype: DType): FloatArray {
    const f64 = dtype === "float64", start = this.#top, end = start + length * (f64 ? 8 : 4);
    if (end > this.memory.buffer.byteLength) this.#grow(end);
    this.#top = Math.ceil(end / ALIGN) * ALIGN;
    const buffer = this.memory.buffer;
    this.#buffers.add(buffer);
    const view = f64
      ? new Float64Array(buffer, start, length)
      : new Float32Array(buffer, start, length);
    return view.fill(0);
  }

  /** Whether `a` is a view into this arena's memory. */
  owns(a: FloatArray): boolean {
    return this.#buffers.has(a.buffer);
  }

  /** Frees every allocation at once; views handed out before must not be used again. */
  reset(): void {
    this.#top = this.#reserved;
  }

  #grow(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (!this.#shared) {
      throw new RangeError(
        `wasm arena full: ${end} bytes needed, ${have} reserved; ` +
          "ask for more with initialBytes, or use a shared memory, which can grow",
      );
    }
    // Doubling keeps the number of growths logarithmic in the final size.
    const pages = Math.max(Math.ceil((end - have) / PAGE), have / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      this.memory.grow(Math.ceil((end - have) / PAGE));
    }
  }
}
