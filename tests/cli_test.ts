/**
 * `deno task train` end to end, as a user runs it: a child `deno` process
 * with the task's permissions, its stdout, stderr and exit code.
 */

import assert from "node:assert/strict";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function trainCli(
  args: string[],
  permissions = ["--allow-read=data", "--allow-write=out"],
): Promise<Run> {
  const command = new Deno.Command("deno", {
    args: ["run", "--no-prompt", ...permissions, "cli/train.ts", ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** One clear line: no stack trace from deep inside. */
function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n").filter((l) => !l.startsWith("(see --help)"));
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(stderr, /^\s+at /m);
}

Deno.test("train CLI: with no flags it trains on the bundled digits and passes 0.95 test accuracy", async () => {
  const { code, stdout } = await trainCli(["--json"]);
  assert.equal(code, 0);
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
  const epochs = lines.filter((e) => e.type === "epoch");
  assert.equal(epochs.length, 20);
  assert.ok(lines.some((e) => e.type === "step"));
  const summary = lines.at(-1);
  assert.equal(summary.type, "summary");
  assert.ok(summary.testAccuracy >= 0.95, `test accuracy ${summary.testAccuracy}`);
  assert.ok(summary.samplesPerSec > 0 && Number.isFinite(summary.testLoss));
});

Deno.test("train CLI: prints one progress line per epoch for people", async () => {
  const { code, stdout } = await trainCli(["--epochs", "3"]);
  assert.equal(code, 0);
  const epochLines = stdout.split("\n").filter((l) => l.startsWith("epoch "));
  assert.equal(epochLines.length, 3);
  assert.match(
    epochLines[2],
    /^epoch 3\/3 {2}loss \d\.\d{4} {2}accuracy 0\.\d{4} {2}val loss \d\.\d{4} {2}val accuracy 0\.\d{4} {2}\d+ samples\/s( {2}\*)?$/,
  );
});

Deno.test("train CLI: --snapshot-every writes parameter snapshots under --out", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { code } = await trainCli(
      ["--epochs", "1", "--batch", "100", "--snapshot-every", "5", "--out", out],
      [`--allow-read=data,${out}`, `--allow-write=${out}`],
    );
    assert.equal(code, 0);
    const names = [...Deno.readDirSync(`${out}/snapshots`)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      "step-00000005.safetensors",
      "step-00000010.safetensors",
      "step-00000015.safetensors",
    ]);
    assert.ok(Deno.statSync(`${out}/model.safetensors`).size > 64 * 32 * 4);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

const usageCases: [string, string[], RegExp][] = [
  ["an unknown flag", ["--bogus"], /Unknown option '--bogus'/],
  ["a non-number", ["--epochs", "many"], /--epochs needs a number, got "many"/],
  [
    "a bad activation",
    ["--activation", "swish"],
    /--activation must be one of sigmoid, tanh, relu, identity, got "swish"/,
  ],
  ["a negative learning rate", ["--lr=-1"], /--lr must be > 0/],
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
];
for (const [what, args, pattern] of usageCases) {
  Deno.test(`train CLI: ${what} is a usage error (exit 2, one line naming the flag)`, async () => {
    const { code, stderr } = await trainCli(args);
    assert.equal(code, 2);
    assertOneLine(stderr, pattern);
  });
}

Deno.test("train CLI: a missing file is a data error naming the file (exit 1)", async () => {
  const { code, stderr } = await trainCli(["--data", "data/nope.csv"]);
  assert.equal(code, 1);
  assertOneLine(stderr, /^error: data\/nope\.csv: no such file$/);
});

Deno.test("train CLI: bad data names the file, line and column (exit 1)", async () => {
  const { code, stderr } = await trainCli(["--data", "tests/fixtures/bad_field.csv"], [
    "--allow-read=tests/fixtures",
  ]);
  assert.equal(code, 1);
  assertOneLine(stderr, /^error: tests\/fixtures\/bad_field\.csv:4:3: not a number: "x7"$/);
});

Deno.test("train CLI: a ragged row names its line (exit 1)", async () => {
  const { code, stderr } = await trainCli(["--data", "tests/fixtures/ragged.csv"], [
    "--allow-read=tests/fixtures",
  ]);
  assert.equal(code, 1);
  assertOneLine(stderr, /^error: tests\/fixtures\/ragged\.csv:3:\d+: .*3 fields, expected 4/);
});

Deno.test("train CLI: --validation-split, --out and --resume, then predict from the model", async () => {
  const out = await Deno.makeTempDir();
  const perms = ["--allow-read=data," + out, `--allow-write=${out}`];
  try {
    const first = await trainCli([
      "--validation-split",
      "0.1",
      "--epochs",
      "6",
      "--patience",
      "3",
      "--out",
      out,
    ], perms);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /held out for validation \(seeded, stratified split\)/);
    assert.match(first.stdout, /confusion matrix \(rows: actual, columns: predicted\)/);
    const history = JSON.parse(await Deno.readTextFile(`${out}/history.json`));
    assert.equal(history.length, 6);
    assert.ok(history.every((e: { validationAccuracy: number }) => e.validationAccuracy > 0));
    const log = (await Deno.readTextFile(`${out}/log.csv`)).trim().split("\n");
    assert.equal(log[0], "step,epoch,loss,learning_rate");
    assert.equal(log.length - 1, history.at(-1).step);
    assert.match(
      await Deno.readTextFile(`${out}/curves.svg`),
      /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/,
    );
    const checkpoints = [...Deno.readDirSync(`${out}/checkpoints`)].map((e) => e.name);
    assert.ok(checkpoints.length >= 1 && checkpoints.every((n) => /^step-\d{8}$/.test(n)));

    const resumed = await trainCli(["--resume", out, "--epochs", "8"], perms);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /resuming from .*step-\d{8}/);
    assert.match(resumed.stdout, /^epoch 7\/8 /m);
    assert.doesNotMatch(resumed.stdout, /^epoch 6\/8 /m);
    assert.equal(JSON.parse(await Deno.readTextFile(`${out}/history.json`)).length, 8);

    const predicted = await new Deno.Command("deno", {
      args: [
        "run",
        "--no-prompt",
        ...perms,
        "cli/predict.ts",
        "--model",
        out,
        "--data",
        "data/digits_test.csv",
      ],
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(predicted.code, 0, new TextDecoder().decode(predicted.stderr));
    const lines = new TextDecoder().decode(predicted.stdout).trim().split("\n");
    assert.equal(lines[0], "class,p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9");
    assert.equal(lines.length, 1 + 359);
    const labels = (await Deno.readTextFile("data/digits_test.csv")).trim().split("\n").slice(1)
      .map((l) => l.split(",").at(-1));
    const right = lines.slice(1).filter((l, i) => l.split(",")[0] === labels[i]).length;
    assert.ok(right / labels.length > 0.9, `predict accuracy ${right / labels.length}`);
    const p = lines[1].split(",").slice(1).map(Number);
    assert.ok(Math.abs(p.reduce((a, b) => a + b) - 1) < 1e-5);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("train CLI: --validation-split without room in memory is a usage error", async () => {
  const { code, stderr } = await trainCli(["--validation-split", "0.2", "--cache-mb", "0"]);
  assert.equal(code, 2);
  assertOneLine(stderr, /--validation-split needs the data in memory: raise --cache-mb above 0/);
});
