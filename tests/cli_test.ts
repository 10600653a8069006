/**
 * `deno task train` end to end, as a user runs it: through the launcher, with its stdout,
 * stderr, exit code and the files it writes.
 */

import assert from "node:assert/strict";
import { assertOneLine, task, tempDir } from "./helpers/cli.ts";

const train = (args: string[]) => task("train", args);

Deno.test("train CLI: with no flags it trains on the bundled digits with its printed preset, ≥ 0.95", async () => {
  const { code, stdout } = await train(["--json"]);
  assert.equal(code, 0);
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
  const epochs = lines.filter((e) => e.type === "epoch");
  assert.equal(epochs.length, 20);
  assert.ok(lines.some((e) => e.type === "step"));
  const summary = lines.at(-1);
  assert.equal(summary.type, "summary");
  assert.ok(summary.testAccuracy >= 0.95, `test accuracy ${summary.testAccuracy}`);
  assert.ok(summary.samplesPerSec > 0 && Number.isFinite(summary.testLoss));
  assert.equal(summary.validationAccuracy, undefined); // the test file is no validation split
  // The reading is timed apart; the rate a user waits for counts all before the first step (the
  // reading among it) and leaves out the held-out evaluations (20 of them here).
  assert.ok(summary.readSeconds > 0, `read in ${summary.readSeconds} s`);
  assert.ok(summary.setupSeconds > summary.readSeconds, `first step at ${summary.setupSeconds} s`);
  assert.ok(summary.heldOutSeconds > 0, `evaluated in ${summary.heldOutSeconds} s`);
  const training = epochs.reduce((sum, e) => sum + e.seconds, 0);
  assert.ok(summary.heldOutSeconds < summary.seconds - training, "the epochs' own time is kept");
  const samples = epochs.at(-1).samplesSeen;
  const expected = samples /
    (samples / summary.samplesPerSec - summary.heldOutSeconds + summary.setupSeconds);
  assert.ok(Math.abs(summary.withReadingSamplesPerSec / expected - 1) < 1e-9);
});

Deno.test("train CLI: prints the preset, then one line per epoch, named for the data", async () => {
  const { code, stdout, stderr } = await train(["--epochs", "3"]);
  assert.equal(code, 0);
  assert.doesNotMatch(stderr, /warning/); // a run that learns is not called stuck
  assert.match(stdout, /^preset for the bundled digits: --lr 0\.02 --momentum 0\.9 /m);
  assert.match(stdout, /sgd lr 0\.02 momentum 0\.9, .* 3 epochs,/);
  const epochLines = stdout.split("\n").filter((l) => l.startsWith("epoch "));
  assert.equal(epochLines.length, 3);
  assert.match(
    stdout,
    /^done in \d+\.\d s \(data read in \d+\.\d\d s, first step at \d+\.\d\d s, \d+ samples\/s with it\)/m,
  );
  assert.match(
    epochLines[2],
    /^epoch 3\/3 {2}loss \d\.\d{4} {2}accuracy 0\.\d{4} {2}test loss \d\.\d{4} {2}test accuracy 0\.\d{4} {2}\d+ samples\/s( {2}\*)?$/,
  );
});

Deno.test("train CLI: flags override the preset, and without it the defaults are PyTorch's and Keras'", async () => {
  const overridden = await train(["--epochs", "1", "--momentum", "0"]);
  assert.equal(overridden.code, 0, overridden.stderr);
  assert.match(overridden.stdout, /sgd lr 0\.02 momentum 0, .* 1 epoch,/); // "1 epoch", not "1 epochs"
  const other = await train(["--data", "data/digits_train.csv", "--epochs", "1"]);
  assert.equal(other.code, 0, other.stderr);
  assert.doesNotMatch(other.stdout, /preset/);
  assert.match(other.stdout, /sgd lr 0\.01 momentum 0, /);
});

Deno.test("train CLI: the bundled preset is SGD's: --optimizer adam or adamw takes its own defaults", async () => {
  for (const optimizer of ["adam", "adamw"]) {
    const { code, stdout, stderr } = await train(["--optimizer", optimizer, "--epochs", "1"]);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stdout, /preset/);
    assert.match(stdout, new RegExp(`  ${optimizer} lr 0\\.001, `));
  }
});

Deno.test("train CLI: a run at chance level after epoch 1 is told so", async () => {
  // The digits with labels that have nothing to do with the pixels (row i gets i·7 mod 10):
  // nothing can be learnt, and one epoch ends at chance.
  await using dir = await tempDir();
  const rows = (await Deno.readTextFile("data/digits_train.csv")).trim().split("\n");
  const noise = rows.map((row, i) => i === 0 ? row : row.replace(/[^,]*$/, String(i * 7 % 10)));
  await Deno.writeTextFile(`${dir.path}/noise.csv`, noise.join("\n") + "\n");
  const { code, stderr } = await train(["--data", `${dir.path}/noise.csv`, "--epochs", "1"]);
  assert.equal(code, 0, stderr);
  assert.match(
    stderr,
    /^warning: after epoch 1 accuracy is 0\.\d{4}, chance level for 10 classes/m,
  );
});

Deno.test("train CLI: --snapshot-every writes parameter snapshots under --out", async () => {
  await using out = await tempDir();
  const { code } = await train([
    "--epochs",
    "1",
    "--batch",
    "100",
    "--snapshot-every",
    "5",
    "--out",
    out.path,
  ]);
  assert.equal(code, 0);
  const names = [...Deno.readDirSync(`${out.path}/snapshots`)].map((e) => e.name).sort();
  assert.deepEqual(names, [
    "step-00000005.safetensors",
    "step-00000010.safetensors",
    "step-00000015.safetensors",
  ]);
  assert.ok(Deno.statSync(`${out.path}/model.safetensors`).size > 64 * 32 * 4);
});

const usageCases: [string, string[], RegExp][] = [
  ["an unknown flag", ["--bogus"], /Unknown option '--bogus'/],
  ["a non-number", ["--epochs", "many"], /--epochs needs a number, got "many"/],
  [
    "a negative epoch count",
    ["--epochs", "-3"],
    /--epochs needs a positive whole number, got "-3"/,
  ],
  ["a zero scale", ["--scale", "0"], /--scale must be > 0, got 0/],
  [
    "a bad activation",
    ["--activation", "swish"],
    /--activation must be one of sigmoid, tanh, relu, identity.*, got "swish"/,
  ],
  ["a negative learning rate", ["--lr=-1"], /--lr must be > 0/],
  ["a bad schedule", ["--schedule", "wobbly"], /^error: --schedule: /],
  ["an empty path", ["--out="], /--out "": an empty value names no folder; give the run folder/],
  [
    "layers that do not fit the data",
    ["--layers", "60,10,10"],
    /--layers starts with 60 inputs, but data\/digits_train.csv has 64 features/,
  ],
  [
    "too few outputs for the classes",
    ["--layers", "64,5"],
    /--layers ends with 5 outputs, but data\/digits_train.csv has 10 classes/,
  ],
  [
    "cross-entropy on an identity output",
    ["--loss", "cross-entropy", "--output", "identity"],
    /--loss cross-entropy needs --output softmax or sigmoid, got "identity"/,
  ],
  [
    "cross-entropy for regression",
    ["--task", "regression", "--loss", "cross-entropy"],
    /--loss cross-entropy is for classification/,
  ],
  [
    "softmax with one output",
    ["--task", "regression", "--output", "softmax", "--layers", "64,1"],
    /--output softmax needs two or more outputs/,
  ],
];
for (const [what, args, pattern] of usageCases) {
  Deno.test(`train CLI: ${what} is a usage error (exit 2, one line naming the flag)`, async () => {
    const { code, stderr } = await train(args);
    assert.equal(code, 2, stderr);
    assertOneLine(stderr, pattern);
  });
}

Deno.test("train CLI: --help lists the library's names and exits 0", async () => {
  const { code, stdout } = await train(["--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /--optimizer O +sgd or adam/);
  assert.match(stdout, /--momentum X +SGD momentum in \[0, 1\) \(default 0\)/);
});

Deno.test("train CLI: --threads above the core count is capped, with a warning, on resume too", async () => {
  await using out = await tempDir();
  const cores = navigator.hardwareConcurrency;
  const capped = new RegExp(`--threads 400 is more than the ${cores} cores here: using ${cores}`);
  const first = await train(["--epochs", "1", "--threads", "400", "--out", out.path]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, capped);
  // The checkpoint's saved flags hold --threads 400: a resume is capped the same way.
  const resumed = await train(["--resume", out.path, "--epochs", "2"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, capped);
});

Deno.test("train CLI: a regression says how its loss and its MSE differ", async () => {
  const { code, stdout, stderr } = await train([
    "--data",
    "data/digits_train.csv",
    "--test",
    "data/digits_test.csv",
    "--task",
    "regression",
    "--layers",
    "64,8,1",
    "--epochs",
    "1",
  ]);
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /loss = ½ × squared error summed over the outputs; MSE = squared error averaged/,
  );
  assert.match(stdout, /^epoch 1\/1 .* test MSE \S+ MAE \S+/m);
});

Deno.test("train CLI: a validation split and a test file: validation each epoch, the test once at the end", async () => {
  await using out = await tempDir();
  const { code, stdout, stderr } = await train([
    "--validation-split",
    "0.1",
    "--test",
    "data/digits_test.csv",
    "--epochs",
    "3",
    "--patience",
    "2",
    "--json",
    "--out",
    out.path,
  ]);
  assert.equal(code, 0, stderr);
  const events = stdout.trim().split("\n").map((l) => JSON.parse(l));
  const summary = events.at(-1);
  assert.ok(summary.validationAccuracy > 0.5 && summary.testAccuracy > 0.5);
  assert.notEqual(summary.validationAccuracy, summary.testAccuracy);
  const svg = await Deno.readTextFile(`${out.path}/curves.svg`);
  assert.match(svg, /data-series="validation loss"/);
});

Deno.test("train CLI: a test file's problems are reported before training starts", async () => {
  await using dir = await tempDir();
  const test = `${dir.path}/narrow.csv`;
  const rows = (await Deno.readTextFile("data/digits_test.csv")).trim().split("\n");
  await Deno.writeTextFile(test, rows.map((r) => r.split(",").slice(1).join(",")).join("\n"));
  const { code, stdout, stderr } = await train(["--test", test, "--epochs", "1"]);
  assert.equal(code, 1);
  assertOneLine(stderr, new RegExp(`^error: ${test}`));
  assert.doesNotMatch(stdout, /^epoch /m);
});

Deno.test("train CLI: a new run refuses an --out that holds another: --resume it or use a new folder", async () => {
  await using out = await tempDir();
  assert.equal((await train(["--epochs", "1", "--out", out.path])).code, 0);
  const before = await Deno.readTextFile(`${out.path}/log.csv`);
  const again = await train(["--epochs", "1", "--out", out.path]);
  assert.equal(again.code, 2);
  assertOneLine(
    again.stderr,
    new RegExp(
      `--out ${out.path} holds another run: continue it with --resume ${out.path}, or give a new folder`,
    ),
  );
  assert.equal(await Deno.readTextFile(`${out.path}/log.csv`), before);
});

Deno.test("train CLI: a reduce-on-plateau run resumed mid-way ends bit for bit as one run", async () => {
  // threshold=0.9: an epoch must cut the loss by 90% to count, so the rate is cut at every
  // epoch, and a resume that forgot the schedule's counters would train on at another rate.
  const flags = ["--schedule", "plateau:factor=0.5:patience=0:threshold=0.9", "--batch", "64"];
  await using whole = await tempDir();
  await using parts = await tempDir();
  const one = await train([...flags, "--epochs", "4", "--out", whole.path]);
  assert.equal(one.code, 0, one.stderr);
  const first = await train([...flags, "--epochs", "2", "--out", parts.path]);
  assert.equal(first.code, 0, first.stderr);
  const rest = await train(["--resume", parts.path, "--epochs", "4"]);
  assert.equal(rest.code, 0, rest.stderr);
  const rates = async (dir: string) =>
    (await Deno.readTextFile(`${dir}/log.csv`)).trim().split("\n").slice(1).map((l) =>
      l.split(",")[3]
    );
  const rate = await rates(whole.path);
  assert.ok(new Set(rate).size >= 3, `the rate was cut: ${[...new Set(rate)]}`);
  assert.deepEqual(await rates(parts.path), rate);
  assert.deepEqual(
    await Deno.readFile(`${parts.path}/model.safetensors`),
    await Deno.readFile(`${whole.path}/model.safetensors`),
  );
});

Deno.test("train CLI: --validation-split, --out and --resume, then predict from the model", async () => {
  await using out = await tempDir();
  const first = await train([
    "--validation-split",
    "0.1",
    "--epochs",
    "6",
    "--patience",
    "3",
    "--out",
    `${out.path}/`,
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /held out for validation \(seeded, stratified split\)/);
  assert.match(first.stdout, /confusion matrix \(rows: actual, columns: predicted\)/);
  const history = JSON.parse(await Deno.readTextFile(`${out.path}/history.json`));
  assert.equal(history.length, 6);
  assert.ok(history.every((e: { validationAccuracy: number }) => e.validationAccuracy > 0));
  const log = (await Deno.readTextFile(`${out.path}/log.csv`)).trim().split("\n");
  assert.equal(log[0], "step,epoch,loss,learning_rate");
  assert.equal(log.length - 1, history.at(-1).step);
  const svg = await Deno.readTextFile(`${out.path}/curves.svg`);
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /best epoch \d/);
  const checkpoints = [...Deno.readDirSync(`${out.path}/checkpoints`)].map((e) => e.name);
  assert.ok(checkpoints.length >= 1 && checkpoints.every((n) => /^step-\d{8}$/.test(n)));

  const resumed = await train(["--resume", `${out.path}/`, "--epochs", "8"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`resuming from ${out.path}/checkpoints/step-\\d{8}`));
  assert.match(resumed.stdout, /^epoch 7\/8 /m);
  assert.doesNotMatch(resumed.stdout, /^epoch 6\/8 /m);
  assert.equal(JSON.parse(await Deno.readTextFile(`${out.path}/history.json`)).length, 8);

  const predicted = await task("predict", [
    "--model",
    out.path,
    "--data",
    "data/digits_test.csv",
  ]);
  assert.equal(predicted.code, 0, predicted.stderr);
  const lines = predicted.stdout.trim().split("\n");
  assert.equal(lines[0], "class,p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9");
  assert.equal(lines.length, 1 + 359);
  const labels = (await Deno.readTextFile("data/digits_test.csv")).trim().split("\n").slice(1)
    .map((l) => l.split(",").at(-1));
  const right = lines.slice(1).filter((l, i) => l.split(",")[0] === labels[i]).length;
  assert.ok(right / labels.length > 0.9, `predict accuracy ${right / labels.length}`);
  const p = lines[1].split(",").slice(1).map(Number);
  assert.ok(Math.abs(p.reduce((a, b) => a + b) - 1) < 1e-5);
});

/** An IDX folder as `--idx` reads it: `count` 8×8 images of a bright quarter, its index the class. */
async function idxFolder(dir: string, count: number): Promise<void> {
  const word = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const labels = Array.from({ length: count }, (_, i) => (i * 7919) % 4);
  const pixels = labels.flatMap((label) =>
    Array.from({ length: 64 }, (_, p) => {
      const quarter = 2 * Number(Math.floor(p / 8) >= 4) + Number(p % 8 >= 4);
      return quarter === label ? 200 + (p % 50) : p % 30;
    })
  );
  for (const prefix of ["train", "t10k"]) {
    const images = new Uint8Array([...[0x803, count, 8, 8].flatMap(word), ...pixels]);
    await Deno.writeFile(`${dir}/${prefix}-images-idx3-ubyte.gz`, images);
    const classes = new Uint8Array([...[0x801, count].flatMap(word), ...labels]);
    await Deno.writeFile(`${dir}/${prefix}-labels-idx1-ubyte.gz`, classes);
  }
}

Deno.test("train CLI --idx: the first epoch trains while the files are read, and a seeded run repeats exactly", async () => {
  await using dir = await tempDir();
  await idxFolder(dir.path, 3000);
  const run = () =>
    train(["--idx", dir.path, "--layers", "64,16,10", "--epochs", "3", "--batch", "32", "--json"]);
  const [first, second] = [await run(), await run()];
  assert.equal(first.code, 0, first.stderr);
  const epochs = (out: string) =>
    out.trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.type === "epoch");
  const losses = epochs(first.stdout).map((e) => e.trainLoss);
  assert.equal(losses.length, 3);
  assert.deepEqual(epochs(second.stdout).map((e) => e.trainLoss), losses);
  assert.ok(epochs(first.stdout)[2].validationAccuracy > 0.9);
  const plain = await train(["--idx", dir.path, "--layers", "64,16,10", "--epochs", "1"]);
  assert.match(
    plain.stdout,
    /as it is read, the first epoch training meanwhile, shuffled within windows of 1024; then a full shuffle each epoch/,
  );
});
