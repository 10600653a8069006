/**
 * `SampleCache.fromIdx` with `worker`: a worker reads the pair into shared arrays while the
 * cache is in use. It must hold what the calling thread reads, bit for bit; an error after the
 * header must reach `ready` and the streams as the same DataError, after the samples before it;
 * windowed batches of a filling cache must equal those of a full one; files given as URLs are
 * fetched by the worker itself, to the same samples; and without read permission for the
 * package the pair is read on the calling thread.
 */

import assert from "node:assert/strict";
import { DataError } from "../src/errors.ts";
import { Random } from "../src/random.ts";
import { SampleCache } from "../src/streams/sample_cache.ts";
import { idxWorkerAvailable } from "../src/streams/_idx_in_worker.ts";

/** A big-endian 32-bit word. */
function word(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** `count` random 28×28 images and labels 0..9, as IDX bytes: [images, labels]. */
function pair(count: number, seed: number): [Uint8Array, Uint8Array] {
  const random = new Random(seed);
  const pixels = Array.from({ length: count * 784 }, () => random.int(256));
  const labels = Array.from({ length: count }, () => random.int(10));
  return [
    new Uint8Array([...[0x803, count, 28, 28].flatMap(word), ...pixels]),
    new Uint8Array([...[0x801, count].flatMap(word), ...labels]),
  ];
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const input = ReadableStream.from<BufferSource>([bytes.slice()]);
  return new Uint8Array(
    await new Response(input.pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
}

/** The bytes in chunks of `size`. */
function chunks(bytes: Uint8Array, size = 4096): ReadableStream<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.slice(at, at + size));
  return ReadableStream.from(parts);
}

type Options = Parameters<typeof SampleCache.fromIdx>[2];

async function read([images, labels]: Uint8Array[], options: Options = {}) {
  return await SampleCache.fromIdx(chunks(images), chunks(labels), options);
}

/** Every sample of a cache, once all are in, as plain arrays. */
async function rows(cache: SampleCache | undefined): Promise<{ x: number[]; label?: number }[]> {
  assert.ok(cache);
  return await Array.fromAsync(cache.stream(), ({ x, label }) => ({ x: [...x], label }));
}

Deno.test("idx worker: the engine and the permissions here let it start", () => {
  assert.ok(idxWorkerAvailable());
});

Deno.test("idx worker: the cache holds what the calling thread reads, bit for bit, raw or gzipped, float32 or float64", async () => {
  const raw = pair(700, 1), gzipped = [await gzip(raw[0]), await gzip(raw[1])];
  for (const dtype of ["float32", "float64"] as const) {
    for (const files of [raw, gzipped]) {
      const options = { dtype, scale: 1 / 255 };
      const inWorker = await read(files, { ...options, worker: true });
      const here = await read(files, options);
      assert.equal(inWorker?.length, 700);
      await inWorker!.ready;
      const [a, b] = [await rows(inWorker), await rows(here)];
      assert.equal(a.length, 700);
      assert.ok(
        a.every((s, i) => s.label === b[i].label && s.x.every((v, k) => Object.is(v, b[i].x[k]))),
      );
      assert.equal(
        inWorker!.get(0).x.constructor,
        dtype === "float64" ? Float64Array : Float32Array,
      );
    }
  }
});

Deno.test("idx worker: files given as URLs are fetched by the worker itself (or this thread without it), to the same samples; a missing one is a DataError naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = pair(300, 3);
    const [images, labels] = [`${dir}/images.gz`, `${dir}/labels`];
    await Deno.writeFile(images, await gzip(files[0]));
    await Deno.writeFile(labels, files[1]);
    const url = (path: string) => new URL(`file://${path}`);
    const expected = await rows(await read(files));
    for (const worker of [true, false]) {
      const cache = await SampleCache.fromIdx(url(images), url(labels), { worker });
      await cache!.ready;
      assert.deepEqual(await rows(cache), expected);
      // One given as a stream, the other fetched.
      const mixed = await SampleCache.fromIdx(chunks(files[0]), url(labels), { worker });
      await mixed!.ready;
      assert.deepEqual(await rows(mixed), expected);
      const source = { images: "train-images", labels: "train-labels" };
      await assert.rejects(
        SampleCache.fromIdx(url(`${dir}/nope`), url(labels), { worker, source }),
        (e) =>
          e instanceof DataError && e.source === "train-images" &&
          /cannot fetch it/.test(e.message),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("idx worker: an error after the header reaches ready and the stream as the DataError the calling thread gives, after the samples before it", async () => {
  const [images, labels] = pair(40, 2);
  const cases = [
    [images.subarray(0, 16 + 784 * 25 + 100), labels], // truncated in image 26
    [images, labels.map((b, i) => i === 8 + 30 ? 99 : b)], // label 99 on image 31
    [new Uint8Array([...images, 7]), labels], // a trailing byte
  ];
  for (const [img, lab] of cases) {
    const expected = await read([img, lab]).then(() => null, (e) => e);
    assert.ok(expected instanceof DataError);
    const cache = await read([img, lab], { worker: true });
    assert.ok(cache);
    const seen: number[] = [];
    const failure = await (async () => {
      for await (const { label } of cache.stream()) seen.push(label!);
    })().then(() => null, (e) => e);
    assert.ok(failure instanceof DataError, `not a DataError: ${failure}`);
    assert.equal(failure.message, expected.message);
    await assert.rejects(
      cache.ready,
      (e) => e instanceof DataError && e.message === expected.message,
    );
    // The samples before the fault came first, in order.
    assert.deepEqual(seen, [...lab.subarray(8, 8 + seen.length)]);
  }
});

Deno.test("idx worker: over limitBytes it gives undefined, the header told", async () => {
  let count = 0;
  const options = {
    worker: true,
    limitBytes: 1000,
    onHeader: (h: { count: number }) => count = h.count,
  };
  assert.equal(await read(pair(10, 3), options), undefined);
  assert.equal(count, 10);
});

Deno.test("idx worker: once ready, a cache a worker filled takes transform and subset", async () => {
  const cache = await read(pair(5, 4), { worker: true });
  assert.ok(cache);
  await cache.ready;
  cache.transform({ offset: new Array(784).fill(0), factor: new Array(784).fill(1) });
  assert.equal(cache.subset([0, 1]).length, 2);
});

Deno.test("windowed batches: each batch draws from its own window, a permutation in all, fixed by the seed", async () => {
  const cache = new SampleCache();
  for (let v = 0; v < 100; v++) cache.add({ x: new Float32Array([v]), y: new Float32Array(1) });
  const epoch = (seed: number) => Array.fromAsync(cache.batches(8, seed, 16), (b) => [...b.x.data]);
  const batches = await epoch(7);
  assert.deepEqual(batches.flat().toSorted((a, b) => a - b), [...Array(100).keys()]);
  batches.flat().forEach((v, i) => assert.equal(Math.floor(v / 16), Math.floor(i / 16)));
  assert.deepEqual(await epoch(7), batches);
  assert.notDeepEqual(await epoch(8), batches);
  assert.notDeepEqual(batches.flat(), [...Array(100).keys()]);
  assert.throws(() => cache.batches(8, 7, 0), RangeError);
});

Deno.test("windowed batches of a cache still filling equal those of a full cache, bit for bit", async () => {
  const files = pair(600, 5);
  const [filling, full] = [await read(files, { worker: true }), await read(files)];
  const epoch = (cache: SampleCache) =>
    Array.fromAsync(cache.batches(32, 11, 100), (b) => [...b.x.data, ...b.y.data]);
  assert.deepEqual(await epoch(filling!), await epoch(full!));
});

Deno.test("idx worker: without read permission for the package it reads on the calling thread", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    const [images, labels] = pair(50, 6);
    await Deno.writeFile(`${dir}/images`, images);
    await Deno.writeFile(`${dir}/labels`, labels);
    const { code, stdout } = await new Deno.Command("deno", {
      args: [
        "run",
        `--allow-read=${dir}`,
        "tests/fixtures/idx_worker_fallback.ts",
        `${dir}/images`,
        `${dir}/labels`,
      ],
      env: { NO_COLOR: "1" },
    }).output().then((o) => ({ code: o.code, stdout: new TextDecoder().decode(o.stdout) }));
    assert.equal(code, 0);
    const [available, count, sum] = stdout.trim().split(" ");
    assert.equal(available, "false");
    const here = await rows(await read([images, labels]));
    assert.equal(Number(count), 50);
    assert.equal(Number(sum), here.reduce((s, { x, label }) => s + x[20] + label!, 0));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The bytes in chunks of `size`, counting the chunks pulled and telling when it is cancelled. */
function watched(bytes: Uint8Array, size = 4096) {
  const watch = { pulled: 0, cancelled: undefined as unknown };
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      watch.pulled++;
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at += size));
    },
    cancel(reason) {
      watch.cancelled = reason;
    },
  }, { highWaterMark: 0 });
  return { stream, watch };
}

Deno.test("idx worker: with after, nothing is read until it resolves, then the same samples; if it rejects, its reason, both inputs cancelled", async () => {
  const files = pair(200, 4);
  const expected = await rows(await read(files));
  for (const worker of [true, false]) {
    const [images, labels] = [watched(files[0]), watched(files[1])];
    let go!: () => void;
    const after = new Promise<void>((resolve) => go = resolve);
    const reading = SampleCache.fromIdx(images.stream, labels.stream, { worker, after });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(images.watch.pulled + labels.watch.pulled, 0, `worker ${worker}: read early`);
    go();
    const cache = await reading;
    await cache!.ready;
    assert.deepEqual(await rows(cache), expected);

    const [more, others] = [watched(files[0]), watched(files[1])];
    const why = new DataError("the training files failed", { source: "train" });
    const refused = SampleCache.fromIdx(more.stream, others.stream, {
      worker,
      after: Promise.reject(why),
    });
    await assert.rejects(refused, (e) => e === why);
    assert.equal(more.watch.pulled + others.watch.pulled, 0);
    assert.equal(more.watch.cancelled, why);
    assert.equal(others.watch.cancelled, why);
  }
});
