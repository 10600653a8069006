/**
 * Hostile models and checkpoints, through `deno task predict` and `deno task train --resume`:
 * metadata that claims a huge network, a header too large to parse, non-finite weights,
 * checkpoint fields of the wrong type or range, a best.safetensors of another network.
 * Each ends in one line, exit 1, in bounded time, with nothing allocated for the claim.
 */

import assert from "node:assert/strict";
import { encodeModel, encodeSafetensors, Network, networkTensors } from "../mod.ts";
import { loadNewestCheckpoint } from "../cli/run_files.ts";
import { oneLine, task, tempDir, trainRun } from "./helpers/launcher.ts";

/** A model file whose metadata claims `sizes` while its tensors are those of `network`. */
function lyingModel(network: Network, sizes: number[]): Uint8Array {
  const info = {
    sizes,
    activations: [...Array(sizes.length - 2).fill("relu"), "softmax"],
    dtype: "float32",
    extra: { classes: null, scale: 1, task: "classification", label: null },
  };
  return encodeSafetensors(networkTensors(network), { fullmatrix: JSON.stringify(info) });
}

async function predict(model: string): Promise<{ code: number; stderr: string; ms: number }> {
  const started = performance.now();
  const { code, stderr } = await task([
    "predict",
    "--model",
    model,
    "--data",
    "data/digits_test.csv",
  ]);
  return { code, stderr, ms: performance.now() - started };
}

Deno.test("models: a 10 KB file claiming [64, 20000, 20000, 10] fails at once, before allocating", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/huge.safetensors`;
  const bytes = lyingModel(new Network({ sizes: [64, 20, 20, 10], activations: "relu" }), [
    64,
    20000,
    20000,
    10,
  ]);
  assert.ok(bytes.length < 12_000);
  await Deno.writeFile(path, bytes);
  const { code, stderr, ms } = await predict(path);
  assert.equal(code, 1, stderr);
  assert.match(
    stderr,
    /huge.safetensors: "layers.0.W" has shape \[20,64\], the network needs \[20000,64\]/,
  );
  assert.ok(oneLine(stderr), stderr);
  // Was 12–36 s and 1.6–3.7 GiB; now the time of starting deno.
  assert.ok(ms < 10_000, `${ms} ms`);
});

Deno.test("models: a header of 200k layers is over the cap and refused unparsed", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/deep.safetensors`;
  const layers = 200_000;
  const tensors: Record<string, { dtype: "F32"; shape: number[]; data: Float32Array }> = {};
  for (let l = 0; l < layers; l++) {
    tensors[`layers.${l}.W`] = { dtype: "F32", shape: [1, 1], data: new Float32Array(1) };
    tensors[`layers.${l}.b`] = { dtype: "F32", shape: [1], data: new Float32Array(1) };
  }
  await Deno.writeFile(path, encodeSafetensors(tensors));
  const { code, stderr, ms } = await predict(path);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /deep.safetensors: header length \d+ is over the limit of 1048576 bytes/);
  assert.ok(oneLine(stderr), stderr);
  assert.ok(ms < 10_000, `${ms} ms`);
});

Deno.test("models: non-finite weights are refused, not predicted as NaN rows", async () => {
  await using tmp = await tempDir();
  for (const bad of [NaN, Infinity]) {
    const network = new Network({ sizes: [64, 8, 10], activations: ["relu", "softmax"], seed: 1 });
    network.layers[1].W.data[5] = bad;
    const path = `${tmp.dir}/bad.safetensors`;
    await Deno.writeFile(path, encodeModel(network, { scale: 1 / 16, task: "classification" }));
    const { code, stderr } = await predict(path);
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      new RegExp(`bad.safetensors: "layers.1.W" holds ${bad} at element 5, not a finite weight`),
    );
    assert.ok(oneLine(stderr), stderr);
  }
});

/** A trained run (with early stopping, so that best.safetensors exists), copied per attack. */
async function withRun(attack: (checkpoint: string) => Promise<void>): Promise<string> {
  await using tmp = await tempDir();
  const run = `${tmp.dir}/run`;
  await trainRun(run, "--patience", "3");
  const checkpoint = (await loadNewestCheckpoint(run)).path;
  await attack(checkpoint);
  const { code, stderr } = await task([
    "train",
    "--resume",
    run,
    "--epochs",
    "3",
    "--patience",
    "3",
  ]);
  assert.equal(code, 1, stderr);
  assert.ok(oneLine(stderr), stderr);
  return stderr;
}

const editInfo = (change: (info: Record<string, Record<string, unknown>>) => void) =>
async (
  checkpoint: string,
) => {
  const path = `${checkpoint}/checkpoint.json`;
  const info = JSON.parse(await Deno.readTextFile(path));
  change(info);
  await Deno.writeTextFile(path, JSON.stringify(info));
};

Deno.test("checkpoints: checkpoint.json is checked field by field", async () => {
  const cases: [(info: Record<string, Record<string, unknown>>) => void, RegExp][] = [
    [
      (i) => i.progress.epoch = -1e15,
      /progress.epoch is -1000000000000000, not a whole number ≥ 0/,
    ],
    [(i) => i.progress.epoch = "20", /progress.epoch is "20", not a whole number ≥ 0/],
    [(i) => i.progress.step = 0, /each epoch takes a step and each step a sample/],
    [(i) => i.network.sizes = [64, "32", 10], /network.sizes is \[64,"32",10\], not a list/],
    [(i) => i.network.activations = ["constructor", "softmax"], /network.activations is/],
    [(i) => i.optimizer.scalars = { learningRate: null }, /optimizer.scalars.learningRate is null/],
    [(i) => i.earlyStopping.wait = 1.5, /earlyStopping.wait is 1.5/],
  ];
  for (const [change, message] of cases) {
    const stderr = await withRun(editInfo(change));
    assert.match(stderr, /checkpoint.json: /);
    assert.match(stderr, message);
  }
});

Deno.test("checkpoints: a best.safetensors or model.safetensors of another network is refused", async () => {
  const other = encodeModel(new Network({ sizes: [64, 16, 10], activations: ["relu", "softmax"] }));
  for (const file of ["best.safetensors", "model.safetensors"]) {
    const stderr = await withRun((checkpoint) => Deno.writeFile(`${checkpoint}/${file}`, other));
    assert.match(
      stderr,
      new RegExp(
        `${file}: holds a 64-16-10 relu,softmax float32 network, but checkpoint.json says 64-32-10`,
      ),
    );
  }
  const optimizer = encodeSafetensors({
    "velocity.0.W": { dtype: "F32", shape: [3], data: new Float32Array(3) },
  });
  const stderr = await withRun((c) => Deno.writeFile(`${c}/optimizer.safetensors`, optimizer));
  assert.match(stderr, /optimizer.safetensors: "velocity.0.W" has 3 values, its parameter 2048/);
});
