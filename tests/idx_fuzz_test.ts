/**
 * `idxSamples` under fuzzing: IDX pairs cut short, with wrong magic numbers, dimensions or counts,
 * stray bytes or bad labels, raw or gzipped, read whole and in random chunks. Each must give the
 * samples a plain reference decoder reads, or fail with a `DataError` about one of the two files,
 * and finish quickly; `SampleCache.fromIdx` must read each exactly as `idxSamples` does, the
 * same samples or the same error. Every case comes from its own seed, so a failure names the
 * seed to rerun.
 */

import assert from "node:assert/strict";
import { idxSamples } from "../src/streams/idx_samples.ts";
import { SampleCache } from "../src/streams/sample_cache.ts";
import type { Sample } from "../src/streams/sample.ts";
import { DataError } from "../src/errors.ts";
import { Random } from "../src/random.ts";
import { withinTime } from "./helpers/within_time.ts";

/** A fuzz case: the two files as the reader gets them, and their IDX bytes when gzip is intact. */
interface Case {
  images: Uint8Array;
  labels: Uint8Array;
  classes: number;
  /** The IDX bytes inside, for the reference; undefined when a gzip stream was damaged. */
  idx?: { images: Uint8Array; labels: Uint8Array };
}

type Row = { x: number[]; y: number[] };
type Outcome = { rows: Row[] } | { error: string };

const SOURCE = { images: "images.idx", labels: "labels.idx" };
/** The longest a case may take, its whole and its chunked read together. */
const TIME_LIMIT_MS = 2000;

// The reference decoder: the format read plainly from whole files

function uint32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at);
}

/** The samples an IDX pair holds, or `"error"` when it is not a well-formed pair. */
function reference(images: Uint8Array, labels: Uint8Array, classes: number): Row[] | "error" {
  if (images.length < 16 || labels.length < 8) return "error";
  if (uint32(images, 0) !== 0x803 || uint32(labels, 0) !== 0x801) return "error";
  const [count, rows, cols] = [4, 8, 12].map((at) => uint32(images, at));
  const size = rows * cols;
  if (count === 0 || size === 0 || size > 2 ** 24 || uint32(labels, 4) !== count) return "error";
  if (images.length !== 16 + count * size || labels.length !== 8 + count) return "error";
  if (labels.subarray(8).some((label) => label >= classes)) return "error";
  return Array.from({ length: count }, (_, i) => ({
    x: [...images.subarray(16 + i * size, 16 + (i + 1) * size)].map((b) => Math.fround(b / 255)),
    y: Array.from({ length: classes }, (_, c) => (c === labels[8 + i] ? 1 : 0)),
  }));
}

// Running idxSamples on a case

/** The bytes in chunks of random sizes. */
function chunked(bytes: Uint8Array, random: Random, most: number): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length;) {
    const size = 1 + random.int(most);
    chunks.push(bytes.slice(i, i + size));
    i += size;
  }
  return ReadableStream.from(chunks);
}

/** How a case is read: the samples of a pair, by `idxSamples` or through a cache. */
type Reader = (
  images: ReadableStream<Uint8Array>,
  labels: ReadableStream<Uint8Array>,
  classes: number,
) => Promise<Sample[]>;

const streamed: Reader = (images, labels, classes) =>
  Array.fromAsync(idxSamples(images, labels, { classes, source: SOURCE }));

const cached: Reader = async (images, labels, classes) => {
  const cache = await SampleCache.fromIdx(images, labels, { classes, source: SOURCE });
  return Array.from({ length: cache!.length }, (_, i) => cache!.get(i));
};

/** Reads a pair, asserting that any failure is a DataError about one file as a whole. */
async function outcome(
  images: ReadableStream<Uint8Array>,
  labels: ReadableStream<Uint8Array>,
  classes: number,
  read: Reader = streamed,
): Promise<Outcome> {
  try {
    const samples = await read(images, labels, classes);
    return { rows: samples.map(({ x, y }) => ({ x: [...x], y: [...y] })) };
  } catch (e) {
    if (!(e instanceof DataError)) throw new Error(`not a DataError: ${e}`, { cause: e });
    assert.ok([SOURCE.images, SOURCE.labels].includes(e.source), `source ${e.source}`);
    assert.deepEqual([e.line, e.column], [0, 0]);
    assert.ok(e.reason.length > 0 && e.message === `${e.source}: ${e.reason}`, e.message);
    return { error: e.message };
  }
}

/** Asserts the shape of any samples read: one x length, pixels in [0, 1], one-hot y. */
function assertSamples(rows: Row[], classes: number): void {
  for (const { x, y } of rows) {
    assert.equal(x.length, rows[0].x.length, "x lengths differ");
    assert.ok(x.every((v) => v >= 0 && v <= 1), `a pixel out of [0, 1]: ${x}`);
    assert.equal(y.length, classes);
    assert.deepEqual(y.filter((v) => v !== 0), [1], `y is not one-hot: ${y}`);
  }
}

/**
 * Checks one case: samples are well formed and, unless a gzip stream was damaged (where how far
 * the decompressor gets before it notices depends on the chunks), whole and chunked reads agree
 * with each other and with the reference.
 */
async function check(c: Case, random: Random): Promise<void> {
  const whole = await outcome(
    ReadableStream.from([c.images]),
    ReadableStream.from([c.labels]),
    c.classes,
  );
  const most = [1, 16, 4096][random.int(3)];
  const split = await outcome(
    chunked(c.images, random, most),
    chunked(c.labels, random, most),
    c.classes,
  );
  const intoCache = await outcome(
    chunked(c.images, random, most),
    chunked(c.labels, random, most),
    c.classes,
    cached,
  );
  for (const read of [whole, split, intoCache]) {
    if ("rows" in read) assertSamples(read.rows, c.classes);
  }
  if (c.idx === undefined) return;
  assert.deepEqual(split, whole, "chunks changed the result");
  assert.deepEqual(intoCache, whole, "fromIdx read it otherwise");
  const expected = reference(c.idx.images, c.idx.labels, c.classes);
  if (expected === "error") assert.ok("error" in whole, "read what the reference rejects");
  else assert.deepEqual(whole, { rows: expected }, "differs from the reference");
}

// Generating cases

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(items.length)];
}

/** A header of big-endian 32-bit words followed by `body`. */
function idxFile(words: number[], body: number[]): number[] {
  const header = new Uint8Array(4 * words.length);
  words.forEach((w, i) => new DataView(header.buffer).setUint32(4 * i, w));
  return [...header, ...body];
}

/** A well-formed pair of a few small images with labels below `classes`. */
function validPair(random: Random, classes: number): { images: number[]; labels: number[] } {
  const count = 1 + random.int(12), rows = 1 + random.int(4), cols = 1 + random.int(4);
  const pixels = Array.from({ length: count * rows * cols }, () => random.int(256));
  const labels = Array.from({ length: count }, () => random.int(classes));
  return {
    images: idxFile([0x803, count, rows, cols], pixels),
    labels: idxFile([0x801, count], labels),
  };
}

/** A file changed once: cut, a header word or byte replaced, bytes added or removed. */
function mutate(random: Random, b: number[], headerWords: number): number[] {
  const at = random.int(b.length + 1);
  const mutations = [
    () => b.slice(0, at), // truncated
    () => setWord(random, b, 4 * random.int(headerWords)),
    () => b.map((v, i) => (i === random.int(4 * headerWords) ? random.int(256) : v)),
    () => [...b, ...Array.from({ length: 1 + random.int(4) }, () => random.int(256))],
    () => [...b.slice(0, at), ...b.slice(at + 1 + random.int(4))],
    () => b.map((v, i) => (i === at ? random.int(256) : v)), // a pixel, or a label out of range
  ];
  return pick(random, mutations)();
}

/** The file with the header word at `at` set to a value that is wrong, or one off. */
function setWord(random: Random, b: number[], at: number): number[] {
  if (at + 4 > b.length) return b;
  const old = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  const values = [0, 1, 0xffffffff, 0x10000, random.nextUint32(), old + 1, old - 1];
  const value = pick(random, values) >>> 0;
  return b.map((v, i) => (i >= at && i < at + 4 ? (value >>> (8 * (at + 3 - i))) & 255 : v));
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const input = ReadableStream.from<BufferSource>([bytes.slice()]);
  return new Uint8Array(
    await new Response(input.pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
}

/** A pair mutated up to three times, each file raw or gzipped, the gzip stream damaged maybe. */
async function mutatedCase(random: Random): Promise<Case> {
  const classes = 1 + random.int(10);
  let { images, labels } = validPair(random, classes);
  for (let n = random.int(4); n > 0; n--) {
    if (random.int(2) === 0) images = mutate(random, images, 4);
    else labels = mutate(random, labels, 2);
  }
  const idx = { images: Uint8Array.from(images), labels: Uint8Array.from(labels) };
  const [img, lab] = [await packed(random, idx.images), await packed(random, idx.labels)];
  const damaged = img.damaged || lab.damaged;
  return {
    images: img.bytes,
    labels: lab.bytes,
    classes,
    idx: damaged ? undefined : idx,
  };
}

/** The file raw, or gzipped, and then maybe cut or with a byte flipped. */
async function packed(
  random: Random,
  idx: Uint8Array,
): Promise<{ bytes: Uint8Array; damaged: boolean }> {
  if (random.int(3) > 0) return { bytes: idx, damaged: false };
  const bytes = await gzip(idx);
  if (random.int(3) > 0) return { bytes, damaged: false };
  const at = 2 + random.int(bytes.length - 2); // past the magic bytes, so that it stays gzip
  if (random.int(2) === 0) return { bytes: bytes.slice(0, at), damaged: true };
  bytes[at] ^= 1 + random.int(255);
  return { bytes, damaged: true };
}

// The property

Deno.test("fuzz: 3000 mutated IDX pairs, raw or gzipped, in any chunks, read as the reference says or fail with a DataError, in time", async () => {
  for (let seed = 0; seed < 3000; seed++) {
    const random = new Random(seed);
    const c = await mutatedCase(random);
    try {
      await withinTime(() => check(c, random), TIME_LIMIT_MS);
    } catch (e) {
      const bytes = (b: Uint8Array): string =>
        `[${b.subarray(0, 64).join(",")}${b.length > 64 ? ",…" : ""}]`;
      const reproduce = `seed ${seed}, classes ${c.classes}, images ${bytes(c.images)}, labels ${
        bytes(c.labels)
      }`;
      throw new Error(`${reproduce}\n${e instanceof Error ? e.message : e}`, { cause: e });
    }
  }
});
