/**
 * CSV bytes to training samples: a streaming RFC 4180 reader that parses numbers straight
 * from the bytes into typed arrays.
 *
 * Each data row becomes a {@linkcode Sample}: the label column(s) give `y` (one-hot for
 * classification, the values for regression) and every other column, in order, gives `x`.
 * The output is pull-driven: input is read only when the consumer asks for more samples,
 * so a slow consumer slows the file read. Bad input stops the stream with a
 * {@linkcode DataError} naming the source, physical line and field number.
 *
 * @module
 */

import { DataError } from "../errors.ts";
import type { DType, FloatArray } from "../kernels/types.ts";
import type { Sample } from "./sample.ts";
import { readAll } from "./_portable.ts";

/** How {@linkcode csvSamples} reads a CSV. */
export interface CsvSamplesOptions {
  /** Name used in error messages, usually the file path. Default `"<stream>"`. */
  source?: string;
  /**
   * Whether the first non-blank row names the columns. `"auto"` (the default) takes it for a
   * header when a field of it could not stand in a data row (a feature that is not a number,
   * a label that is not one of the classes), or when a label column is given by name.
   */
  header?: boolean | "auto";
  /**
   * The label column(s): a header name or a 0-based index, negative counting from the end.
   * Default `-1`, the last column. Regression may name several (`y` follows this order) or
   * none (`[]`: features only, as in data to predict on).
   */
  label?: string | number | readonly (string | number)[];
  /** What `y` holds: a one-hot class (`"classification"`, the default) or the label values. */
  task?: "classification" | "regression";
  /**
   * Classification only, and required there: a count `k` (labels are integer ids `0..k-1`)
   * or the class names in order (a label's text must equal one; `"3"` matches a label `3`).
   */
  classes?: number | readonly string[];
  /** Element type of `x` and `y`. Default `"float32"`. */
  dtype?: DType;
  /** Multiply every feature by this as it is parsed (e.g. `1 / 255` for pixels); default 1. */
  scale?: number;
  /** The field separator, one ASCII character. Default `","`. */
  delimiter?: string;
}

/**
 * Reads samples from CSV bytes. Samples of one input chunk may be views into one shared
 * block: copy what you keep. Cancelling the output cancels the input (closing a file);
 * an input error or a {@linkcode DataError} errors the output once and cancels the input.
 *
 * @example Classes named by a text label
 * ```ts
 * import { csvSamples } from "@fullmatrix/backprop";
 *
 * const csv = "width,height,kind\n1.5,2,cat\n0.5,3,dog\n";
 * const bytes = ReadableStream.from([new TextEncoder().encode(csv)]);
 * const samples = await Array.fromAsync(csvSamples(bytes, { classes: ["cat", "dog"] }));
 * console.assert(samples[1].x[1] === 3 && samples[1].y[1] === 1);
 * ```
 *
 * @example A file, two regression targets picked by name
 * ```ts ignore
 * import { csvSamples } from "@fullmatrix/backprop";
 *
 * const file = await Deno.open("data/houses.csv");
 * const samples = csvSamples(file.readable, {
 *   source: "data/houses.csv",
 *   task: "regression",
 *   label: ["price", "rent"],
 * });
 * for await (const { x, y } of samples) console.log(x.length, y[0], y[1]);
 * ```
 */
export function csvSamples(
  input: ReadableStream<Uint8Array>,
  options: CsvSamplesOptions,
): ReadableStream<Sample> {
  return sampleStream(input, new CsvParser(configure(options, targetOf(options))));
}

/**
 * Finds the class labels of a CSV: the distinct texts of its label column, sorted numerically
 * when all are numbers and by string order otherwise. The result suits `classes` of
 * {@linkcode csvSamples}. Reads the whole input, checking every row as `csvSamples` would.
 *
 * @example
 * ```ts
 * import { discoverClasses } from "@fullmatrix/backprop";
 *
 * const csv = "1,dog\n2,cat\n3,dog\n";
 * const bytes = ReadableStream.from([new TextEncoder().encode(csv)]);
 * const classes = await discoverClasses(bytes, { header: false });
 * console.assert(classes.join() === "cat,dog");
 * ```
 */
export async function discoverClasses(
  input: ReadableStream<Uint8Array>,
  options: Omit<CsvSamplesOptions, "classes" | "task"> = {},
): Promise<string[]> {
  const seen = new Map<string, number>();
  const parser = new CsvParser(configure(options, { kind: "discover", seen }));
  for await (const _sample of readAll(sampleStream(input, parser))) {
    // Only the labels matter; the parser collects them.
  }
  return sortLabels(seen);
}

/** What the label column becomes. `discover` collects label texts with their numeric values. */
type Target =
  | { kind: "regression" }
  | { kind: "ids"; count: number }
  | { kind: "names"; names: readonly string[]; index: Map<string, number> }
  | { kind: "discover"; seen: Map<string, number> };

/** Checked options. */
interface Config {
  source: string;
  header: boolean | "auto";
  labels: readonly (string | number)[];
  dtype: DType;
  scale: number;
  delimiter: number;
  /** Padding besides the space: the tab, unless it is the delimiter. */
  pad: number;
  target: Target;
}

/** The column roles, known once the first row is read. */
interface Layout {
  fields: number;
  /** A feature or regression target: its offset in a sample's slot; a class label: < 0. */
  roles: Int32Array;
  nx: number;
  stride: number;
  /** Rows per block, so that a kept view pins a bounded block. */
  maxRows: number;
}

const LF = 10, CR = 13, TAB = 9, SPACE = 32, QUOTE = 34, PLUS = 43, MINUS = 45, DOT = 46;
const CLASS_ID = -1, CLASS_NAME = -2, LABEL_TEXT = -3;
/** Returned when a row needs more input than the buffer holds; RAGGED: has too few or many fields. */
const INCOMPLETE = -1, RAGGED = -2;
/** Elements per sample block: 256 KiB of float32. */
const BLOCK_ELEMENTS = 1 << 16;
/** Powers of ten a double holds exactly: the fast path is exact only with these. */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

function targetOf(options: CsvSamplesOptions): Target {
  if (options.task === "regression") return { kind: "regression" };
  if (options.task !== undefined && options.task !== "classification") {
    throw new TypeError(`csvSamples: unknown task "${options.task}"`);
  }
  const classes = options.classes;
  if (typeof classes === "number") {
    if (!Number.isInteger(classes) || classes < 1) {
      throw new RangeError(`csvSamples: classes must be a positive integer, got ${classes}`);
    }
    return { kind: "ids", count: classes };
  }
  if (classes === undefined) {
    throw new TypeError(
      "csvSamples: classification needs `classes`, a count or the names (discoverClasses finds them)",
    );
  }
  const index = new Map(classes.map((name, i) => [name, i]));
  if (classes.length === 0 || index.size !== classes.length) {
    throw new RangeError("csvSamples: classes must be distinct names, at least one");
  }
  return { kind: "names", names: classes, index };
}

function configure(options: Omit<CsvSamplesOptions, "classes" | "task">, target: Target): Config {
  const labels = options.label === undefined ? [-1] : [options.label].flat();
  // No label column is allowed for regression: features only, an empty `y` (data to predict on).
  if (labels.length === 0 && target.kind !== "regression") {
    throw new TypeError("csvSamples: classification needs a label column");
  }
  if (target.kind !== "regression" && labels.length > 1) {
    throw new TypeError("csvSamples: classification takes one label column");
  }
  const delimiter = options.delimiter ?? ",";
  const code = delimiter.charCodeAt(0);
  if (delimiter.length !== 1 || code > 127 || [LF, CR, SPACE, QUOTE].includes(code)) {
    throw new TypeError(`csvSamples: delimiter must be one ASCII character, got "${delimiter}"`);
  }
  const dtype = options.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") {
    throw new TypeError(`csvSamples: unknown dtype "${dtype}"`);
  }
  return {
    source: options.source ?? "<stream>",
    header: options.header ?? "auto",
    labels,
    dtype,
    scale: options.scale ?? 1,
    delimiter: code,
    pad: code === TAB ? SPACE : TAB,
    target,
  };
}

/**
 * The pull-driven output: a pull reads input chunks until one completes a sample. Samples
 * parsed before an error are delivered first, then the error.
 */
function sampleStream(
  input: ReadableStream<Uint8Array>,
  parser: CsvParser,
): ReadableStream<Sample> {
  const reader = input.getReader();
  let done = false, failed = false, failure: unknown;
  return new ReadableStream<Sample>({
    async pull(controller): Promise<void> {
      if (failed) throw failure;
      const out: Sample[] = [];
      try {
        while (out.length === 0 && !done) {
          const chunk = await reader.read();
          if (chunk.done) parser.finish(out);
          else parser.push(chunk.value, out);
          done = chunk.done;
        }
      } catch (e) {
        reader.cancel(e).catch(() => {}); // the input may already be errored
        if (out.length === 0) throw e;
        [failed, failure] = [true, e]; // erroring now would drop the samples before it
      }
      for (const sample of out) controller.enqueue(sample);
      if (done) controller.close();
    },
    cancel(reason): Promise<void> {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

function sortLabels(seen: Map<string, number>): string[] {
  const labels = [...seen.keys()];
  const byText = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0;
  if ([...seen.values()].some(Number.isNaN)) return labels.sort(byText);
  return labels.sort((a, b) => seen.get(a)! - seen.get(b)! || byText(a, b));
}

/** The index after the line ending at `p` (LF, CRLF or a lone CR); INCOMPLETE if undecidable. */
function lineEnd(buf: Uint8Array, p: number, end: number, final: boolean): number {
  if (buf[p] === LF) return p + 1;
  if (p + 1 < end) return buf[p + 1] === LF ? p + 2 : p + 1;
  return final ? p + 1 : INCOMPLETE;
}

function nonFinite(text: string): boolean {
  const bare = text.replace(/^[+-]/, "").toLowerCase();
  return bare === "nan" || bare === "inf" || bare === "infinity" ||
    Math.abs(Number(text)) === Infinity;
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, 20).join(", ");
  return names.length > 20 ? `${shown}, … (${names.length} in all)` : shown;
}

/**
 * The byte-level parser. It parses whole rows only: a row cut by the end of a chunk is kept
 * and parsed again once a line ending arrives, so no field state crosses chunks.
 */
class CsvParser {
  private readonly cfg: Config;
  private readonly decoder = new TextDecoder();
  private layout: Layout | null = null;
  private bomChecked = false;
  private rows = 0;
  /** Line of the next row; `at`: line within the current row; `fline`: where a field starts. */
  private line = 1;
  private at = 1;
  private fline = 1;
  private pending = new Uint8Array(0);
  private pendingLength = 0;
  private block: FloatArray = new Float32Array(0);
  private used = 0;
  private capacity = 0;
  /** The last number parsed, NaN when the text is not one. */
  private value = 0;
  /** The column the fast path stopped at. */
  private col = 0;
  /** The content of the last field scanned slowly, and whether it holds `""` escapes. */
  private fs = 0;
  private fe = 0;
  private escaped = false;

  constructor(cfg: Config) {
    this.cfg = cfg;
  }

  /** Parses what `chunk` completes, adding the samples to `out`. */
  push(chunk: Uint8Array, out: Sample[]): void {
    if (this.pendingLength === 0) {
      this.keep(chunk.subarray(this.parse(chunk, 0, chunk.length, false, out)));
    } else {
      this.keep(chunk);
      // A row can only end at a line ending; waiting for one keeps re-parsing linear.
      if (chunk.includes(LF) || chunk.includes(CR)) this.drain(false, out);
    }
  }

  /** Parses the rest at the end of input. */
  finish(out: Sample[]): void {
    this.drain(true, out);
    if (this.rows === 0) throw new DataError("no data rows", { source: this.cfg.source });
  }

  private keep(bytes: Uint8Array): void {
    const needed = this.pendingLength + bytes.length;
    if (needed > this.pending.length) {
      const grown = new Uint8Array(Math.max(needed, 2 * this.pending.length, 4096));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(bytes, this.pendingLength);
    this.pendingLength = needed;
  }

  private drain(final: boolean, out: Sample[]): void {
    const buf = this.pending.subarray(0, this.pendingLength);
    const used = this.parse(buf, 0, buf.length, final, out);
    this.pending.copyWithin(0, used, this.pendingLength);
    this.pendingLength -= used;
  }

  /** Parses the whole rows in `buf[p, end)`; returns where the unparsed rest starts. */
  private parse(buf: Uint8Array, p: number, end: number, final: boolean, out: Sample[]): number {
    if (!this.bomChecked) {
      const bom = [0xef, 0xbb, 0xbf];
      const seen = Math.min(3, end - p);
      const prefix = bom.slice(0, seen).every((b, i) => buf[p + i] === b);
      if (prefix && seen < 3 && !final) return p; // too few bytes to tell yet
      if (prefix && seen === 3) p += 3;
      this.bomChecked = true;
    }
    this.used = this.capacity = 0; // a fresh block: a row retried later must not see stale ones
    for (;;) {
      const q = this.skipPad(buf, p, end);
      if (q === end) return final ? end : p;
      if (buf[q] === LF || buf[q] === CR) {
        const next = lineEnd(buf, q, end, final);
        if (next === INCOMPLETE) return p;
        this.line++;
        p = next;
        continue;
      }
      const next = this.layout
        ? this.row(buf, p, end, final, out)
        : this.firstRow(buf, p, end, final);
      if (next === INCOMPLETE) return p;
      p = next;
    }
  }

  private skipPad(buf: Uint8Array, p: number, end: number): number {
    while (p < end && (buf[p] === SPACE || buf[p] === this.cfg.pad)) p++;
    return p;
  }

  /** Parses one data row into the next slot; returns the index after it, or INCOMPLETE. */
  private row(buf: Uint8Array, start: number, end: number, final: boolean, out: Sample[]): number {
    let next: number;
    try {
      next = this.rowFields(buf, start, end, final, out);
    } catch (e) {
      // A bad field in a row of the wrong length most likely comes from the misalignment.
      if (!(e instanceof DataError)) throw e;
      return this.ragged(buf, start, end, final, e);
    }
    return next === RAGGED ? this.ragged(buf, start, end, final, null) : next;
  }

  /** Parses the fields of a data row; returns the index after it, INCOMPLETE or RAGGED. */
  private rowFields(
    buf: Uint8Array,
    start: number,
    end: number,
    final: boolean,
    out: Sample[],
  ): number {
    const { fields, roles } = this.layout!;
    const delimiter = this.cfg.delimiter;
    const o = this.slot(end - start);
    this.at = this.line;
    let p = start;
    for (let col = 0;;) {
      p = this.plainRun(buf, p, end, o, col);
      col = this.col;
      p = this.field(buf, p, end, final, col + 1, roles[col], o);
      if (p === INCOMPLETE) return INCOMPLETE;
      if (p < end && buf[p] === delimiter) {
        if (++col === fields) return RAGGED;
        p++;
        continue;
      }
      if (col + 1 < fields) return RAGGED;
      const next = p === end ? end : lineEnd(buf, p, end, final);
      if (next !== INCOMPLETE) this.emit(o, out);
      return next;
    }
  }

  /**
   * The fast path: parses plain numbers (`[-]digits[.digits]`, at most 15 digits, so that
   * `m / 10^k` rounds once, as `Number(text)` does) in numeric columns from column `col` on,
   * field after field in one byte loop, into the slot at `o`. Stops at a field it cannot
   * take, the last field included; returns where that field starts and sets `col` to it.
   */
  private plainRun(buf: Uint8Array, p: number, end: number, o: number, col: number): number {
    const { fields, roles } = this.layout!;
    const delimiter = this.cfg.delimiter, block = this.block;
    let role = roles[col], start = p, first = p, m = 0, point = -1, negative = false;
    for (; role >= 0 && p < end; p++) {
      const b = buf[p], d = b - 48;
      if (d >= 0 && d <= 9) {
        m = m * 10 + d;
        continue;
      }
      if (b === delimiter) {
        const digits = point < 0 ? p - first : p - first - 1;
        if (digits < 1 || digits > 15 || col + 1 === fields) break;
        const v = point < 0 ? m : m / POW10[p - point - 1];
        block[o + role] = negative ? -v : v;
        role = roles[++col];
        start = first = p + 1;
        m = 0;
        point = -1;
        negative = false;
      } else if (b === DOT && point < 0) point = p;
      else if (b === MINUS && p === first && !negative) {
        negative = true;
        first = p + 1;
      } else break;
    }
    this.col = col;
    return start;
  }

  /**
   * Parses any field into the slot at `o`: one the fast path declines (the last of a row,
   * padded, with an exponent, quoted, a class label, or bad); returns the index after it, or
   * INCOMPLETE.
   */
  private field(
    buf: Uint8Array,
    p: number,
    end: number,
    final: boolean,
    col: number,
    role: number,
    o: number,
  ): number {
    const { nx } = this.layout!;
    if (role < CLASS_ID) {
      const stop = this.scanField(buf, p, end, final, col);
      if (stop !== INCOMPLETE) this.textLabel(buf, col, o + nx);
      return stop;
    }
    let stop = this.number(buf, p, end);
    if (stop === end && !final) return INCOMPLETE;
    let v = this.value;
    if (v !== v || (stop < end && !this.isFieldEnd(buf[stop]))) {
      stop = this.scanField(buf, p, end, final, col);
      if (stop === INCOMPLETE) return INCOMPLETE;
      v = this.fieldNumber(buf, col, role);
    }
    if (role >= 0) this.block[o + role] = v;
    else this.block[o + nx + this.classId(v, col)] = 1;
    return stop;
  }

  private isFieldEnd(b: number): boolean {
    return b === this.cfg.delimiter || b === LF || b === CR;
  }

  /** The offset of the next sample's slot, starting a block when the last one is full. */
  private slot(remaining: number): number {
    const { fields, stride, maxRows } = this.layout!;
    if (this.used === this.capacity) {
      // A row takes at least 2·fields bytes (a digit and a delimiter or line end per field).
      this.capacity = Math.min(maxRows, Math.floor(remaining / (2 * fields - 1)) + 1);
      const n = this.capacity * stride;
      this.block = this.cfg.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
      this.used = 0;
    }
    return this.used * stride;
  }

  private emit(o: number, out: Sample[]): void {
    const { nx, stride } = this.layout!;
    const scale = this.cfg.scale;
    if (scale !== 1) { for (let i = o; i < o + nx; i++) this.block[i] *= scale; }
    out.push({ x: this.block.subarray(o, o + nx), y: this.block.subarray(o + nx, o + stride) });
    this.used++;
    this.rows++;
    this.line = this.at + 1;
  }

  /**
   * Parses a number at `p` with its padding into `value` (NaN if the text is not a finite
   * number); returns where it stopped. Integers and short decimals are exact in doubles, so
   * `m / 10^k` rounds once, as `Number(text)` does; other texts go to `Number` itself.
   */
  private number(buf: Uint8Array, p: number, end: number): number {
    p = this.skipPad(buf, p, end);
    const start = p;
    const sign = buf[p];
    if (sign === MINUS || sign === PLUS) p++;
    let m = 0, digits = 0, fraction = 0;
    for (; p < end; p++, digits++) {
      const d = buf[p] - 48;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
    }
    if (p < end && buf[p] === DOT) {
      for (p++; p < end; p++, fraction++) {
        const d = buf[p] - 48;
        if (d < 0 || d > 9) break;
        m = m * 10 + d;
      }
    }
    let exponent = 0;
    if (digits + fraction > 0 && p < end && (buf[p] | 32) === 101) {
      p = this.exponent(buf, p + 1, end);
      exponent = this.value;
    }
    if (digits + fraction === 0 || exponent !== exponent) {
      this.value = NaN;
      return p;
    }
    const k = exponent - fraction;
    if (m <= Number.MAX_SAFE_INTEGER && k >= -22 && k <= 22) {
      const v = k < 0 ? m / POW10[-k] : m * POW10[k];
      this.value = sign === MINUS ? -v : v;
    } else {
      const v = Number(this.decoder.decode(buf.subarray(start, p)));
      // A number beyond float32's range would be stored as ±Infinity: refuse it like "1e999".
      this.value = isFinite(this.cfg.dtype === "float32" ? Math.fround(v) : v) ? v : NaN;
    }
    return this.skipPad(buf, p, end);
  }

  /** Parses the exponent digits after `e` into `value` (NaN when there are none). */
  private exponent(buf: Uint8Array, p: number, end: number): number {
    const sign = buf[p];
    if (sign === MINUS || sign === PLUS) p++;
    const first = p;
    let e = 0;
    for (; p < end; p++) {
      const d = buf[p] - 48;
      if (d < 0 || d > 9) break;
      if (e < 1e6) e = e * 10 + d; // beyond, the value is 0 or infinite anyway
    }
    this.value = p === first ? NaN : sign === MINUS ? -e : e;
    return p;
  }

  /**
   * Scans the field at `p`, quoted or not, setting its content `fs..fe` (unquoted: without the
   * padding); returns the index of the delimiter or line ending after it (or `end`).
   */
  private scanField(buf: Uint8Array, p: number, end: number, final: boolean, col: number): number {
    this.fline = this.at;
    p = this.skipPad(buf, p, end);
    if (p < end && buf[p] === QUOTE) return this.scanQuoted(buf, p, end, final, col);
    const delimiter = this.cfg.delimiter;
    let q = p;
    for (; q < end; q++) {
      const b = buf[q];
      if (b === delimiter || b === LF || b === CR) break;
      if (b === QUOTE) throw this.error("stray quote in an unquoted field", this.at, col);
    }
    if (q === end && !final) return INCOMPLETE;
    this.fs = p;
    this.fe = q;
    while (this.fe > p && (buf[this.fe - 1] === SPACE || buf[this.fe - 1] === this.cfg.pad)) {
      this.fe--;
    }
    this.escaped = false;
    return q;
  }

  private scanQuoted(buf: Uint8Array, p: number, end: number, final: boolean, col: number): number {
    let q = p + 1;
    this.escaped = false;
    for (;; q++) {
      if (q >= end) {
        if (final) throw this.error("unterminated quote", this.fline, col);
        return INCOMPLETE;
      }
      const b = buf[q];
      if (b === QUOTE) {
        if (q + 1 === end && !final) return INCOMPLETE;
        if (q + 1 === end || buf[q + 1] !== QUOTE) break;
        this.escaped = true;
        q++;
      } else if (b === LF || (b === CR && (q + 1 === end || buf[q + 1] !== LF))) {
        this.at++;
      }
    }
    this.fs = p + 1;
    this.fe = q;
    const r = this.skipPad(buf, q + 1, end);
    if (r === end) return final ? r : INCOMPLETE;
    const b = buf[r];
    if (b !== this.cfg.delimiter && b !== LF && b !== CR) {
      throw this.error("text after a closing quote", this.at, col);
    }
    return r;
  }

  /** The text of the field last scanned. */
  private text(buf: Uint8Array): string {
    const text = this.decoder.decode(buf.subarray(this.fs, this.fe));
    return this.escaped ? text.replaceAll('""', '"') : text;
  }

  /** The number in the field last scanned, NaN if it holds none. */
  private contentNumber(buf: Uint8Array): number {
    if (this.escaped) return NaN;
    return this.number(buf, this.fs, this.fe) === this.fe ? this.value : NaN;
  }

  private fieldNumber(buf: Uint8Array, col: number, role: number): number {
    const v = this.contentNumber(buf);
    if (v === v) return v;
    const text = this.text(buf);
    const reason = text === ""
      ? "empty field"
      : role === CLASS_ID
      ? `not a class id: "${text}" (classes: 0..${this.classCount() - 1})`
      : nonFinite(text)
      ? `non-finite number: "${text}"`
      : this.cfg.dtype === "float32" && !Number.isFinite(Math.fround(Number(text))) &&
          Number.isFinite(Number(text))
      ? `non-finite number: "${text}" (beyond float32's range)`
      : `not a number: "${text}"`;
    throw this.error(reason, this.fline, col);
  }

  private classCount(): number {
    const target = this.cfg.target;
    return target.kind === "ids" ? target.count : 0;
  }

  private classId(v: number, col: number): number {
    const k = this.classCount();
    if (Number.isInteger(v) && v >= 0 && v < k) return v;
    const reason = Number.isInteger(v)
      ? `class id ${v} out of range 0..${k - 1}`
      : `class id ${v} is not an integer`;
    throw this.error(reason, this.at, col);
  }

  /** Records a text label: one-hot at `y` for named classes, or collected when discovering. */
  private textLabel(buf: Uint8Array, col: number, y: number): void {
    const text = this.text(buf);
    if (text === "") throw this.error("empty field", this.fline, col);
    const target = this.cfg.target;
    if (target.kind === "discover") target.seen.set(text, this.contentNumber(buf));
    if (target.kind !== "names") return;
    const id = target.index.get(text);
    if (id === undefined) {
      const reason = `unknown class "${text}" (classes: ${listed(target.names)})`;
      throw this.error(reason, this.fline, col);
    }
    this.block[y + id] = 1;
  }

  /** Reads the first row, setting the layout; returns the index after it if it is a header. */
  private firstRow(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const row = this.readRow(buf, start, end, final);
    if (row === null) return INCOMPLETE;
    const { header, labels } = this.cfg;
    const auto = header === "auto";
    let isHeader = header === true || (auto && labels.some((l) => typeof l === "string"));
    const names = row.fields.map((f) => f.text);
    const labelColumns = this.labelColumns(isHeader ? names : null, names.length);
    this.layout = layoutFor(labelColumns, names.length, this.cfg.target);
    if (auto && !isHeader) isHeader = !this.fitsLayout(row.fields);
    if (!isHeader) return start;
    this.line = row.line;
    return row.next;
  }

  /** Tokenizes a whole row into texts and numbers; null when it is not complete yet. */
  private readRow(
    buf: Uint8Array,
    p: number,
    end: number,
    final: boolean,
  ): { fields: { text: string; value: number }[]; next: number; line: number } | null {
    const fields: { text: string; value: number }[] = [];
    this.at = this.line;
    for (;;) {
      const stop = this.scanField(buf, p, end, final, fields.length + 1);
      if (stop === INCOMPLETE) return null;
      fields.push({ text: this.text(buf), value: this.contentNumber(buf) });
      if (stop < end && buf[stop] === this.cfg.delimiter) {
        p = stop + 1;
        continue;
      }
      const next = stop === end ? end : lineEnd(buf, stop, end, final);
      return next === INCOMPLETE ? null : { fields, next, line: this.at + 1 };
    }
  }

  /**
   * Reports a row with the wrong number of fields, or else `otherwise` (an error found in the
   * row); returns INCOMPLETE when the row is not all there yet.
   */
  private ragged(
    buf: Uint8Array,
    start: number,
    end: number,
    final: boolean,
    otherwise: DataError | null,
  ): number {
    let row;
    try {
      row = this.readRow(buf, start, end, final);
    } catch (quoteError) {
      throw otherwise ?? quoteError;
    }
    if (row === null) return INCOMPLETE;
    const count = row.fields.length, expected = this.layout!.fields;
    if (count === expected && otherwise) throw otherwise;
    const reason = `row has ${count} fields, expected ${expected}`;
    throw this.error(reason, this.at, Math.min(count, expected) + 1);
  }

  /** The indices of the label columns, in the order given. */
  private labelColumns(names: string[] | null, count: number): number[] {
    const columns: number[] = [];
    for (const label of this.cfg.labels) {
      const column = this.labelColumn(label, names, count);
      if (columns.includes(column)) {
        throw this.error(`label column ${column} given twice`, this.line, 0);
      }
      columns.push(column);
    }
    return columns;
  }

  private labelColumn(label: string | number, names: string[] | null, count: number): number {
    if (typeof label === "number") {
      const column = label < 0 ? count + label : label;
      if (Number.isInteger(label) && column >= 0 && column < count) return column;
      throw this.error(`label column ${label} out of range (${count} columns)`, this.line, 0);
    }
    if (names === null) {
      throw this.error(`label column "${label}" needs a header row`, this.line, 0);
    }
    const column = names.indexOf(label);
    if (column >= 0) return column;
    throw this.error(`unknown label column "${label}" (columns: ${listed(names)})`, this.line, 0);
  }

  /** Whether every field of a first row could stand in a data row. */
  private fitsLayout(fields: { text: string; value: number }[]): boolean {
    const { roles } = this.layout!;
    const target = this.cfg.target;
    return fields.every((f, col) =>
      roles[col] >= CLASS_ID
        ? f.value === f.value
        : target.kind !== "names" || target.index.has(f.text)
    );
  }

  private error(reason: string, line: number, column: number): DataError {
    return new DataError(reason, { source: this.cfg.source, line, column });
  }
}

function layoutFor(labelColumns: number[], fields: number, target: Target): Layout {
  const nx = fields - labelColumns.length;
  const ny = target.kind === "regression"
    ? labelColumns.length
    : target.kind === "ids"
    ? target.count
    : target.kind === "names"
    ? target.names.length
    : 0;
  const roles = new Int32Array(fields);
  for (let col = 0, feature = 0; col < fields; col++) {
    const j = labelColumns.indexOf(col);
    roles[col] = j < 0 ? feature++ : labelRole(target, nx + j);
  }
  const stride = nx + ny;
  return { fields, roles, nx, stride, maxRows: Math.max(1, Math.floor(BLOCK_ELEMENTS / stride)) };
}

function labelRole(target: Target, offset: number): number {
  switch (target.kind) {
    case "regression":
      return offset;
    case "ids":
      return CLASS_ID;
    case "names":
      return CLASS_NAME;
    case "discover":
      return LABEL_TEXT;
  }
}
