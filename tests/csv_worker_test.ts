/**
 * `csvSamples({ worker: true })`: the parse on another thread gives what the calling thread's
 * parse gives, bit for bit, callbacks and errors included, whatever the chunks; it stops its
 * worker and closes its input when cancelled; and where no worker may start (no read
 * permission for the package's files) it parses on the calling thread.
 */

import assert from "node:assert/strict";
import { csvSamples, type CsvSamplesOptions, DataError, type Sample } from "../mod.ts";
import { parseWorkerAvailable } from "../src/streams/csv/_in_worker.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The bytes in chunks of `size`. */
function chunked(all: Uint8Array, size: number): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
  return ReadableStream.from(chunks);
}

/** Every sample as plain numbers, with the callbacks' arguments, or the error it ended with. */
async function run(bytes: Uint8Array, size: number, options: CsvSamplesOptions) {
  const calls: unknown[] = [];
  const samples: Sample[] = [];
  let error: unknown;
  try {
    const stream = csvSamples(chunked(bytes, size), {
      ...options,
      onHeader: (labels) => calls.push(["header", labels]),
      onClasses: options.classes === undefined && options.task !== "regression"
        ? (classes, place) => calls.push(["classes", classes, [...place]])
        : undefined,
    });
    for await (const s of stream) samples.push(s);
  } catch (e) {
    error = e;
  }
  const rows = samples.map((s) => [s.x.constructor.name, [...s.x], [...s.y], s.label]);
  return { rows, calls, error: error instanceof Error ? [error.name, error.message] : error };
}

const files = ["data/digits_train.csv", "data/wine_train.csv", "data/diabetes_train.csv"];
const cases: [string, CsvSamplesOptions][] = [
  ["data/digits_train.csv", { classes: 10, scale: 1 / 16 }],
  ["data/digits_train.csv", { dtype: "float64" }],
  ["data/wine_train.csv", { classes: ["0", "1", "2"], scale: { offset: [], factor: [] } }],
  ["data/diabetes_train.csv", {
    task: "regression",
    targetScale: { offset: [150], factor: [0.01] },
  }],
];

Deno.test("csv worker: it runs here (the test task may read the package), so the tests below test it", () => {
  assert.ok(parseWorkerAvailable());
});

for (const [file, base] of cases) {
  Deno.test(`csv worker: ${file} ${JSON.stringify(base)} reads as on the calling thread`, async () => {
    const bytes = await Deno.readFile(file);
    const options = { source: file, ...base };
    if (options.scale && typeof options.scale === "object") {
      const columns = new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(10))).split(",");
      const n = columns.length - 1;
      options.scale = { offset: new Array(n).fill(1), factor: new Array(n).fill(0.5) };
    }
    const here = await run(bytes, 1 << 16, options);
    assert.ok(here.rows.length > 100 && here.error === undefined);
    for (const size of [1 << 16, 4096, 7]) {
      assert.deepEqual(await run(bytes, size, { ...options, worker: true }), here, `${size}`);
    }
  });
}

Deno.test("csv worker: a bad row gives the samples before it, then the same DataError", async () => {
  const text = "a,b,label\n1,2,0\n3,4,1\n5,oops,0\n7,8,1\n";
  const options: CsvSamplesOptions = { source: "bad.csv", classes: 2 };
  for (const size of [5, 1000]) { // the bad row in a later chunk, or in the same one
    const here = await run(encode(text), size, options);
    assert.equal(here.rows.length, 2);
    assert.deepEqual(here.error, ["DataError", 'bad.csv:4:2: not a number: "oops"']);
    const there = await run(encode(text), size, { ...options, worker: true });
    assert.deepEqual(there, here);
  }
});

Deno.test("csv worker: an input that fails names the line reached, as on the calling thread", async () => {
  const failing = () => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 3) controller.enqueue(encode(`${sent},0\n${sent},1\n`));
        else controller.error(new Error("connection reset"));
      },
    });
  };
  const errors = [];
  for (const worker of [false, true]) {
    const samples: Sample[] = [];
    const error = await (async () => {
      for await (const s of csvSamples(failing(), { classes: 2, source: "u", worker })) {
        samples.push(s);
      }
    })().catch((e) => e);
    assert.ok(error instanceof DataError);
    assert.equal((error.cause as Error).message, "connection reset");
    errors.push([samples.length, error.message]);
  }
  assert.deepEqual(errors[1], errors[0]);
  assert.deepEqual(errors[0], [6, "u: reading failed after line 6: connection reset"]);
});

Deno.test("csv worker: the error is a DataError with its place", async () => {
  const stream = csvSamples(chunked(encode("1,2\n3\n"), 3), { classes: 5, worker: true });
  await assert.rejects(Array.fromAsync(stream), (e) => {
    assert.ok(e instanceof DataError);
    assert.deepEqual([e.line, e.column, e.reason], [2, 2, "row has 1 fields, expected 2"]);
    return true;
  });
});

Deno.test("csv worker: bad options are thrown at once, on the calling thread", () => {
  const input = chunked(encode("1,0\n"), 4);
  assert.throws(() => csvSamples(input, { classes: 0, worker: true }), RangeError);
  assert.throws(() => csvSamples(input, { delimiter: ";;", classes: 2, worker: true }), TypeError);
});

Deno.test("csv worker: cancelling stops the worker and closes the file", async () => {
  for (const file of files) {
    const reader = csvSamples((await Deno.open(file)).readable, {
      task: "regression",
      label: [],
      worker: true,
    }).getReader();
    assert.equal((await reader.read()).done, false);
    await reader.cancel("enough");
  }
  // The resource and op sanitizers fail this test if a file or the worker were left open.
});

Deno.test("csv worker: without read permission for the package it parses on the calling thread", async () => {
  // The fallback script reads the digits with `worker: true`, permitted to read the data only.
  const { code, stdout } = await new Deno.Command("deno", {
    args: ["run", `--allow-read=${files[0]}`, "tests/fixtures/csv_worker_fallback.ts", files[0]],
    env: { NO_COLOR: "1" },
  }).output().then((o) => ({ code: o.code, stdout: new TextDecoder().decode(o.stdout) }));
  assert.equal(code, 0);
  const [available, count, sum] = stdout.trim().split(" ");
  assert.equal(available, "false");
  const samples = await Array.fromAsync(
    csvSamples((await Deno.open(files[0])).readable, { classes: 10 }),
  );
  assert.equal(Number(count), samples.length);
  assert.equal(Number(sum), samples.reduce((s, { x, label }) => s + x[20] + label!, 0));
});
