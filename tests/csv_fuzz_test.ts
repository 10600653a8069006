/**
 * `csvSamples` under fuzzing: for any bytes at all, in any chunks, it either gives samples that a
 * simple reference reader agrees with or fails with a `DataError` that names a place, and it
 * finishes quickly. Every case is generated from its own seed, so a failure names the seed that
 * reproduces it.
 */

import assert from "node:assert/strict";
import { csvSamples, type CsvSamplesOptions } from "../src/streams/csv_samples.ts";
import { DataError } from "../src/errors.ts";
import { Random } from "../src/random.ts";
import { withinTime } from "./helpers/within_time.ts";

/** A fuzz case: the bytes, the options, and what the generator knows they hold when valid. */
interface Case {
  bytes: Uint8Array;
  options: CsvSamplesOptions;
  expected?: Row[];
}

type Row = { x: number[]; y: number[] };

/** What reading gives: the samples, or the message of the DataError. */
type Outcome = { rows: Row[] } | { error: string };

/** The longest a case may take, its parse of whole input and of chunks together. */
const TIME_LIMIT_MS = 2000;
const SOURCE = "fuzz.csv";

// The reference reader: the documented dialect, written plainly over one whole string

/** A field as the reference reads it: its content, and whether it holds a `""` escape. */
type Field = { text: string; escaped: boolean };

/** The bytes as a string of one character per byte, so that no decoding hides a byte. */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}

/**
 * The records of `s`: RFC 4180 fields, padding of spaces and `pad` around fields, LF, CRLF or a
 * lone CR ending a line, blank lines and a leading BOM skipped. Null when a quote is misplaced.
 */
function records(s: string, delimiter: string, pad: string): Field[][] | null {
  const isPad = (c: string): boolean => c === " " || c === pad;
  const out: Field[][] = [];
  let i = s.startsWith("\xef\xbb\xbf") ? 3 : 0;
  while (i < s.length) {
    let j = i;
    while (j < s.length && isPad(s[j])) j++;
    if (j === s.length) break;
    if (s[j] === "\r" || s[j] === "\n") {
      i = afterLineEnd(s, j);
      continue;
    }
    const record: Field[] = [];
    for (;;) {
      const read = readField(s, i, delimiter, isPad);
      if (read === null) return null;
      record.push(read.field);
      i = read.next;
      if (s[i] !== delimiter) break;
      i++;
    }
    out.push(record);
    i = afterLineEnd(s, i);
  }
  return out;
}

function afterLineEnd(s: string, i: number): number {
  return s.startsWith("\r\n", i) ? i + 2 : i + 1;
}

function readField(
  s: string,
  i: number,
  delimiter: string,
  isPad: (c: string) => boolean,
): { field: Field; next: number } | null {
  while (i < s.length && isPad(s[i])) i++;
  const ends = (c: string | undefined): boolean =>
    c === undefined || c === delimiter || c === "\r" || c === "\n";
  if (s[i] !== '"') {
    let j = i;
    while (!ends(s[j])) if (s[j++] === '"') return null;
    let e = j;
    while (e > i && isPad(s[e - 1])) e--;
    return { field: { text: s.slice(i, e), escaped: false }, next: j };
  }
  let j = i + 1, escaped = false;
  for (; s[j] !== '"' || s[j + 1] === '"'; j++) {
    if (j >= s.length) return null;
    if (s[j] === '"') [escaped, j] = [true, j + 1];
  }
  const text = s.slice(i + 1, j).replaceAll('""', '"');
  let next = j + 1;
  while (next < s.length && isPad(s[next])) next++;
  return ends(s[next]) ? { field: { text, escaped }, next } : null;
}

/** The number a field holds, or NaN when it holds no finite one. */
function numberOf(field: Field, isPad: (c: string) => boolean): number {
  if (field.escaped) return NaN;
  let [a, b] = [0, field.text.length];
  while (a < b && isPad(field.text[a])) a++;
  while (b > a && isPad(field.text[b - 1])) b--;
  const text = field.text.slice(a, b);
  // Unambiguous, so that a long run of digits cannot backtrack quadratically.
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return NaN;
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}

/**
 * What the reference reads from a case: the samples, `"error"`, or `"either"` where the dialect
 * leaves the answer open (a first row, under `header: "auto"`, with a number that a double holds
 * but float32 does not: a header, or a data row out of range).
 */
function reference(bytes: Uint8Array, options: CsvSamplesOptions): Row[] | "error" | "either" {
  const delimiter = options.delimiter ?? ",", pad = delimiter === "\t" ? " " : "\t";
  const isPad = (c: string): boolean => c === " " || c === pad;
  const all = records(latin1(bytes), delimiter, pad);
  if (all === null || all.length === 0) return "error";
  const fields = all[0].length, label = (options.label ?? -1) as number;
  const column = label < 0 ? fields + label : label;
  if (column < 0 || column >= fields) return "error";
  const store = (options.dtype ?? "float32") === "float32" ? Math.fround : (v: number) => v;
  const first = all[0].map((f) => numberOf(f, isPad));
  let header = options.header;
  if (header === "auto") {
    if (first.some((v) => !Number.isFinite(store(v)) && v === v)) return "either";
    const names = options.classes;
    const fits = (v: number, c: number): boolean =>
      typeof names === "object" && c === column ? names.includes(utf8(all[0][c].text)) : v === v;
    header = !first.every(fits);
  }
  const rows = all.slice(header ? 1 : 0).map((record) => {
    if (record.length !== fields) return null;
    const values = record.map((f) => numberOf(f, isPad));
    const x = values.filter((_, c) => c !== column).map(store);
    const y = labelOf(record[column], values[column], options, store);
    return y !== null && x.every(Number.isFinite) ? { x, y } : null;
  });
  return rows.length > 0 && rows.every((row) => row !== null) ? rows as Row[] : "error";
}

/** The target a label field gives, or null when it gives none. */
function labelOf(
  field: Field,
  value: number,
  options: CsvSamplesOptions,
  store: (v: number) => number,
): number[] | null {
  const classes = options.classes;
  if (classes === undefined) return Number.isFinite(store(value)) ? [store(value)] : null;
  const [count, id] = typeof classes === "number"
    ? [classes, Number.isInteger(value) ? value : -1]
    : [classes.length, classes.indexOf(utf8(field.text))];
  return id >= 0 && id < count ? oneHot(id, count) : null;
}

function utf8(text: string): string {
  return new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0)));
}

function oneHot(id: number, count: number): number[] {
  return Array.from({ length: count }, (_, c) => (c === id ? 1 : 0));
}

// Running csvSamples on a case

/** The bytes in chunks of the given sizes, cycled. */
function chunked(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let i = 0, k = 0; i < bytes.length; i += sizes[k++ % sizes.length]) {
    chunks.push(bytes.slice(i, i + sizes[k % sizes.length]));
  }
  return ReadableStream.from(chunks);
}

/** Reads a case, asserting that any failure is a DataError that names a place well. */
async function outcome(input: ReadableStream<Uint8Array>, c: Case): Promise<Outcome> {
  let samples;
  try {
    samples = await Array.fromAsync(csvSamples(input, { ...c.options, source: SOURCE }));
  } catch (e) {
    assertPlaced(e, c.bytes);
    return { error: e.message };
  }
  const type = (c.options.dtype ?? "float32") === "float32" ? Float32Array : Float64Array;
  assert.ok(samples.every(({ x, y }) => x instanceof type && y instanceof type), "the dtype");
  return { rows: samples.map(({ x, y }) => ({ x: [...x], y: [...y] })) };
}

/** Asserts that `e` is a DataError whose line, column and message agree and fit the input. */
function assertPlaced(e: unknown, bytes: Uint8Array): asserts e is DataError {
  if (!(e instanceof DataError)) throw new Error(`not a DataError: ${e}`, { cause: e });
  assert.equal(e.source, SOURCE);
  assert.ok(Number.isInteger(e.line) && e.line >= 0, `line ${e.line}`);
  assert.ok(Number.isInteger(e.column) && e.column >= 0, `column ${e.column}`);
  const lines = 1 + (latin1(bytes).match(/\r\n|\r|\n/g)?.length ?? 0);
  assert.ok(e.line <= lines, `line ${e.line} of an input of ${lines} lines`);
  const place = e.line === 0 ? SOURCE : `${SOURCE}:${e.line}${e.column > 0 ? `:${e.column}` : ""}`;
  assert.equal(e.message, `${place}: ${e.reason}`);
  assert.ok(e.reason.length > 0, "an empty reason");
  assert.match(e.message, /^.+:\d+(:\d+)?: |^[^:]+: /);
}

/** Asserts the shape of any samples read: one x length, one-hot y, finite values. */
function assertSamples(rows: Row[], options: CsvSamplesOptions): void {
  for (const { x, y } of rows) {
    assert.equal(x.length, rows[0].x.length, "x lengths differ");
    assert.ok([...x, ...y].every(Number.isFinite), `a non-finite value in ${x} → ${y}`);
    if (typeof options.classes === "number") {
      assert.equal(y.length, options.classes);
      assert.deepEqual(y.filter((v) => v !== 0), [1], `y is not one-hot: ${y}`);
    }
  }
}

/**
 * Checks one case: whole and chunked reads agree, samples are well formed, and the reference
 * reader agrees (and, for a valid case, with what the generator wrote).
 */
async function check(c: Case, random: Random, minChunk: number): Promise<void> {
  const whole = await outcome(chunked(c.bytes, [c.bytes.length || 1]), c);
  const sizes = chunkSizes(random, minChunk);
  assert.deepEqual(await outcome(chunked(c.bytes, sizes), c), whole, "chunks changed the result");
  if ("rows" in whole) assertSamples(whole.rows, c.options);
  const expected = reference(c.bytes, c.options);
  if (c.expected) assert.deepEqual(expected, c.expected, "the reference misreads a valid case");
  if (expected === "either") return;
  if (expected === "error") assert.ok("error" in whole, "read what the reference rejects");
  else assert.deepEqual(whole, { rows: expected }, "differs from the reference");
}

/** Chunk sizes: one byte at a time, small, or large. */
function chunkSizes(random: Random, min: number): number[] {
  const most = [1, 16, 4096][random.int(3)];
  return Array.from({ length: 64 }, () => Math.max(min, 1 + random.int(most)));
}

/** Checks the case made by `make` from each seed in turn, each within the time limit. */
async function fuzz(
  seeds: number,
  first: number,
  make: (random: Random) => Case,
  minChunk = 1,
): Promise<void> {
  for (let seed = first; seed < first + seeds; seed++) {
    const random = new Random(seed);
    const c = make(random);
    try {
      await withinTime(() => check(c, random, minChunk), TIME_LIMIT_MS);
    } catch (e) {
      const text = JSON.stringify(latin1(c.bytes.subarray(0, 300)));
      const more = c.bytes.length > 300 ? ` … (${c.bytes.length} bytes)` : "";
      const reproduce = `seed ${seed}, options ${JSON.stringify(c.options)}, input ${text}${more}`;
      throw new Error(`${reproduce}\n${e instanceof Error ? e.message : e}`, { cause: e });
    }
  }
}

// Generating cases

const encoder = new TextEncoder();

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(items.length)];
}

function digits(random: Random, n: number): string {
  return Array.from({ length: n }, () => random.int(10)).join("");
}

/** A number in one of the accepted forms, within float32 range. */
function numberText(random: Random): string {
  const sign = pick(random, ["", "", "-", "+"]);
  const forms = [
    () => String(random.int(1000)),
    () => `${digits(random, 1 + random.int(3))}.${digits(random, 1 + random.int(6))}`,
    () => `.${digits(random, 1 + random.int(4))}`,
    () => `${digits(random, 1 + random.int(3))}.`,
    () => `${digits(random, 1 + random.int(4))}${pick(random, ["e", "E"])}-${random.int(40)}`,
    () => `${digits(random, 1 + random.int(3))}e${pick(random, ["", "+"])}${random.int(30)}`,
    () => digits(random, 16 + random.int(10)),
    () => `${digits(random, 1)}.${digits(random, 15 + random.int(10))}`,
  ];
  return sign + pick(random, forms)();
}

/** A class id `id` in one of the forms that read as that integer. */
function classText(random: Random, id: number): string {
  return pick(random, [`${id}`, `${id}`, `+${id}`, `${id}.0`, `${id}e0`, `0${id}`]);
}

const NAMES = ["a", "width", "größe", "数", "😀", "x y", "a,b", 'say "hi"', "", "x\ny"];
const CLASS_NAMES = [
  "cat",
  "dog",
  "0",
  "1",
  "größe",
  "数",
  "😀",
  "a,b",
  'say "hi"',
  "x\ny",
  "t w o",
];

/**
 * A field: quoted when it must be or by chance, with padding by chance, inside the quotes too
 * when `numeric` (a number reads through it there, a text does not).
 */
function fieldText(random: Random, text: string, pad: string, numeric: boolean): string {
  const padding = (): string => (random.int(5) === 0 ? pick(random, [" ", pad, "  "]) : "");
  const inner = (): string => (numeric ? padding() : "");
  const special = text === "" || /[",\r\n;\t]/.test(text); // "" keeps a lone field from a blank line
  if (special || random.int(10) === 0) {
    return `${padding()}"${inner()}${text.replaceAll('"', '""')}${inner()}"${padding()}`;
  }
  return `${padding()}${text}${padding()}`;
}

/** Options for a case: the task, the label column, the header, dtype and delimiter. */
function optionsFor(random: Random, fields: number): CsvSamplesOptions {
  const label = random.int(3) === 0 ? random.int(2 * fields) - fields : -1;
  const options: CsvSamplesOptions = {
    header: pick(random, [true, false, "auto"] as const),
    label,
    dtype: pick(random, ["float32", "float64"] as const),
    delimiter: pick(random, [",", ",", ",", ";", "\t"]),
  };
  const task = random.int(10);
  if (task < 5) options.classes = 1 + random.int(12);
  else if (task < 7) options.classes = CLASS_NAMES.slice(random.int(CLASS_NAMES.length - 1));
  else options.task = "regression";
  return options;
}

/** A valid CSV with what it holds: BOM, header, blank lines and mixed line endings by chance. */
function validCase(random: Random): Case {
  const fields = 1 + random.int(7);
  const options = optionsFor(random, fields);
  const delimiter = options.delimiter!, pad = delimiter === "\t" ? " " : "\t";
  const label = options.label as number, column = label < 0 ? fields + label : label;
  const ending = (): string => pick(random, lineEndings);
  const lineEndings = pick(random, [["\n"], ["\r\n"], ["\r"], ["\n", "\r\n", "\r"]]);
  const blanks = delimiter === "\t" ? ["", "  "] : ["", "  ", "\t", " \t "];
  const lines: string[] = [];
  const withHeader = options.header === true || (options.header === "auto" && random.int(2) === 0);
  if (withHeader) {
    const names = Array.from({ length: fields }, () => pick(random, NAMES));
    if (options.header === "auto") names[0] = "name"; // one name that is no number makes it a header
    lines.push(names.map((n) => fieldText(random, n, pad, false)).join(delimiter));
  }
  const expected: Row[] = [];
  for (let r = 1 + random.int(25); r > 0; r--) {
    if (random.int(10) === 0) lines.push(pick(random, blanks));
    const texts = Array.from({ length: fields }, () => numberText(random));
    const row = rowOf(texts, column, options, random);
    expected.push(storeRow(row, options));
    const numeric = (c: number): boolean => c !== column || typeof options.classes !== "object";
    lines.push(texts.map((t, c) => fieldText(random, t, pad, numeric(c))).join(delimiter));
  }
  const bom = random.int(10) === 0 ? "\ufeff" : "";
  const last = lines.length - 1;
  const text = lines.map((l, i) => (i < last || random.int(5) > 0 ? l + ending() : l)).join("");
  return { bytes: encoder.encode(bom + text), options, expected };
}

/** The sample a row of texts must give; for classification, its label text is set to a class. */
function rowOf(texts: string[], column: number, options: CsvSamplesOptions, random: Random): Row {
  const values = texts.map(Number);
  const x = values.filter((_, c) => c !== column);
  const classes = options.classes;
  if (classes === undefined) return { x, y: [values[column]] };
  const count = typeof classes === "number" ? classes : classes.length, id = random.int(count);
  texts[column] = typeof classes === "number" ? classText(random, id) : classes[id];
  return { x, y: oneHot(id, count) };
}

function storeRow(row: Row, options: CsvSamplesOptions): Row {
  if (options.dtype === "float64") return row;
  return { x: row.x.map(Math.fround), y: row.y.map(Math.fround) };
}

/** Texts that break CSV or number parsing in interesting ways. */
const TOKENS = [
  '"',
  '""',
  ",",
  ",,",
  ";",
  "\t",
  " ",
  "\r",
  "\n",
  "\r\n",
  "\ufeff",
  "NaN",
  "Infinity",
  "-Infinity",
  "inf",
  "1e400",
  "-1e400",
  "1e-400",
  "1e39",
  "-3.5e38",
  "3.4028235e38",
  "1e",
  "e5",
  "--1",
  "1.2.3",
  ".",
  "-",
  "+",
  "0x1F",
  "1_000",
  "١٢",
  "\u00a0",
  "é",
  "数",
  "😀",
  "\0",
  "99999999999999999999999",
];

/** A valid case changed one to four times: cut, spliced, given tokens or binary bytes. */
function mutatedCase(random: Random): Case {
  const { bytes, options } = validCase(random);
  let b = [...bytes];
  for (let n = 1 + random.int(4); n > 0; n--) b = mutate(random, b);
  return { bytes: new Uint8Array(b), options };
}

function mutate(random: Random, b: number[]): number[] {
  const at = random.int(b.length + 1);
  const bytesOf = (text: string): number[] => [...encoder.encode(text)];
  const binary = (): number[] => Array.from({ length: 1 + random.int(8) }, () => random.int(256));
  const mutations = [
    () => b.slice(0, at), // truncated
    () => [...b.slice(0, at), ...b.slice(at + 1 + random.int(10))], // a range removed
    () => [...b.slice(0, at), ...binary(), ...b.slice(at)],
    () => [...b.slice(0, at), ...bytesOf(pick(random, TOKENS)), ...b.slice(at)],
    () => [...b.slice(0, at), ...bytesOf(pick(random, TOKENS)), ...b.slice(at + 1)], // replaced
    () => [...b.slice(0, at), ...b.slice(random.int(b.length + 1))], // a part repeated or skipped
  ];
  return pick(random, mutations)();
}

/** A CSV with a line of about 100k characters: many fields, one huge field, or noise. */
function longLineCase(random: Random): Case {
  const n = 100_000;
  const lines = [
    () => Array.from({ length: n / 5 }, () => String(random.int(1000))).join(",") + ",1",
    () => `1${digits(random, n)},0`,
    () => `0.${digits(random, n)},0`,
    () => `"${"ab\n".repeat(n / 3)}",0`,
    () => `${"x".repeat(n)},0`,
    () => latin1(Uint8Array.from({ length: n }, () => random.int(256))),
  ];
  const long = pick(random, lines)();
  const fields = long.split(",").length;
  const row = Array.from({ length: fields }, (_, c) => (c === fields - 1 ? "0" : "1")).join(",");
  const text = pick(random, [`${long}\n${row}\n`, `${row}\n${long}\n${row}`, `${long}`]);
  const options: CsvSamplesOptions = { classes: 2, header: pick(random, [false, "auto"] as const) };
  let b = [...encoder.encode(text)];
  if (random.int(2) === 0) b = mutate(random, b);
  return { bytes: new Uint8Array(b), options };
}

// The properties

Deno.test("fuzz: 5000 generated valid CSVs read, whole or in any chunks, as the reference and the generator say", async () => {
  await fuzz(5000, 0, validCase);
});

Deno.test("fuzz: 6000 mutated CSVs (cut, stray quotes, binary bytes, 1e400, NaN, BOMs, line ends) agree with the reference or fail with a placed DataError", async () => {
  await fuzz(6000, 100_000, mutatedCase);
});

Deno.test("fuzz: 40 CSVs with 100k-character lines are read or rejected within the time limit", async () => {
  // Chunks of 64 bytes or more: a quoted field with many line breaks is re-read per chunk.
  await fuzz(40, 200_000, longLineCase, 64);
});
