/**
 * Runs `deno task train|predict …` as a user would: through the launcher, from the
 * repository (or another folder), with colour off; the result's stderr and stdout as text.
 */

import { type Run, spawnTask as spawn, task as run } from "./cli.ts";

/** Starts `deno task <args>` (the command first) from `cwd`, the repository by default. */
export function spawnTask(args: string[], cwd?: string): Deno.ChildProcess {
  return spawn(args[0], args.slice(1), { cwd });
}

/** Runs `deno task <args>` (the command first) from `cwd` to its end. */
export function task(args: string[], cwd?: string): Promise<Run> {
  return run(args[0], args.slice(1), { cwd });
}

/** Asserts-friendly: the stderr of a refusal is one `error:` line (and the `(see --help)` hint), never a trace. */
export function oneLine(stderr: string): boolean {
  const lines = stderr.trim().split("\n").filter((l) => l !== "(see --help)");
  return lines.length === 1 && lines[0].startsWith("error: ") &&
    !/\n\s+at |backtrace/i.test(stderr);
}

/** A fresh temporary folder, removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "harden-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** Trains the bundled data for `epochs` into `out` through the launcher; throws if it fails. */
export async function trainRun(out: string, ...flags: string[]): Promise<void> {
  const result = await task(["train", "--epochs", "1", "--out", out, ...flags]);
  if (result.code !== 0) throw new Error(`training failed: ${result.stderr}`);
}

export { REPO } from "./cli.ts";
