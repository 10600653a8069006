/**
 * The terminal progress bar: what it shows, and that it redraws at most ten times a second.
 */

import assert from "node:assert/strict";
import { ProgressBar } from "../cli/progress.ts";
import type { StepEvent } from "../mod.ts";

const step = (n: number): StepEvent => ({
  type: "step",
  epoch: 2,
  step: 50 + n, // the n-th step of epoch 2, at 50 steps an epoch
  batchSize: 32,
  loss: 0.25,
  samplesSeen: 32 * (50 + n),
  learningRate: 0.1,
});

Deno.test("progress bar: epoch, step/total, loss, samples/s and ETA on one line rewritten in place", () => {
  const writes: string[] = [];
  const bar = new ProgressBar(5, 50, (t) => writes.push(t));
  bar.step(step(1));
  assert.equal(writes.length, 1);
  assert.match(
    writes[0],
    // deno-lint-ignore no-control-regex
    /^\r\x1b\[2Kepoch 2\/5 [█░]{24} 1\/50 {2}loss 0\.2500 {2}\d+ samples\/s {2}ETA \S+$/,
  );
  bar.clear();
  assert.equal(writes.at(-1), "\r\x1b[2K");
});

Deno.test("progress bar: redraws are throttled to at most 10 a second however fast steps come", async () => {
  const writes: string[] = [];
  const bar = new ProgressBar(5, 50, (t) => writes.push(t));
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < 350) {
    bar.step(step(++n));
    if (n % 1000 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  const seconds = (performance.now() - started) / 1000;
  assert.ok(n > 1000, `only ${n} steps`);
  assert.ok(
    writes.length <= Math.ceil(seconds * 10) + 1,
    `${writes.length} redraws in ${seconds} s`,
  );
  assert.ok(writes.length >= 2);
});
