/**
 * Writes `digits_train.csv` and `digits_test.csv` from the UCI digits set that
 * Debian's `python3-sklearn` ships, split 80/20 after a seeded shuffle, so the
 * committed files can be remade bit for bit:
 *
 *     deno run --allow-read=/usr/lib/python3/dist-packages --allow-write=data data/make_digits.ts
 *
 * @module
 */

import { Random } from "../src/random.ts";

const SOURCE = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
const SEED = 20261126;
const TEST_FRACTION = 0.2;

const file = await Deno.open(SOURCE);
const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip"))).text();
const rows = text.split("\n").filter((line) => line.trim() !== "").map((line) =>
  line.split(",").map((v) => String(Number(v)))
);

// Fisher–Yates with the project's own generator.
const random = new Random(SEED);
for (let i = rows.length - 1; i > 0; i--) {
  const j = random.int(i + 1);
  [rows[i], rows[j]] = [rows[j], rows[i]];
}

const header = [...Array.from({ length: 64 }, (_, i) => `p${Math.floor(i / 8)}${i % 8}`), "label"]
  .join(",");
const nTest = Math.round(rows.length * TEST_FRACTION);
const write = (path: string, part: string[][]) =>
  Deno.writeTextFile(path, [header, ...part.map((r) => r.join(","))].join("\n") + "\n");
await write("data/digits_test.csv", rows.slice(0, nTest));
await write("data/digits_train.csv", rows.slice(nTest));
console.log(`wrote ${rows.length - nTest} training and ${nTest} test samples`);
