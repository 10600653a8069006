/**
 * Runs `deno task train|predict …` as a user would: through the launcher, from the
 * repository (or another folder), with colour off; the result's stderr and stdout as text.
 */

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** What a finished command left: its exit code and output. */
export interface TaskResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Starts `deno task <args>` in `cwd` (the repository by default) with stdout and stderr piped. */
export function spawnTask(args: string[], cwd = REPO): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: ["task", "--quiet", `--config=${REPO}/deno.json`, ...args],
    cwd,
    // `deno task` keeps an INIT_CWD it inherits (as from `deno task test`): set it as a fresh shell would.
    env: { NO_COLOR: "1", INIT_CWD: cwd },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs `deno task <args>` to its end. */
export async function task(args: string[], cwd = REPO): Promise<TaskResult> {
  const { code, stdout, stderr } = await spawnTask(args, cwd).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
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

export { REPO };
