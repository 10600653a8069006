/**
 * `deno task train`: trains a network on a CSV file and reports each epoch.
 *
 * It uses the library only through `mod.ts`, as any user would. Bad flags and
 * bad data end in one line on stderr (exit 2 for usage, 1 for data), never in
 * a stack trace.
 *
 * @module
 */

import {
  csvSamples,
  type CsvSamplesOptions,
  DataError,
  discoverClasses,
  type EpochEvent,
  Network,
  type Sample,
  scaleFeatures,
  SGD,
  type StepEvent,
  toModelJSON,
  train,
} from "../mod.ts";
import { parseTrainArgs, type TrainConfig, USAGE, UsageError } from "./args.ts";
import { describeEpoch, describeRun } from "./report.ts";

/** What a pass over the training file tells before training starts. */
interface DataShape {
  samples: number;
  features: number;
  targets: number;
  maxAbs: number;
  classes?: string[];
}

async function main(argv: string[]): Promise<void> {
  const config = parseTrainArgs(argv);
  if (config.help) return void console.log(USAGE);
  const csv: CsvSamplesOptions = { label: config.label, task: config.task };
  if (config.task === "classification") {
    csv.classes = await discoverClasses(await openBytes(config.data), {
      source: config.data,
      label: config.label,
    });
  }
  const shape = await inspect(config.data, csv);
  const sizes = checkLayers(config, shape);
  const scale = config.scale === "auto" ? (shape.maxAbs > 0 ? 1 / shape.maxAbs : 1) : config.scale;
  const open = (path: string) => async () =>
    csvSamples(await openBytes(path), { ...csv, source: path }).pipeThrough(scaleFeatures(scale));

  const network = new Network({
    sizes,
    activations: [...Array(sizes.length - 2).fill(config.activation), config.output],
    seed: config.seed,
  });
  const optimizer = new SGD({ learningRate: config.lr, momentum: config.momentum });
  if (!config.json) console.log(describeRun(config, sizes, shape.samples, scale));
  if (config.out) await Deno.mkdir(config.out, { recursive: true });

  const started = performance.now();
  let last: EpochEvent | undefined;
  const events = train({
    network,
    optimizer,
    loss: config.loss,
    data: open(config.data),
    test: config.test ? open(config.test) : undefined,
    classification: config.task === "classification",
    epochs: config.epochs,
    batchSize: config.batch,
    snapshotEvery: config.snapshotEvery,
  });
  for await (const event of events) {
    if (event.type === "step" && event.snapshot && config.out) {
      await writeSnapshot(config.out, network, event);
    }
    if (event.type === "epoch") {
      last = event;
      if (!config.json) console.log(describeEpoch(event, config.epochs));
    }
    if (config.json) {
      console.log(
        JSON.stringify({
          ...event,
          snapshot: event.type === "step" && event.snapshot ? true : undefined,
        }),
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (config.out) {
    await Deno.writeTextFile(`${config.out}/model.json`, JSON.stringify(toModelJSON(network)));
  }
  const summary = {
    type: "summary",
    epochs: config.epochs,
    steps: last?.step,
    trainLoss: last?.trainLoss,
    testLoss: last?.testLoss,
    testAccuracy: last?.testAccuracy,
    samplesPerSec: (shape.samples * config.epochs) / seconds,
    seconds,
    model: config.out ? `${config.out}/model.json` : undefined,
  };
  console.log(
    config.json
      ? JSON.stringify(summary)
      : `done in ${seconds.toFixed(1)} s${
        summary.model ? `; model written to ${summary.model}` : ""
      }`,
  );
}

/** Opens a file as bytes, turning "not found" and "not allowed" into data errors naming the file. */
async function openBytes(path: string): Promise<ReadableStream<Uint8Array>> {
  try {
    return (await Deno.open(path)).readable;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DataError("no such file", { source: path });
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new DataError(`not allowed to read it (run with --allow-read=${path})`, {
        source: path,
      });
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new DataError("is a directory, not a CSV file", { source: path });
    }
    throw e;
  }
}

/** One pass over the training data: counts, sizes and the largest feature, for defaults and checks. */
async function inspect(path: string, csv: CsvSamplesOptions): Promise<DataShape> {
  const shape: DataShape = {
    samples: 0,
    features: 0,
    targets: 0,
    maxAbs: 0,
    classes: csv.classes as string[] | undefined,
  };
  const samples: ReadableStream<Sample> = csvSamples(await openBytes(path), {
    ...csv,
    source: path,
  });
  for await (const { x, y } of samples) {
    shape.samples++;
    shape.features = x.length;
    shape.targets = y.length;
    for (let i = 0; i < x.length; i++) shape.maxAbs = Math.max(shape.maxAbs, Math.abs(x[i]));
  }
  return shape;
}

/** The layer sizes, checked against the data before any training. */
function checkLayers(config: TrainConfig, shape: DataShape): number[] {
  const sizes = config.layers ?? [shape.features, 32, shape.targets];
  if (sizes[0] !== shape.features) {
    throw new UsageError(
      `--layers starts with ${sizes[0]} inputs, but ${config.data} has ${shape.features} features`,
    );
  }
  const outputs = sizes[sizes.length - 1];
  if (outputs !== shape.targets) {
    const what = shape.classes
      ? `${shape.targets} classes (${shape.classes.join(", ")})`
      : `${shape.targets} target columns`;
    throw new UsageError(`--layers ends with ${outputs} outputs, but ${config.data} has ${what}`);
  }
  return sizes;
}

async function writeSnapshot(out: string, network: Network, event: StepEvent): Promise<void> {
  const path = `${out}/snapshot-${String(event.step).padStart(6, "0")}.json`;
  await Deno.writeTextFile(path, JSON.stringify(toModelJSON(network, event.snapshot)));
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n(see --help)`);
      Deno.exit(2);
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
