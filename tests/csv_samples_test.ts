/**
 * `csvSamples` and `discoverClasses` as a specification: what a CSV row becomes, which CSV
 * dialect is read, how every kind of bad input is reported, and how the stream behaves
 * (pull-driven, cancellable, chunk boundaries anywhere).
 */

import assert from "node:assert/strict";
import { csvSamples, type CsvSamplesOptions, discoverClasses } from "../src/streams/csv_samples.ts";
import { DataError } from "../src/errors.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The bytes in chunks of `size` (whole when `size` is omitted). */
function bytes(text: string, size = Infinity): ReadableStream<Uint8Array> {
  const all = encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += size) chunks.push(all.slice(i, i + size));
  return ReadableStream.from(chunks);
}

type Row = { x: number[]; y: number[] };

async function read(input: ReadableStream<Uint8Array>, options: CsvSamplesOptions): Promise<Row[]> {
  const samples = await Array.fromAsync(csvSamples(input, options));
  return samples.map(({ x, y }) => ({ x: [...x], y: [...y] }));
}

const parse = (text: string, options: CsvSamplesOptions): Promise<Row[]> =>
  read(bytes(text), options);

/** Asserts that reading `text` fails with a DataError at `line:column` for `reason`. */
async function rejectsWith(
  text: string,
  options: CsvSamplesOptions,
  line: number,
  column: number,
  reason: string,
): Promise<void> {
  await assert.rejects(parse(text, { source: "t.csv", ...options }), (e) => {
    assert.ok(e instanceof DataError, `not a DataError: ${e}`);
    assert.equal(e.reason, reason);
    assert.deepEqual([e.line, e.column], [line, column]);
    return true;
  });
}

// What a row becomes

Deno.test("a row: x is every other column in order, y is the one-hot class of the last column", async () => {
  const rows = await parse("a,b,c,label\n1,2,3,0\n4,5,6,2\n", { classes: 3 });
  assert.deepEqual(rows, [
    { x: [1, 2, 3], y: [1, 0, 0] },
    { x: [4, 5, 6], y: [0, 0, 1] },
  ]);
});

Deno.test("header auto: a first row of numbers is data, a first row with a name is a header", async () => {
  assert.equal((await parse("1,2,0\n3,4,1\n", { classes: 2 })).length, 2);
  assert.equal((await parse("x1,2,0\n3,4,1\n", { classes: 2 })).length, 1);
});

Deno.test("header auto: a text label that is a class does not make a header, a label name does", async () => {
  const classes = ["cat", "dog"];
  assert.equal((await parse("1,2,cat\n3,4,dog\n", { classes })).length, 2);
  assert.equal((await parse("w,h,kind\n3,4,dog\n", { classes })).length, 1);
  assert.equal((await parse("1,2,kind\n3,4,dog\n", { classes, label: "kind" })).length, 1);
});

Deno.test("header true skips a numeric first row; header false reads any first row as data", async () => {
  assert.deepEqual(await parse("1,2,0\n3,4,1\n", { classes: 2, header: true }), [
    { x: [3, 4], y: [0, 1] },
  ]);
  await rejectsWith("a,b,label\n1,2,0\n", { classes: 2, header: false }, 1, 1, 'not a number: "a"');
});

Deno.test("label: by header name, by index and by negative index pick the same column", async () => {
  const text = "a,label,b\n1,1,2\n3,0,4\n";
  const expected = [{ x: [1, 2], y: [0, 1] }, { x: [3, 4], y: [1, 0] }];
  assert.deepEqual(await parse(text, { classes: 2, label: "label" }), expected);
  assert.deepEqual(await parse(text, { classes: 2, label: 1 }), expected);
  assert.deepEqual(await parse(text, { classes: 2, label: -2 }), expected);
});

Deno.test("classes by name: the label text, trimmed or quoted, picks the class; numbers match as text", async () => {
  const rows = await parse('1,cat\n2, dog \n3,"bird, small"\n4,7\n', {
    classes: ["cat", "dog", "bird, small", "7"],
  });
  assert.deepEqual(rows.map((r) => r.y.indexOf(1)), [0, 1, 2, 3]);
  assert.deepEqual(rows.map((r) => r.x[0]), [1, 2, 3, 4]);
});

Deno.test("regression: y holds the label columns, in the order given; x the rest", async () => {
  const rows = await parse("t1,a,t2,b\n10,1,20,2\n-1.5,3,2.5,4\n", {
    task: "regression",
    label: ["t2", "t1"],
  });
  assert.deepEqual(rows, [{ x: [1, 2], y: [20, 10] }, { x: [3, 4], y: [2.5, -1.5] }]);
});

Deno.test("dtype: float32 by default, float64 on request", async () => {
  const [s32] = await Array.fromAsync(csvSamples(bytes("0.1,0\n"), { classes: 1 }));
  assert.ok(s32.x instanceof Float32Array && s32.y instanceof Float32Array);
  assert.equal(s32.x[0], Math.fround(0.1));
  const [s64] = await Array.fromAsync(
    csvSamples(bytes("0.1,0\n"), { classes: 1, dtype: "float64" }),
  );
  assert.ok(s64.x instanceof Float64Array && s64.y instanceof Float64Array);
  assert.equal(s64.x[0], 0.1);
});

Deno.test("numbers: every accepted form parses exactly as Number(text) does", async () => {
  const texts = [
    "0",
    "-0",
    "7",
    "-12",
    "+4",
    "00012",
    "0.1",
    "0.2",
    "0.30000000000000004",
    ".5",
    "-.5",
    "5.",
    "123456789012345",
    "1234567890123456",
    "9007199254740993",
    "12345678901234567890",
    "1e-7",
    "1E5",
    "-2.5e-3",
    "0.1e1",
    "123.456e-2",
    "1e22",
    "1e23",
    "9.999999999999999e22",
    "1.7976931348623157e308",
    "4.9e-324",
    "2.2250738585072014e-308",
    "1e-400",
    "  3.25  ",
    "1.00000000000000011102230246251565404236316680908203125",
    "0.000001",
    "-0.0",
  ];
  let seed = 42;
  const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
  for (let i = 0; i < 3000; i++) {
    const digits = Array.from({ length: 1 + random(19) }, () => random(10)).join("");
    const point = random(digits.length + 1);
    const exponent = random(4) === 0 ? `e${random(80) - 40}` : "";
    const sign = random(2) ? "-" : "";
    texts.push(`${sign}${digits.slice(0, point)}.${digits.slice(point)}${exponent}`);
  }
  const csv = texts.map((t) => `${t},0\n`).join("");
  const rows = await parse(csv, { task: "regression", dtype: "float64", header: false });
  for (const [i, text] of texts.entries()) {
    assert.ok(Object.is(rows[i].x[0], Number(text)), `${text}: ${rows[i].x[0]} != ${Number(text)}`);
  }
  // float32 takes the same texts where they fit its range, rounded once more.
  const fit = texts.filter((t) => Number.isFinite(Math.fround(Number(t))));
  const rows32 = await parse(fit.map((t) => `${t},0\n`).join(""), {
    task: "regression",
    header: false,
  });
  for (const [i, text] of fit.entries()) {
    assert.ok(Object.is(rows32[i].x[0], Math.fround(Number(text))), text);
  }
});

Deno.test("numbers beyond float32's range are refused in float32, kept in float64", async () => {
  const csv = "a,b\n1,0\n1e39,0\n";
  await assert.rejects(parse(csv, { task: "regression", source: "big.csv" }), {
    name: "DataError",
    message: 'big.csv:3:1: non-finite number: "1e39" (beyond float32\'s range)',
  });
  assert.deepEqual((await parse(csv, { task: "regression", dtype: "float64" }))[1].x, [1e39]);
});

Deno.test("delimiter: another character, such as ; or a tab", async () => {
  const expected = [{ x: [1.5, 2], y: [0, 1] }];
  assert.deepEqual(await parse("a;b;c\n1.5;2;1\n", { classes: 2, delimiter: ";" }), expected);
  assert.deepEqual(
    await parse("a\tb\tc\n1.5\t 2 \t1\n", { classes: 2, delimiter: "\t" }),
    expected,
  );
});

// The CSV dialect: RFC 4180 and what files really hold

Deno.test("RFC 4180: quoted fields may hold delimiters, doubled quotes and line breaks", async () => {
  const seen = await discoverClasses(
    bytes('x,label\n1,"a,b"\n2,"say ""hi"""\n3,"two\nlines"\n4,plain\n'),
  );
  assert.deepEqual(seen, ["a,b", "plain", 'say "hi"', "two\nlines"]);
});

Deno.test("RFC 4180: a quoted field may be a number", async () => {
  assert.deepEqual(await parse('"1.5", "-2" ,"1"\n', { classes: 2 }), [
    { x: [1.5, -2], y: [0, 1] },
  ]);
});

Deno.test("line endings: LF, CRLF and a missing final newline read alike", async () => {
  const expected = [{ x: [1, 2], y: [1, 0] }, { x: [3, 4], y: [0, 1] }];
  for (const text of ["1,2,0\n3,4,1\n", "1,2,0\r\n3,4,1\r\n", "1,2,0\r\n3,4,1", "1,2,0\n3,4,1"]) {
    assert.deepEqual(await parse(text, { classes: 2 }), expected, JSON.stringify(text));
  }
});

Deno.test("blank lines, whitespace-only lines and a UTF-8 byte order mark are skipped", async () => {
  const rows = await parse("\uFEFF\na,b,c\n\n  \n1,2,0\r\n\t\r\n3,4,1\n\n", { classes: 2 });
  assert.deepEqual(rows, [{ x: [1, 2], y: [1, 0] }, { x: [3, 4], y: [0, 1] }]);
});

Deno.test("chunks: one byte at a time, or any chunk size, gives what the whole input gives", async () => {
  const text =
    '\uFEFFw,"the ""h""",kind\r\n1.25,-3e2,cat\r\n\r\n  \n"4",5,"dog\r\nhouse"\n-0.5, 6 ,cat';
  const options = { classes: ["cat", "dog\r\nhouse"] };
  const whole = await read(bytes(text), options);
  assert.deepEqual(whole, [
    { x: [1.25, -300], y: [1, 0] },
    { x: [4, 5], y: [0, 1] },
    { x: [-0.5, 6], y: [1, 0] },
  ]);
  for (const size of [1, 2, 3, 5, 8, 13]) {
    assert.deepEqual(await read(bytes(text, size), options), whole);
  }
});

Deno.test("chunks: an error is reported at the same place whatever the chunk size", async () => {
  const text = 'a,b\n1,0\n2,"x\ny"\n4,0\n5,oops\n';
  for (const size of [1, 4, Infinity]) {
    await assert.rejects(
      read(bytes(text, size), { classes: ["0", "x\ny"] }),
      /<stream>:6:2: unknown class "oops"/,
    );
  }
});

// Bad input: a DataError at file:line:column

Deno.test("error: a row with too few or too many fields, even where a field of it is bad too", async () => {
  await rejectsWith("1,2,0\n4,x,6,1\n", { classes: 2 }, 2, 4, "row has 4 fields, expected 3");
  await rejectsWith("1,2,0\n4,x\n", { classes: 2 }, 2, 3, "row has 2 fields, expected 3");
  await rejectsWith("a,b,c\n1,2,0\n4,5\n", { classes: 2 }, 3, 3, "row has 2 fields, expected 3");
  await rejectsWith("1,2,0\n4,5,1,1\n", { classes: 2 }, 2, 4, "row has 4 fields, expected 3");
  await rejectsWith("1,2,0\n4,5,1,\n", { classes: 2 }, 2, 4, "row has 4 fields, expected 3");
  await rejectsWith('1,2,0\n"4\n",5,1\n', { classes: 2 }, 2, 1, 'not a number: "4\\n"');
});

Deno.test("error: a field that is not a number, or not a finite one, or empty", async () => {
  await rejectsWith("1,2,0\n1,abc,0\n", { classes: 1 }, 2, 2, 'not a number: "abc"');
  await rejectsWith("1,2,0\n1,2.5.1,0\n", { classes: 1 }, 2, 2, 'not a number: "2.5.1"');
  await rejectsWith("1,2,0\n1,0x10,0\n", { classes: 1 }, 2, 2, 'not a number: "0x10"');
  await rejectsWith("1,2,0\nNaN,2,0\n", { classes: 1 }, 2, 1, 'non-finite number: "NaN"');
  await rejectsWith(
    "1,2,0\n1,-Infinity,0\n",
    { classes: 1 },
    2,
    2,
    'non-finite number: "-Infinity"',
  );
  await rejectsWith("1,2,0\n1,1e999,0\n", { classes: 1 }, 2, 2, 'non-finite number: "1e999"');
  await rejectsWith("1,2,0\n1,,0\n", { classes: 1 }, 2, 2, "empty field");
  await rejectsWith('1,2,0\n1," ",0\n', { classes: 1 }, 2, 2, 'not a number: " "');
});

Deno.test("error: quotes out of place, and a quote left open at the end", async () => {
  await rejectsWith('1,2,0\n1,2"3,0\n', { classes: 1 }, 2, 2, "stray quote in an unquoted field");
  await rejectsWith('1,2,0\n1,"2"3,0\n', { classes: 1 }, 2, 2, "text after a closing quote");
  await rejectsWith('1,2,0\n1,2,"0\n3,4,0\n', { classes: 1 }, 2, 3, "unterminated quote");
});

Deno.test("error: no data rows, for an empty input, blank lines only, or a header only", async () => {
  for (const text of ["", "\n \r\n", "\uFEFF", "a,b,label\n"]) {
    await rejectsWith(text, { classes: 2 }, 0, 0, "no data rows");
  }
});

Deno.test("error: a label column that does not exist, at the line of the first row", async () => {
  await rejectsWith(
    "\na,b,c\n1,2,0\n",
    { classes: 2, label: "d" },
    2,
    0,
    'unknown label column "d" (columns: a, b, c)',
  );
  await rejectsWith(
    "1,2,0\n",
    { classes: 2, label: 3 },
    1,
    0,
    "label column 3 out of range (3 columns)",
  );
  await rejectsWith(
    "1,2,0\n",
    { classes: 2, label: -4 },
    1,
    0,
    "label column -4 out of range (3 columns)",
  );
  await rejectsWith(
    "c,d\n1,0\n",
    { classes: 2, label: "c", header: false },
    1,
    0,
    'label column "c" needs a header row',
  );
});

Deno.test("error: a label that is not one of the classes", async () => {
  const classes = ["a", "b", "c"];
  await rejectsWith("1,a\n2,cat\n", { classes }, 2, 2, 'unknown class "cat" (classes: a, b, c)');
  await rejectsWith("1,a\n2,\n", { classes }, 2, 2, "empty field");
  await rejectsWith("1,0\n2,12\n", { classes: 10 }, 2, 2, "class id 12 out of range 0..9");
  await rejectsWith("1,0\n2,-1\n", { classes: 10 }, 2, 2, "class id -1 out of range 0..9");
  await rejectsWith("1,0\n2,1.5\n", { classes: 10 }, 2, 2, "class id 1.5 is not an integer");
  await rejectsWith("1,0\n2,cat\n", { classes: 10 }, 2, 2, 'not a class id: "cat" (classes: 0..9)');
});

Deno.test("error: the line is the physical line, counting line breaks inside quotes and blank lines", async () => {
  const text = 'a,label\r\n\r\n"1",0\r\n"multi\nline",0\n\n2,1\n3,x\n';
  await assert.rejects(parse(text, { classes: ["0", "1"], label: "label" }), (e) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.message, '<stream>:4:1: not a number: "multi\\nline"');
    return true;
  });
  const classes = ["0", "two\nlines"];
  await rejectsWith(
    'a,label\n1,"two\nlines"\n\n2,0\n3,x\n',
    { classes },
    6,
    2,
    'unknown class "x" (classes: 0, two\nlines)',
  );
});

Deno.test("error: a file's errors name the file", async () => {
  const path = "tests/fixtures/csv/iris_typo.csv";
  const classes = ["setosa", "versicolor", "virginica"];
  const file = await Deno.open(path);
  await assert.rejects(
    Array.fromAsync(csvSamples(file.readable, { source: path, classes })),
    new DataError('unknown class "virginca" (classes: setosa, versicolor, virginica)', {
      source: path,
      line: 6,
      column: 5,
    }),
  );
});

Deno.test("options: classification without classes, or a bad delimiter, is a programming error", () => {
  assert.throws(() => csvSamples(bytes("1,0\n"), {}), TypeError);
  assert.throws(() => csvSamples(bytes("1,0\n"), { classes: 0 }), RangeError);
  assert.throws(() => csvSamples(bytes("1,0\n"), { classes: ["a", "a"] }), RangeError);
  assert.throws(() => csvSamples(bytes("1,0\n"), { classes: 2, label: [0, 1] }), TypeError);
  for (const delimiter of ["", ";;", '"', " ", "\n", "é"]) {
    assert.throws(
      () => csvSamples(bytes("1,0\n"), { classes: 2, delimiter }),
      TypeError,
      delimiter,
    );
  }
});

// The stream: pull-driven, cancellable, failing once

/** An endless input of `rows`-row chunks that counts how many chunks were pulled. */
function countingInput(
  rows: number,
): { input: ReadableStream<Uint8Array>; pulled: () => number; cancelled: unknown[] } {
  let pulled = 0;
  const cancelled: unknown[] = [];
  const chunk = encode("1,2,3,0\n".repeat(rows));
  const input = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(chunk);
    },
    cancel(reason) {
      cancelled.push(reason);
    },
  });
  return { input, pulled: () => pulled, cancelled };
}

Deno.test("backpressure: reading one sample pulls only a bounded number of input chunks", async () => {
  const { input, pulled } = countingInput(10);
  const reader = csvSamples(input, { classes: 2 }).getReader();
  assert.deepEqual([...(await reader.read()).value!.x], [1, 2, 3]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(pulled() <= 3, `pulled ${pulled()} chunks for one sample`);
  for (let i = 0; i < 9; i++) await reader.read(); // the rest of the first chunk: no more input
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(pulled() <= 3, `pulled ${pulled()} chunks for ten samples`);
  await reader.cancel();
});

Deno.test("cancel: cancelling the samples cancels the input, with the same reason", async () => {
  const { input, cancelled } = countingInput(10);
  const samples = csvSamples(input, { classes: 2 });
  const reader = samples.getReader();
  await reader.read();
  await reader.cancel("enough");
  assert.deepEqual(cancelled, ["enough"]);
});

Deno.test("cancel: a file read through csvSamples is closed on cancel (resource sanitizer)", async () => {
  const file = await Deno.open("tests/fixtures/csv/iris_mini.csv");
  const reader = csvSamples(file.readable, { classes: ["setosa", "versicolor", "virginica"] })
    .getReader();
  assert.deepEqual([...(await reader.read()).value!.x], [5.1, 3.5, 1.4, 0.2].map(Math.fround));
  await reader.cancel();
});

Deno.test("errors: the samples before a DataError arrive, then the error, once; the input is cancelled", async () => {
  const cancelled: unknown[] = [];
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encode("1,0\n2,zz\n"));
    },
    cancel(reason) {
      cancelled.push(reason);
    },
  });
  const reader = csvSamples(input, { classes: 2 }).getReader();
  assert.deepEqual([...(await reader.read()).value!.x], [1]);
  const error = await reader.read().then(() => null, (e) => e);
  assert.ok(error instanceof DataError);
  assert.equal(error.message, '<stream>:2:2: not a class id: "zz" (classes: 0..1)');
  assert.deepEqual(cancelled, [error]);
  await assert.rejects(reader.read(), (e) => e === error);
});

Deno.test("errors: an input error reaches the consumer as a DataError naming the line reached, with its cause", async () => {
  const broken = new Error("disk on fire");
  let pulls = 0;
  const input = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulls++ === 0) controller.enqueue(encode("1,0\n2,1\n3,"));
      else controller.error(broken);
    },
  });
  const reader = csvSamples(input, { classes: 2 }).getReader();
  assert.equal((await reader.read()).value!.x[0], 1);
  assert.equal((await reader.read()).value!.x[0], 2);
  await assert.rejects(reader.read(), (e) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.message, "<stream>: reading failed after line 2: disk on fire");
    assert.equal(e.cause, broken);
    return true;
  });
});

Deno.test("a file: a header, CRLF endings and text classes", async () => {
  const path = "tests/fixtures/csv/iris_mini.csv";
  const classes = await discoverClasses((await Deno.open(path)).readable, { source: path });
  assert.deepEqual(classes, ["setosa", "versicolor", "virginica"]);
  const rows = await read((await Deno.open(path)).readable, { source: path, classes });
  assert.equal(rows.length, 4);
  assert.deepEqual(rows[2].x, [6.3, 3.3, 6.0, 2.5].map(Math.fround));
  assert.deepEqual(rows.map((r) => r.y.indexOf(1)), [0, 1, 2, 0]);
});

// discoverClasses

Deno.test("discoverClasses: distinct labels, numbers in numeric order, texts in string order", async () => {
  assert.deepEqual(await discoverClasses(bytes("1,10\n2,9\n3,10\n4,-1\n")), ["-1", "9", "10"]);
  assert.deepEqual(await discoverClasses(bytes("1,b\n2,a\n3,B\n4,10\n5,9\n")), [
    "10",
    "9",
    "B",
    "a",
    "b",
  ]);
  assert.deepEqual(
    await discoverClasses(bytes("kind,x\ncat,1\ndog,2\ncat,3\n"), { label: "kind" }),
    ["cat", "dog"],
  );
});

Deno.test("discoverClasses: bad input is reported as csvSamples reports it", async () => {
  await assert.rejects(
    discoverClasses(bytes("x,label\n1,a\n2\n"), { source: "d.csv" }),
    /^DataError: d.csv:3:2: row has 1 fields, expected 2$/,
  );
  await assert.rejects(discoverClasses(bytes("")), /no data rows/);
});

// Classes found in the same pass, the label column found by name, limits

Deno.test("onClasses: one pass gives labels by first appearance, then the sorted classes and their places", async () => {
  let found: [string[], number[]] | undefined;
  const samples = await Array.fromAsync(
    csvSamples(bytes("x,label\n1,dog\n2,cat\n3,dog\n4,ant\n"), {
      onClasses: (classes, place) => found = [classes, [...place]],
    }),
  );
  assert.deepEqual(samples.map((s) => s.label), [0, 1, 0, 2]);
  assert.ok(samples.every((s) => s.y.length === 0));
  assert.deepEqual(found, [["ant", "cat", "dog"], [2, 1, 0]]);
  await assert.rejects(
    Array.fromAsync(csvSamples(bytes("1,a\n2,b\n3,c\n"), { onClasses: () => {}, maxClasses: 2 })),
    /<stream>:3:2: more than 2 distinct labels/,
  );
});

Deno.test("label by name: a column named label, class, target, species or y (any case) is the default label", async () => {
  for (const name of ["label", "Class", "TARGET", "species", "y"]) {
    const rows = await parse(`a,${name},b\n1,0,2\n3,1,4\n`, { classes: 2 });
    assert.deepEqual(rows, [{ x: [1, 2], y: [1, 0] }, { x: [3, 4], y: [0, 1] }], name);
  }
  // Named classes: a first row whose "y" is a class is data, not a header naming the label.
  assert.equal((await parse("1,2,y\n3,4,n\n", { classes: ["y", "n"] })).length, 2);
});

Deno.test("limits: a row longer than maxLineBytes, however it is chunked, names its line", async () => {
  // A bad field early in it does not change the error: the row is refused for its length.
  const text = `1,0\n2,x${"9".repeat(5000)}0\n3,1\n`;
  for (const size of [text.length, 7, 1000]) {
    const chunks = [];
    for (let i = 0; i < text.length; i += size) chunks.push(encode(text.slice(i, i + size)));
    await assert.rejects(
      Array.fromAsync(csvSamples(ReadableStream.from(chunks), { classes: 2, maxLineBytes: 1024 })),
      (e) => {
        assert.ok(e instanceof DataError);
        assert.equal(
          e.message,
          "<stream>:2: a row longer than 1024 bytes (the maxLineBytes limit)",
        );
        return true;
      },
    );
  }
});

Deno.test("csvSamples: onHeader is told the label columns' names, once, only for a header", async () => {
  const read = async (csv: string, label?: string | number | (string | number)[]) => {
    const told: string[][] = [];
    const bytes = new Blob([csv]).stream();
    const samples = csvSamples(bytes, {
      task: "regression",
      label,
      onHeader: (names) => told.push(names),
    });
    await Array.fromAsync(samples);
    return told;
  };
  assert.deepEqual(await read("y,a,b\n1,2,3\n4,5,6\n"), [["y"]]); // found by its name
  assert.deepEqual(await read("a,b,c\n1,2,3\n", ["c", 0]), [["c", "a"]]); // in `label`'s order
  assert.deepEqual(await read("1,2,3\n4,5,6\n"), []); // no header, nothing to tell
});
