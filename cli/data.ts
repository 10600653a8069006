/**
 * The train command's data: where samples come from each epoch, and how.
 *
 * One pass before training reads the training file to learn its shape
 * (features, targets, classes, the largest value for `--scale auto`) and, when
 * it fits under `--cache-mb`, keeps it parsed in memory. Then each epoch is a
 * full seeded shuffle of the cache, with no re-parsing; data too large to
 * cache is streamed from the file again each epoch through a shuffle buffer.
 * The mode used is reported.
 *
 * @module
 */

import {
  type Batch,
  csvSamples,
  type CsvSamplesOptions,
  DataError,
  discoverClasses,
  epochSeed,
  idxSamples,
  type Sample,
  SampleCache,
  splitValidation,
} from "../mod.ts";
import { type TrainConfig, UsageError } from "./args.ts";

/** The data of a run, ready for `train()`. */
export interface Dataset {
  /** Training samples (after a validation split, what is left). */
  samples: number;
  features: number;
  targets: number;
  /** Class names in one-hot order, for classification. */
  classes?: string[];
  /** The factor applied to every feature. */
  scale: number;
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
}

/** Opens a file as bytes, turning "not found" and "not allowed" into errors naming the file. */
export async function openBytes(path: string): Promise<ReadableStream<Uint8Array>> {
  try {
    return (await Deno.open(path)).readable;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DataError("no such file", { source: path });
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new DataError(
        "not allowed to read it: name it on the command line (a resumed run too), the only paths the command may read",
        {
          source: path,
        },
      );
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new DataError("is a directory, not a file", { source: path });
    }
    throw e;
  }
}

/** The CSV parser's options for this run, with the classes found in the training file. */
export async function csvOptions(config: TrainConfig): Promise<CsvSamplesOptions> {
  const csv: CsvSamplesOptions = { label: config.label, task: config.task };
  if (config.task === "classification" && !config.idx) {
    csv.classes = await discoverClasses(await openBytes(config.data), {
      source: config.data,
      label: config.label,
    });
  }
  return csv;
}

/** Reads the training data once and decides how each epoch will get its samples. */
export async function loadData(config: TrainConfig, csv: CsvSamplesOptions): Promise<Dataset> {
  const [open, openTest] = config.idx
    ? idxSources(config.idx)
    : [csvSource(config.data, csv), config.test ? csvSource(config.test, csv) : undefined];
  const { cache, shape } = await inspect(await open(1), config.cacheMb * 2 ** 20);
  const scale = config.scale === "auto" ? (shape.maxAbs > 0 ? 1 / shape.maxAbs : 1) : config.scale;
  cache?.scaleFeatures(scale);
  const classes = csv.classes
    ? [...(csv.classes as string[])]
    : config.idx
    ? Array.from({ length: 10 }, (_, i) => String(i))
    : undefined;
  const base = { features: shape.features, targets: shape.targets, classes, scale };
  const classification = config.task === "classification";

  if (config.validationSplit > 0) {
    if (!cache) {
      throw new UsageError(
        `--validation-split needs the data in memory: raise --cache-mb above ${config.cacheMb}`,
      );
    }
    const split = splitValidation(cache, config.validationSplit, config.seed, {
      stratify: classification,
    });
    return {
      ...base,
      samples: split.train.length,
      mode: `cached in memory, ${split.validation.length} samples held out for validation ` +
        `(seeded${classification ? ", stratified" : ""} split)`,
      ...fromCache(split.train, config),
      validation: () => Promise.resolve(split.validation.stream()),
      validationName: `validation split ${config.validationSplit}`,
      test: openTest ? () => openTest(scale) : undefined,
      testName: config.idx ? `${config.idx} (t10k)` : config.test,
    };
  }
  const validation = openTest ? () => openTest(scale) : undefined;
  const validationName = config.idx ? `${config.idx} (t10k)` : config.test;
  if (cache) {
    const mib = (cache.bytes / 2 ** 20).toFixed(1);
    const order = config.shuffleBuffer > 0 ? "a full shuffle each epoch" : "in file order";
    return {
      ...base,
      samples: cache.length,
      mode: `cached in memory (${mib} MiB), ${order}`,
      ...fromCache(cache, config),
      validation,
      validationName,
    };
  }
  const order = config.shuffleBuffer > 0
    ? `shuffle buffer of ${config.shuffleBuffer}`
    : "in file order";
  return {
    ...base,
    samples: shape.samples,
    mode: `streamed from the file each epoch (over ${config.cacheMb} MiB), ${order}`,
    train: () => open(scale),
    shuffle: config.shuffleBuffer > 0
      ? { seed: config.seed, bufferSize: config.shuffleBuffer }
      : undefined,
    validation,
    validationName,
  };
}

/** Each epoch from the cache: a full seeded shuffle (or stored order), as ready batches. */
function fromCache(cache: SampleCache, config: TrainConfig): Pick<Dataset, "batches"> {
  return {
    batches: (epoch, size) =>
      cache.batches(size, config.shuffleBuffer > 0 ? epochSeed(config.seed, epoch) : undefined),
  };
}

/** Opens the samples of a source, with its features multiplied by `scale` as they are read. */
type Source = (scale: number) => Promise<ReadableStream<Sample>>;

function csvSource(path: string, csv: CsvSamplesOptions): Source {
  return async (scale) => csvSamples(await openBytes(path), { ...csv, source: path, scale });
}

/** Fashion-MNIST / MNIST as the IDX files of a folder: train-* to train on, t10k-* to test on. */
function idxSources(dir: string): [Source, Source] {
  const pair = (prefix: string): Source => async (scale) => {
    const images = `${dir}/${prefix}-images-idx3-ubyte.gz`,
      labels = `${dir}/${prefix}-labels-idx1-ubyte.gz`;
    return idxSamples(await openBytes(images), await openBytes(labels), {
      source: { images, labels },
      scale,
    });
  };
  return [pair("train"), pair("t10k")];
}

interface Shape {
  samples: number;
  features: number;
  targets: number;
  maxAbs: number;
}

/** One pass: the shape of the data, and a cache of it unless it passes `limitBytes`. */
async function inspect(
  samples: ReadableStream<Sample>,
  limitBytes: number,
): Promise<{ cache?: SampleCache; shape: Shape }> {
  const shape: Shape = { samples: 0, features: 0, targets: 0, maxAbs: 0 };
  const cache = new SampleCache(limitBytes);
  for await (const sample of samples) {
    shape.samples++;
    shape.features = sample.x.length;
    shape.targets = sample.y.length;
    for (let i = 0; i < sample.x.length; i++) {
      shape.maxAbs = Math.max(shape.maxAbs, Math.abs(sample.x[i]));
    }
    cache.add(sample);
  }
  if (shape.samples === 0) throw new DataError("no samples", { source: "training data" });
  return { cache: cache.overflowed ? undefined : cache, shape };
}
