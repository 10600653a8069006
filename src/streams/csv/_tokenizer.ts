/**
 * The CSV tokenizer: field boundaries, quotes and line endings over raw bytes (RFC 4180, with
 * padding of spaces and one more byte around fields, LF, CRLF or a lone CR ending a line).
 * Every function returns what it found; none keeps state between calls except
 * {@linkcode Carry}, which holds the bytes of a row cut by the end of a chunk.
 *
 * @module
 */

import { parseNumber } from "./_number.ts";
import type { DType } from "../../kernels/types.ts";

export const LF = 10, CR = 13, TAB = 9, SPACE = 32, QUOTE = 34, PLUS = 43, MINUS = 45, DOT = 46;

/** Returned when the bytes end before the answer is known (more input may change it). */
export const INCOMPLETE = -1;

/** The bytes that shape a CSV: the delimiter, and the padding byte besides the space. */
export interface Dialect {
  delimiter: number;
  /** The tab, unless it is the delimiter (then the space alone pads). */
  pad: number;
}

/** A field found by {@linkcode scanField}. */
export interface Field {
  /** Its content `buf[start, end)`: without the quotes, or (unquoted) without the padding. */
  start: number;
  end: number;
  /** Whether the content holds `""` escapes. */
  escaped: boolean;
  /** The index of the delimiter or line ending after it, or the end of the bytes. */
  stop: number;
  /** Line breaks inside it (quoted fields only). */
  lines: number;
  /** What is wrong with it, when something is: the field is then not usable. */
  error?: string;
}

/** The index after the line ending at `p` (LF, CRLF or a lone CR); INCOMPLETE if undecidable. */
export function lineEnd(buf: Uint8Array, p: number, end: number, final: boolean): number {
  if (buf[p] === LF) return p + 1;
  if (p + 1 < end) return buf[p + 1] === LF ? p + 2 : p + 1;
  return final ? p + 1 : INCOMPLETE;
}

/** The index of the first byte at or after `p` that is not padding. */
export function skipPad(buf: Uint8Array, p: number, end: number, pad: number): number {
  while (p < end && (buf[p] === SPACE || buf[p] === pad)) p++;
  return p;
}

/** Whether `b` ends a field. */
export function endsField(b: number, dialect: Dialect): boolean {
  return b === dialect.delimiter || b === LF || b === CR;
}

/**
 * The field at `p`, quoted or not; null when the bytes end before it does (and `final` is
 * false). A field with an error (a stray or unterminated quote) comes back with `error` set.
 */
export function scanField(
  buf: Uint8Array,
  p: number,
  end: number,
  final: boolean,
  dialect: Dialect,
): Field | null {
  p = skipPad(buf, p, end, dialect.pad);
  if (p < end && buf[p] === QUOTE) return scanQuoted(buf, p, end, final, dialect);
  let q = p;
  for (; q < end; q++) {
    const b = buf[q];
    if (b === dialect.delimiter || b === LF || b === CR) break;
    if (b === QUOTE) {
      return {
        start: p,
        end: q,
        escaped: false,
        stop: q,
        lines: 0,
        error: "stray quote in an unquoted field",
      };
    }
  }
  if (q === end && !final) return null;
  let e = q;
  while (e > p && (buf[e - 1] === SPACE || buf[e - 1] === dialect.pad)) e--;
  return { start: p, end: e, escaped: false, stop: q, lines: 0 };
}

function scanQuoted(
  buf: Uint8Array,
  p: number,
  end: number,
  final: boolean,
  dialect: Dialect,
): Field | null {
  let q = p + 1, escaped = false, lines = 0;
  for (;; q++) {
    if (q >= end) {
      if (!final) return null;
      return { start: p + 1, end: q, escaped, stop: q, lines: 0, error: "unterminated quote" };
    }
    const b = buf[q];
    if (b === QUOTE) {
      if (q + 1 === end && !final) return null;
      if (q + 1 === end || buf[q + 1] !== QUOTE) break;
      escaped = true;
      q++;
    } else if (b === LF || (b === CR && (q + 1 === end || buf[q + 1] !== LF))) {
      lines++;
    }
  }
  const r = skipPad(buf, q + 1, end, dialect.pad);
  if (r === end && !final) return null;
  const field = { start: p + 1, end: q, escaped, stop: r, lines };
  if (r < end && !endsField(buf[r], dialect)) {
    return { ...field, error: "text after a closing quote" };
  }
  return field;
}

const decoder = new TextDecoder();

/** The text of a field, its `""` escapes undone. */
export function fieldText(buf: Uint8Array, field: Field): string {
  const text = decoder.decode(buf.subarray(field.start, field.end));
  return field.escaped ? text.replaceAll('""', '"') : text;
}

/** The number a field holds (NaN if none: an escaped field never holds one). */
export function fieldNumber(buf: Uint8Array, field: Field, dialect: Dialect, dtype: DType): number {
  return field.escaped ? NaN : parseNumber(buf, field.start, field.end, dialect.pad, dtype);
}

/** A whole row as texts and numbers, from {@linkcode readRow}. */
export interface Row {
  fields: { text: string; value: number }[];
  /** The index after the row and its line ending. */
  next: number;
  /** Line breaks inside its quoted fields. */
  lines: number;
}

/** A bad field met by {@linkcode readRow}: what is wrong, on which line of the row, which column. */
export interface RowError {
  error: string;
  lines: number;
  column: number;
}

/** Tokenizes the row at `p`; null when it is not complete yet. */
export function readRow(
  buf: Uint8Array,
  p: number,
  end: number,
  final: boolean,
  dialect: Dialect,
  dtype: DType,
): Row | RowError | null {
  const fields: { text: string; value: number }[] = [];
  let lines = 0;
  for (;;) {
    const field = scanField(buf, p, end, final, dialect);
    if (field === null) return null;
    if (field.error) {
      // An unterminated quote is reported where the field starts, others where they are.
      const at = field.error === "unterminated quote" ? lines : lines + field.lines;
      return { error: field.error, lines: at, column: fields.length + 1 };
    }
    lines += field.lines;
    fields.push({ text: fieldText(buf, field), value: fieldNumber(buf, field, dialect, dtype) });
    const stop = field.stop;
    if (stop < end && buf[stop] === dialect.delimiter) {
      p = stop + 1;
      continue;
    }
    const next = stop === end ? end : lineEnd(buf, stop, end, final);
    return next === INCOMPLETE ? null : { fields, next, lines };
  }
}

/** How long a row may be by default: far beyond real data, far below what exhausts memory. */
export const MAX_LINE_BYTES = 4 * 2 ** 20;

/**
 * The bytes of a row cut by the end of a chunk, kept until a chunk completes it. A row can be
 * complete only once a line ending outside quotes has arrived, which this looks for in the new
 * bytes only (a quote toggles "inside quotes"; `""` toggles twice): so a field spanning many
 * chunks is not re-parsed from its start at each one. The search uses the native `indexOf`:
 * a byte loop in script here cost a quarter of the CSV throughput.
 */
export class Carry {
  #buf = new Uint8Array(0);
  #length = 0;
  /** Bytes searched for a line ending, and whether the search ended inside quotes. */
  #scanned = 0;
  #quoted = false;

  /** The number of bytes held. */
  get length(): number {
    return this.#length;
  }

  /** The bytes held (a view, valid until the next change). */
  get bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }

  /**
   * Appends `chunk`; returns whether the bytes may now hold a whole row: a line ending outside
   * quotes arrived, or the chunk follows a CR (which a LF may have turned into CRLF).
   */
  append(chunk: Uint8Array): boolean {
    const afterCr = this.#length > 0 && this.#buf[this.#length - 1] === CR;
    const needed = this.#length + chunk.length;
    if (needed > this.#buf.length) {
      const grown = new Uint8Array(Math.max(needed, 2 * this.#buf.length, 4096));
      grown.set(this.bytes);
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#length);
    this.#length = needed;
    return this.#search() || afterCr;
  }

  /**
   * Removes the first `n` bytes: whole rows, so their quotes are balanced and the search state
   * holds for the rest; a search that stopped inside them starts over after them.
   */
  drop(n: number): void {
    this.#buf.copyWithin(0, n, this.#length);
    this.#length -= n;
    if (n >= this.#scanned) [this.#scanned, this.#quoted] = [0, false];
    else this.#scanned -= n;
  }

  /**
   * Searches on for a line ending outside quotes; stops after the first one. Each lookup is
   * bounded by the next line ending, so a chunk without quotes or CRs is not scanned whole
   * for them at each row.
   */
  #search(): boolean {
    const buf = this.#buf.subarray(0, this.#length), end = buf.length;
    let p = this.#scanned, quoted = this.#quoted;
    while (p < end) {
      if (quoted) {
        const close = at(buf.indexOf(QUOTE, p), end);
        quoted = close === end;
        p = close + 1;
        continue;
      }
      const lf = at(buf.indexOf(LF, p), end);
      const line = at(buf.subarray(p, lf).indexOf(CR), lf - p) + p;
      const quote = at(buf.subarray(p, line).indexOf(QUOTE), line - p) + p;
      if (quote < line) {
        quoted = true;
        p = quote + 1;
        continue;
      }
      this.#scanned = Math.min(line + 1, end);
      this.#quoted = false;
      return line < end;
    }
    this.#scanned = end;
    this.#quoted = quoted;
    return false;
  }
}

/** An `indexOf` result, with "not found" as `end`. */
function at(index: number, end: number): number {
  return index < 0 ? end : index;
}
