/**
 * A local HTTP server for the URL tests, run as its own process so that the test runner needs
 * no network permission: `deno run --allow-net=127.0.0.1 --allow-read=data url_server.ts MODE`.
 * It prints `port N`, then one line per request (`GET /path`). Modes:
 *
 * - `files`: `/train.csv` and `/test.csv` (the bundled digits) in small chunks, so with chunked
 *   transfer encoding, and the same digits as an IDX folder, `/idx/train-images-idx3-ubyte.gz`
 *   and the like (raw IDX bytes: the reader tells gzip by its magic); anything else is a 404;
 * - `gzip`: the same two with `Content-Encoding: gzip`;
 * - `drop`: 100 kB of `/train.csv`, then the connection is dropped.
 *
 * @module
 */

const mode = Deno.args[0];
const TRAIN = await Deno.readFile("data/digits_train.csv");
const TEST = await Deno.readFile("data/digits_test.csv");

function chunked(bytes: Uint8Array, size = 4096): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at += size));
    },
  });
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const zipped = mode === "gzip" ? { train: await gzip(TRAIN), test: await gzip(TEST) } : null;

/** A digits CSV (a header, 64 pixels 0–16 and a label a row) as IDX files: [images, labels]. */
function idxOf(csv: Uint8Array): [Uint8Array, Uint8Array] {
  const rows = new TextDecoder().decode(csv).trim().split("\n").slice(1).map((l) =>
    l.split(",").map(Number)
  );
  const word = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return [
    new Uint8Array([
      ...[0x803, rows.length, 8, 8].flatMap(word),
      ...rows.flatMap((r) => r.slice(0, 64)),
    ]),
    new Uint8Array([...[0x801, rows.length].flatMap(word), ...rows.map((r) => r[64])]),
  ];
}

const IDX: Record<string, Uint8Array> = {};
for (const [prefix, csv] of [["train", TRAIN], ["t10k", TEST]] as const) {
  const [images, labels] = idxOf(csv);
  IDX[`/idx/${prefix}-images-idx3-ubyte.gz`] = images;
  IDX[`/idx/${prefix}-labels-idx1-ubyte.gz`] = labels;
}

function dropped(): Response {
  let sent = false;
  return new Response(
    new ReadableStream({
      async pull(controller) {
        if (!sent) {
          controller.enqueue(TRAIN.slice(0, 100_000));
          sent = true;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
        controller.error(new Error("connection dropped on purpose"));
      },
    }),
  );
}

function respond(path: string): Response {
  if (mode === "drop") return dropped();
  if (mode === "files" && path in IDX) return new Response(chunked(IDX[path]));
  const body = path === "/train.csv" ? TRAIN : path === "/test.csv" ? TEST : null;
  if (body === null) return new Response("not here", { status: 404 });
  if (!zipped) return new Response(chunked(body));
  return new Response(body === TRAIN ? zipped.train : zipped.test, {
    headers: { "content-encoding": "gzip", "content-type": "text/csv" },
  });
}

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`port ${port}`),
  onError: () => new Response("server error", { status: 500 }),
}, (request) => {
  const path = new URL(request.url).pathname;
  console.log(`${request.method} ${path}`);
  return respond(path);
});
