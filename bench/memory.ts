/**
 * Memory stays bounded at any data size: writes CSVs of about 0.2 GB and 2 GB
 * (Fashion-MNIST-shaped synthetic rows: 784 pixels and a label), trains one
 * epoch on each with the data streamed from the file (`--cache-mb 0`), and
 * reports each run's peak resident memory (GNU time's maximum RSS), run as
 * `deno task train` runs it. The larger file may use at most
 * 1.2× the memory of the smaller, compared by the median of `--repeat` runs
 * per size (default 3): one run's peak moves by ±15 MiB with when V8
 * collects, the size of the margin.
 *
 *     deno task bench:memory [--json] [--repeat=N] [--sizes=A,B,…]
 *
 * @module
 */

import { Random } from "../src/random.ts";

const json = Deno.args.includes("--json");
/** File sizes in GB, `--sizes=A,B,…`; the ratio compares the last with the one before it. */
const SIZES_GB = (Deno.args.find((a) => a.startsWith("--sizes="))?.slice(8) ?? "0.2,2").split(",")
  .map(Number);
const LIMIT = 1.2;
const REPEAT = Number(Deno.args.find((a) => a.startsWith("--repeat="))?.slice(9) ?? 3);
const dir = await Deno.makeTempDir({ prefix: "fullmatrix-memory-" });

/** A CSV of about `gb` gigabytes, written in large chunks. */
async function writeCsv(path: string, gb: number): Promise<number> {
  const random = new Random(7);
  const rows: string[] = [];
  for (let r = 0; r < 1000; r++) {
    const pixels = Array.from({ length: 784 }, () => (random.next() < 0.5 ? 0 : random.int(256)));
    rows.push(`${pixels.join(",")},${random.int(10)}\n`);
  }
  const block = new TextEncoder().encode(rows.join(""));
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const header = new TextEncoder().encode(
    Array.from({ length: 784 }, (_, i) => `p${i}`).join(",") + ",label\n",
  );
  await file.write(header);
  let bytes = header.length, count = 0;
  while (bytes < gb * 1e9) {
    for (let at = 0; at < block.length;) at += await file.write(block.subarray(at));
    bytes += block.length;
    count += 1000;
  }
  file.close();
  return count;
}

/** Peak resident memory of one training epoch, as GNU time reports it (`%M`, KiB). */
async function peakRss(path: string): Promise<{ peakMiB: number; seconds: number }> {
  // Through the launcher, as `deno task train` runs; GNU time reports the larger of the two processes.
  const train = [
    "run",
    "--allow-run=deno",
    "cli/launch.ts",
    "train",
    "--data",
    path,
    "--cache-mb",
    "0",
  ];
  const flags = ["--layers", "784,32,10", "--epochs", "1", "--batch", "64", "--json"];
  const started = performance.now();
  const { code, stderr } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "peak-kib %M", "deno", ...train, ...flags],
    stdout: "null",
  }).output();
  const text = new TextDecoder().decode(stderr);
  const peak = /peak-kib (\d+)/.exec(text)?.[1];
  if (code !== 0 || !peak) throw new Error(`training on ${path} failed: ${text}`);
  return { peakMiB: Number(peak) / 1024, seconds: (performance.now() - started) / 1000 };
}

try {
  const results = [];
  for (const gb of SIZES_GB) {
    const path = `${dir}/data-${gb}.csv`;
    const rows = await writeCsv(path, gb);
    const size = (await Deno.stat(path)).size;
    const runs = [];
    for (let i = 0; i < REPEAT; i++) runs.push(await peakRss(path));
    await Deno.remove(path);
    const peaks = runs.map((r) => r.peakMiB).sort((a, b) => a - b);
    const peakMiB = peaks[Math.floor(peaks.length / 2)];
    const seconds = runs.reduce((sum, r) => sum + r.seconds, 0) / runs.length;
    results.push(peakMiB);
    const record = {
      kind: "memory",
      gigabytes: size / 1e9,
      rows,
      peakRssMiB: peakMiB,
      peaksMiB: peaks,
      seconds,
    };
    console.log(
      json
        ? JSON.stringify(record)
        : `${(size / 1e9).toFixed(2)} GB, ${rows} rows: peak RSS ${peakMiB.toFixed(0)} MiB, ` +
          `the median of ${peaks.map((p) => p.toFixed(0)).join(", ")} (${
            seconds.toFixed(1)
          } s a run)`,
    );
  }
  const ratio = results.at(-1)! / results.at(-2)!;
  console.log(
    json
      ? JSON.stringify({ kind: "memory-ratio", ratio, limit: LIMIT })
      : `ratio ${ratio.toFixed(2)} (limit ${LIMIT}): ${ratio <= LIMIT ? "bounded" : "NOT bounded"}`,
  );
  if (!(ratio <= LIMIT)) Deno.exitCode = 1;
} finally {
  await Deno.remove(dir, { recursive: true });
}
