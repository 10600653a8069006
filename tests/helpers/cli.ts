/**
 * Runs the commands as a user does: `deno task NAME …` from the repository root, through the
 * launcher, with its stdout, stderr and exit code.
 */

import assert from "node:assert/strict";

/** The repository, whose `deno.json` has the tasks. */
export const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** What a command left behind. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where and how a command runs. */
export interface TaskOptions {
  /** The folder it is started from (the user's folder): the repository by default. */
  cwd?: string;
  /** Killed (SIGKILL) after this long. Default 60 s. */
  timeoutMs?: number;
}

/**
 * Starts `deno task name ...args` from `cwd`, in its own process group (so that a signal can
 * reach all of it, as a terminal's Ctrl-C does).
 */
export function spawnTask(
  name: string,
  args: readonly string[],
  { cwd = REPO }: TaskOptions = {},
): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: ["task", "--quiet", `--config=${REPO}/deno.json`, name, ...args],
    cwd,
    // `deno task` keeps an INIT_CWD it inherits (as from `deno task test`): set it as a shell would.
    env: { NO_COLOR: "1", INIT_CWD: cwd },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
}

/** Runs `deno task name ...args` to its end (or its time limit); `ms` is how long it took. */
export async function task(
  name: string,
  args: readonly string[],
  options: TaskOptions = {},
): Promise<Run & { ms: number }> {
  const started = performance.now();
  const child = spawnTask(name, args, options);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [stdout, stderr, { code }] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.status,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr, ms: performance.now() - started };
}

/** The lines of `text` that are not empty. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
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
