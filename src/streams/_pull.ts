/**
 * The pull-driven output both file readers share: input is read only when the consumer asks
 * for more, so a slow consumer slows the read, and nothing is read ahead.
 *
 * @module
 */

/** What a reader hands {@linkcode pullStream}. */
export interface PullSource<T> {
  /**
   * Adds the next items to `out` (at least one, unless the input has ended) and returns
   * whether the input has ended. It may add items and then throw: those are delivered first.
   */
  fill(out: T[]): Promise<boolean>;
  /** Cancels the input (closing a file). */
  cancel(reason: unknown): Promise<void>;
}

/**
 * A stream over `source`, one `fill` per pull. An error errors the output once, after the items
 * read before it, and cancels the input.
 */
export function pullStream<T>(source: PullSource<T>): ReadableStream<T> {
  let done = false, failed = false, failure: unknown;
  return new ReadableStream<T>({
    async pull(controller): Promise<void> {
      if (failed) throw failure;
      const out: T[] = [];
      try {
        while (out.length === 0 && !done) done = await source.fill(out);
      } catch (e) {
        await source.cancel(e).catch(() => {}); // an input that failed is already errored
        if (out.length === 0) throw e;
        [failed, failure] = [true, e]; // erroring now would drop the items before it
      }
      for (const item of out) controller.enqueue(item);
      if (done) controller.close();
    },
    cancel(reason): Promise<void> {
      return source.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
