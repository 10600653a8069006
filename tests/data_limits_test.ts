/**
 * Memory bounded by design: hostile CSVs end, through `deno task train` (whose launcher caps
 * the JS heap at 64 MiB), in one clear `error:` line and exit 1, in bounded time, instead of
 * an out-of-memory crash.
 */

import assert from "node:assert/strict";
import { lines, task } from "./helpers/cli.ts";

/** Generous for a loaded 2-core machine; each case takes well under a second here. */
const LIMIT_MS = 20_000;

/** Writes `parts` to a new temporary CSV, each part `repeat` times (streamed, not held). */
async function tempCsv(parts: [string | Uint8Array, number][]): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  const file = await Deno.open(path, { write: true, truncate: true });
  const encoder = new TextEncoder();
  for (const [part, repeat] of parts) {
    const bytes = typeof part === "string" ? encoder.encode(part) : part;
    for (let i = 0; i < repeat; i++) await file.write(bytes);
  }
  file.close();
  return path;
}

/** Trains on `data`; asserts one error line matching `message`, exit 1, within the limit. */
async function failsClearly(data: string, message: RegExp, extra: string[] = []): Promise<string> {
  const out = await Deno.makeTempDir();
  const ran = await task("train", ["--data", data, "--out", out, "--epochs", "1", ...extra]);
  const errors = lines(ran.stderr);
  assert.equal(ran.code, 1, ran.stderr);
  assert.equal(errors.length, 1, `one line, got:\n${ran.stderr.slice(0, 2000)}`);
  assert.match(errors[0], /^error: /);
  assert.match(errors[0], message);
  assert.ok(ran.ms < LIMIT_MS, `took ${ran.ms} ms`);
  assert.ok(errors[0].length < 400, `a ${errors[0].length}-character message`);
  await Deno.remove(out, { recursive: true });
  return errors[0];
}

const MiB = 2 ** 20;

Deno.test("limits: one 200 MB line is refused at the row limit, naming the line", async () => {
  const path = await tempCsv([["a,b,label\n1,2,0\n", 1], ["1".repeat(MiB), 200]]);
  await failsClearly(path, new RegExp(`^error: ${path}:3: a row longer than 4194304 bytes`));
  await Deno.remove(path);
});

Deno.test("limits: a 10 MB label is refused at the row limit", async () => {
  const path = await tempCsv([["a,b,label\n1,2,", 1], ["x".repeat(MiB), 10], ["\n", 1]]);
  await failsClearly(path, new RegExp(`^error: ${path}:2: a row longer than`));
  await Deno.remove(path);
});

Deno.test("limits: --data /dev/zero ends at the row limit", async () => {
  await failsClearly("/dev/zero", /^error: \/dev\/zero:1: a row longer than 4194304 bytes/);
});

Deno.test("limits: 64 MB of quoted line breaks is refused at the row limit, in linear time", async () => {
  // Re-scanned from its start at each chunk, this once took seconds per 10 MB, then crashed.
  const path = await tempCsv([['a,label\n1,"', 1], ["\n".repeat(MiB), 64]]);
  await failsClearly(path, new RegExp(`^error: ${path}:2: a row longer than`));
  await Deno.remove(path);
});

Deno.test("limits: 100k distinct labels stop at --max-classes, which raises the cap", async () => {
  const rows = Array.from({ length: 100_000 }, (_, i) => `${i % 7},c${i}\n`).join("");
  const path = await tempCsv([["a,label\n", 1], [rows, 1]]);
  await failsClearly(path, /:1002:2: more than 1000 distinct labels.*--max-classes raises the cap/);
  await failsClearly(path, /:1502:2: more than 1500 distinct labels/, ["--max-classes", "1500"]);
  await Deno.remove(path);
});

Deno.test("limits: 1200 classes under a raised cap train through a shuffle buffer of 4096 (labels held as indices)", async () => {
  const rows = Array.from({ length: 6000 }, (_, i) => `${i % 13},${(i * 7) % 11},k${i % 1200}\n`);
  const path = await tempCsv([["a,b,label\n", 1], [rows.join(""), 1]]);
  const out = await Deno.makeTempDir();
  const ran = await task("train", [
    ...["--data", path, "--out", out, "--epochs", "1", "--max-classes", "2000"],
    ...["--cache-mb", "0", "--shuffle-buffer", "4096"],
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /streamed from the file each epoch.*shuffle buffer of 4096/);
  await Deno.remove(out, { recursive: true });
  await Deno.remove(path);
});

Deno.test("limits: a bad field is quoted as a short, escaped excerpt (no raw ESC or NUL)", async () => {
  const path = await tempCsv([["a,label\n1,0\n2,0\n\x1b[31m\x00", 1], ["z".repeat(MiB), 1], [
    ",1\n",
    1,
  ]]);
  const message = await failsClearly(
    path,
    /:4:1: not a number: "\\u001b\[31m\\u0000z+…" \(1048582 characters\)$/,
  );
  assert.ok(![...message].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127));
  await Deno.remove(path);
});
