/**
 * The benchmark of the seed's speed claim, on Fashion-MNIST (60k samples):
 *
 *     deno task bench [--json] [--quick]
 *
 * All figures come from one run, so their ratios are fair on a noisy machine:
 *   (a) full-matrix vs per-sample backprop, same network and backend;
 *   (b) GFLOP/s of the three products per backend;
 *   (c) one training epoch in samples/s per backend (data in memory, a full seeded
 *       shuffle as the CLI does), the best of three fresh trainings, and ours at its best
 *       against each peer at its best;
 *       IDX and CSV ingestion timed apart (CSV through Deno's file stream and through
 *       the CLI's reader), and one epoch of B end to end from CSV;
 *   (d) the same epochs by two peers at their best (bench/peers/python_fashion.py,
 *       where Debian's python3-torch, python3-numpy and python3-threadpoolctl are
 *       installed): PyTorch, and the seed's method in NumPy float32, each with its
 *       BLAS pool pinned to 1 and to 2 threads, three epochs each, the best kept; and
 *       our/their ratios;
 *   (e) the products of the `blas` backend against NumPy's `cblas_sgemm` on the same
 *       shapes (the same OpenBLAS file: both load the system's), as a ratio;
 *   (f) the CLI as users run it, `deno task train --idx … --epochs 1` for A and B
 *       (plain SGD, as the peers), with and without `--json`, and with `--threads 2`,
 *       against the same peers, the epoch alone and with the reading of the data counted
 *       in, with the whole command's time; and B from the CSV.
 *   (g) where a batch's time goes on `blas` (one thread): its inputs' gather, the products of
 *       the four equations, the element-wise rest, the step, and the epoch's remainder.
 *   (h) what the reading costs a first epoch trained meanwhile (as the CLI does), on `blas`.
 *
 * Every process of the run inherits one environment, so the peers and the `blas`
 * backend run the same BLAS the same way (`OPENBLAS_CORETYPE` and the like are
 * printed with the peers' BLAS kernel).
 *
 * Configurations: A (the seed's / Nielsen's) 784-30-10, sigmoid everywhere,
 * quadratic loss, batch 10, lr 3.0; B (modern) 784-128-64-10, ReLU hidden,
 * softmax + cross-entropy, batch 64, lr 0.1. Plain SGD, inputs in [0, 1].
 *
 * @module
 */

import {
  type ActivationName,
  type BackendName,
  csvSamples,
  idxSamples,
  type LossName,
  type Matrix,
  Network,
  perSampleGradients,
  type Sample,
  SampleCache,
  SGD,
  train,
  type TrainOptions,
} from "../mod.ts";
import { matmul, matmulNT, matmulTN } from "../src/matrix.ts";
import { type Batch, toBatch } from "../src/streams/batches.ts";
import { LastGood } from "../src/streams/_last_good.ts";
import { storageFor } from "../src/kernels/backend.ts";
import { loadBlas } from "../src/kernels/blas.ts";
import { openBytes } from "../cli/data.ts";

const DIR = "/usr/share/datasets/fashion-mnist";
const CSV = "data/fashion_mnist_train.csv";
const json = Deno.args.includes("--json");
const quick = Deno.args.includes("--quick");

interface Config {
  name: "A" | "B";
  sizes: number[];
  activations: ActivationName[];
  loss: LossName;
  batch: number;
  lr: number;
}

const CONFIGS: Config[] = [
  {
    name: "A",
    sizes: [784, 30, 10],
    activations: ["sigmoid", "sigmoid"],
    loss: "quadratic",
    batch: 10,
    lr: 3,
  },
  {
    name: "B",
    sizes: [784, 128, 64, 10],
    activations: ["relu", "relu", "softmax"],
    loss: "cross-entropy",
    batch: 64,
    lr: 0.1,
  },
];
/** Each kernel backend, and the two fastest again on two threads; `blas` where one loads. */
const BACKENDS: { backend: BackendName; threads: number }[] = [
  { backend: "typescript", threads: 1 },
  { backend: "wasm-simd", threads: 1 },
  { backend: "wasm", threads: 1 },
  { backend: "wasm", threads: 2 },
  ...(loadBlas()
    ? [{ backend: "blas" as const, threads: 1 }, { backend: "blas" as const, threads: 2 }]
    : []),
];
const PYTHON = "/usr/bin/python3";

function report(record: Record<string, unknown>, line: string): void {
  console.log(json ? JSON.stringify(record) : line);
}

/** Seconds per call of `f`, the best of a few timed rounds of at least `ms` each. */
function timeIt(f: () => void, ms = quick ? 100 : 300): number {
  f();
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < ms) f(), n++;
    best = Math.min(best, (performance.now() - start) / 1000 / n);
  }
  return best;
}

async function openIdx(prefix: string, scale: number): Promise<ReadableStream<Sample>> {
  const images = `${DIR}/${prefix}-images-idx3-ubyte.gz`,
    labels = `${DIR}/${prefix}-labels-idx1-ubyte.gz`;
  return idxSamples((await Deno.open(images)).readable, (await Deno.open(labels)).readable, {
    scale,
  });
}

async function ingestion(): Promise<SampleCache> {
  let start = performance.now();
  const collected = (await SampleCache.collect(await openIdx("train", 1 / 255)))!;
  const idxSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const images = `${DIR}/train-images-idx3-ubyte.gz`, labels = `${DIR}/train-labels-idx1-ubyte.gz`;
  const open = (path: string) => Deno.open(path).then((f) => f.readable);
  const cache = (await SampleCache.fromIdx(await open(images), await open(labels), {
    scale: 1 / 255,
  }))!;
  const fromIdxSeconds = (performance.now() - start) / 1000;
  report(
    {
      kind: "ingestion",
      format: "idx.gz",
      samples: collected.length,
      seconds: idxSeconds,
      fromIdxSeconds,
    },
    `ingestion: IDX (gzip) ${collected.length} samples: collect(idxSamples(…)) ${
      idxSeconds.toFixed(2)
    } s, SampleCache.fromIdx ${fromIdxSeconds.toFixed(2)} s`,
  );
  if (await Deno.stat(CSV).then(() => true, () => false)) {
    // Through Deno's own file stream, and through the CLI's reader (256 KiB reads, one ahead);
    // best of three rounds, the two alternating.
    const readers: [string, () => Promise<ReadableStream<Uint8Array>>][] = [
      ["Deno.open().readable", async () => (await Deno.open(CSV)).readable],
      ["the CLI's reader", () => openBytes(CSV)],
    ];
    const mb = (await Deno.stat(CSV)).size / 1e6;
    const rates = readers.map((): number[] => []);
    for (let round = 0; round < 3; round++) {
      for (const [k, [, open]] of readers.entries()) {
        start = performance.now();
        for await (const _ of csvSamples(await open(), { classes: 10, scale: 1 / 255 })) {
          // Only the parse is timed.
        }
        rates[k].push(mb / ((performance.now() - start) / 1000));
      }
    }
    for (const [k, [reader]] of readers.entries()) {
      const best = Math.max(...rates[k]);
      report(
        { kind: "ingestion", format: "csv", reader, mbPerSec: best, rounds: rates[k] },
        `ingestion: CSV via ${reader}, ${mb.toFixed(0)} MB, best of 3: ${best.toFixed(0)} MB/s (${
          rates[k].map((r) => r.toFixed(0)).join(", ")
        })`,
      );
    }
  } else {
    report(
      { kind: "ingestion", format: "csv", skipped: `${CSV} missing: deno task fashion-csv` },
      `ingestion: CSV skipped (${CSV} missing: run deno task fashion-csv)`,
    );
  }
  return cache;
}

/** (b) GFLOP/s of W·A, Wᵀ·δ and δ·Aᵀ for the first layer of a configuration; (e) BLAS vs NumPy's. */
function kernels(c: Config, numpy: Record<string, number> | undefined): void {
  const [n0, n1] = [c.sizes[0], c.sizes[1]], m = c.batch;
  for (const { backend, threads } of BACKENDS) {
    const storage = storageFor(backend, threads);
    const mat = (rows: number, cols: number): Matrix => {
      const data = storage.alloc(rows * cols, "float32");
      for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 1000) / 1000;
      return { rows, cols, data };
    };
    const [W, A, d, Z, back, dW] = [
      mat(n1, n0),
      mat(n0, m),
      mat(n1, m),
      mat(n1, m),
      mat(n0, m),
      mat(n1, n0),
    ];
    const flops = 2 * n0 * n1 * m;
    const rates = {
      "W·A": flops / timeIt(() => matmul(W, A, Z)) / 1e9,
      "Wᵀ·δ": flops / timeIt(() => matmulTN(W, d, back)) / 1e9,
      "δ·Aᵀ": flops / timeIt(() => matmulNT(d, A, dW)) / 1e9,
    };
    const vsNumpy = numpy && backend === "blas" && threads === 1
      ? Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, v / numpy[k]]))
      : undefined;
    report(
      {
        kind: "kernels",
        config: c.name,
        backend: storage.kernels,
        threads,
        shape: [n1, n0, m],
        gflops: rates,
        vsNumpySgemm: vsNumpy,
      },
      `kernels ${c.name} ${n1}×${n0}·${n0}×${m} ${storage.kernels.padEnd(28)} ` +
        Object.entries(rates).map(([k, v]) => `${k} ${v.toFixed(1)}`).join("  ") + " GFLOP/s" +
        (vsNumpy
          ? ` = ${
            Object.values(vsNumpy).map((v) => `${(100 * v).toFixed(0)}%`).join(" ")
          } of NumPy's cblas_sgemm`
          : ""),
    );
    storage.close();
  }
}

/**
 * (g) Where a batch's time goes on `blas`, one thread, timed on the first batches of a shuffled
 * epoch of the cache (cycled: B's 400 batches span 100 MB, so the gather reads from memory as
 * an epoch does): the gather of its inputs into the network's storage, every product of the four
 * equations (all layers, as `batchGradients` calls them), the element-wise rest of
 * `batchGradients`, the SGD step with its copy and check, and what the epoch (`epochRate`,
 * this run's) spends beyond those: its stream, events and loop.
 */
async function split(c: Config, cache: SampleCache, epochRate: number): Promise<void> {
  const net = new Network({ sizes: c.sizes, activations: c.activations, seed: 1, backend: "blas" });
  const batches = (await Array.fromAsync(cache.batches(c.batch, 1))).slice(0, 400);
  let k = 0;
  const next = (): Batch => batches[k++ % batches.length];
  const storage = storageFor("blas", 1);
  const mat = (rows: number, cols: number): Matrix => ({
    rows,
    cols,
    data: storage.alloc(rows * cols, "float32").fill(0.01),
  });
  const m = c.batch, n = c.sizes, L = n.length - 1;
  const xRows = mat(m, n[0]);
  const W = net.layers.map(({ W }) => mat(W.rows, W.cols));
  const [z, delta] = [0, 0].map(() => n.slice(1).map((rows) => mat(rows, m)));
  const dW = W.map(({ rows, cols }) => mat(rows, cols));
  // The products of `batchGradients` on `blas`: X as rows in the first layer's two.
  const products = (): void => {
    matmulNT(W[0], xRows, z[0]);
    for (let l = 1; l < L; l++) matmul(W[l], z[l - 1], z[l]);
    for (let l = L - 1; l >= 0; l--) {
      if (l === 0) matmul(delta[0], xRows, dW[0]);
      else {
        matmulNT(delta[l], z[l - 1], dW[l]);
        matmulTN(W[l], delta[l], delta[l - 1]);
      }
    }
  };
  const grads = net.allocGradients(), lastGood = new LastGood(net);
  const sgd = new SGD({ learningRate: 1e-9 }); // the step's cost, not its effect
  const us = (seconds: number) => seconds * 1e6;
  const t = {
    gather: us(timeIt(() => next().inputs!.write(xRows.data, "rows"))),
    gradients: us(timeIt(() => net.batchGradients(next(), c.loss, grads))),
    products: us(timeIt(products)),
    step: us(timeIt(() => lastGood.step(net.layers, grads, sgd))),
    epoch: 1e6 * c.batch / epochRate,
  };
  const elementWise = t.gradients - t.gather - t.products;
  const rest = t.epoch - t.gradients - t.step;
  net.close();
  storage.close();
  const f = (v: number) => v.toFixed(0);
  report(
    {
      kind: "split",
      config: c.name,
      backend: net.kernels,
      usPerBatch: { ...t, elementWise, rest },
    },
    `split ${c.name} ${net.kernels}, µs a batch of ${m}: batchGradients ${f(t.gradients)} = ` +
      `gather ${f(t.gather)} + products ${f(t.products)} (${
        (100 * t.products / t.gradients).toFixed(0)
      }%) + element-wise ${f(elementWise)}; step and check ${f(t.step)}; the epoch ${
        f(t.epoch)
      } a batch, so ${f(rest)} in its stream, events and loop`,
  );
}

/** The CLI's first epoch while its files are read: batches shuffled within windows of this. */
const WINDOW = 1024;

/**
 * (h) What the reading costs a first epoch trained meanwhile, as the CLI trains it (`blas`, one
 * thread, batches shuffled within windows of {@linkcode WINDOW} samples): the epoch from the
 * filled cache, and from one that a worker fills from the IDX files meanwhile
 * (`SampleCache.fromIdx(…, { worker: true })`, called as the epoch starts), the best of three
 * each; and that run's whole time against the reading alone followed by the first epoch.
 */
async function whileReading(c: Config): Promise<void> {
  const read = () =>
    SampleCache.fromIdx(
      new URL(`file://${DIR}/train-images-idx3-ubyte.gz`),
      new URL(`file://${DIR}/train-labels-idx1-ubyte.gz`),
      { scale: 1 / 255, worker: true },
    ).then((filling) => filling!);
  const windowed = (cache: SampleCache) => ({
    batchData: (epoch: number, size: number) => cache.batches(size, epoch, WINDOW),
  });
  const blas1 = { backend: "blas" as const, threads: 1 };
  const alone = await bestOf(3, async () => {
    const start = performance.now();
    await (await read()).ready;
    return { rate: -(performance.now() - start) / 1000 }; // the shortest is the best
  });
  const filled = await bestOf(3, () => epoch(c, blas1, windowed(cache)));
  const meanwhile = await bestOf(3, async () => {
    const start = performance.now();
    const { rate } = await epoch(c, blas1, windowed(await read()));
    return { rate, seconds: (performance.now() - start) / 1000 };
  });
  const [readSeconds, epochSeconds] = [-alone.rate, cache.length / filled.rate];
  report(
    {
      kind: "while-reading",
      config: c.name,
      readSeconds,
      filledSamplesPerSec: filled.rate,
      whileReadSamplesPerSec: meanwhile.rate,
      whileReadSeconds: meanwhile.seconds,
    },
    `while reading: epoch ${c.name} blas, 1 thread, from the filled cache ${
      Math.round(filled.rate)
    } samples/s, while a worker reads the files ${Math.round(meanwhile.rate)} (${
      (100 * (meanwhile.rate / filled.rate - 1)).toFixed(0)
    }%); reading and epoch together ${meanwhile.seconds.toFixed(2)} s, against ${
      readSeconds.toFixed(2)
    } s reading alone then ${epochSeconds.toFixed(2)} s of epoch`,
  );
}

/** (a) One batch's gradients both ways. */
function fullVsPerSample(c: Config, cache: SampleCache): void {
  const batch = toBatch(Array.from({ length: c.batch }, (_, i) => cache.get(i)));
  for (const { backend, threads } of BACKENDS) {
    const net = new Network({
      sizes: c.sizes,
      activations: c.activations,
      seed: 1,
      backend,
      threads,
    });
    const into = net.allocGradients();
    const full = timeIt(() => net.gradients(batch.x, batch.y, c.loss, into));
    const each = timeIt(() => perSampleGradients(net, batch.x, batch.y, c.loss));
    report(
      {
        kind: "full-vs-per-sample",
        config: c.name,
        backend: net.kernels,
        fullMs: full * 1e3,
        perSampleMs: each * 1e3,
        speedup: each / full,
      },
      `full-matrix vs per-sample ${c.name} ${net.kernels.padEnd(28)} ${
        (each / full).toFixed(1)
      }× ` +
        `(${(full * 1e3).toFixed(3)} ms vs ${(each * 1e3).toFixed(3)} ms per batch of ${c.batch})`,
    );
    net.close();
  }
}

/** (c) One epoch from memory: samples per second. */
async function epoch(
  c: Config,
  { backend, threads }: { backend: BackendName; threads: number },
  source: Pick<TrainOptions, "data" | "batchData">,
): Promise<{ rate: number; loss: number; kernels: string }> {
  const network = new Network({
    sizes: c.sizes,
    activations: c.activations,
    seed: 1,
    backend,
    threads,
  });
  let rate = 0, loss = NaN;
  for await (
    const e of train({
      network,
      loss: c.loss,
      optimizer: new SGD({ learningRate: c.lr }),
      ...source,
      batchSize: c.batch,
      classification: false,
    })
  ) if (e.type === "epoch") [rate, loss] = [e.samplesPerSec, e.trainLoss];
  network.close();
  return { rate, loss, kernels: network.kernels };
}

/**
 * The one of `runs` fresh runs of `once` with the highest `rate`: ours, as the peers' epochs
 * are each the best of three, since one run moves by a third on this machine.
 */
async function bestOf<T extends { rate: number }>(
  runs: number,
  once: () => Promise<T>,
  rate: (run: T) => number = (run) => run.rate,
): Promise<T> {
  let best = await once();
  for (let i = 1; i < runs; i++) {
    const next = await once();
    if (rate(next) > rate(best)) best = next;
  }
  return best;
}

/** The peers' best samples/s per configuration, and NumPy's sgemm GFLOP/s per configuration. */
interface Peers {
  best: Record<string, Record<string, number>>;
  sgemm: Record<string, Record<string, number>>;
}

async function peers(): Promise<Peers> {
  const result: Peers = { best: {}, sgemm: {} };
  const probe = await new Deno.Command(PYTHON, {
    args: ["-c", "import torch, numpy, threadpoolctl"],
    stderr: "null",
  }).output().catch(() => undefined);
  if (!probe?.success) {
    report(
      { kind: "peer", skipped: `${PYTHON} lacks torch, numpy or threadpoolctl` },
      `peers: skipped (${PYTHON} lacks python3-torch, python3-numpy or python3-threadpoolctl)`,
    );
    return result;
  }
  const { stdout } = await new Deno.Command(PYTHON, {
    args: ["bench/peers/python_fashion.py", DIR, "1", "2"],
  }).output();
  for (const line of new TextDecoder().decode(stdout).trim().split("\n")) {
    const r = JSON.parse(line);
    if (r.kind === "peer-info") {
      report(
        r,
        `peers: torch ${r.torch} (built with BLAS_INFO=${r.torchBuild}), numpy ${r.numpy}; BLAS ` +
          r.blas.map((b: Record<string, string>) =>
            `${b.internal_api} ${b.version} ${b.architecture} kernel (${b.filepath})`
          ).join(", ") + `; environment ${JSON.stringify(r.environment)}`,
      );
    } else if (r.kind === "sgemm") {
      result.sgemm[r.config] = r.gflops;
      report(
        r,
        `numpy cblas_sgemm ${r.config} 1 thread: ` +
          Object.entries(r.gflops as Record<string, number>).map(([k, v]) => `${k} ${v.toFixed(1)}`)
            .join("  ") +
          " GFLOP/s",
      );
    } else {
      const best = result.best[r.peer] ??= {};
      best[r.config] = Math.max(best[r.config] ?? 0, r.samplesPerSec);
      report(
        r,
        `${r.peer} ${r.config} ${r.threads} thread(s), BLAS pinned: ${
          Math.round(r.samplesPerSec)
        } samples/s, the best of ${r.rounds.length} epochs (${
          r.rounds.map((v: number) => Math.round(v)).join(", ")
        })`,
      );
    }
  }
  return result;
}

const cache = await ingestion();
const subset = quick ? new SampleCache() : cache;
if (quick) { for (let i = 0; i < 6000; i++) subset.add(cache.get(i)); }
const { best, sgemm } = await peers();
for (const c of CONFIGS) {
  kernels(c, sgemm[c.name]);
  fullVsPerSample(c, cache);
  let ours = { rate: 0, kernels: "" }, blasRate = 0;
  for (const backend of BACKENDS) {
    // A full seeded shuffle of the cache each epoch, as `deno task train` does.
    const { rate, loss, kernels } = await bestOf(
      3,
      () => epoch(c, backend, { batchData: (epoch, size) => subset.batches(size, epoch) }),
    );
    if (rate > ours.rate) ours = { rate, kernels };
    if (backend.backend === "blas" && backend.threads === 1) blasRate = rate;
    const vs = Object.fromEntries(
      Object.entries(best).map(([peer, rates]) => [peer, rate / rates[c.name]]),
    );
    report(
      {
        kind: "epoch",
        config: c.name,
        backend: kernels,
        samples: subset.length,
        samplesPerSec: rate,
        trainLoss: loss,
        vsPeersBest: vs,
      },
      `epoch ${c.name} ${kernels.padEnd(28)} ${Math.round(rate)} samples/s, loss ${
        loss.toFixed(4)
      }` +
        Object.entries(vs).map(([peer, v]) => `, ${v.toFixed(2)}× ${peer}'s best`).join(""),
    );
  }
  if (blasRate > 0) await split(c, cache, blasRate);
  // Ours at its best against each peer at its best, as the peers are compared.
  const vs = Object.entries(best).map(([peer, rates]) => [peer, ours.rate / rates[c.name]]);
  report(
    { kind: "best", config: c.name, backend: ours.kernels, samplesPerSec: ours.rate, vs },
    `best ${c.name}: ours ${Math.round(ours.rate)} samples/s (${ours.kernels})` +
      vs.map(([peer, v]) => `, ${(v as number).toFixed(2)}× ${peer}'s best`).join(""),
  );
}
if (loadBlas()) { for (const c of CONFIGS) await whileReading(c); }
if (await Deno.stat(CSV).then(() => true, () => false)) {
  // As a first script would: Deno's file stream, parsed on this thread; and as the CLI does:
  // its reader, parsed in a worker on the other core while this thread trains.
  const ways: [string, () => Promise<ReadableStream<Uint8Array>>, boolean][] = [
    [
      "Deno.open().readable, parsed on this thread",
      async () => (await Deno.open(CSV)).readable,
      false,
    ],
    ["the CLI's reader, parsed in a worker", () => openBytes(CSV), true],
  ];
  for (const [way, open, worker] of ways) {
    const b = CONFIGS[1];
    const { rate, seconds } = await bestOf(3, async () => {
      const start = performance.now();
      const { rate } = await epoch(b, { backend: "auto", threads: 1 }, {
        data: async () => csvSamples(await open(), { classes: 10, scale: 1 / 255, worker }),
      });
      return { rate, seconds: (performance.now() - start) / 1000 };
    });
    report(
      { kind: "epoch-from-csv", config: "B", way, seconds, samplesPerSec: rate },
      `epoch B end to end from CSV (${way}), best of 3: ${seconds.toFixed(2)} s (${
        Math.round(rate)
      } samples/s)`,
    );
  }
}

/** What one `deno task train` run gave: samples/s, of the epoch and with the reading. */
interface CliRun {
  rate: number;
  withReading: number;
  /** The whole command's seconds, the launcher's and Deno's start included. */
  seconds: number;
}

/**
 * (f) One epoch through `deno task train` (the launcher, its permissions, the cache), with
 * `extra` flags: the epoch's samples/s, the same with the data's reading counted in, and the
 * whole command's seconds; the best of three runs.
 */
async function cli(c: Config, extra: string[], data = ["--idx", DIR]): Promise<CliRun> {
  // Best by the rate with the reading.
  return await bestOf(3, () => cliOnce(c, extra, data), (run) => run.withReading);
}

async function cliOnce(c: Config, extra: string[], data: string[]): Promise<CliRun> {
  const args = ["task", "train", ...data, "--layers", c.sizes.join(","), "--batch"];
  args.push(`${c.batch}`, "--lr", `${c.lr}`, "--momentum", "0", "--epochs", "1");
  if (c.name === "A") args.push("--activation", "sigmoid", "--output", "sigmoid");
  args.push("--loss", c.loss, ...extra);
  const start = performance.now();
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args,
    env: { NO_COLOR: "1" },
  }).output();
  const seconds = (performance.now() - start) / 1000;
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`deno ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  if (extra.includes("--json")) {
    const line = (type: string) =>
      JSON.parse(text.split("\n").find((l) => l.startsWith(`{"type":"${type}"`))!);
    const withReading = line("summary").withReadingSamplesPerSec;
    return { rate: line("epoch").samplesPerSec, withReading, seconds };
  }
  const rate = Number(/(\d+) samples\/s/.exec(text)![1]);
  const withReading = Number(/(\d+) samples\/s with it/.exec(text)![1]);
  return { rate, withReading, seconds };
}

for (const c of CONFIGS) {
  const [plain, withJson, two] = [
    await cli(c, []),
    await cli(c, ["--json"]),
    await cli(c, ["--threads", "2"]),
  ];
  const vs = (rate: number) =>
    Object.entries(best).map(([peer, rates]) =>
      `, ${(rate / rates[c.name]).toFixed(2)}× ${peer}'s best`
    ).join("");
  report(
    {
      kind: "cli",
      config: c.name,
      samplesPerSec: plain.rate,
      withReadingSamplesPerSec: plain.withReading,
      seconds: plain.seconds,
      withJsonSamplesPerSec: withJson.rate,
      twoThreadsSamplesPerSec: two.rate,
      twoThreadsWithReadingSamplesPerSec: two.withReading,
      twoThreadsSeconds: two.seconds,
    },
    `cli ${c.name} deno task train --idx … --epochs 1: epoch ${Math.round(plain.rate)} samples/s${
      vs(plain.rate)
    }; with the reading ${Math.round(plain.withReading)}${vs(plain.withReading)}; whole command ${
      plain.seconds.toFixed(2)
    } s; with --json ${Math.round(withJson.rate)} (${
      jsonCost(withJson.rate, plain.rate)
    }); --threads 2 ${Math.round(two.rate)}, with the reading ${Math.round(two.withReading)}${
      vs(two.withReading)
    }, ${two.seconds.toFixed(2)} s`,
  );
}
if (await Deno.stat(CSV).then(() => true, () => false)) {
  // The CSV scaled as the library's epoch above scales it, so that only the path differs.
  const run = await cli(CONFIGS[1], ["--scale", `${1 / 255}`], ["--data", CSV]);
  report(
    {
      kind: "cli-from-csv",
      config: "B",
      samplesPerSec: run.rate,
      withReadingSamplesPerSec: run.withReading,
      seconds: run.seconds,
    },
    `cli B deno task train --data ${CSV} --epochs 1: whole command ${run.seconds.toFixed(2)} s ` +
      `(epoch ${Math.round(run.rate)} samples/s, ${Math.round(run.withReading)} with the reading)`,
  );
}

/** What `--json` cost, in words: `12% slower` or, on a noisy machine, `3% faster`. */
function jsonCost(withJson: number, plain: number): string {
  const cost = Math.round(100 * (1 - withJson / plain));
  return cost >= 0 ? `${cost}% slower` : `${-cost}% faster`;
}
