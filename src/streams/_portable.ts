/**
 * Two stream idioms written with the parts every runtime has.
 *
 * `ReadableStream.from` and `for await` over a `ReadableStream` are newer than
 * the rest of Web Streams: Chromium 156 has no `ReadableStream.from`, and
 * Safari before 26 cannot iterate a stream. A reader and an underlying source
 * do the same on every engine that has `ReadableStream` at all, so library code
 * uses these two instead (user code and tests may use either).
 *
 * @module
 */

/**
 * A stream of what `source` yields, pulled one item at a time like
 * `ReadableStream.from`: nothing is read ahead of the consumer, and cancelling
 * the stream returns the iterator (a generator's `finally` blocks run).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readAll, streamOf } from "./_portable.ts";
 * const seen: number[] = [];
 * for await (const n of readAll(streamOf([1, 2, 3]))) seen.push(n);
 * assert.deepEqual(seen, [1, 2, 3]);
 * ```
 */
export function streamOf<T>(source: Iterable<T> | AsyncIterable<T>): ReadableStream<T> {
  const iterator: Iterator<T> | AsyncIterator<T> = Symbol.asyncIterator in source
    ? source[Symbol.asyncIterator]()
    : source[Symbol.iterator]();
  return new ReadableStream<T>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * The chunks of `stream`, for `for await`: as iterating the stream itself
 * does, leaving the loop early (`break`, `return`, a throw) cancels the stream.
 *
 * @example Leaving early cancels the source
 * ```ts
 * import assert from "node:assert/strict";
 * import { readAll, streamOf } from "./_portable.ts";
 * let closed = false;
 * function* numbers() {
 *   try {
 *     for (let i = 0;; i++) yield i;
 *   } finally {
 *     closed = true;
 *   }
 * }
 * for await (const n of readAll(streamOf(numbers()))) if (n === 2) break;
 * assert.ok(closed);
 * ```
 */
export async function* readAll<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<T>;
      try {
        chunk = await reader.read();
      } catch (error) {
        finished = true; // an errored stream has nothing to cancel
        throw error;
      }
      if (chunk.done) return void (finished = true);
      yield chunk.value;
    }
  } finally {
    if (!finished) await reader.cancel();
    reader.releaseLock();
  }
}
