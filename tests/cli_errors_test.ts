/**
 * Every row of README.md's error table, produced through `deno task train` / `predict`: each
 * message the README shows (alternatives split by ` / `) is made by a case here, and must
 * appear on stderr with the row's exit code. A README row without its cases fails, and so
 * does a case whose row is gone.
 */

import assert from "node:assert/strict";
import { decodeModel, encodeModel } from "../mod.ts";
import { type Run, spawnTask, task } from "./helpers/cli.ts";
import { errorTable, messagePattern } from "./helpers/readme.ts";

const train = (...args: string[]) => task("train", args);
const predict = (...args: string[]) => task("predict", args);

/** A case: makes its files under `dir`, then runs a command. */
type Case = (dir: string) => Promise<Run>;

/** A CSV file of three features and a label (classes a, b, c), with `rows` after the header. */
async function csv(dir: string, name: string, rows: string[], header = "a,b,c,label") {
  await Deno.writeTextFile(`${dir}/${name}`, [header, ...rows].join("\n") + "\n");
  return `${dir}/${name}`;
}
const onData = (rows: string[], ...flags: string[]): Case => async (dir) =>
  train("--data", await csv(dir, "data.csv", rows), ...flags);

/** IDX files named as --idx expects (raw bytes: the reader tells gzip by its magic number). */
async function idx(dir: string, images: number[], labels: number[]): Promise<string> {
  const bytes = (words: number[], tail: number[]) => {
    const out = new Uint8Array(words.length * 4 + tail.length);
    const view = new DataView(out.buffer);
    words.forEach((w, i) => view.setUint32(4 * i, w));
    out.set(tail, words.length * 4);
    return out;
  };
  await Deno.writeFile(`${dir}/train-images-idx3-ubyte.gz`, bytes(images, new Array(10).fill(7)));
  await Deno.writeFile(`${dir}/train-labels-idx1-ubyte.gz`, bytes(labels, [1, 2, 3]));
  return dir;
}

/** A well-formed IDX pair of `count` images of `side`×`side` pixels, of classes 0–3. */
async function idxPair(dir: string, prefix: string, side: number, count: number): Promise<void> {
  const header = (words: number[]) =>
    words.flatMap((w) => [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]);
  const pixels = Array.from({ length: count * side * side }, (_, i) => (i * 37) % 256);
  const images = [...header([0x803, count, side, side]), ...pixels];
  const labels = [...header([0x801, count]), ...Array.from({ length: count }, (_, i) => i % 4)];
  await Deno.writeFile(`${dir}/${prefix}-images-idx3-ubyte.gz`, new Uint8Array(images));
  await Deno.writeFile(`${dir}/${prefix}-labels-idx1-ubyte.gz`, new Uint8Array(labels));
}

/** Trains one epoch on the bundled digits into `dir/out`. */
async function trained(dir: string, ...flags: string[]): Promise<string> {
  const run = await train("--epochs", "1", "--out", `${dir}/out`, ...flags);
  assert.equal(run.code, 0, run.stderr);
  return `${dir}/out`;
}

const CASES: Record<string, Case[]> = {
  "unknown flag": [() => train("--bogus")],
  "bad value": [
    () => train("--epochs", "many"),
    () => train("--activation", "swish"),
    () => train("--epochs", "-3"),
  ],
  "loss and output that do not pair": [
    () => train("--loss", "cross-entropy", "--output", "identity"),
    () => train("--task", "regression", "--output", "softmax", "--layers", "64,1"),
  ],
  "network does not fit the data": [
    () => train("--layers", "60,10,10"),
    () => train("--layers", "64,5"),
  ],
  "validation split of data too large to cache": [
    () => train("--validation-split", "0.2", "--cache-mb", "0"),
  ],
  "`--out` of another run": [async (dir) => train("--out", await trained(dir))],
  "predict without its flags": [
    async (dir) => predict("--model", await trained(dir)),
    async (dir) =>
      predict(
        "--model",
        await trained(dir),
        "--data",
        "data/digits_test.csv",
        "--output",
        `${dir}/out/`,
      ),
  ],
  "missing file": [() => train("--data", "data/nope.csv")],
  "file outside the allowed paths": [async (dir) => {
    await Deno.copyFile("data/digits_train.csv", `${dir}/x.csv`);
    await trained(dir, "--data", `${dir}/x.csv`);
    return train("--resume", `${dir}/out`); // its saved --data is not named again
  }],
  "non-numeric field": [onData(["1,2,3,a", "4,5,6,b", "7,8,x7,c"])],
  "ragged row": [onData(["1,2,3,a", "4,5,6"])],
  "NaN / Infinity / out of float32 range": [
    onData(["1,2,3,a", "1,2,3,b", "1,2,3,c", "1,2,3,a", "1,2,3,b", "1,NaN,3,c"]),
    onData(["1,1e39,3,a"]),
  ],
  "empty field, quotes": [
    onData(["1,2,3,a", "1,2,3,b", "1,2,3,c", "1,,3,a"]),
    onData(['1,2"x,3,a']),
    onData(['1,"2,3,a']),
  ],
  "no data": [onData([])],
  "unknown label column": [
    async (dir) =>
      train("--data", await csv(dir, "data.csv", ["1,2,3"], "a,b,c"), "--label", "kind"),
  ],
  "unknown class in the test file (before training)": [async (dir) => {
    const rows = ["1,2,3,4,a", "4,5,6,7,b", "7,8,9,1,c", "1,2,3,4,a"];
    const data = await csv(dir, "train.csv", rows, "a,b,c,d,label");
    const test = await csv(dir, "test.csv", [...rows, "4,5,6,7,cat"], "a,b,c,d,label");
    return train("--data", data, "--test", test);
  }],
  "test data of another width": [
    async (dir) => {
      const rows = ["1,2,3,4,a", "4,5,6,7,b", "7,8,9,1,c", "1,2,3,4,a"];
      const data = await csv(dir, "train.csv", rows, "a,b,c,d,label");
      const test = await csv(dir, "test.csv", ["1,2,3,a", "4,5,6,b"]);
      return train("--data", data, "--test", test);
    },
    // The t10k pair is read once the training pair is in, and checked then.
    async (dir) => {
      await idxPair(dir, "train", 8, 40);
      await idxPair(dir, "t10k", 3, 10);
      return train("--idx", dir, "--layers", "64,8,10", "--epochs", "2");
    },
  ],
  "bad IDX file": [
    async (dir) => train("--idx", await idx(dir, [0x801, 3, 2, 5], [0x801, 3])),
    async (dir) => train("--idx", await idx(dir, [0x803, 3, 2, 5], [0x801, 3])),
    async (dir) => train("--idx", await idx(dir, [0x803, 3, 1, 1], [0x801, 2])),
  ],
  "training diverged": [
    () => train("--data", "data/digits_train.csv", "--lr", "1e15", "--epochs", "1"),
  ],
  "model with non-finite parameters": [async (dir) => {
    const out = await trained(dir);
    const { network, extra } = decodeModel(await Deno.readFile(`${out}/model.safetensors`));
    network.layers[0].W.data[5] = NaN;
    await Deno.writeFile(`${out}/model.safetensors`, encodeModel(network, extra as object));
    network.close();
    return predict("--model", out, "--data", "data/digits_test.csv");
  }],
  "nothing to resume": [async (dir) => {
    await Deno.mkdir(`${dir}/out`);
    return train("--resume", `${dir}/out`);
  }],
  "Ctrl-C (SIGTERM: 143, SIGHUP: 129)": [async (dir) => {
    const child = spawnTask("train", ["--epochs", "100000", "--out", `${dir}/out`]);
    const [stdout, stderr] = [new Response(child.stdout).text(), new Response(child.stderr).text()];
    await untilExists(`${dir}/out/history.json`);
    child.kill("SIGINT"); // deno task passes it on, as the terminal's Ctrl-C reaches all
    const { code } = await child.status;
    return { code, stdout: await stdout, stderr: await stderr };
  }],
};

/** Polls until `path` exists: a sign that the child has got going. */
async function untilExists(path: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await Deno.stat(path).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} did not appear`);
}

const rows = errorTable(await Deno.readTextFile("README.md"));

Deno.test("README error table: each row has its cases here, and each case its row", () => {
  for (const row of rows) {
    assert.equal(CASES[row.situation]?.length, row.messages.length, `cases for "${row.situation}"`);
  }
  for (const situation of Object.keys(CASES)) {
    assert.ok(rows.some((r) => r.situation === situation), `no README row "${situation}"`);
  }
});

for (const row of rows) {
  row.messages.forEach((message, i) => {
    Deno.test(`README error table: ${row.situation}: ${message}`, async () => {
      const dir = await Deno.makeTempDir({ prefix: "backprop-errors-" });
      try {
        const { code, stderr } = await CASES[row.situation][i](dir);
        assert.equal(code, row.exit, stderr);
        const pattern = messagePattern(message);
        const lines = stderr.split("\n");
        // The first alternative is the whole line; the others are what follows `error: …`.
        const hit = i === 0
          ? lines.some((l) => new RegExp(`^${pattern.source}$`).test(l))
          : lines.some((l) => l.startsWith("error: ") && pattern.test(l));
        assert.ok(hit, `stderr does not show ${pattern}:\n${stderr}`);
        assert.doesNotMatch(stderr, /^\s+at /m); // no stack trace
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  });
}
