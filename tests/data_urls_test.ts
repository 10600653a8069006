/**
 * Training data from URLs, through `deno task train` against a local server on 127.0.0.1: a
 * chunked body, `Content-Encoding: gzip`, a stream mode that fetches again each epoch, a
 * connection dropped mid-file and a 404, each with the launcher granting that host only.
 */

import assert from "node:assert/strict";
import { lines, runTask } from "./helpers/cli_run.ts";

const TRAIN = await Deno.readFile("data/digits_train.csv");
const TEST = await Deno.readFile("data/digits_test.csv");

/** What a request to the server gets. */
type Handler = (path: string) => Response;

/** Serves `handler` on 127.0.0.1 during `work`, counting requests by path. */
async function withServer(
  handler: Handler,
  work: (base: string, hits: Map<string, number>) => Promise<void>,
): Promise<void> {
  const hits = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    return handler(path);
  });
  try {
    await work(`http://127.0.0.1:${server.addr.port}`, hits);
  } finally {
    await server.shutdown();
  }
}

/** The bytes as a body of small chunks, so that it goes out with chunked transfer encoding. */
function chunked(bytes: Uint8Array, size = 4096): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at += size));
    },
  });
}

const files: Handler = (path) =>
  path === "/train.csv"
    ? new Response(chunked(TRAIN))
    : path === "/test.csv"
    ? new Response(chunked(TEST))
    : new Response("not here", { status: 404 });

Deno.test("urls: a chunked body trains like the file; --test is a URL too", async () => {
  await withServer(files, async (base) => {
    const out = await Deno.makeTempDir();
    const ran = await runTask("train", [
      ...["--data", `${base}/train.csv`, "--test", `${base}/test.csv`, "--out", out],
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /1438 samples/);
    const accuracy = Number(ran.stdout.match(/final .* accuracy ([\d.]+)/)![1]);
    assert.ok(accuracy >= 0.95, `accuracy ${accuracy}`);
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("urls: Content-Encoding gzip is undone; too large to cache, it is fetched each epoch", async () => {
  const gzip = async (bytes: Uint8Array<ArrayBuffer>) =>
    new Uint8Array(
      await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
  const [train, test] = [await gzip(TRAIN), await gzip(TEST)];
  const handler: Handler = (path) =>
    new Response(path === "/train.csv" ? train : test, {
      headers: { "content-encoding": "gzip", "content-type": "text/csv" },
    });
  await withServer(handler, async (base, hits) => {
    const out = await Deno.makeTempDir();
    const ran = await runTask("train", [
      ...["--data", `${base}/train.csv`, "--test", `${base}/test.csv`, "--out", out],
      ...["--cache-mb", "0", "--epochs", "3"],
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /streamed from the file each epoch/);
    assert.equal(hits.get("/train.csv"), 1 + 3, "the pass, then once per epoch");
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("urls: a connection dropped mid-file names the URL and the line reached", async () => {
  const half = TRAIN.subarray(0, 100_000);
  const handler: Handler = () => {
    let sent = false;
    return new Response(
      new ReadableStream({
        async pull(controller) {
          if (!sent) {
            controller.enqueue(half.slice());
            sent = true;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
          controller.error(new Error("server gone"));
        },
      }),
    );
  };
  await withServer(handler, async (base) => {
    const out = await Deno.makeTempDir();
    const ran = await runTask("train", ["--data", `${base}/train.csv`, "--out", out]);
    assert.equal(ran.code, 1, ran.stderr);
    const errors = lines(ran.stderr);
    assert.equal(errors.length, 1, ran.stderr);
    const line = new TextDecoder().decode(half).split("\n").length - 1; // whole rows received
    assert.match(
      errors[0],
      new RegExp(`^error: ${base}/train.csv: reading failed after line ${line}: .+`),
    );
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("urls: a 404 is one line naming the URL", async () => {
  await withServer(files, async (base) => {
    const out = await Deno.makeTempDir();
    const ran = await runTask("train", ["--data", `${base}/missing.csv`, "--out", out]);
    assert.equal(ran.code, 1);
    assert.deepEqual(lines(ran.stderr), [`error: ${base}/missing.csv: HTTP 404 Not Found`]);
    await Deno.remove(out, { recursive: true });
  });
});
