/**
 * The README is a test: every `deno task …` line of its code blocks runs, in order, through
 * the real `deno task` (the launcher), with the folders and files it writes (`--out`,
 * `--resume`, `--model`, `--output` given as relative paths) moved into a temporary folder.
 * Each must exit 0 and leave the files it claims: everything the README's `--out DIR` table
 * lists, or the `--output` file. Its library example runs as a doc test.
 *
 * A command is left out only for a reason written in {@linkcode NOT_RUN_HERE} (printed when
 * the test runs), or when it names data this machine lacks ({@linkcode NEEDS}, printed too).
 * A README command of a task that `deno.json` lacks fails, and so does a stale entry here.
 */

import assert from "node:assert/strict";
import { task, tempDir } from "./helpers/cli.ts";
import { type Command, outFiles, readmeCommands } from "./helpers/readme.ts";

/** Tasks the README shows that this test does not run, and why. */
const NOT_RUN_HERE: Record<string, string> = {
  test: "it is the suite this test runs in: running it here would recurse",
  check: "CI runs it as its own step (.ci/run); it checks sources, not behaviour",
  bench: "minutes of timing against PyTorch: its figures are measurements, not a pass/fail",
  "bench:memory": "it writes CSV files of 0.2 and 2 GB to measure peak memory",
  "fashion-csv": "it writes 133 MB of CSV into data/ (the CSV reader has its own tests)",
};

/** Data some commands name, and where it comes from: without it they are skipped, saying so. */
const NEEDS: Record<string, string> = {
  "/usr/share/datasets/fashion-mnist": "Debian's dataset-fashion-mnist package",
};

/**
 * The flags whose relative values are places a command writes (or reads what one wrote), by
 * task; other tasks use the default. (`train --output` names the output layer's activation.)
 */
const WRITTEN: Record<string, string[]> = {
  train: ["--out", "--resume"],
  default: ["--out", "--resume", "--model", "--output"],
};
const written = (task: string) => WRITTEN[task] ?? WRITTEN.default;

const README = await Deno.readTextFile("README.md");
const commands = readmeCommands(README);
const tasks = Object.keys(JSON.parse(await Deno.readTextFile("deno.json")).tasks);

Deno.test("README: every command is a task of deno.json, and every exception here is in the README", () => {
  assert.ok(commands.length >= 5, `only ${commands.length} commands found`);
  for (const c of commands) assert.ok(tasks.includes(c.task), `${c.line}: no task "${c.task}"`);
  for (const name of Object.keys(NOT_RUN_HERE)) {
    assert.ok(commands.some((c) => c.task === name), `NOT_RUN_HERE lists "${name}", unused`);
  }
});

Deno.test("README: each command runs through deno task and leaves the files it claims", async (t) => {
  await using dir = await tempDir();
  const moved = ({ task, args }: Command) =>
    args.map((a, i) =>
      written(task).includes(args[i - 1]) && !a.startsWith("/") ? `${dir.path}/${a}` : a
    );
  const seen = new Set<string>();
  for (const command of commands) {
    if (seen.has(command.line)) continue; // shown twice (the quick start and the list)
    seen.add(command.line);
    const skip = whyNot(command);
    if (skip) {
      console.log(`  not run: ${command.line}\n    because ${skip}`);
      continue;
    }
    await t.step(command.line, async () => {
      const args = moved(command);
      const { code, stderr } = await task(command.task, args);
      assert.equal(code, 0, `${command.line}\n${stderr}`);
      await assertClaims(args, written(command.task));
    });
  }
});

Deno.test("README: the library example runs (deno test --doc README.md)", async () => {
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: ["test", "--doc", "--allow-read=data", "README.md"],
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, text.decode(stdout) + text.decode(stderr));
  assert.match(text.decode(stdout), /ok \| 1 passed/);
});

/** Why a command is not run here, or `undefined`. */
function whyNot(command: Command): string | undefined {
  if (NOT_RUN_HERE[command.task]) return NOT_RUN_HERE[command.task];
  const missing = Object.keys(NEEDS).find((path) =>
    command.args.includes(path) && !existsSync(path)
  );
  return missing && `${missing} is missing here (install ${NEEDS[missing]})`;
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** The files a command claims to write: the `--out` table's, or the `--output` file. */
async function assertClaims(args: string[], flags: string[]): Promise<void> {
  const value = (flag: string) => args[args.indexOf(flag) + 1];
  const run = args.includes("--out")
    ? value("--out")
    : args.includes("--resume")
    ? value("--resume")
    : undefined;
  if (run) {
    for (const name of outFiles(README)) {
      // `checkpoints/step-N/` stands for the newest checkpoints: at least one is there.
      const [folder, pattern]: [string, RegExp] = name.includes("step-N")
        ? [`${run}/${name.split("/")[0]}`, /^step-\d{8}$/]
        : [run, new RegExp(`^${name.replace(/\./g, "\\.")}$`)];
      const found: Deno.DirEntry[] = [...Deno.readDirSync(folder)].filter((e) =>
        pattern.test(e.name)
      );
      assert.ok(found.length > 0, `${run}: no ${name}`);
    }
  }
  if (flags.includes("--output") && args.includes("--output")) {
    const output = value("--output");
    assert.ok((await Deno.stat(output)).size > 0, `${output} is empty`);
    await assert.rejects(Deno.stat(`${output}.tmp`), Deno.errors.NotFound);
  }
}
