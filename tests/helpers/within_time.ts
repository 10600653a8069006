/** A time bound for fuzz cases: no input may make a reader hang. */

import assert from "node:assert/strict";

/**
 * Runs `work`, failing when it takes longer than `ms`: the timer catches a stream that never
 * settles, the clock a parser that blocks the thread past the limit.
 */
export async function withinTime(work: () => Promise<void>, ms: number): Promise<void> {
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const took = performance.now() - start;
  assert.ok(took <= ms, `took ${took.toFixed(0)} ms, over ${ms} ms`);
}
