/**
 * Learning-rate schedules at chosen steps, with values exact in binary floating point
 * (powers of two, cos 0 and cos π), and the command-line forms.
 */

import assert from "node:assert/strict";
import {
  constantLR,
  cosineLR,
  exponentialLR,
  parseSchedule,
  type Schedule,
  stepLR,
} from "../src/schedules.ts";
import { Network, SGD, train } from "../mod.ts";

function close(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]) <= 1e-15, `${i}: ${a} vs ${expected[i]}`)
  );
}

const at = (schedule: Schedule, steps: number[]) => steps.map(schedule);

Deno.test("constantLR: the same rate everywhere", () => {
  assert.deepEqual(at(constantLR(0.3), [0, 1, 1e6]), [0.3, 0.3, 0.3]);
});

Deno.test("stepLR: a staircase that halves every 10 steps", () => {
  const schedule = stepLR({ lr: 1, stepSize: 10, gamma: 0.5 });
  assert.deepEqual(at(schedule, [0, 9, 10, 19, 20, 35]), [1, 1, 0.5, 0.5, 0.25, 0.125]);
});

Deno.test("exponentialLR: smooth per step, gamma per decaySteps", () => {
  assert.deepEqual(at(exponentialLR({ lr: 2, gamma: 0.5 }), [0, 1, 3]), [2, 1, 0.25]);
  // decaySteps 4: 0.5^(2/4) = √0.5 halfway, 0.5 at step 4, 0.25 at step 8.
  const perEpoch = exponentialLR({ lr: 1, gamma: 0.5, decaySteps: 4 });
  assert.deepEqual(at(perEpoch, [0, 4, 8]), [1, 0.5, 0.25]);
  assert.ok(Math.abs(perEpoch(2) - Math.SQRT1_2) < 1e-15);
});

Deno.test("cosineLR: from lr to minLR over totalSteps, then flat", () => {
  const schedule = cosineLR({ lr: 1, totalSteps: 100, minLR: 0.5 });
  // step 0: cos 0 = 1 → lr; step 50: cos π/2 ≈ 6e-17, lost against 1 → midway; step 100: cos π = −1.
  assert.deepEqual(at(schedule, [0, 50, 100, 200]), [1, 0.75, 0.5, 0.5]);
  assert.ok(schedule(25) > schedule(26));
});

Deno.test("cosineLR: warm-up rises in equal parts to lr, then the cosine starts there", () => {
  const schedule = cosineLR({ lr: 1, totalSteps: 14, warmupSteps: 4 });
  assert.deepEqual(at(schedule, [0, 1, 2, 3, 4, 9, 14]), [0.25, 0.5, 0.75, 1, 1, 0.5, 0]);
});

Deno.test("schedules refuse bad settings", () => {
  assert.throws(() => constantLR(0), /lr must be a positive number, got 0/);
  assert.throws(
    () => stepLR({ lr: 1, stepSize: 0, gamma: 0.5 }),
    /stepSize must be an integer >= 1/,
  );
  assert.throws(() => stepLR({ lr: 1, stepSize: 2, gamma: 2 }), /gamma must be in \(0, 1\], got 2/);
  assert.throws(() => exponentialLR({ lr: 1, gamma: 0 }), /gamma must be in \(0, 1\]/);
  assert.throws(() => exponentialLR({ lr: 1, gamma: 0.9, decaySteps: 1.5 }), /decaySteps/);
  assert.throws(() => cosineLR({ lr: 1, totalSteps: 10, minLR: 2 }), /minLR must be in \[0, 1\]/);
  assert.throws(
    () => cosineLR({ lr: 1, totalSteps: 10, warmupSteps: 10 }),
    /warmupSteps \(10\) must be less than totalSteps \(10\)/,
  );
});

Deno.test("parseSchedule: each command-line form", () => {
  assert.deepEqual(at(parseSchedule("constant", 0.1, 50), [0, 49]), [0.1, 0.1]);
  assert.deepEqual(at(parseSchedule("step:10:0.5", 1, 50), [9, 10, 20]), [1, 0.5, 0.25]);
  assert.deepEqual(at(parseSchedule("exp:0.5", 1, 50), [0, 2]), [1, 0.25]);
  assert.deepEqual(at(parseSchedule("exp:0.5:10", 1, 50), [10, 20]), [0.5, 0.25]);
  assert.deepEqual(at(parseSchedule("cosine", 1, 10), [0, 5, 10]), [1, 0.5, 0]);
  assert.deepEqual(at(parseSchedule(" cosine:warmup=2 ", 1, 12), [0, 1, 7, 12]), [0.5, 1, 0.5, 0]);
  assert.deepEqual(at(parseSchedule("cosine:min=0.5:warmup=1", 1, 11), [0, 1, 11]), [1, 1, 0.5]);
});

Deno.test("parseSchedule: bad text names the problem and lists the forms", () => {
  const cases: [string, RegExp][] = [
    ["linear", /bad schedule "linear": unknown schedule "linear"/],
    ["step:10", /2 field\(s\) after the name expected, got 1/],
    ["step:ten:0.5", /"ten" is not a number/],
    ["step:10:", /"" is not a number/],
    ["exp", /1 to 2 field\(s\) after the name expected, got 0/],
    ["exp:1.5", /gamma must be in \(0, 1\], got 1.5/],
    ["constant:1", /0 field\(s\) after the name expected, got 1/],
    ["cosine:warm=3", /"warm=3" is not warmup=N or min=LR/],
    ["cosine:warmup=500", /warmupSteps \(500\) must be less than totalSteps \(100\)/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseSchedule(text, 0.1, 100), message);
    assert.throws(() => parseSchedule(text, 0.1, 100), /forms: constant, step:SIZE:GAMMA/);
  }
});

Deno.test("reduce on plateau follows PyTorch's ReduceLROnPlateau epoch by epoch", () => {
  // Reference: torch.optim.lr_scheduler.ReduceLROnPlateau(SGD(lr=0.1), factor=0.5, patience=2,
  // min_lr=0.02), scheduler.step(loss) per epoch, the rate read after each (torch 1.13, Debian's python3-torch). The last
  // loss, 0.49995, is exactly best·(1 − 1e-4): not an improvement, as in PyTorch.
  const losses = [1, 0.9, 0.95, 0.9, 0.91, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.49995];
  const torch = [
    0.1,
    0.1,
    0.1,
    0.1,
    0.05,
    0.05,
    0.05,
    0.05,
    0.025,
    0.025,
    0.025,
    0.02,
    0.02,
    0.02,
    0.02,
  ];
  const s = parseSchedule("plateau:factor=0.5:patience=2:min=0.02", 0.1, 1000);
  const rates = losses.map((loss, i) => {
    s.epochEnd!({ epoch: i + 1, trainLoss: 99, validationLoss: loss });
    return s(i);
  });
  assert.deepEqual(rates, torch);
});

Deno.test("reduce on plateau: train loss without validation, state round trip, bad settings", () => {
  const s = parseSchedule("plateau:patience=0", 1, 10);
  assert.deepEqual(s.state!(), { rate: 1, wait: 0 });
  s.epochEnd!({ epoch: 1, trainLoss: 2 });
  s.epochEnd!({ epoch: 2, trainLoss: 3 });
  assert.equal(s(0), 0.1); // PyTorch's default factor
  const resumed = parseSchedule("plateau:patience=0", 1, 10);
  resumed.loadState!(s.state!());
  for (const next of [s, resumed]) next.epochEnd!({ epoch: 3, trainLoss: 1.9 });
  assert.deepEqual([resumed(0), resumed.state!()], [s(0), s.state!()]);
  assert.throws(() => resumed.loadState!({ rate: 5, wait: 0 }), /bad state/);
  for (
    const bad of ["plateau:factor=1", "plateau:patience=-1", "plateau:min=2", "plateau:wait=3"]
  ) {
    assert.throws(() => parseSchedule(bad, 1, 10), RangeError, bad);
  }
});

Deno.test("train() tells the schedule each epoch's losses, so a plateau lowers the rate", async () => {
  const network = new Network({ sizes: [1, 1], activations: "identity", seed: 2 });
  const point = { x: new Float32Array([1]), y: new Float32Array([2]) };
  const events = await Array.fromAsync(train({
    network,
    loss: "quadratic",
    optimizer: new SGD({ learningRate: 1e-3 }),
    // Half the loss each epoch is never reached at this rate: reduce after every epoch but the first.
    schedule: parseSchedule("plateau:patience=0:threshold=0.5", 1e-3, 4),
    data: () => ReadableStream.from([point]),
    validation: () => ReadableStream.from([point]),
    classification: false,
    epochs: 4,
  }));
  const rates = events.flatMap((e) => e.type === "epoch" ? [e.learningRate] : []);
  close(rates, [1e-3, 1e-3, 1e-4, 1e-5]);
});
