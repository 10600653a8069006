/**
 * The CSV parser's fast path (the WebAssembly kernel of `_plain_run.ts`) against plain
 * references: which fields it takes, where it stops, and each value bit for bit (`Object.is`, so
 * −0 is not 0) as `Number(text)` gives it, rounded to the element type. Then the whole parser on
 * random rows of numbers in every form it reads (0 to 17 digits, signs, points, exponents,
 * padding, quotes, CRLF), in chunks split at every byte, and rows with a bad field, whose error
 * must name its line and column.
 */

import assert from "node:assert/strict";
import { DataError } from "../src/errors.ts";
import type { DType } from "../src/kernels/types.ts";
import { Random } from "../src/random.ts";
import { parserFor } from "../src/streams/csv/_options.ts";
import { PlainRun } from "../src/streams/csv/_plain_run.ts";
import type { Sample } from "../src/streams/sample.ts";

const encoder = new TextEncoder();

/** `v` as an element of `dtype` holds it. */
function rounded(v: number, dtype: DType): number {
  return dtype === "float32" ? Math.fround(v) : v;
}

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function digits(rng: Random, count: number): string {
  let s = "";
  for (let i = 0; i < count; i++) s += rng.int(10);
  return s;
}

// The kernel alone

/** A field the fast path may or may not take: mostly plain numbers, short and long. */
function kernelField(rng: Random): string {
  const sign = rng.int(6) === 0 ? "-" : "";
  const whole = digits(rng, rng.int(rng.int(4) === 0 ? 18 : 4));
  const point = rng.int(5) === 0 ? "." + digits(rng, rng.int(6)) : "";
  const odd = rng.int(12) === 0 ? pick(rng, ["e3", " ", '"', "+", "-", ".", "x", "\r"]) : "";
  const text = sign + whole + point;
  return rng.int(2) === 0 ? text + odd : odd + text;
}

/** The plain numbers of the fast path: `[-]digits[.digits]` with 1 to 15 digits. */
function isPlain(text: string): boolean {
  const count = text.replace(/[^0-9]/g, "").length;
  return /^-?[0-9]*\.?[0-9]*$/.test(text) && count >= 1 && count <= 15;
}

/**
 * What the fast path should do with `text` from its start, in the fields before `end`: take each
 * plain number followed by the delimiter, in a column with a slot and not the last, into the slot
 * of its role; stop at the first field it cannot take.
 */
function referenceRun(
  text: string,
  end: number,
  roles: Int32Array,
  delimiter: string,
  dtype: DType,
): { p: number; col: number; values: Map<number, number> } {
  const values = new Map<number, number>();
  let p = 0, col = 0;
  for (;;) {
    const stop = text.indexOf(delimiter, p);
    if (col === roles.length - 1 || roles[col] < 0 || stop < 0 || stop >= end) break;
    const field = text.slice(p, stop);
    if (!isPlain(field)) break;
    values.set(roles[col], rounded(Number(field), dtype));
    p = stop + 1;
    col++;
  }
  return { p, col, values };
}

/** Roles with label columns (negative) and slots that jump, as regression targets do. */
function randomRoles(rng: Random, fields: number): Int32Array {
  const roles = new Int32Array(fields).fill(-1);
  const slots = Array.from({ length: fields }, (_, i) => i);
  for (let col = 0; col < fields; col++) {
    if (rng.int(8) === 0) continue;
    const at = rng.int(4) === 0 ? slots.length - 1 : 0; // mostly in order, now and then the last
    roles[col] = slots.splice(at, 1)[0];
  }
  return roles;
}

function checkRun(
  run: PlainRun,
  text: string,
  end: number,
  roles: Int32Array,
  delimiter: string,
  dtype: DType,
): void {
  const bytes = encoder.encode(text);
  run.forget();
  run.row.fill(NaN);
  const cursor = { p: 0, col: 0 };
  run.run(bytes, end, cursor);
  const expected = referenceRun(text, end, roles, delimiter, dtype);
  const where = `${JSON.stringify(text)} to ${end}`;
  assert.deepEqual(cursor, { p: expected.p, col: expected.col }, where);
  for (let slot = 0; slot < run.row.length; slot++) {
    const want = expected.values.get(slot) ?? NaN;
    assert.ok(Object.is(run.row[slot], want), `${where}: slot ${slot} ${run.row[slot]} ≠ ${want}`);
  }
}

for (const dtype of ["float32", "float64"] as const) {
  Deno.test(`the fast path takes what the script loop took, ${dtype}`, () => {
    const rng = new Random(dtype === "float32" ? 1 : 2);
    for (let i = 0; i < 3000; i++) {
      const delimiter = pick(rng, [",", ",", ";", "\t"]);
      const fields = 1 + rng.int(12);
      const roles = randomRoles(rng, fields);
      const slots = Math.max(0, ...roles) + 1;
      const run = new PlainRun({ fields, roles, stride: slots }, dtype, delimiter.charCodeAt(0));
      const row = Array.from({ length: fields }, () => kernelField(rng)).join(delimiter);
      const text = row + pick(rng, ["\n", "\r\n", ""]);
      checkRun(run, text, text.length, roles, delimiter, dtype);
      if (i % 10 === 0) {
        for (let end = 0; end < text.length; end++) {
          checkRun(run, text, end, roles, delimiter, dtype);
        }
      }
    }
  });
}

Deno.test("the fast path goes on past the bytes it holds at a time, through a long row", () => {
  const rng = new Random(3);
  const fields = 120_000;
  const row = Array.from(
    { length: fields },
    () => kernelField(rng).replace(/[^-.0-9]/g, "") || "7",
  );
  const text = row.join(",") + "\n";
  const roles = Int32Array.from({ length: fields }, (_, i) => i);
  const run = new PlainRun({ fields, roles, stride: fields }, "float64", ",".charCodeAt(0));
  assert.ok(text.length > 2 ** 19);
  checkRun(run, text, text.length, roles, ",", "float64");
});

Deno.test("the fast path stops at a field longer than the bytes it holds at a time", () => {
  const roles = Int32Array.of(0, 1, 2, 3);
  const run = new PlainRun({ fields: 4, roles, stride: 4 }, "float32", ",".charCodeAt(0));
  const long = "1".repeat(2 ** 19);
  for (const text of [`${long},5,6,7\n`, `5,${long},6,7\n`, `${"5,".repeat(70_000)}${long},6\n`]) {
    const fields = text.split(",").length;
    const many = Int32Array.from({ length: fields }, (_, i) => i);
    const wide = new PlainRun({ fields, roles: many, stride: fields }, "float32", 44);
    checkRun(
      fields === 4 ? run : wide,
      text,
      text.length,
      fields === 4 ? roles : many,
      ",",
      "float32",
    );
  }
});

// The whole parser

/** A number in a form the parser reads: optional sign, 0 to 17 digits, point, exponent. */
function numberText(rng: Random): string {
  for (;;) {
    const sign = pick(rng, ["", "", "", "-", "+"]);
    const whole = digits(rng, rng.int(rng.int(3) === 0 ? 18 : 4));
    const fraction = rng.int(4) === 0 ? digits(rng, rng.int(5)) : null;
    if (whole.length + (fraction?.length ?? 0) === 0) continue;
    const exponent = rng.int(8) === 0
      ? pick(rng, ["e", "E"]) + pick(rng, ["", "-", "+"]) + (1 + rng.int(20))
      : "";
    return sign + whole + (fraction === null ? "" : "." + fraction) + exponent;
  }
}

/** The number as a field: padded or quoted now and then. */
function numberField(rng: Random, text: string): string {
  const pad = () => pick(rng, ["", "", "", " ", "  "]);
  const quoted = rng.int(10) === 0 ? `"${pad()}${text}${pad()}"` : text;
  return pad() + quoted + pad();
}

/** Bad fields, and what the error says of each. */
const BAD = ["", "-", ".", "1.2.3", "--1", "1-", "5e", "0x10"].map((text) =>
  [text, text === "" ? "empty field" : `not a number: ${JSON.stringify(text)}`] as const
);

/** Random rows of numbers, as CSV lines and as the values they hold. */
function randomTable(
  rng: Random,
  fields: number,
  rows: number,
): { lines: string[]; values: number[][] } {
  const lines: string[] = [], values: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const texts = Array.from({ length: fields }, () => numberText(rng));
    values.push(texts.map(Number));
    lines.push(texts.map((t) => numberField(rng, t)).join(","));
  }
  return { lines, values };
}

function joinLines(rng: Random, lines: readonly string[]): Uint8Array {
  const ends = lines.map(() => pick(rng, ["\n", "\r\n"]));
  if (rng.int(2) === 0) ends[ends.length - 1] = "";
  return encoder.encode(lines.map((l, i) => l + ends[i]).join(""));
}

/** The samples of `bytes` pushed in the chunks cut at `cuts`. */
function parse(
  bytes: Uint8Array,
  cuts: readonly number[],
  dtype: DType,
  label: readonly number[],
): Sample[] {
  const { parser, done } = parserFor({ task: "regression", label, header: false, dtype });
  const out: Sample[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    parser.push(bytes.subarray(from, cut), out);
    from = cut;
  }
  parser.finish(out);
  done();
  return out;
}

/** The values of a row as samples of a regression with targets `label` hold them. */
function expectedSample(
  row: readonly number[],
  label: readonly number[],
  dtype: DType,
): number[][] {
  const x = row.filter((_, col) => !label.includes(col)).map((v) => rounded(v, dtype));
  const y = label.map((col) => rounded(row[col], dtype));
  return [x, y];
}

function assertSamples(
  samples: Sample[],
  values: number[][],
  label: readonly number[],
  dtype: DType,
  where: string,
): void {
  assert.equal(samples.length, values.length, where);
  samples.forEach((s, r) => {
    const [x, y] = expectedSample(values[r], label, dtype);
    const got = [...s.x, ...s.y], want = [...x, ...y];
    assert.equal(got.length, want.length, where);
    got.forEach((v, i) =>
      assert.ok(Object.is(v, want[i]), `${where}: row ${r}, ${v} ≠ ${want[i]}`)
    );
  });
}

for (const dtype of ["float32", "float64"] as const) {
  Deno.test(`the parser reads every number form as Number does, in any chunks, ${dtype}`, () => {
    const rng = new Random(dtype === "float32" ? 4 : 5);
    for (let i = 0; i < 60; i++) {
      const fields = 2 + rng.int(10);
      const label = [rng.int(fields)];
      if (rng.int(2) === 0 && !label.includes(fields - 1)) label.push(fields - 1);
      const { lines, values } = randomTable(rng, fields, 1 + rng.int(4));
      const bytes = joinLines(rng, lines);
      const where = `case ${i}`;
      assertSamples(parse(bytes, [], dtype, label), values, label, dtype, where);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const samples = parse(bytes, [cut], dtype, label);
        assertSamples(samples, values, label, dtype, `${where} cut at ${cut}`);
      }
    }
  });
}

Deno.test("the parser reads rows of many plain numbers in chunks of any size", () => {
  const rng = new Random(6);
  const { lines, values } = randomTable(rng, 300, 200);
  const bytes = joinLines(rng, lines);
  for (let i = 0; i < 20; i++) {
    const cuts: number[] = [];
    for (let at = rng.int(5000); at < bytes.length; at += 1 + rng.int(5000)) cuts.push(at);
    assertSamples(parse(bytes, cuts, "float32", [299]), values, [299], "float32", `split ${i}`);
  }
});

Deno.test("a bad field among plain numbers is reported at its line and column", () => {
  const rng = new Random(7);
  for (let i = 0; i < 300; i++) {
    const fields = 2 + rng.int(8);
    const { lines } = randomTable(rng, fields, 3);
    const [bad, reason] = pick(rng, BAD);
    const row = rng.int(lines.length), column = rng.int(fields);
    const cells = lines[row].split(",");
    cells[column] = bad;
    lines[row] = cells.join(",");
    const bytes = joinLines(rng, lines);
    const label = [fields - 1];
    const cut = rng.int(bytes.length + 1);
    assert.throws(
      () => parse(bytes, [cut], "float32", label),
      (e: unknown) => {
        assert.ok(e instanceof DataError);
        assert.deepEqual([e.line, e.column, e.reason], [row + 1, column + 1, reason]);
        return true;
      },
    );
  }
});
