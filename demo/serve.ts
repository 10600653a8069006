/**
 * `deno task demo`: serves the demo page on 127.0.0.1 (port 8000, or `--port N`;
 * 0 takes a free one). The library is bundled at start (`deno bundle`) and held
 * in memory; the page trains on the bundled digits in a Worker, two threads
 * where the machine has two cores, since the server makes the page
 * cross-origin isolated.
 *
 * Grants: the loopback network, running `deno` (the bundler), reading `demo/`
 * and `data/`. Stop it with Ctrl-C.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { serveStatic } from "./static.ts";

const root = new URL("..", import.meta.url);

/** The library as one ES module for the browser. */
async function bundle(): Promise<Uint8Array> {
  const out = await new Deno.Command("deno", {
    args: ["bundle", "--quiet", "--platform", "browser", "mod.ts"],
    cwd: root,
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("deno bundle failed (its error is above)");
  return out.stdout;
}

/** The page's files, by the path the page asks for. */
export async function demoFiles(): Promise<Record<string, string | Uint8Array>> {
  const demo = (name: string) => new URL(`demo/${name}`, root).pathname;
  return {
    "/index.html": demo("index.html"),
    "/app.js": demo("app.js"),
    "/worker.js": demo("worker.js"),
    "/model.js": demo("model.js"),
    "/lib.js": await bundle(),
    "/digits_train.csv": new URL("data/digits_train.csv", root).pathname,
    "/digits_test.csv": new URL("data/digits_test.csv", root).pathname,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string" } } });
  const port = Number(values.port ?? 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`error: --port must be a port number, not ${values.port}`);
    Deno.exit(2);
  }
  serveStatic(await demoFiles(), {
    port,
    onListen: (origin) => console.log(`demo: ${origin}/ (Ctrl-C to stop)`),
  });
}
