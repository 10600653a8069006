/**
 * IDX bytes to training samples: the format MNIST and Fashion-MNIST ship in, read as a stream.
 *
 * An IDX file is a big-endian header, a magic number naming the element type and the number of
 * dimensions followed by each dimension's size, and then the elements in row-major order. An
 * image data set is a pair of files: the images (`0x00000803`: count × rows × cols unsigned
 * bytes) and their labels (`0x00000801`: count unsigned bytes). The pair is read in step, one
 * {@linkcode Sample} per image: `x` its pixels times a scale, `y` its label one-hot.
 *
 * These files are usually published gzipped, so an input that starts with the gzip magic bytes
 * is gunzipped here and a `.gz` file can be passed as it is. The reader takes streams, not
 * paths, so that it runs wherever Web Streams do; opening files is the caller's business.
 * Like `csvSamples`, the output is pull-driven and bad input stops it with a
 * {@linkcode DataError} naming the file and the byte offset.
 *
 * @module
 */

import { DataError } from "../errors.ts";
import type { DType, FloatArray } from "../kernels/types.ts";
import { blockRows, floats } from "./_blocks.ts";
import { pullStream } from "./_pull.ts";
import type { Sample } from "./sample.ts";

/** How {@linkcode idxSamples} reads an IDX pair. */
export interface IdxSamplesOptions {
  /** The length of the one-hot `y`; every label must be below it. Default `10`. */
  classes?: number;
  /** The factor from a pixel byte to a feature: `x[i] = pixel · scale`. Default `1 / 255`. */
  scale?: number;
  /** Element type of `x` and `y`. Default `"float32"`. */
  dtype?: DType;
  /** Names used in error messages, usually the file paths. Default `<images>` and `<labels>`. */
  source?: { images: string; labels: string };
  /**
   * Called once both headers are read and agree, before the first sample: the number of
   * images and their size (e.g. to reserve room for them all with `SampleCache.reserve`).
   */
  onHeader?: (header: { count: number; rows: number; cols: number }) => void;
}

/**
 * Reads samples from an IDX images file and its IDX labels file, each raw or gzipped (told
 * apart by the gzip magic bytes). Byte offsets in errors count the IDX bytes, after gunzip.
 * Samples may be views into one shared block: copy what you keep. Cancelling the output
 * cancels both inputs (closing files); an error errors the output once, after the samples
 * before it, and cancels both inputs. To keep a pair in memory, `SampleCache.fromIdx` reads
 * it straight into a cache, faster than collecting these samples.
 *
 * @example Two tiny IDX files built in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { idxSamples } from "@fullmatrix/backprop";
 *
 * // Two 1×2 images, [0, 255] labelled 1 and [51, 0] labelled 0.
 * const images = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 51, 0]);
 * const labels = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 1, 0]);
 * const samples = await Array.fromAsync(
 *   idxSamples(ReadableStream.from([images]), ReadableStream.from([labels]), { classes: 2 }),
 * );
 * assert.equal(samples[0].x[1], 1);
 * assert.equal(samples[0].y[1], 1);
 * assert.equal(samples[1].y[0], 1);
 * ```
 *
 * @example Fashion-MNIST, gzipped as it is published
 * ```ts ignore
 * import { idxSamples } from "@fullmatrix/backprop";
 *
 * const dir = "/usr/share/datasets/fashion-mnist";
 * const images = `${dir}/train-images-idx3-ubyte.gz`, labels = `${dir}/train-labels-idx1-ubyte.gz`;
 * const samples = idxSamples(
 *   (await Deno.open(images)).readable,
 *   (await Deno.open(labels)).readable,
 *   { source: { images, labels } },
 * );
 * for await (const { x, y } of samples) console.log(x.length, y.indexOf(1)); // 784 and the class
 * ```
 */
export function idxSamples(
  images: ReadableStream<Uint8Array>,
  labels: ReadableStream<Uint8Array>,
  options: IdxSamplesOptions = {},
): ReadableStream<Sample> {
  const reader = pairOf(images, labels, options);
  return pullStream<Sample>({
    async fill(out): Promise<boolean> {
      const samples = await reader.next();
      if (samples !== null) out.push(...samples);
      return samples === null;
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** Where {@linkcode readIdxInto} puts the images and labels of a header: or none, to stop. */
export type IdxRoom = (
  header: { count: number; pixels: number; classes: number; dtype: DType },
) => {
  x: FloatArray;
  labels: Int32Array;
} | undefined;

/**
 * Reads an IDX pair straight into arrays that `room` gives for its header: image `s`'s pixels
 * times the scale at `x[s·pixels …]`, its label at `labels[s]`; the same checks and errors as
 * {@linkcode idxSamples}. No sample, block or copy per image: Fashion-MNIST's 60,000 images
 * took 0.5–0.65 s as a sample stream collected into a cache, 0.40–0.46 s so (about 0.18 s of
 * it gunzip, 0.16 s the conversion, most of that first writes to fresh memory). False when `room`
 * gave none (both inputs are then cancelled). `onFilled` hears how many images are in, after
 * each chunk.
 */
export async function readIdxInto(
  images: ReadableStream<Uint8Array>,
  labels: ReadableStream<Uint8Array>,
  options: IdxSamplesOptions,
  room: IdxRoom,
  onFilled?: (count: number) => void,
): Promise<boolean> {
  const pair = pairOf(images, labels, options);
  try {
    return await pair.into(room, onFilled);
  } catch (e) {
    await pair.cancel(e).catch(() => {});
    throw e;
  }
}

/** The reader of a pair, its options checked. */
function pairOf(
  images: ReadableStream<Uint8Array>,
  labels: ReadableStream<Uint8Array>,
  options: IdxSamplesOptions,
): IdxPair {
  const cfg = configure(options);
  return new IdxPair(
    cfg,
    new ByteReader(images, cfg.source.images),
    new ByteReader(labels, cfg.source.labels),
  );
}

/** Checked options. */
interface Config {
  classes: number;
  /** A pixel byte's feature value, by byte. */
  table: Float64Array;
  dtype: DType;
  source: { images: string; labels: string };
  onHeader?: IdxSamplesOptions["onHeader"];
}

/** What the two headers announce. */
interface Header {
  count: number;
  rows: number;
  cols: number;
}

const IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801;
const IMAGES_HEADER = 16, LABELS_HEADER = 8;
const GZIP_MAGIC = [0x1f, 0x8b];
/** The largest image taken, in pixels: a corrupt header must not make the reader buffer GiBs. */
const MAX_PIXELS = 1 << 24;
/** The element types an IDX magic number can name, for error messages. */
const IDX_TYPES: Record<number, string> = {
  0x08: "unsigned bytes",
  0x09: "signed bytes",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

function configure(options: IdxSamplesOptions): Config {
  const { classes = 10, scale = 1 / 255, dtype = "float32" } = options;
  if (!Number.isInteger(classes) || classes < 1) {
    throw new RangeError(`idxSamples: classes must be a positive integer, got ${classes}`);
  }
  if (!Number.isFinite(scale)) {
    throw new RangeError(`idxSamples: scale must be a finite number, got ${scale}`);
  }
  if (dtype !== "float32" && dtype !== "float64") {
    throw new TypeError(`idxSamples: unknown dtype "${dtype}"`);
  }
  const table = Float64Array.from({ length: 256 }, (_, b) => b * scale);
  const source = options.source ?? { images: "<images>", labels: "<labels>" };
  return { classes, table, dtype, source, onHeader: options.onHeader };
}

/** The magic number `magic` in words. */
function describe(magic: number): string {
  const type = IDX_TYPES[(magic >>> 8) & 0xff];
  if (magic >>> 16 !== 0 || type === undefined) return "not an IDX file";
  const dims = magic & 0xff;
  return `IDX ${type} in ${dims} dimension${dims === 1 ? "" : "s"}`;
}

function hex(magic: number): string {
  return `0x${magic.toString(16).padStart(8, "0")}`;
}

/** The images and labels read in step, one block of samples at a time. */
class IdxPair {
  private readonly cfg: Config;
  private readonly images: ByteReader;
  private readonly labels: ByteReader;
  private header: Header | null = null;
  /** Samples delivered so far. */
  private index = 0;

  constructor(cfg: Config, images: ByteReader, labels: ByteReader) {
    this.cfg = cfg;
    this.images = images;
    this.labels = labels;
  }

  /** The next samples, at least one, or null after the last (with both inputs checked to end). */
  async next(): Promise<Sample[] | null> {
    const { count, rows, cols } = this.header ??= await this.readHeaders();
    if (this.index === count) return await this.expectEnds(), null;
    const pixels = rows * cols;
    return this.samples(await this.ready(blockRows(pixels + this.cfg.classes)), pixels);
  }

  /** Reads every image and label into the arrays `room` gives; false when it gives none. */
  async into(room: IdxRoom, onFilled?: (count: number) => void): Promise<boolean> {
    const { count, rows, cols } = this.header ??= await this.readHeaders();
    const pixels = rows * cols;
    const { table, classes, dtype } = this.cfg;
    const arrays = room({ count, pixels, classes, dtype });
    if (!arrays) {
      await this.cancel("no room for the images");
      return false;
    }
    while (this.index < count) {
      const m = await this.ready(Infinity);
      arrays.labels.set(this.labels.peek(m), this.index);
      convert(this.images.peek(m * pixels), table, arrays.x, this.index * pixels);
      this.advance(m, pixels);
      onFilled?.(this.index);
    }
    await this.expectEnds();
    return true;
  }

  /** Cancels both inputs. */
  async cancel(reason: unknown): Promise<void> {
    await Promise.all([this.images.cancel(reason), this.labels.cancel(reason)]);
  }

  /**
   * Waits for the next image and its label; returns how many pairs from there on both inputs
   * have buffered, at most `most` and up to the count, stopping before a bad label (which
   * throws when it comes first): at least one.
   */
  private async ready(most: number): Promise<number> {
    const { count, rows, cols } = this.header!;
    const pixels = rows * cols;
    if (!await this.images.fill(pixels)) {
      throw this.truncated(this.images, `in image ${this.index + 1} of the ${count} announced`);
    }
    if (!await this.labels.fill(1)) {
      throw this.truncated(this.labels, `before label ${this.index + 1} of the ${count} announced`);
    }
    const n = Math.min(
      most,
      count - this.index,
      Math.floor(this.images.available / pixels),
      this.labels.available,
    );
    const labels = this.labels.peek(n);
    const bad = labels.findIndex((label) => label >= this.cfg.classes);
    if (bad === 0) throw this.badLabel(labels[0]);
    return bad < 0 ? n : bad; // the pairs before a bad label are delivered first
  }

  /** Makes samples of the next `m` buffered pairs, in one block. */
  private samples(m: number, pixels: number): Sample[] {
    const { classes, table, dtype } = this.cfg;
    const stride = pixels + classes;
    const labels = this.labels.peek(m);
    const block = floats(dtype, m * stride);
    const bytes = this.images.peek(m * pixels);
    const out: Sample[] = [];
    for (let s = 0, o = 0; s < m; s++, o += stride) {
      convert(bytes.subarray(s * pixels, (s + 1) * pixels), table, block, o);
      block[o + pixels + labels[s]] = 1;
      out.push({
        x: block.subarray(o, o + pixels),
        y: block.subarray(o + pixels, o + stride),
        label: labels[s],
      });
    }
    this.advance(m, pixels);
    return out;
  }

  /** Moves past `m` pairs. */
  private advance(m: number, pixels: number): void {
    this.images.skip(m * pixels);
    this.labels.skip(m);
    this.index += m;
  }

  /** Checks that both inputs end after the count; reading on also makes gunzip check its sum. */
  private async expectEnds(): Promise<void> {
    const { count } = this.header!;
    await this.expectEnd(this.images, `${count} images`);
    await this.expectEnd(this.labels, `${count} labels`);
  }

  private async readHeaders(): Promise<Header> {
    const { images, labels } = this;
    await this.bufferHeader(images, IMAGES_MAGIC, IMAGES_HEADER);
    const [count, rows, cols] = [4, 8, 12].map((at) => images.uint32(at));
    if (count === 0) throw images.error(4, "the header announces no images");
    if (rows === 0 || cols === 0 || rows * cols > MAX_PIXELS) {
      throw images.error(8, `image size ${rows}×${cols} is not 1 to ${MAX_PIXELS} pixels`);
    }
    await this.bufferHeader(labels, LABELS_MAGIC, LABELS_HEADER);
    const labelCount = labels.uint32(4);
    if (labelCount !== count) {
      throw labels.error(4, `${labelCount} labels, but ${images.source} holds ${count} images`);
    }
    images.skip(IMAGES_HEADER);
    labels.skip(LABELS_HEADER);
    this.cfg.onHeader?.({ count, rows, cols });
    return { count, rows, cols };
  }

  /** Buffers a header of `size` bytes, gunzipping if need be, and checks its magic number. */
  private async bufferHeader(input: ByteReader, magic: number, size: number): Promise<void> {
    await input.gunzipIfCompressed();
    const whole = await input.fill(size);
    const found = input.available >= 4 ? input.uint32(0) : magic;
    if (found !== magic) {
      const reason = `magic number ${hex(found)} (${describe(found)}), expected ${hex(magic)} (${
        describe(magic)
      })`;
      throw input.error(0, reason);
    }
    if (!whole) throw this.truncated(input, `in the ${size}-byte header`);
  }

  /** Checks that `input` ends here; reading on to the end also makes gunzip check its checksum. */
  private async expectEnd(input: ByteReader, announced: string): Promise<void> {
    if (await input.fill(1)) {
      throw input.error(0, `trailing bytes after the ${announced} the header announces`);
    }
  }

  /** A DataError for an input that ends early, at its last byte; `where` says where in it. */
  private truncated(input: ByteReader, where: string): DataError {
    const reason = `truncated: the file ends at byte ${input.offset + input.available}, ${where}`;
    return new DataError(reason, { source: input.source });
  }

  private badLabel(label: number): DataError {
    const reason = `label ${label} of image ${this.index + 1} is not a class id 0..${
      this.cfg.classes - 1
    }`;
    return this.labels.error(0, reason);
  }
}

/** `out[at + i] = table[bytes[i]]`: pixel bytes to features. */
function convert(bytes: Uint8Array, table: Float64Array, out: FloatArray, at: number): void {
  for (let i = 0; i < bytes.length; i++) out[at + i] = table[bytes[i]];
}

/** A source of chunks: the input as it is, or gunzipped. */
interface Chunks {
  /** The next chunk, or undefined at the end. */
  read(): Promise<Uint8Array | undefined>;
  cancel(reason: unknown): Promise<void>;
}

/** Buffered reads of exact byte counts, with the offset of the next byte for error messages. */
class ByteReader {
  readonly source: string;
  /** The offset of the first buffered byte in the IDX bytes. */
  offset = 0;
  private readonly raw: ReadableStreamDefaultReader<Uint8Array>;
  private chunks: Chunks;
  private buffer: Uint8Array = new Uint8Array(0);
  private start = 0;

  constructor(input: ReadableStream<Uint8Array>, source: string) {
    this.source = source;
    const raw = input.getReader();
    this.raw = raw;
    this.chunks = {
      read: async () => {
        const chunk = await raw.read();
        return chunk.done ? undefined : chunk.value;
      },
      cancel: (reason) => raw.cancel(reason),
    };
  }

  /** How many bytes are buffered. */
  get available(): number {
    return this.buffer.length - this.start;
  }

  /** Reads until `n` bytes are buffered; false when the input ends first. */
  async fill(n: number): Promise<boolean> {
    if (this.available >= n) return true;
    // Chunks are gathered first and joined once, so that tiny chunks do not copy quadratically.
    const parts = [this.peek(this.available)];
    let total = this.available;
    while (total < n) {
      const chunk = await this.chunks.read();
      if (chunk === undefined) break;
      parts.push(chunk);
      total += chunk.length;
    }
    this.buffer = join(parts, total);
    this.start = 0;
    return total >= n;
  }

  /** The next `n` buffered bytes, left in the buffer. */
  peek(n: number): Uint8Array {
    return this.buffer.subarray(this.start, this.start + n);
  }

  skip(n: number): void {
    this.start += n;
    this.offset += n;
  }

  /** The big-endian 32-bit word `at` bytes past the first buffered byte. */
  uint32(at: number): number {
    const b = this.peek(at + 4);
    return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }

  /** Switches to a gunzipped view of the input when it starts with the gzip magic bytes. */
  async gunzipIfCompressed(): Promise<void> {
    await this.fill(GZIP_MAGIC.length);
    if (this.available < GZIP_MAGIC.length) return;
    if (!GZIP_MAGIC.every((b, i) => this.buffer[this.start + i] === b)) return;
    this.chunks = gunzip(this.peek(this.available), this.raw, this.source);
    this.buffer = new Uint8Array(0);
    this.start = 0;
  }

  cancel(reason: unknown): Promise<void> {
    return this.chunks.cancel(reason);
  }

  /** A DataError at the byte `at` bytes past the first buffered one. */
  error(at: number, reason: string): DataError {
    return new DataError(`byte ${this.offset + at}: ${reason}`, { source: this.source });
  }
}

/** The `total` bytes of `parts` in one array: the only non-empty part itself, uncopied. */
function join(parts: Uint8Array[], total: number): Uint8Array {
  const filled = parts.filter((part) => part.length > 0);
  if (filled.length === 1) return filled[0];
  const joined = new Uint8Array(total);
  let at = 0;
  for (const part of filled) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

/**
 * The gunzipped chunks of `head` and then the rest of `raw`. A failure of the decompressor is
 * bad data; a failure of the input reaches the consumer as it is.
 */
function gunzip(
  head: Uint8Array,
  raw: ReadableStreamDefaultReader<Uint8Array>,
  source: string,
): Chunks {
  let inputFailure: { error: unknown } | null = null;
  const compressed = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller): void {
      controller.enqueue(unshared(head));
    },
    async pull(controller): Promise<void> {
      const chunk = await raw.read().catch((error) => {
        inputFailure = { error };
        throw error;
      });
      if (chunk.done) controller.close();
      else controller.enqueue(unshared(chunk.value));
    },
  }, { highWaterMark: 0 });
  const out = compressed.pipeThrough(new DecompressionStream("gzip")).getReader();
  return {
    async read(): Promise<Uint8Array | undefined> {
      try {
        const chunk = await out.read();
        return chunk.done ? undefined : chunk.value;
      } catch (e) {
        if (inputFailure !== null) throw inputFailure.error;
        const reason = `bad gzip data (corrupt, truncated, or followed by other bytes): ${
          e instanceof Error ? e.message : e
        }`;
        throw new DataError(reason, { source });
      }
    },
    async cancel(reason: unknown): Promise<void> {
      // The pipe cancels only the stream around `raw`, which does not pass it on: this closes
      // the file, at once and with this reason.
      await Promise.all([out.cancel(reason), raw.cancel(reason)]);
    },
  };
}

/** The decompressor takes views of an ArrayBuffer only; a view of a shared one is copied. */
function unshared(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : bytes.slice();
}
