/**
 * Where training data comes from and how its columns are read, through `deno task train`: a
 * FIFO read once, paths named in their errors, the label column found by its name, warnings
 * and hints about a label that looks wrong.
 */

import assert from "node:assert/strict";
import { lines, task } from "./helpers/cli.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir();
}

Deno.test("one pass: a FIFO is read once, classes and cache from the same pass", async () => {
  const dir = await tempDir();
  const fifo = `${dir}/train.csv`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  const data = await Deno.readFile("data/digits_train.csv");
  // The writer opens the FIFO once; a second open by the trainer would block for ever.
  const writing = Deno.open(fifo, { write: true }).then(async (file) => {
    await file.write(data);
    file.close();
  });
  const ran = await task("train", [
    ...["--data", fifo, "--test", "data/digits_test.csv", "--epochs", "2", "--out", `${dir}/run`],
  ], { timeoutMs: 30_000 });
  await writing;
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /1438 samples/);
  assert.match(ran.stdout, /cached in memory/);
  await Deno.stat(`${dir}/run/model.safetensors`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("one pass: predict reads a FIFO once, and a regression's FIFO trains", async () => {
  const dir = await tempDir();
  const feed = async (fifo: string, path: string) => {
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const data = await Deno.readFile(path);
    return Deno.open(fifo, { write: true }).then(async (file) => {
      await file.write(data);
      file.close();
    });
  };
  const trained = await task("train", ["--epochs", "1", "--out", `${dir}/run`]);
  assert.equal(trained.code, 0, trained.stderr);
  const writing = feed(`${dir}/test.csv`, "data/digits_test.csv");
  const ran = await task("predict", ["--model", `${dir}/run`, "--data", `${dir}/test.csv`]);
  await writing;
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(lines(ran.stdout).length, 1 + 359); // the header, then a line per test row

  // A regression names its target from the header at the end: not by opening the FIFO again.
  const regression = feed(`${dir}/diabetes.csv`, "data/diabetes_train.csv");
  const reg = await task("train", [
    ...["--data", `${dir}/diabetes.csv`, "--task", "regression", "--epochs", "1"],
    ...["--out", `${dir}/reg`],
  ], { timeoutMs: 30_000 });
  await regression;
  assert.equal(reg.code, 0, reg.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("one pass: a FIFO that does not fit the cache is a clear error, not a hang", async () => {
  const dir = await tempDir();
  const fifo = `${dir}/train.csv`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  const data = await Deno.readFile("data/digits_train.csv");
  const writing = Deno.open(fifo, { write: true }).then(async (file) => {
    await file.write(data).catch(() => 0); // the reader may stop early: a broken pipe
    file.close();
  });
  const ran = await task("train", ["--data", fifo, "--cache-mb", "0", "--out", `${dir}/run`]);
  await writing;
  assert.equal(ran.code, 1);
  assert.deepEqual(lines(ran.stderr), [
    `error: ${fifo}: can be read only once, and it does not fit in --cache-mb 0: raise --cache-mb or give a regular file`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("paths: a directory and a missing file are named in their errors", async () => {
  const out = await tempDir();
  const dir = await task("train", ["--data", "data/", "--out", out]);
  assert.equal(dir.code, 1);
  assert.deepEqual(lines(dir.stderr), ["error: data/: is a directory"]);
  const missing = await task("train", ["--data", "/tmp/no-such-file.csv", "--out", out]);
  assert.equal(missing.code, 1);
  assert.deepEqual(lines(missing.stderr), ["error: /tmp/no-such-file.csv: no such file"]);
  await Deno.remove(out, { recursive: true });
});

/** Wine (data/wine_*.csv) with its class as the first column, named `Species`. */
async function wineLabelFirst(dir: string, part: string): Promise<string> {
  const text = await Deno.readTextFile(`data/wine_${part}.csv`);
  const rows = text.trim().split("\n").map((line) => line.split(","));
  const moved = rows.map((r, i) => [i === 0 ? "Species" : `kind${r.at(-1)}`, ...r.slice(0, -1)]);
  const path = `${dir}/wine_${part}.csv`;
  await Deno.writeTextFile(path, moved.map((r) => r.join(",")).join("\n") + "\n");
  return path;
}

Deno.test("label: a column named species (any case) is the label without --label, in train and predict", async () => {
  const dir = await tempDir();
  const [train, test] = [await wineLabelFirst(dir, "train"), await wineLabelFirst(dir, "test")];
  const ran = await task("train", ["--data", train, "--test", test, "--out", `${dir}/run`]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^training 13-32-3 /m); // 13 features, 3 classes: the last feature is not the label
  const accuracy = Number(ran.stdout.match(/final .* accuracy ([\d.]+)/)![1]);
  assert.ok(accuracy >= 0.92, `accuracy ${accuracy}`);
  const predicted = await task("predict", ["--model", `${dir}/run`, "--data", test]);
  assert.equal(predicted.code, 0, predicted.stderr);
  const rows = lines(predicted.stdout);
  assert.equal(rows[0], "class,p_kind0,p_kind1,p_kind2");
  const truth = lines(await Deno.readTextFile(test)).slice(1).map((line) => line.split(",")[0]);
  const right = rows.slice(1).filter((row, i) => row.split(",")[0] === truth[i]).length;
  // The summary line rounds to four places.
  assert.equal(
    (right / truth.length).toFixed(4),
    accuracy.toFixed(4),
    "predict scales as train did",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("label: nearly as many distinct labels as rows gives a warning", async () => {
  const dir = await tempDir();
  const rows = Array.from({ length: 60 }, (_, i) => `${i % 5},${i % 3},${(i * 1.37).toFixed(2)}`);
  await Deno.writeTextFile(`${dir}/prices.csv`, `a,b,price\n${rows.join("\n")}\n`);
  const ran = await task("train", [
    "--data",
    `${dir}/prices.csv`,
    "--epochs",
    "1",
    "--out",
    `${dir}/run`,
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(
    ran.stderr,
    /^warning: the label column \(the default\) has 60 distinct values in 60 rows: is it the label\? Name it with --label, or use --task regression for values$/m,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("label: a non-numeric first column without --label suggests --label", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/named.csv`, "kind,a,b\ncat,1,2\ndog,3,4\n");
  const ran = await task("train", ["--data", `${dir}/named.csv`, "--out", `${dir}/run`]);
  assert.equal(ran.code, 1);
  assert.deepEqual(lines(ran.stderr), [
    `error: ${dir}/named.csv:2:1: not a number: "cat"; if column 1 is the label, name it with --label 0 (or its header name)`,
  ]);
  await Deno.remove(dir, { recursive: true });
});
