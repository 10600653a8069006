/**
 * The terminal progress bar: what it shows, that it fits the terminal, and that it redraws at
 * most ten times a second.
 */

import assert from "node:assert/strict";
import { ProgressBar } from "../cli/progress.ts";
import type { StepEvent } from "../mod.ts";

const step = (n: number, loss = 0.25): StepEvent => ({
  type: "step",
  epoch: 2,
  step: 50 + n, // the n-th step of epoch 2, at 50 steps an epoch
  batchSize: 32,
  loss,
  samplesSeen: 32 * (50 + n),
  learningRate: 0.1,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("progress bar: epoch, step/total, loss, samples/s and ETA on one line rewritten in place", async () => {
  const writes: string[] = [];
  const bar = new ProgressBar(5, 50, (t) => writes.push(t), () => 120);
  bar.step(step(1));
  assert.equal(writes.length, 1);
  // The first frame has timed nothing yet: no made-up speed.
  assert.match(
    writes[0],
    // deno-lint-ignore no-control-regex
    /^\r\x1b\[2Kepoch 2\/5 [█░]{24} 1\/50 {2}loss 0\.2500 {2}– samples\/s {2}ETA \?$/,
  );
  await sleep(150);
  bar.step(step(2));
  const rate = Number(writes[1].match(/(\d+) samples\/s/)![1]);
  // 64 samples in ≥ 150 ms: at most a few hundred a second, never billions.
  assert.ok(rate > 0 && rate <= 64 / 0.15, `rate ${rate}`);
  assert.match(writes[1], /ETA \d+s$/);
  bar.clear();
  assert.equal(writes.at(-1), "\r\x1b[2K");
});

Deno.test("progress bar: shows the running mean loss of the epoch, not the last batch's", async () => {
  const writes: string[] = [];
  const bar = new ProgressBar(5, 50, (t) => writes.push(t), () => 120);
  bar.step(step(1, 1.0));
  bar.step(step(2, 0.5));
  await sleep(110);
  bar.step(step(3, 0.0));
  assert.match(writes.at(-1)!, /loss 0\.5000/);
});

Deno.test("progress bar: the line fits the terminal's width, the bar narrowing first", () => {
  for (const columns of [100, 60, 40, 20]) {
    const writes: string[] = [];
    new ProgressBar(100, 5000, (t) => writes.push(t), () => columns).step({
      ...step(1),
      epoch: 12,
      step: 11 * 5000 + 4321,
    });
    const visible = [...writes[0].replace("\r\x1b[2K", "")];
    assert.ok(visible.length <= columns - 1, `${visible.length} chars at ${columns} columns`);
    assert.ok(visible.join("").startsWith("epoch 12/100"));
    if (columns >= 60) assert.match(visible.join(""), /4321\/5000 {2}loss/);
  }
});

Deno.test("progress bar: redraws are throttled to at most 10 a second however fast steps come", async () => {
  const writes: string[] = [];
  const bar = new ProgressBar(5, 50, (t) => writes.push(t), () => 120);
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < 350) {
    bar.step(step(++n));
    if (n % 1000 === 0) await sleep(1);
  }
  const seconds = (performance.now() - started) / 1000;
  assert.ok(n > 1000, `only ${n} steps`);
  assert.ok(
    writes.length <= Math.ceil(seconds * 10) + 1,
    `${writes.length} redraws in ${seconds} s`,
  );
  assert.ok(writes.length >= 2);
});
