/**
 * `idxSamples` as a specification: what an IDX image and its label become, that gzipped input
 * reads as raw input does, how every kind of bad input is reported, and how the stream behaves
 * (pull-driven, cancellable, chunk boundaries anywhere).
 */

import assert from "node:assert/strict";
import { idxSamples, type IdxSamplesOptions } from "../src/streams/idx_samples.ts";
import { DataError } from "../src/errors.ts";
import { SampleCache } from "../src/streams/sample_cache.ts";

/** An IDX images file: the header, then the pixels of each image in row-major order. */
function idxImages(
  images: number[][],
  rows: number,
  cols: number,
  count = images.length,
): Uint8Array {
  return new Uint8Array([...[0x803, count, rows, cols].flatMap(word), ...images.flat()]);
}

/** An IDX labels file: the header, then one byte per label. */
function idxLabels(labels: number[], count = labels.length): Uint8Array {
  return new Uint8Array([...word(0x801), ...word(count), ...labels]);
}

/** A big-endian 32-bit word. */
function word(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const input = ReadableStream.from<BufferSource>([bytes.slice()]);
  const compressed = input.pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

/** The bytes in chunks of `size` (whole when `size` is omitted). */
function stream(bytes: Uint8Array, size = Infinity): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
  return ReadableStream.from(chunks);
}

type Row = { x: number[]; y: number[] };

async function read(
  images: ReadableStream<Uint8Array>,
  labels: ReadableStream<Uint8Array>,
  options: IdxSamplesOptions = {},
): Promise<Row[]> {
  const samples = await Array.fromAsync(idxSamples(images, labels, options));
  return samples.map(({ x, y }) => ({ x: [...x], y: [...y] }));
}

const parse = (images: Uint8Array, labels: Uint8Array, options?: IdxSamplesOptions) =>
  read(stream(images), stream(labels), options);

/** Three 2×3 images, labels 2, 0, 9. */
const PIXELS = [[0, 1, 2, 3, 4, 255], [10, 20, 30, 40, 50, 60], [255, 0, 255, 0, 255, 0]];
const IMAGES = idxImages(PIXELS, 2, 3);
const LABELS = idxLabels([2, 0, 9]);

const oneHot = (label: number, classes = 10): number[] =>
  Array.from({ length: classes }, (_, i) => (i === label ? 1 : 0));

// What an image becomes

Deno.test("an image: x is its pixels in row-major order times 1/255, y its label one-hot of 10", async () => {
  const rows = await parse(IMAGES, LABELS);
  assert.deepEqual(rows, [
    { x: PIXELS[0].map((b) => Math.fround(b * (1 / 255))), y: oneHot(2) },
    { x: PIXELS[1].map((b) => Math.fround(b * (1 / 255))), y: oneHot(0) },
    { x: PIXELS[2].map((b) => Math.fround(b * (1 / 255))), y: oneHot(9) },
  ]);
});

Deno.test("options: classes sets the length of y, scale the factor, dtype the element type", async () => {
  const samples = await Array.fromAsync(
    idxSamples(stream(IMAGES), stream(LABELS), { classes: 12, scale: 2, dtype: "float64" }),
  );
  assert.ok(samples[0].x instanceof Float64Array && samples[0].y instanceof Float64Array);
  assert.deepEqual([...samples[0].x], PIXELS[0].map((b) => 2 * b));
  assert.deepEqual([...samples[2].y], oneHot(9, 12));
  const [s32] = await Array.fromAsync(idxSamples(stream(IMAGES), stream(LABELS)));
  assert.ok(s32.x instanceof Float32Array && s32.y instanceof Float32Array);
});

Deno.test("onHeader: the count and size the headers announce, once, before the first sample", async () => {
  const events: unknown[] = [];
  const samples = idxSamples(stream(IMAGES), stream(LABELS), {
    onHeader: (header) => events.push(header),
  });
  for await (const _ of samples) events.push("sample");
  assert.deepEqual(events, [{ count: 3, rows: 2, cols: 3 }, "sample", "sample", "sample"]);
});

Deno.test("options: bad classes, scale or dtype are programming errors, thrown at once", () => {
  const make = (options: IdxSamplesOptions) => () =>
    idxSamples(stream(IMAGES), stream(LABELS), options);
  assert.throws(make({ classes: 0 }), RangeError);
  assert.throws(make({ classes: 2.5 }), RangeError);
  assert.throws(make({ scale: NaN }), RangeError);
  assert.throws(make({ dtype: "int8" as "float32" }), TypeError);
});

Deno.test("gzip: a gzipped images file, labels file or both read as the raw files do", async () => {
  const [images, labels] = [await gzip(IMAGES), await gzip(LABELS)];
  const expected = await parse(IMAGES, LABELS);
  assert.deepEqual(await parse(images, LABELS), expected);
  assert.deepEqual(await parse(IMAGES, labels), expected);
  assert.deepEqual(await parse(images, labels), expected);
});

Deno.test("gzip: chunks that are views of a SharedArrayBuffer read as others do", async () => {
  const shared = (bytes: Uint8Array): Uint8Array => {
    const view = new Uint8Array(new SharedArrayBuffer(bytes.length));
    view.set(bytes);
    return view;
  };
  const [images, labels] = [shared(await gzip(IMAGES)), shared(await gzip(LABELS))];
  assert.deepEqual(await parse(images, labels), await parse(IMAGES, LABELS));
});

Deno.test("chunks: one byte at a time or any chunk size, raw or gzipped, gives what whole input gives", async () => {
  const expected = await parse(IMAGES, LABELS);
  const [images, labels] = [await gzip(IMAGES), await gzip(LABELS)];
  for (const size of [1, 2, 3, 5, 7, 16, 17]) {
    assert.deepEqual(await read(stream(IMAGES, size), stream(LABELS, size)), expected);
    assert.deepEqual(await read(stream(images, size), stream(labels, size)), expected);
  }
});

Deno.test("many samples: views into shared blocks hold the right values, all 3000 of them", async () => {
  const count = 3000;
  const pixels = Array.from({ length: count }, (_, i) => [i & 255, (i >> 8) & 255]);
  const labels = pixels.map((_, i) => i % 10);
  const samples = await Array.fromAsync(
    idxSamples(stream(idxImages(pixels, 1, 2), 100), stream(idxLabels(labels), 7), { scale: 1 }),
  );
  assert.equal(samples.length, count);
  samples.forEach(({ x, y }, i) => {
    assert.deepEqual([...x], pixels[i]);
    assert.deepEqual([...y], oneHot(labels[i]));
  });
});

// Bad input: a DataError naming the file and the byte

/** Names used in the error cases below. */
const SOURCE = { images: "img.idx", labels: "lab.idx" };

/** Every kind of bad input and the message it must give. */
const BAD: { name: string; images: Uint8Array; labels: Uint8Array; message: string }[] = [
  {
    name: "labels given as images",
    images: LABELS,
    labels: LABELS,
    message: "img.idx: byte 0: magic number 0x00000801 (IDX unsigned bytes in 1 dimension), " +
      "expected 0x00000803 (IDX unsigned bytes in 3 dimensions)",
  },
  {
    name: "images given as labels",
    images: IMAGES,
    labels: IMAGES,
    message: "lab.idx: byte 0: magic number 0x00000803 (IDX unsigned bytes in 3 dimensions), " +
      "expected 0x00000801 (IDX unsigned bytes in 1 dimension)",
  },
  {
    name: "not an IDX file",
    images: new TextEncoder().encode("P5\n28 28\n255\n0123456789"),
    labels: LABELS,
    message: "img.idx: byte 0: magic number 0x50350a32 (not an IDX file), " +
      "expected 0x00000803 (IDX unsigned bytes in 3 dimensions)",
  },
  {
    name: "float images",
    images: new Uint8Array([0, 0, 0x0d, 3, ...IMAGES.slice(4)]),
    labels: LABELS,
    message: "img.idx: byte 0: magic number 0x00000d03 (IDX float32 in 3 dimensions), " +
      "expected 0x00000803 (IDX unsigned bytes in 3 dimensions)",
  },
  {
    name: "zero rows",
    images: idxImages([], 0, 3, 3),
    labels: LABELS,
    message: "img.idx: byte 8: image size 0×3 is not 1 to 16777216 pixels",
  },
  {
    name: "absurd size",
    images: idxImages([], 65536, 65536, 3),
    labels: LABELS,
    message: "img.idx: byte 8: image size 65536×65536 is not 1 to 16777216 pixels",
  },
  {
    name: "no images",
    images: idxImages([], 2, 3),
    labels: idxLabels([]),
    message: "img.idx: byte 4: the header announces no images",
  },
  {
    name: "counts differ",
    images: IMAGES,
    labels: idxLabels([2, 0]),
    message: "lab.idx: byte 4: 2 labels, but img.idx holds 3 images",
  },
  {
    name: "empty images file",
    images: new Uint8Array(0),
    labels: LABELS,
    message: "img.idx: truncated: the file ends at byte 0, in the 16-byte header",
  },
  {
    name: "truncated images header",
    images: IMAGES.slice(0, 10),
    labels: LABELS,
    message: "img.idx: truncated: the file ends at byte 10, in the 16-byte header",
  },
  {
    name: "truncated labels header",
    images: IMAGES,
    labels: LABELS.slice(0, 7),
    message: "lab.idx: truncated: the file ends at byte 7, in the 8-byte header",
  },
  {
    name: "truncated images",
    images: IMAGES.slice(0, 16 + 6 + 4),
    labels: LABELS,
    message: "img.idx: truncated: the file ends at byte 26, in image 2 of the 3 announced",
  },
  {
    name: "truncated labels",
    images: IMAGES,
    labels: LABELS.slice(0, 8 + 2),
    message: "lab.idx: truncated: the file ends at byte 10, before label 3 of the 3 announced",
  },
  {
    name: "label out of range",
    images: IMAGES,
    labels: idxLabels([2, 10, 9]),
    message: "lab.idx: byte 9: label 10 of image 2 is not a class id 0..9",
  },
  {
    name: "trailing images bytes",
    images: new Uint8Array([...IMAGES, 0]),
    labels: LABELS,
    message: "img.idx: byte 34: trailing bytes after the 3 images the header announces",
  },
  {
    name: "trailing labels bytes",
    images: IMAGES,
    labels: new Uint8Array([...LABELS, 1, 2]),
    message: "lab.idx: byte 11: trailing bytes after the 3 labels the header announces",
  },
];

/** Asserts that reading fails with a DataError with `message`, about the whole file. */
async function rejectsWith(rows: Promise<Row[]>, message: string): Promise<void> {
  await assert.rejects(rows, (e) => {
    assert.ok(e instanceof DataError, `not a DataError: ${e}`);
    assert.equal(e.message, message);
    assert.deepEqual([e.line, e.column], [0, 0]);
    return true;
  });
}

Deno.test("errors: each kind of bad input gives its DataError: magic, size, counts, truncation, labels, trailing bytes", async () => {
  for (const bad of BAD) {
    await rejectsWith(parse(bad.images, bad.labels, { source: SOURCE }), bad.message);
  }
});

Deno.test("errors: each reads the same for raw and gzipped input, whole or in 1-byte chunks", async () => {
  for (const bad of BAD) {
    const [images, labels] = [await gzip(bad.images), await gzip(bad.labels)];
    for (const size of [1, Infinity]) {
      const raw = read(stream(bad.images, size), stream(bad.labels, size), { source: SOURCE });
      await rejectsWith(raw, bad.message);
      const gzipped = read(stream(images, size), stream(labels, size), { source: SOURCE });
      await rejectsWith(gzipped, bad.message);
    }
  }
});

Deno.test("errors: a corrupt or truncated gzip file is a DataError", async () => {
  const images = await gzip(IMAGES);
  const corrupt = images.slice();
  corrupt[corrupt.length - 5] ^= 0xff; // the checksum
  for (const bad of [corrupt, images.slice(0, images.length - 3), new Uint8Array([0x1f, 0x8b])]) {
    await assert.rejects(parse(bad, LABELS, { source: SOURCE }), (e) => {
      assert.ok(e instanceof DataError, `not a DataError: ${e}`);
      assert.match(e.message, /^img\.idx: bad gzip data/);
      return true;
    });
  }
});

/** A stream of `bytes` in chunks of `size` that counts pulls and records cancel reasons. */
function watched(bytes: Uint8Array, size: number) {
  let offset = 0, pulls = 0;
  const cancelled: unknown[] = [];
  const input = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
    cancel(reason) {
      cancelled.push(reason);
    },
  }, { highWaterMark: 0 });
  return { input, pulls: () => pulls, cancelled };
}

Deno.test("errors: the samples before a bad label arrive, then the error, once; both inputs are cancelled", async () => {
  const images = watched(IMAGES, 1000), labels = watched(idxLabels([2, 0, 77]), 1000);
  const reader = idxSamples(images.input, labels.input).getReader();
  assert.deepEqual([...(await reader.read()).value!.y], oneHot(2));
  assert.deepEqual([...(await reader.read()).value!.y], oneHot(0));
  const error = await reader.read().then(() => null, (e) => e);
  assert.ok(error instanceof DataError);
  assert.equal(error.message, "<labels>: byte 10: label 77 of image 3 is not a class id 0..9");
  assert.deepEqual([images.cancelled, labels.cancelled], [[error], [error]]);
  await assert.rejects(reader.read(), (e) => e === error);
});

Deno.test("errors: an input error reaches the consumer as it is, raw or gzipped", async () => {
  const broken = new Error("disk on fire");
  for (const head of [IMAGES.slice(0, 20), (await gzip(IMAGES)).slice(0, 20)]) {
    let pulls = 0;
    const images = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(head);
        else controller.error(broken);
      },
    });
    await assert.rejects(read(images, stream(LABELS)), (e) => e === broken);
  }
});

// The stream: pull-driven and cancellable

Deno.test("backpressure: reading one sample pulls only a bounded number of input chunks", async () => {
  const pixels = Array.from({ length: 1000 }, () => [1, 2, 3, 4]);
  const images = watched(idxImages(pixels, 2, 2), 64);
  const labels = watched(idxLabels(pixels.map(() => 1)), 64);
  const reader = idxSamples(images.input, labels.input).getReader();
  await reader.read();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(
    images.pulls() <= 3 && labels.pulls() <= 2,
    `pulled ${images.pulls()}, ${labels.pulls()}`,
  );
  await reader.cancel();
});

Deno.test("cancel: cancelling the samples cancels both inputs, raw or gzipped, with the same reason", async () => {
  for (const [img, lab] of [[IMAGES, LABELS], [await gzip(IMAGES), await gzip(LABELS)]]) {
    const images = watched(img, 4), labels = watched(lab, 4);
    const reader = idxSamples(images.input, labels.input).getReader();
    await reader.read();
    await reader.cancel("enough");
    assert.deepEqual([images.cancelled, labels.cancelled], [["enough"], ["enough"]]);
  }
});

Deno.test("cancel: files read through idxSamples, raw or gzipped, are closed on cancel (resource sanitizer)", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    for (const [img, lab] of [[IMAGES, LABELS], [await gzip(IMAGES), await gzip(LABELS)]]) {
      await Deno.writeFile(`${dir}/images`, img);
      await Deno.writeFile(`${dir}/labels`, lab);
      const images = await Deno.open(`${dir}/images`), labels = await Deno.open(`${dir}/labels`);
      const reader = idxSamples(images.readable, labels.readable).getReader();
      assert.deepEqual([...(await reader.read()).value!.y], oneHot(2));
      await reader.cancel();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("errors: files read through idxSamples are closed after a DataError (resource sanitizer)", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await Deno.writeFile(`${dir}/images`, await gzip(IMAGES));
    await Deno.writeFile(`${dir}/labels`, idxLabels([2, 0, 10]));
    const images = await Deno.open(`${dir}/images`), labels = await Deno.open(`${dir}/labels`);
    await assert.rejects(read(images.readable, labels.readable), DataError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// SampleCache.fromIdx reads what idxSamples reads (tests/idx_fuzz_test.ts compares the two on
// every fuzz case); here, what only it does.

Deno.test("fromIdx: the cache holds the samples idxSamples gives, float32 or float64", async () => {
  for (const dtype of ["float32", "float64"] as const) {
    const cache = await SampleCache.fromIdx(stream(IMAGES, 7), stream(LABELS, 2), { dtype });
    const expected = await parse(IMAGES, LABELS, { dtype });
    assert.ok(cache);
    const rows = Array.from({ length: cache.length }, (_, i) => cache.get(i));
    assert.deepEqual(rows.map(({ x, y }) => ({ x: [...x], y: [...y] })), expected);
    assert.equal(rows[0].x.constructor, dtype === "float64" ? Float64Array : Float32Array);
  }
});

Deno.test("fromIdx: over limitBytes it reads the headers only, cancels both inputs and gives undefined", async () => {
  const images = watched(IMAGES, 16), labels = watched(LABELS, 8);
  // Three samples of 6 float32 pixels and a label: 3 · 28 bytes.
  const limitBytes = 3 * 28 - 1;
  assert.equal(await SampleCache.fromIdx(images.input, labels.input, { limitBytes }), undefined);
  assert.deepEqual([images.pulls(), labels.pulls()], [1, 1]);
  assert.equal(images.cancelled.length + labels.cancelled.length, 2);
  const fits = await SampleCache.fromIdx(stream(IMAGES), stream(LABELS), { limitBytes: 3 * 28 });
  assert.equal(fits?.bytes, 3 * 28);
});

Deno.test("fromIdx: a DataError cancels both inputs, and files are closed (resource sanitizer)", async () => {
  const images = watched(IMAGES, 4), labels = watched(idxLabels([2, 0, 10]), 4);
  await assert.rejects(SampleCache.fromIdx(images.input, labels.input), (e) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.message, "<labels>: byte 10: label 10 of image 3 is not a class id 0..9");
    assert.deepEqual([images.cancelled, labels.cancelled], [[e], [e]]);
    return true;
  });
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await Deno.writeFile(`${dir}/images`, await gzip(IMAGES));
    await Deno.writeFile(`${dir}/labels`, idxLabels([2, 0]));
    const file = await Deno.open(`${dir}/images`), other = await Deno.open(`${dir}/labels`);
    await assert.rejects(SampleCache.fromIdx(file.readable, other.readable), DataError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
