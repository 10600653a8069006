/**
 * CSV rows to samples: whole rows are parsed from the bytes straight into sample blocks, with
 * a fast path for runs of plain numbers (a WebAssembly kernel, {@linkcode PlainRun}). A row cut
 * by the end of a chunk is kept in a {@linkcode Carry} and parsed once a chunk completes it, so
 * no field state crosses chunks.
 *
 * @module
 */

import { DataError } from "../../errors.ts";
import type { FloatArray } from "../../kernels/types.ts";
import { blockRows, floats } from "../_blocks.ts";
import { OneHot } from "../_one_hot.ts";
import type { Sample } from "../sample.ts";
import { PlainRun } from "./_plain_run.ts";
import {
  CLASS_ID,
  CLASS_NAME,
  type Config,
  decideLayout,
  type Layout,
  LayoutError,
  listed,
  oneHotLength,
} from "./_layout.ts";
import {
  Carry,
  CR,
  type Field,
  fieldNumber,
  fieldText,
  INCOMPLETE,
  LF,
  lineEnd,
  readRow,
  type RowError,
  scanField,
  skipPad,
} from "./_tokenizer.ts";
import { excerpt } from "./_excerpt.ts";

/** A row with too few or too many fields. */
const RAGGED = -2;
/** The longest class label taken, in bytes: labels are kept, one per class. */
export const MAX_LABEL_BYTES = 1024;

/** Where the parse of a row stands: the next byte, its column, its line, its class. */
interface Cursor {
  p: number;
  col: number;
  line: number;
  label: number;
}

/** An affine map per element: `v' = (v − offset[i]) · factor[i]`. */
export interface Affine {
  offset: ArrayLike<number>;
  factor: ArrayLike<number>;
}

/** What the parser applies to what it reads. */
export interface Transforms {
  /** To the features: a factor for all, or a map per feature. */
  scale: number | Affine;
  /** To regression targets. */
  targetScale?: Affine;
}

/** The parser of one input, from its first byte to its end. */
export class CsvParser {
  readonly #cfg: Config;
  readonly #transforms: Transforms;
  readonly #carry = new Carry();
  #layout: Layout | null = null;
  #oneHot: OneHot | null = null;
  #bomChecked = false;
  #rows = 0;
  /** The line of the next row. */
  #line = 1;
  #block: FloatArray = new Float32Array(0);
  /** The fast path, made with the layout: a row's values go to its slot, then to the block. */
  #plain: PlainRun | null = null;
  #used = 0;
  #capacity = 0;

  constructor(cfg: Config, transforms: Transforms) {
    this.#cfg = cfg;
    this.#transforms = transforms;
  }

  /** The name of the input, for messages. */
  get source(): string {
    return this.#cfg.source;
  }

  /** The line the parse has reached: where the next row starts. */
  get line(): number {
    return this.#line;
  }

  /** Parses what `chunk` completes, adding the samples to `out`. */
  push(chunk: Uint8Array, out: Sample[]): void {
    if (this.#carry.length === 0) {
      const used = this.#parse(chunk, 0, chunk.length, false, out);
      this.#carry.append(chunk.subarray(used));
    } else if (this.#carry.append(chunk) || this.#carry.length > this.#cfg.maxLineBytes) {
      this.#drain(false, out); // past the limit, this throws
    }
  }

  /** Parses the rest at the end of input. */
  finish(out: Sample[]): void {
    this.#drain(true, out);
    if (this.#rows === 0) throw new DataError("no data rows", { source: this.#cfg.source });
  }

  #drain(final: boolean, out: Sample[]): void {
    const buf = this.#carry.bytes;
    this.#carry.drop(this.#parse(buf, 0, buf.length, final, out));
  }

  /**
   * Parses the whole rows in `buf[p, end)`; returns where the unparsed rest starts. A row is
   * parsed within a window of `maxLineBytes + 1` bytes, so that a row too long is refused the
   * same way whether it came in one chunk or in many.
   */
  #parse(buf: Uint8Array, p: number, end: number, final: boolean, out: Sample[]): number {
    if (!this.#bomChecked) {
      const bom = [0xef, 0xbb, 0xbf];
      const seen = Math.min(3, end - p);
      const prefix = bom.slice(0, seen).every((b, i) => buf[p + i] === b);
      if (prefix && seen < 3 && !final) return p; // too few bytes to tell yet
      if (prefix && seen === 3) p += 3;
      this.#bomChecked = true;
    }
    this.#used = this.#capacity = 0; // a fresh block: a row retried later must not see stale ones
    this.#plain?.forget();
    const { pad, maxLineBytes } = this.#cfg;
    for (;;) {
      const cut = end - p > maxLineBytes, stop = cut ? p + maxLineBytes + 1 : end;
      const q = skipPad(buf, p, stop, pad);
      if (q === stop) {
        if (cut) throw this.#tooLong();
        return final ? end : p;
      }
      if (buf[q] === LF || buf[q] === CR) {
        const next = lineEnd(buf, q, end, final);
        if (next === INCOMPLETE) return p;
        this.#line++;
        p = next;
        continue;
      }
      const whole = final && !cut;
      const next = this.#layout
        ? this.#row(buf, p, stop, whole, out)
        : this.#firstRow(buf, p, stop, whole);
      if (next === INCOMPLETE) {
        if (cut) throw this.#tooLong();
        return p;
      }
      p = next;
    }
  }

  #tooLong(): DataError {
    const reason = `a row longer than ${this.#cfg.maxLineBytes} bytes (the maxLineBytes limit)`;
    return new DataError(reason, { source: this.#cfg.source, line: this.#line });
  }

  /** Reads the first row, deciding the layout; returns the index after it if it is a header. */
  #firstRow(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const row = readRow(buf, start, end, final, this.#cfg, this.#cfg.dtype);
    if (row === null) return INCOMPLETE;
    if ("error" in row) throw this.#rowError(row);
    let decided;
    try {
      decided = decideLayout(this.#cfg, row.fields);
    } catch (e) {
      if (e instanceof LayoutError) throw this.#error(e.message, this.#line, 0);
      throw e;
    }
    this.#layout = decided.layout;
    this.#plain = new PlainRun(decided.layout, this.#cfg.dtype, this.#cfg.delimiter);
    const classes = oneHotLength(this.#cfg.target);
    if (classes > 0) this.#oneHot = new OneHot(classes, this.#cfg.dtype);
    if (!decided.header) return start;
    this.#cfg.onHeader?.(decided.labels.map((column) => row.fields[column].text));
    this.#line += row.lines + 1;
    return row.next;
  }

  /** Parses one data row into the next slot; returns the index after it, or INCOMPLETE. */
  #row(buf: Uint8Array, start: number, end: number, final: boolean, out: Sample[]): number {
    let next: number;
    try {
      next = this.#rowFields(buf, start, end, final, out);
    } catch (e) {
      // A bad field in a row of the wrong length most likely comes from the misalignment.
      if (!(e instanceof DataError)) throw e;
      return this.#ragged(buf, start, end, final, e);
    }
    return next === RAGGED ? this.#ragged(buf, start, end, final, null) : next;
  }

  /** Parses the fields of a data row; returns the index after it, INCOMPLETE or RAGGED. */
  #rowFields(buf: Uint8Array, start: number, end: number, final: boolean, out: Sample[]): number {
    const { fields } = this.#layout!;
    const delimiter = this.#cfg.delimiter;
    const o = this.#slot(end - start);
    const c: Cursor = { p: start, col: 0, line: this.#line, label: -1 };
    for (;;) {
      this.#plain!.run(buf, end, c);
      if (!this.#field(buf, end, final, c)) return INCOMPLETE;
      const p = c.p;
      if (p < end && buf[p] === delimiter) {
        if (++c.col === fields) return RAGGED;
        c.p++;
        continue;
      }
      if (c.col + 1 < fields) return RAGGED;
      const next = p === end ? end : lineEnd(buf, p, end, final);
      if (next !== INCOMPLETE) this.#emit(o, c, out);
      return next;
    }
  }

  /**
   * Parses the field at the cursor, of any form (padded, with an exponent, quoted, a class
   * label, or bad), into the row slot or the cursor's label; moves the cursor past it. False
   * when the bytes end before it does.
   */
  #field(buf: Uint8Array, end: number, final: boolean, c: Cursor): boolean {
    const fline = c.line, column = c.col + 1;
    const field = scanField(buf, c.p, end, final, this.#cfg);
    if (field === null) return false;
    if (field.error) {
      throw this.#error(
        field.error,
        field.error === "unterminated quote" ? fline : fline + field.lines,
        column,
      );
    }
    c.line += field.lines;
    c.p = field.stop;
    const role = this.#layout!.roles[c.col];
    if (role < CLASS_ID) {
      c.label = this.#textLabel(buf, field, role, fline, column);
      return true;
    }
    const v = fieldNumber(buf, field, this.#cfg, this.#cfg.dtype);
    if (v !== v) throw this.#notNumber(buf, field, role, fline, column);
    if (role >= 0) this.#plain!.row[role] = v;
    else c.label = this.#classId(v, c.line, column);
    return true;
  }

  /** The offset of the next sample's slot, starting a block when the last one is full. */
  #slot(remaining: number): number {
    const { fields, stride } = this.#layout!;
    if (this.#used === this.#capacity) {
      // A row takes at least 2·fields bytes (a digit and a delimiter or line end per field).
      this.#capacity = Math.min(blockRows(stride), Math.floor(remaining / (2 * fields - 1)) + 1);
      this.#block = floats(this.#cfg.dtype, this.#capacity * stride);
      this.#used = 0;
    }
    return this.#used * stride;
  }

  #emit(o: number, c: Cursor, out: Sample[]): void {
    const { nx, stride, classified } = this.#layout!;
    const block = this.#block;
    block.set(this.#plain!.row, o);
    const { scale, targetScale } = this.#transforms;
    if (typeof scale === "number") {
      if (scale !== 1) { for (let i = o; i < o + nx; i++) block[i] *= scale; }
    } else {
      const { offset, factor } = scale;
      for (let i = 0; i < nx; i++) block[o + i] = (block[o + i] - offset[i]) * factor[i];
    }
    if (targetScale) {
      const { offset, factor } = targetScale;
      for (let i = nx; i < stride; i++) {
        block[o + i] = (block[o + i] - offset[i - nx]) * factor[i - nx];
      }
    }
    const x = block.subarray(o, o + nx);
    if (!classified) out.push({ x, y: block.subarray(o + nx, o + stride) });
    else {
      const y = this.#oneHot ? this.#oneHot.of(c.label) : block.subarray(0, 0);
      out.push({ x, y, label: c.label });
    }
    this.#used++;
    this.#rows++;
    this.#line = c.line + 1;
  }

  #notNumber(buf: Uint8Array, field: Field, role: number, line: number, column: number): DataError {
    const text = fieldText(buf, field);
    const shown = excerpt(text);
    const number = Number(text);
    const reason = text === ""
      ? "empty field"
      : role === CLASS_ID
      ? `not a class id: ${shown} (classes: 0..${this.#classCount() - 1})`
      : nonFinite(text)
      ? `non-finite number: ${shown}`
      : this.#cfg.dtype === "float32" && !Number.isFinite(Math.fround(number)) &&
          Number.isFinite(number)
      ? `non-finite number: ${shown} (beyond float32's range)`
      : `not a number: ${shown}`;
    return this.#error(reason, line, column);
  }

  #classCount(): number {
    const target = this.#cfg.target;
    return target.kind === "ids" ? target.count : 0;
  }

  #classId(v: number, line: number, column: number): number {
    const k = this.#classCount();
    if (Number.isInteger(v) && v >= 0 && v < k) return v;
    const reason = Number.isInteger(v)
      ? `class id ${v} out of range 0..${k - 1}`
      : `class id ${v} is not an integer`;
    throw this.#error(reason, line, column);
  }

  /** The class of a text label: its index among named classes, or among those found so far. */
  #textLabel(buf: Uint8Array, field: Field, role: number, line: number, column: number): number {
    if (field.end - field.start > MAX_LABEL_BYTES) {
      const reason = `a label of ${field.end - field.start} bytes (at most ${MAX_LABEL_BYTES})`;
      throw this.#error(reason, line, column);
    }
    const text = fieldText(buf, field);
    if (text === "") throw this.#error("empty field", line, column);
    const target = this.#cfg.target;
    if (role === CLASS_NAME && target.kind === "names") {
      const id = target.index.get(text);
      if (id !== undefined) return id;
      const reason = `unknown class ${excerpt(text)} (classes: ${listed(target.names)})`;
      throw this.#error(reason, line, column);
    }
    if (target.kind !== "discover") throw new Error("unreachable: a text label without classes");
    const found = target.classes;
    let id = found.index.get(text);
    if (id === undefined) {
      if (found.names.length === found.max) {
        const reason = `more than ${found.max} distinct labels: the label column may hold ` +
          `values, not classes (regression?); the maxClasses limit raises the cap`;
        throw this.#error(reason, line, column);
      }
      id = found.names.length;
      found.index.set(text, id);
      found.names.push(text);
      found.values.push(fieldNumber(buf, field, this.#cfg, this.#cfg.dtype));
    }
    return id;
  }

  /**
   * Reports a row with the wrong number of fields, or else `otherwise` (an error found in the
   * row); returns INCOMPLETE when the row is not all there yet.
   */
  #ragged(
    buf: Uint8Array,
    start: number,
    end: number,
    final: boolean,
    otherwise: DataError | null,
  ): number {
    const row = readRow(buf, start, end, final, this.#cfg, this.#cfg.dtype);
    if (row === null) return INCOMPLETE;
    if ("error" in row) throw otherwise ?? this.#rowError(row);
    const count = row.fields.length, expected = this.#layout!.fields;
    if (count === expected && otherwise) throw otherwise;
    const reason = `row has ${count} fields, expected ${expected}`;
    throw this.#error(reason, this.#line + row.lines, Math.min(count, expected) + 1);
  }

  #rowError(row: RowError): DataError {
    return this.#error(row.error, this.#line + row.lines, row.column);
  }

  #error(reason: string, line: number, column: number): DataError {
    return new DataError(reason, { source: this.#cfg.source, line, column });
  }
}

function nonFinite(text: string): boolean {
  const bare = text.replace(/^[+-]/, "").toLowerCase();
  return bare === "nan" || bare === "inf" || bare === "infinity" ||
    Math.abs(Number(text)) === Infinity;
}
