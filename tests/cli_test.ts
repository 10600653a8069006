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
    /^epoch 3\/3 {2}loss \d\.\d{4} {2}test loss \d\.\d{4} {2}test accuracy 0\.\d{4} {2}\d+ samples\/s$/,
  );
});

Deno.test("train CLI: --out writes snapshots and the final model", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { code } = await trainCli([
      "--epochs",
      "1",
      "--batch",
      "100",
      "--snapshot-every",
      "5",
      "--out",
      out,
    ], ["--allow-read=data", `--allow-write=${out}`]);
    assert.equal(code, 0);
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      "model.json",
      "snapshot-000005.json",
      "snapshot-000010.json",
      "snapshot-000015.json",
    ]);
    const model = JSON.parse(Deno.readTextFileSync(`${out}/model.json`));
    assert.deepEqual(model.sizes, [64, 32, 10]);
    assert.equal(model.layers[0].W.length, 64 * 32);
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
