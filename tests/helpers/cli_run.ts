/**
 * Runs a command of the CLI the way a user does, `deno task NAME …` from the repository root
 * (through the launcher), and returns what it did.
 *
 * @module
 */

/** What a command did: its exit code, its output and how long it took. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `deno task <task> <args>` with NO_COLOR, killing it after `timeoutMs`. */
export async function runTask(task: string, args: string[], timeoutMs = 60_000): Promise<Ran> {
  const started = performance.now();
  const child = new Deno.Command("deno", {
    args: ["task", "-q", task, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder();
  return {
    code,
    stdout: text.decode(stdout),
    stderr: text.decode(stderr),
    ms: performance.now() - started,
  };
}

/** The lines of `text` that are not empty. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}
