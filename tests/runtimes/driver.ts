/**
 * Runs `tests/runtimes/browser_run.ts` (or the demo's driver) in a child Deno
 * with the grants puppeteer needs and nothing more: loopback network (the
 * page's server and the DevTools socket), running Chromium, reading the
 * served files and Chromium's path, writing a profile in /tmp, and the
 * whole environment, which puppeteer's `debug` dependency enumerates on import.
 */

import assert from "node:assert/strict";

/** The child's stdout parsed as JSON, after asserting it exited 0. */
export async function drive(script: string, args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "--no-prompt",
      "--allow-env",
      "--allow-net=127.0.0.1",
      "--allow-run=/usr/bin/chromium",
      "--allow-read=data,tests/runtimes,demo,docs,/usr/bin/chromium,/tmp",
      "--allow-write=/tmp",
      script,
      ...args,
    ],
    cwd: new URL("../..", import.meta.url),
    signal: AbortSignal.timeout(300_000),
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
