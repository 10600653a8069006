/**
 * Defaults that work, through `deno task train` on Fashion-MNIST: the seed's configuration
 * (Nielsen's 784-30-10 sigmoid network, quadratic loss, batch 10, lr 3.0) learns with only its
 * own flags, and the same run with momentum 0.9 — the old default, which trained it to 10% —
 * is told to be stuck after its first epoch. Skipped, saying so, without Debian's
 * dataset-fashion-mnist.
 */

import assert from "node:assert/strict";
import { task } from "./helpers/cli.ts";

const FASHION = "/usr/share/datasets/fashion-mnist";
const present = await Deno.stat(FASHION).then(() => true, () => false);
if (!present) console.log(`skipped: ${FASHION} is missing (Debian's dataset-fashion-mnist)`);

const SEED = [
  "--idx",
  FASHION,
  "--layers",
  "784,30,10",
  "--activation",
  "sigmoid",
  "--output",
  "sigmoid",
  "--loss",
  "quadratic",
  "--batch",
  "10",
  "--lr",
  "3.0",
  "--epochs",
  "1",
];

Deno.test({
  name: "train CLI: the seed's configuration on Fashion-MNIST reaches ≥ 0.75 after one epoch",
  ignore: !present,
  async fn() {
    const { code, stdout, stderr } = await task("train", [...SEED, "--json"]);
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.ok(summary.testAccuracy >= 0.75, `test accuracy ${summary.testAccuracy}`);
    assert.doesNotMatch(stderr, /warning/);
  },
});

Deno.test({
  name: "train CLI: with momentum 0.9 the same run is told to be stuck after epoch 1",
  ignore: !present,
  async fn() {
    const { code, stderr } = await task("train", [...SEED, "--momentum", "0.9"]);
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      /^warning: after epoch 1 the sigmoid outputs are saturated \(\d+% at the ends of their range\)/m,
    );
  },
});
