/**
 * Runs the commands as a user does: `deno task NAME …` from the repository root, through the
 * launcher, with its stdout, stderr and exit code.
 */

import assert from "node:assert/strict";

/** What a command left behind. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Starts `deno task name ...args` in its own process group (so a signal can reach all of it). */
export function spawnTask(name: string, args: readonly string[]): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: ["task", "--quiet", name, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
}

/** Runs `deno task name ...args` to its end. */
export async function task(name: string, args: readonly string[]): Promise<Run> {
  const child = spawnTask(name, args);
  const [stdout, stderr, { code }] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.status,
  ]);
  return { code, stdout, stderr };
}

/** One clear line on stderr (besides the pointer to --help): no stack trace from deep inside. */
export function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n").filter((l) => l !== "(see --help)");
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(stderr, /^\s+at /m);
}

/** A fresh temporary folder, removed when the returned object is disposed. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "backprop-cli-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
