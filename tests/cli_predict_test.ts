/**
 * `deno task predict` end to end: its usage, `--output` written through exactly
 * `<output>.tmp`, a folder refused, streaming of many rows under the launcher's 64 MiB heap,
 * and the header of a regression's predictions.
 */

import assert from "node:assert/strict";
import { assertOneLine, task, tempDir } from "./helpers/cli.ts";

const predict = (...args: string[]) => task("predict", args);

/** A model trained for one epoch on the bundled digits, in `dir/out`. */
async function model(dir: string, ...flags: string[]): Promise<string> {
  const run = await task("train", ["--epochs", "1", "--out", `${dir}/out`, ...flags]);
  assert.equal(run.code, 0, run.stderr);
  return `${dir}/out`;
}

Deno.test("predict CLI: no flags prints the usage (exit 2), --help prints it (exit 0)", async () => {
  const bare = await predict();
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^Usage: deno task predict --model/m);
  assert.doesNotMatch(bare.stderr, /Empty path|backtrace/);
  const help = await predict("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task predict --model/m);
});

Deno.test("predict CLI: --output FILE is written via FILE.tmp and renamed; nothing else is left", async () => {
  await using dir = await tempDir();
  const out = await model(dir.path);
  const before = [...Deno.readDirSync(dir.path)].map((e) => e.name);
  const output = `${dir.path}/predictions.csv`;
  const run = await predict("--model", out, "--data", "data/digits_test.csv", "--output", output);
  assert.equal(run.code, 0, run.stderr);
  const after = [...Deno.readDirSync(dir.path)].map((e) => e.name).sort();
  assert.deepEqual(after, [...before, "predictions.csv"].sort());
  const lines = (await Deno.readTextFile(output)).trim().split("\n");
  assert.equal(lines.length, 1 + 359);
});

Deno.test("predict CLI: --output DIR/ is a usage error that writes nothing", async () => {
  await using dir = await tempDir();
  const out = await model(dir.path);
  const run = await predict(
    "--model",
    out,
    "--data",
    "data/digits_test.csv",
    "--output",
    `${out}/`,
  );
  assert.equal(run.code, 2);
  assertOneLine(
    run.stderr,
    /--output \S+\/ is a folder: name the file, e.g. \S+\/predictions\.csv/,
  );
  assert.ok([...Deno.readDirSync(out)].every((e) => !/predictions|\.tmp/.test(e.name)));
});

Deno.test("predict CLI: 300,000 rows stream through under the launcher's 64 MiB heap", async () => {
  await using dir = await tempDir();
  // Two features, ten classes: each prediction line is ~190 characters, 57 MB in all — more
  // than the heap holds, so the lines must leave as they are made.
  const train = Array.from({ length: 200 }, (_, i) => `${i % 10},${(i * 7) % 13},${i % 10}`);
  await Deno.writeTextFile(`${dir.path}/train.csv`, ["a,b,label", ...train].join("\n") + "\n");
  const out = await model(dir.path, "--data", `${dir.path}/train.csv`);
  const rows = 300_000;
  const data = `${dir.path}/many.csv`;
  {
    using file = await Deno.open(data, { write: true, create: true });
    const chunk = Array.from({ length: 1000 }, (_, i) => `${i % 10},${i % 13}\n`).join("");
    await file.write(new TextEncoder().encode("a,b\n"));
    for (let i = 0; i < rows / 1000; i++) await file.write(new TextEncoder().encode(chunk));
  }
  const output = `${dir.path}/p.csv`;
  const run = await predict("--model", out, "--data", data, "--output", output);
  assert.equal(run.code, 0, run.stderr);
  let lines = 0;
  for await (const chunk of (await Deno.open(output)).readable) {
    for (const byte of chunk) if (byte === 10) lines++;
  }
  assert.equal(lines, 1 + rows);
});

Deno.test("predict CLI: a regression's predictions are headed by the target's name", async () => {
  await using dir = await tempDir();
  const rows = Array.from({ length: 100 }, (_, i) => `${i % 7},${i % 5},${(i % 7) + 2 * (i % 5)}`);
  await Deno.writeTextFile(`${dir.path}/houses.csv`, ["rooms,age,price", ...rows].join("\n"));
  const out = await model(dir.path, "--data", `${dir.path}/houses.csv`, "--task", "regression");
  const run = await predict("--model", out, "--data", `${dir.path}/houses.csv`);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.equal(lines[0], "price");
  assert.equal(lines.length, 101);
  assert.ok(lines.slice(1).every((l) => Number.isFinite(Number(l))));
});

Deno.test("predict CLI: the header names the column train used as the target, not the last", async () => {
  // `target` is found by its name, first of three columns: the last column is a feature.
  await using dir = await tempDir();
  const rows = Array.from({ length: 100 }, (_, i) => `${(i % 7) + 2 * (i % 5)},${i % 7},${i % 5}`);
  await Deno.writeTextFile(`${dir.path}/houses.csv`, ["Target,rooms,age", ...rows].join("\n"));
  const out = await model(dir.path, "--data", `${dir.path}/houses.csv`, "--task", "regression");
  const run = await predict("--model", out, "--data", `${dir.path}/houses.csv`);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.split("\n")[0], "Target");
});
