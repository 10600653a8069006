/**
 * The train command's data: where samples come from each epoch, and how.
 *
 * The training data is read once before training, in one pass that finds its shape
 * (features, targets, classes), the per-feature statistics the scaling needs, and, when it
 * fits under `--cache-mb`, keeps it parsed in memory. So any source works, a FIFO or
 * `/dev/stdin` included, as long as it fits the cache. Then each epoch is a full seeded
 * shuffle of the cache, with no re-parsing; data too large to cache is read from its file
 * (or URL) again each epoch through a shuffle buffer. `--idx` data needs no statistics (its
 * pixels are scaled by a known factor), so a worker reads it into the cache while the first
 * epoch trains, shuffled within windows. The mode used is reported.
 *
 * A source is a path or an `http://`/`https://` URL (fetched each time it is opened;
 * `Content-Encoding: gzip` is undone by `fetch`, and a gzipped CSV body by magic bytes).
 *
 * @module
 */

import {
  type Batch,
  csvSamples,
  type CsvSamplesOptions,
  DataError,
  epochSeed,
  idxSamples,
  type Sample,
  SampleCache,
  splitValidation,
} from "../mod.ts";
import { type TrainConfig, UsageError } from "./args.ts";
import { pathToFileURL } from "node:url";
import { isUrl } from "./sources.ts";
import { fetchBytes } from "../src/streams/_fetch.ts";
import { type Needs, needsOf, type Stats, statsOf, StatsSum } from "./stats.ts";

/** A per-element map `v' = (v − offset[i]) · factor[i]`. */
export interface Affine {
  offset: number[];
  factor: number[];
}

/**
 * How features (and regression targets) were scaled, as stored with a model: one factor for
 * every feature, or a map per feature plus, for regression, one per target.
 */
export type Scaling = number | (Affine & { targets?: Affine });

/** The data of a run, ready for `train()`. */
export interface Dataset {
  /** Training samples (after a validation split, what is left). */
  samples: number;
  features: number;
  targets: number;
  /** Class names in one-hot order, for classification. */
  classes?: string[];
  /** A regression's target column names, from the training file's header (if it has one). */
  targetNames?: string[];
  /** What was done to the features and targets, computed on the training data. */
  scale: Scaling;
  /** The same in words, e.g. `standardised (mean 0, sd 1, per feature)` or `× 0.0625`. */
  scaling: string;
  /**
   * Factors from scaled to original units for a regression's MSE and MAE (exact for one
   * target; for several, the mean of their factors).
   */
  unscale: { mse: number; mae: number };
  /** How the data flows, in words. */
  mode: string;
  /** Stream mode: opens the training samples of an epoch (read from the file again). */
  train?: (epoch: number) => Promise<ReadableStream<Sample>>;
  /** Cache mode: an epoch as ready mini-batches, fully shuffled (one stream pull per batch). */
  batches?: (epoch: number, size: number) => ReadableStream<Batch>;
  /** A shuffle buffer for `train()`, in stream mode. */
  shuffle?: { seed: number; bufferSize: number };
  /** Opens the validation samples. */
  validation?: () => Promise<ReadableStream<Sample>>;
  /** What the validation data is, in words. */
  validationName?: string;
  /** With a validation split: opens the test file, evaluated once at the end. */
  test?: () => Promise<ReadableStream<Sample>>;
  /** What the test data is, in words. */
  testName?: string;
  /**
   * Seconds the evaluations waited for held-out data still being read, so far: reading, not
   * evaluating (`--idx` reads its test files while the first epoch trains).
   */
  heldOutWaitSeconds?: () => number;
}

/**
 * Bytes a file is read in: four times Deno's default stream chunk. Fashion-MNIST's 133 MB CSV
 * parsed at 133–176 MB/s so against 103–155 MB/s with the default (same loaded 2-core machine,
 * back to back); the parser alone, from memory, runs at 190–300 MB/s. 1 MiB reads were
 * faster in some runs (146–219 MB/s) and not others, and they overflow the 64 MiB heap where
 * rows are short: a chunk's samples are made at once (a test predicts 300,000 short rows).
 */
const READ_BYTES = 1 << 18;

/** Opens a source as bytes; a missing, unreadable or wrong-kind path is named in its error. */
export async function openBytes(path: string): Promise<ReadableStream<Uint8Array>> {
  return (await openSource(path)).bytes;
}

/** An opened source, and whether it can be opened again for another epoch. */
interface Opened {
  bytes: ReadableStream<Uint8Array>;
  once: boolean;
}

async function openSource(path: string): Promise<Opened> {
  if (isUrl(path)) return { bytes: await fetchBytes(path), once: false };
  let file: Deno.FsFile, info: Deno.FileInfo;
  try {
    file = await Deno.open(path);
    info = await file.stat();
  } catch (e) {
    throw openError(path, e);
  }
  if (info.isDirectory) {
    file.close();
    throw new DataError("is a directory", { source: path });
  }
  return { bytes: fileBytes(file), once: !info.isFile };
}

function openError(path: string, e: unknown): unknown {
  if (e instanceof Deno.errors.NotFound) return new DataError("no such file", { source: path });
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return new DataError(
      "not allowed to read it: name it on the command line (a resumed run too), the only paths the command may read",
      { source: path },
    );
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return new DataError("is a directory", { source: path });
  }
  return e;
}

/** A file's bytes in large reads, one read ahead so that the disk works while the parser does. */
function fileBytes(file: Deno.FsFile): ReadableStream<Uint8Array> {
  let closed = false;
  const close = (): void => {
    if (!closed) file.close();
    closed = true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      const buffer = new Uint8Array(READ_BYTES);
      const n = await file.read(buffer).catch((e) => {
        close();
        throw e;
      });
      if (n === null) {
        close();
        controller.close();
      } else controller.enqueue(buffer.subarray(0, n));
    },
    cancel: close,
  }, { highWaterMark: 1 });
}

/** The bytes, gunzipped when they start with gzip's magic bytes (a `.csv.gz` file or body). */
async function gunzipped(bytes: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = bytes.getReader();
  const first = await reader.read();
  const head = first.done ? new Uint8Array(0) : first.value;
  const rest = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller): void {
      if (head.length > 0) controller.enqueue(head.slice());
      if (first.done) controller.close();
    },
    async pull(controller): Promise<void> {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value.slice());
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  return gzip ? rest.pipeThrough(new DecompressionStream("gzip")) : rest;
}

/**
 * Reads the training data once and decides how each epoch will get its samples. `meanwhile` is
 * called once, as soon as the reading is under way in its worker: work for this thread while it
 * would wait.
 */
export async function loadData(
  config: TrainConfig,
  meanwhile: () => void = () => {},
): Promise<Dataset> {
  // The CSV parser's options for this run (the classes are found while the data is read).
  const csv: CsvSamplesOptions = { label: config.label, task: config.task };
  const limit = config.cacheMb * 2 ** 20;
  const mode = config.scale ?? (config.idx ? "auto" : "standard");
  // IDX pixels are scaled as they are read (no statistics first), so training starts at once.
  const factor = config.idx ? idxFactor(mode) : undefined;
  const needs = needsOf(factor ?? mode);
  const pass = config.idx
    ? await idxPass(config, limit, factor!, meanwhile)
    : await csvPass(config, csv, limit, needs, meanwhile);
  const { cache, classes, targetNames } = pass;
  const classification = config.task === "classification";
  if (config.validationSplit > 0) await cache?.ready; // a split takes every sample
  const split = config.validationSplit > 0 && cache
    ? splitValidation(cache, config.validationSplit, config.seed, { stratify: classification })
    : undefined;
  if (config.validationSplit > 0 && !cache) {
    throw new UsageError(
      `--validation-split needs the data in memory: raise --cache-mb above ${config.cacheMb}`,
    );
  }
  // Statistics of what is trained on: the validation part must not leak into the scaling.
  const stats = split && !factor ? statsOf(split.train, needs) : pass.stats;
  const scaling = factor ?? scalingOf(mode, stats, config.task === "regression");
  const features = typeof scaling === "number" ? uniform(scaling, stats.features) : scaling;
  const parts = split ? [split.train, split.validation] : cache ? [cache] : [];
  for (const part of factor ? [] : parts) {
    part.transform(features, typeof scaling === "number" ? undefined : scaling.targets);
  }
  const sd = typeof scaling === "number" || !scaling.targets
    ? [1]
    : scaling.targets.factor.map((f) => 1 / f);
  const room = Math.max(
    0,
    limit - (split ? split.train.bytes + split.validation.bytes : cache?.bytes ?? 0),
  );
  // Read once the training pair is in: it is not needed before the first epoch's end.
  const idxTest = config.idx ? await idxHeldOut(config.idx, factor!, room, cache!) : undefined;
  const base = {
    features: stats.features,
    targets: classes ? classes.length : stats.targets,
    classes,
    targetNames: classes ? undefined : targetNames,
    scale: scaling,
    scaling: describe(mode, scaling),
    unscale: { mse: mean(sd.map((s) => s * s)), mae: mean(sd) },
    heldOutWaitSeconds: idxTest?.waitedSeconds,
  };
  // The training data is parsed in a worker, on the other core, while this thread trains; the
  // test file on this thread, since it is read each epoch when it does not fit in memory, and
  // starting a worker took longer than parsing the bundled digits' test file (their 20 epochs:
  // 0.8–1.0 s, 0.3 s without).
  const open = (path: string, worker: boolean): Source =>
    openWith(config, { ...csv, worker }, path, classes, scaling);
  const [train, test] = config.idx ? [idxSource(config.idx, "train", factor!), idxTest!.open] : [
    open(config.data, true),
    config.test
      ? await heldInMemory(open(config.test, false), room, stats.features, config.test)
      : undefined,
  ];

  if (split) {
    return {
      ...base,
      samples: split.train.length,
      mode: `cached in memory, ${split.validation.length} samples held out for validation ` +
        `(seeded${classification ? ", stratified" : ""} split)`,
      ...fromCache(split.train, config),
      validation: () => Promise.resolve(split.validation.stream()),
      validationName: `validation split ${config.validationSplit}`,
      test,
      testName: config.idx ? `${config.idx} (t10k)` : config.test,
    };
  }
  const validation = test;
  const validationName = config.idx ? `${config.idx} (t10k)` : config.test;
  if (cache) {
    const mib = (cache.bytes / 2 ** 20).toFixed(1);
    const order = config.shuffleBuffer > 0 ? "a full shuffle each epoch" : "in file order";
    const first = config.shuffleBuffer > 0 ? `windows of ${config.shuffleBuffer}` : "";
    const reading = factor && first
      ? ` as it is read, the first epoch training meanwhile, shuffled within ${first}; then`
      : factor
      ? " as it is read, the first epoch training meanwhile;"
      : ",";
    return {
      ...base,
      samples: cache.length,
      mode: `cached in memory (${mib} MiB)${reading} ${order}`,
      ...fromCache(cache, config, factor !== undefined),
      validation,
      validationName,
    };
  }
  const order = config.shuffleBuffer > 0
    ? `shuffle buffer of ${config.shuffleBuffer}`
    : "in file order";
  return {
    ...base,
    samples: stats.count,
    mode: `streamed from the file each epoch (over ${config.cacheMb} MiB), ${order}`,
    train,
    shuffle: config.shuffleBuffer > 0
      ? { seed: config.seed, bufferSize: config.shuffleBuffer }
      : undefined,
    validation,
    validationName,
  };
}

/**
 * The held-out data kept in memory when it fits beside the training cache: it is evaluated
 * after every epoch and at the end, and parsing Fashion-MNIST's t10k each time took 160–240 ms
 * where evaluating it from memory takes 80–100 ms (B, wasm). Otherwise it is read each time.
 * Either way it is checked first: rows, each with the training data's `features`.
 */
async function heldInMemory(
  open: Source,
  limitBytes: number,
  features: number,
  name: string,
): Promise<Source> {
  const cache = await SampleCache.collect(await open(), limitBytes);
  if (!cache) {
    let rows = 0;
    for await (const { x } of await open()) rows += checkFeatures(x.length, features, name);
    checkRows(rows, name);
    return open;
  }
  checkRows(cache.length, name);
  checkFeatures(cache.features, features, name);
  return () => Promise.resolve(cache.stream());
}

/** 1, for a held-out sample of `found` features where the training data has `features`. */
function checkFeatures(found: number, features: number, name: string): number {
  if (found === features) return 1;
  throw new DataError(`has ${found} features, the training data ${features}`, { source: name });
}

function checkRows(rows: number, name: string): void {
  if (rows === 0) throw new DataError("no data rows", { source: name });
}

/**
 * The t10k pair, read into memory by a worker (started now) once the training pair is in (the
 * first epoch trains meanwhile: reading it first held the first step up by 60–100 ms) when it
 * fits beside the training cache, as {@linkcode heldInMemory}; else read each time. The worker fetches the
 * files itself (reading them on this thread during the epoch waited on its steps: 0.3 s); they
 * are checked now, so that a missing one stops the run before it starts, and its header against
 * the training pair's once it is read.
 */
async function idxHeldOut(
  dir: string,
  scale: number,
  limitBytes: number,
  training: SampleCache,
): Promise<{ open: Source; waitedSeconds: () => number }> {
  const { source, open, urls } = idxPair(dir, "t10k");
  const files = await urls().catch(async (e) => {
    await training.ready; // a fault of the training pair's is told first
    throw e;
  });
  let pixels = 0;
  const onHeader = (h: { rows: number; cols: number }) => pixels = h.rows * h.cols;
  // Its worker starts now, and reads once the training pair is in.
  const options = { source, scale, limitBytes, worker: true, onHeader, after: training.ready };
  const held = SampleCache.fromIdx(...files, options).then((cache) => {
    checkFeatures(pixels, training.features, `${dir} (t10k)`); // the header came first
    return cache;
  });
  held.catch(() => {}); // met by the evaluation that waits for it
  let waited = 0;
  const read = async () => {
    const start = performance.now();
    const cache = await held;
    await cache?.ready;
    waited += performance.now() - start;
    return cache;
  };
  return {
    open: async () => (await read())?.stream() ?? idxSamples(...await open(), { source, scale }),
    waitedSeconds: () => waited / 1000,
  };
}

/** Regression outputs back in the target's units, given the model's stored scaling. */
export function unscaleTargets(scale: Scaling, values: number[]): number[] {
  const targets = typeof scale === "number" ? undefined : scale.targets;
  if (!targets) return values;
  return values.map((v, j) => v / targets.factor[j] + targets.offset[j]);
}

/**
 * Each epoch from the cache: a full seeded shuffle (or stored order), as ready batches. When
 * the cache `fills` as it is read, the first epoch trains meanwhile, shuffled within windows of
 * `--shuffle-buffer` samples: an order fixed whatever the timing.
 */
function fromCache(
  cache: SampleCache,
  config: TrainConfig,
  fills = false,
): Pick<Dataset, "batches"> {
  const shuffled = config.shuffleBuffer > 0;
  return {
    batches: (epoch, size) => {
      const seed = shuffled ? epochSeed(config.seed, epoch) : undefined;
      const window = fills && epoch === 1 && shuffled ? config.shuffleBuffer : undefined;
      return cache.batches(size, seed, window);
    },
  };
}

/** Opens the samples of a source, scaled as the training data was. */
type Source = () => Promise<ReadableStream<Sample>>;

function openWith(
  config: TrainConfig,
  csv: CsvSamplesOptions,
  path: string,
  classes: string[] | undefined,
  scale: Scaling,
): Source {
  const targetScale = typeof scale === "number" ? undefined : scale.targets;
  return async () =>
    csvSamples(await gunzipped(await openBytes(path)), {
      ...csv,
      source: path,
      classes,
      scale,
      targetScale,
      maxClasses: config.maxClasses,
    });
}

/** An IDX pair of a folder, Fashion-MNIST's / MNIST's: `train-*` to train on, `t10k-*` to test on. */
function idxPair(dir: string, prefix: "train" | "t10k") {
  const images = `${dir}/${prefix}-images-idx3-ubyte.gz`,
    labels = `${dir}/${prefix}-labels-idx1-ubyte.gz`;
  return {
    source: { images, labels },
    open: async () => [await openBytes(images), await openBytes(labels)] as const,
    /** The two as URLs, for a reader that fetches them itself; a missing file is told here. */
    urls: async () => [await urlOf(images), await urlOf(labels)] as const,
  };
}

/** A path or URL as a URL, a file checked first (opened and closed) for the usual messages. */
async function urlOf(path: string): Promise<URL> {
  if (isUrl(path)) return new URL(path);
  await (await openSource(path)).bytes.cancel();
  return pathToFileURL(path);
}

/** An IDX pair's samples, scaled as the training data was. */
function idxSource(dir: string, prefix: "train" | "t10k", scale: number): Source {
  const { source, open } = idxPair(dir, prefix);
  return async () => idxSamples(...await open(), { source, scale });
}

/**
 * The factor of IDX pixels: `auto` is 1/255, for bytes 0–255 (as torchvision's `ToTensor`
 * and Keras' examples divide), so the pixels are scaled as they are read and training need
 * not wait for their largest value.
 */
function idxFactor(mode: NonNullable<TrainConfig["scale"]>): number {
  if (typeof mode === "number") return mode;
  if (mode === "auto") return 1 / 255;
  throw new UsageError("--idx takes --scale auto or a factor: its pixels share one scale");
}

/** What the one pass over the training data found. */
interface Pass {
  cache?: SampleCache;
  stats: Stats;
  classes?: string[];
  /** The label columns' header names, where the file has a header. */
  targetNames?: string[];
}

async function csvPass(
  config: TrainConfig,
  csv: CsvSamplesOptions,
  limit: number,
  needs: Needs,
  meanwhile: () => void,
): Promise<Pass> {
  const opened = await openSource(config.data);
  const classification = config.task === "classification";
  let found: { classes: string[]; place: Uint32Array } | undefined;
  let targetNames: string[] | undefined;
  const samples = csvSamples(await gunzipped(opened.bytes), {
    ...csv,
    worker: true, // parsed on the other core while this thread collects
    source: config.data,
    maxClasses: config.maxClasses,
    onClasses: classification ? (classes, place) => found = { classes, place } : undefined,
    onHeader: (labels) => targetNames = labels,
  });
  try {
    meanwhile();
  } catch (e) {
    await samples.cancel(e);
    throw e;
  }
  let pass;
  try {
    pass = await collect(samples, new SampleCache(limit), needs, opened.once ? config : undefined);
  } catch (e) {
    throw labelHint(e, config);
  }
  const classes = found?.classes;
  if (found) {
    pass.cache?.relabel(found.place, found.classes.length);
    warnIfNotClasses(found.classes.length, pass.stats.count, config);
  }
  return { ...pass, classes, targetNames };
}

/**
 * The training pair, read into the cache by a worker on the other core: the cache comes back
 * once the header is read, and the first epoch trains while the rest arrive. Over the cache
 * limit, each epoch reads the files again. No statistics: the pixels are scaled as they are read.
 */
async function idxPass(
  config: TrainConfig,
  limit: number,
  scale: number,
  meanwhile: () => void,
): Promise<Pass> {
  const { source, urls } = idxPair(config.idx!, "train");
  const classes = Array.from({ length: 10 }, (_, i) => String(i));
  let header = { count: 0, rows: 0, cols: 0 };
  const options = {
    source,
    scale,
    limitBytes: limit,
    worker: true,
    onHeader: (h: typeof header) => header = h,
  };
  // Fetched by the worker itself: this thread does not read the 30 MB before the first step.
  const filling = SampleCache.fromIdx(...await urls(), options);
  try {
    meanwhile();
  } catch (e) {
    filling.catch(() => {}); // the run stops with e: the reading's own outcome is not wanted
    throw e;
  }
  const cache = await filling;
  const { count, rows, cols } = header;
  const stats = { count, features: rows * cols, targets: 0, ...unsummed(rows * cols) };
  return { cache, stats, classes };
}

/** Statistics not summed: NaN, as `Stats` has them. */
function unsummed(features: number): Pick<Stats, "mean" | "sd" | "min" | "max"> {
  const nan = () => new Float64Array(features).fill(NaN);
  return { mean: nan(), sd: nan(), min: nan(), max: nan() };
}

/**
 * Errors in the CLI's words: the class cap is a flag here; a non-number in the first column of
 * the first row, with the label left to its default, is most likely a label (or an id) in the
 * first column, so say how to name it.
 */
function labelHint(e: unknown, config: TrainConfig): unknown {
  if (!(e instanceof DataError)) return e;
  const where = { source: e.source, line: e.line, column: e.column };
  if (e.reason.includes("the maxClasses limit")) {
    const reason = e.reason.replace("the maxClasses limit", "--max-classes");
    return new DataError(reason, where, { cause: e });
  }
  // Line 1 or 2: the first data row, after a header or not.
  const firstRow = e.line <= 2 && e.column === 1 && e.reason.startsWith("not a number");
  if (!firstRow || config.label !== undefined) return e;
  const hint = "; if column 1 is the label, name it with --label 0 (or its header name)";
  return new DataError(e.reason + hint, where, { cause: e });
}

/** Warns when the label has nearly as many distinct values as there are rows. */
function warnIfNotClasses(classes: number, rows: number, config: TrainConfig): void {
  if (rows < 20 || classes < 0.5 * rows) return;
  const which = config.label === undefined ? "the label column (the default)" : "--label";
  console.error(
    `warning: ${which} has ${classes} distinct values in ${rows} rows: is it the label? ` +
      `Name it with --label, or use --task regression for values`,
  );
}

/**
 * The one pass: statistics of every sample, and a cache of them unless they pass `limitBytes`
 * (for a source that cannot be read again, `once` names the run, and that is an error).
 */
async function collect(
  samples: ReadableStream<Sample>,
  cache: SampleCache,
  needs: Needs,
  once: TrainConfig | undefined,
): Promise<{ cache?: SampleCache; stats: Stats }> {
  const sums = new StatsSum(needs);
  const reader = samples.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    sums.add(next.value);
    if (!cache.add(next.value) && once) {
      await reader.cancel("over the cache limit");
      throw new DataError(
        `can be read only once, and it does not fit in --cache-mb ${once.cacheMb}: ` +
          `raise --cache-mb or give a regular file`,
        { source: once.data },
      );
    }
  }
  if (sums.count === 0) throw new DataError("no samples", { source: "training data" });
  return { cache: cache.overflowed ? undefined : cache, stats: sums.stats() };
}

/** The scaling `mode` gives on data with these statistics (zero spread: left as it is). */
function scalingOf(
  mode: NonNullable<TrainConfig["scale"]>,
  stats: Stats,
  regression: boolean,
): Scaling {
  if (typeof mode === "number") return mode;
  const { features, targets, mean, sd, min, max } = stats;
  if (mode === "auto") {
    let maxAbs = 0;
    for (let i = 0; i < features; i++) maxAbs = Math.max(maxAbs, -min[i], max[i]);
    return maxAbs > 0 ? 1 / maxAbs : 1;
  }
  const per = (i: number): [number, number] => {
    if (mode === "minmax" && i < features) {
      const range = max[i] - min[i];
      return [min[i], range > 0 ? 1 / range : 1];
    }
    return [mean[i], sd[i] > 0 ? 1 / sd[i] : 1];
  };
  const affine = (from: number, to: number): Affine => {
    const pairs = Array.from({ length: to - from }, (_, k) => per(from + k));
    return { offset: pairs.map((p) => p[0]), factor: pairs.map((p) => p[1]) };
  };
  const scaling: Affine & { targets?: Affine } = affine(0, features);
  // Regression targets are standardised whatever the features get: an identity output then
  // starts near the targets' scale, and the loss is comparable across data sets.
  if (regression && targets > 0) scaling.targets = affine(features, features + targets);
  return scaling;
}

function describe(mode: NonNullable<TrainConfig["scale"]>, scaling: Scaling): string {
  if (typeof scaling === "number") return `× ${Number(scaling.toPrecision(4))}`;
  const what = mode === "minmax" ? "scaled to 0..1 per feature" : "standardised per feature";
  return scaling.targets ? `${what}, targets standardised` : what;
}

function uniform(factor: number, n: number): Affine {
  return { offset: new Array(n).fill(0), factor: new Array(n).fill(factor) };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
