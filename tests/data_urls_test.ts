/**
 * Training data from URLs, through `deno task train` against a local server on 127.0.0.1: a
 * chunked body, `Content-Encoding: gzip`, a stream mode that fetches again each epoch, a
 * connection dropped mid-file and a 404, each with the launcher granting that host only.
 */

import assert from "node:assert/strict";
import { lines, task } from "./helpers/cli.ts";

/** The digits' first 100 kB, what the `drop` server sends before it drops the connection. */
const HALF = (await Deno.readFile("data/digits_train.csv")).subarray(0, 100_000);

/**
 * Runs tests/helpers/url_server.ts in `mode` during `work`, which gets its base URL and the
 * paths requested so far.
 */
async function withServer(
  mode: "files" | "gzip" | "drop",
  work: (base: string, requests: () => string[]) => Promise<void>,
): Promise<void> {
  const server = new Deno.Command("deno", {
    args: [
      ...["run", "--allow-net=127.0.0.1", "--allow-read=data", "tests/helpers/url_server.ts"],
      mode,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const seen: string[] = [];
  const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let port: string | undefined;
  const reading = (async () => {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      buffered += next.value;
      const complete = buffered.split("\n");
      buffered = complete.pop()!;
      for (const line of complete) {
        if (line.startsWith("port ")) port = line.slice(5);
        else seen.push(line);
      }
    }
  })();
  while (port === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
  try {
    await work(`http://127.0.0.1:${port}`, () => seen.slice());
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await reading;
  }
}

Deno.test("urls: --idx of a URL: its workers fetch the four files themselves, and it learns", async () => {
  await withServer("files", async (base, requests) => {
    const ran = await task("train", [
      ...["--idx", `${base}/idx`, "--layers", "64,32,10", "--epochs", "10", "--json"],
      ...["--scale", "0.0625", "--lr", "0.1", "--momentum", "0.9", "--batch", "32"],
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    const summary = JSON.parse(ran.stdout.trim().split("\n").at(-1)!);
    assert.ok(summary.testAccuracy > 0.9, `test accuracy ${summary.testAccuracy}`);
    const files = ["images-idx3", "labels-idx1"].flatMap((kind) =>
      ["train", "t10k"].map((prefix) => `GET /idx/${prefix}-${kind}-ubyte.gz`)
    );
    assert.deepEqual(requests().sort(), files.sort());
  });
});

Deno.test("urls: a chunked body trains like the file; --test is a URL too", async () => {
  await withServer("files", async (base) => {
    const out = await Deno.makeTempDir();
    const ran = await task("train", [
      ...["--data", `${base}/train.csv`, "--test", `${base}/test.csv`, "--out", out],
      ...["--lr", "0.02", "--momentum", "0.9"], // the bundled digits' preset
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /1438 samples/);
    const accuracy = Number(ran.stdout.match(/final .* accuracy ([\d.]+)/)![1]);
    assert.ok(accuracy >= 0.95, `accuracy ${accuracy}`);
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("urls: Content-Encoding gzip is undone; too large to cache, it is fetched each epoch", async () => {
  await withServer("gzip", async (base, requests) => {
    const out = await Deno.makeTempDir();
    const ran = await task("train", [
      ...["--data", `${base}/train.csv`, "--test", `${base}/test.csv`, "--out", out],
      ...["--cache-mb", "0", "--epochs", "3"],
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /streamed from the file each epoch/);
    const fetched = requests().filter((r) => r === "GET /train.csv").length;
    assert.equal(fetched, 1 + 3, "the pass, then once per epoch");
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("urls: a connection dropped mid-file names the URL and the line reached", async () => {
  await withServer("drop", async (base) => {
    const out = await Deno.makeTempDir();
    const ran = await task("train", ["--data", `${base}/train.csv`, "--out", out]);
    assert.equal(ran.code, 1, ran.stderr);
    const errors = lines(ran.stderr);
    assert.equal(errors.length, 1, ran.stderr);
    const line = new TextDecoder().decode(HALF).split("\n").length - 1; // whole rows received
    assert.match(
      errors[0],
      new RegExp(`^error: ${base}/train.csv: reading failed after line ${line}: .+`),
    );
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("urls: a 404 is one line naming the URL", async () => {
  await withServer("files", async (base) => {
    const out = await Deno.makeTempDir();
    const ran = await task("train", ["--data", `${base}/missing.csv`, "--out", out]);
    assert.equal(ran.code, 1);
    assert.deepEqual(lines(ran.stderr), [`error: ${base}/missing.csv: HTTP 404 Not Found`]);
    await Deno.remove(out, { recursive: true });
  });
});
