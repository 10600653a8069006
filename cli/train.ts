/**
 * `deno task train`: trains a network and reports each epoch.
 *
 * It uses the library only through `mod.ts`, as any user would. Bad flags and
 * bad data end in one line on stderr (exit 2 for usage, 1 for data), never in
 * a stack trace. Ctrl-C finishes the current batch, writes a checkpoint, says
 * where, and exits with 130; `--resume` continues from it exactly.
 *
 * @module
 */

import {
  Adam,
  EarlyStopping,
  encodeCheckpoint,
  encodeModel,
  evaluate,
  Network,
  type Optimizer,
  parseSchedule,
  recommendedThreads,
  SGD,
  type StepEvent,
  train,
  type TrainStart,
} from "../mod.ts";
import { parseTrainArgs, type TrainConfig, USAGE, UsageError } from "./args.ts";
import { csvOptions, type Dataset, loadData } from "./data.ts";
import { formatConfusion, Report } from "./report.ts";
import { loadNewestCheckpoint, RunFiles } from "./run_files.ts";

/** The exit code of a run stopped by Ctrl-C, as shells expect (128 + SIGINT). */
const INTERRUPTED = 130;

async function main(argv: string[]): Promise<number> {
  let config = parseTrainArgs(argv);
  if (config.help) return console.log(USAGE), 0;
  const resumed = config.resume ? await loadNewestCheckpoint(config.resume) : undefined;
  if (resumed) {
    // The saved flags, then today's: later flags win, so `--epochs 30` extends a run.
    const saved = (resumed.info.config as { argv: string[] }).argv;
    argv = [...saved.filter((a) => a !== "--json"), ...argv];
    config = parseTrainArgs(argv);
  }
  const data = await loadData(config, await csvOptions(config));
  const sizes = checkLayers(config, data);
  const threads = config.threads === "auto"
    ? recommendedThreads(sizes, config.batch, config.backend)
    : config.threads;
  const network = resumed ? resumed.network(config.backend, threads) : new Network({
    sizes,
    activations: [...Array(sizes.length - 2).fill(config.activation), config.output],
    seed: config.seed,
    backend: config.backend,
    blas: config.blas,
    threads,
  });
  try {
    return await run(config, argv, data, sizes, network, resumed);
  } finally {
    network.close();
  }
}

async function run(
  config: TrainConfig,
  argv: string[],
  data: Dataset,
  sizes: number[],
  network: Network,
  resumed: Awaited<ReturnType<typeof loadNewestCheckpoint>> | undefined,
): Promise<number> {
  const optimizer = makeOptimizer(config);
  const earlyStopping = config.patience > 0
    ? new EarlyStopping({
      monitor: config.monitor ?? (data.validation ? "validationLoss" : "trainLoss"),
      patience: config.patience,
      minDelta: config.minDelta,
    })
    : undefined;
  if (resumed) {
    resumed.restoreOptimizer(optimizer);
    if (earlyStopping) resumed.restoreEarlyStopping(earlyStopping);
  }
  const start: TrainStart | undefined = resumed?.info.progress;
  const stepsPerEpoch = Math.ceil(data.samples / config.batch);
  const report = new Report(config, stepsPerEpoch);
  report.start(sizes, data, network.kernels, resumed?.path);
  const files = config.out ? await RunFiles.open(config.out, start?.step) : undefined;

  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  const progress: TrainStart = { ...(start ?? { epoch: 0, step: 0, samplesSeen: 0 }) };
  const saveCheckpoint = () =>
    files!.checkpoint(
      progress.step,
      encodeCheckpoint({
        network,
        optimizer,
        earlyStopping,
        progress,
        seed: config.seed,
        config: { argv },
      }),
    );
  const started = performance.now();
  let code = 0;
  try {
    for await (
      const event of train({
        network,
        optimizer,
        earlyStopping,
        loss: config.loss,
        data: data.train,
        batchData: data.batches,
        validation: data.validation,
        shuffle: data.shuffle,
        schedule: parseSchedule(config.schedule, config.lr, config.epochs * stepsPerEpoch),
        classification: config.task === "classification",
        epochs: config.epochs,
        batchSize: config.batch,
        snapshotEvery: config.snapshotEvery,
        signal: abort.signal,
        start,
      })
    ) {
      if (event.type === "step") {
        track(progress, event);
        report.step(event);
        await files?.step(event);
        if (event.snapshot) {
          await files?.snapshot(event.step, encodeModel(network, {}, event.snapshot));
        }
      } else if (event.type === "epoch") {
        Object.assign(progress, {
          epoch: event.epoch,
          step: event.step,
          samplesSeen: event.samplesSeen,
          batchesIntoEpoch: 0,
        });
        report.epoch(event);
        await files?.epoch(event);
        if (files) await saveCheckpoint();
      } else {
        report.end(event);
        if (event.reason === "aborted") {
          code = INTERRUPTED;
          // On stderr, so that it shows with --json too.
          const saved = files
            ? `checkpoint written to ${await saveCheckpoint()}`
            : "no --out, nothing saved";
          console.error(
            `interrupted: ${saved}${files ? `; continue with --resume ${config.out}` : ""}`,
          );
        }
        if (event.reason === "non-finite") code = 1;
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  const seconds = (performance.now() - started) / 1000;
  const samplesPerSec = (progress.samplesSeen - (start?.samplesSeen ?? 0)) / seconds;
  await finish(config, data, network, files, report, { seconds, samplesPerSec });
  files?.close();
  return code;
}

/** The counters a mid-epoch checkpoint needs: which batch of which epoch was the last trained. */
function track(progress: TrainStart, e: StepEvent): void {
  progress.batchesIntoEpoch = (progress.batchesIntoEpoch ?? 0) + 1;
  progress.step = e.step;
  progress.samplesSeen = e.samplesSeen;
}

/** The end of a run: final metrics on the validation data, the model, the curves, the summary. */
async function finish(
  config: TrainConfig,
  data: Dataset,
  network: Network,
  files: RunFiles | undefined,
  report: Report,
  speed: { seconds: number; samplesPerSec: number },
): Promise<void> {
  const classification = config.task === "classification";
  const final = data.validation
    ? await evaluate(network, await data.validation(), { loss: config.loss, classification })
    : undefined;
  if (final?.confusion && data.classes) report.note(formatConfusion(final.confusion, data.classes));
  const extra = {
    classes: data.classes,
    scale: data.scale,
    task: config.task,
    label: config.label ?? null,
  };
  await files?.finish(encodeModel(network, extra));
  const last = files?.history.at(-1);
  const summary = {
    type: "summary",
    testLoss: final?.loss,
    testAccuracy: final?.accuracy,
    testMSE: final?.mse,
    testMAE: final?.mae,
    trainLoss: last?.trainLoss,
    ...speed,
    confusion: final?.confusion,
    model: files ? `${files.dir}/model.safetensors` : undefined,
  };
  if (config.json) return console.log(JSON.stringify(summary));
  const what = final?.accuracy !== undefined
    ? `, final ${data.validationName} accuracy ${final.accuracy.toFixed(4)}`
    : "";
  console.log(
    `done in ${speed.seconds.toFixed(1)} s${what}${
      summary.model ? `; model written to ${summary.model}` : ""
    }`,
  );
}

function makeOptimizer(config: TrainConfig): Optimizer {
  return config.optimizer === "adam"
    ? new Adam({ learningRate: config.lr, weightDecay: config.weightDecay })
    : new SGD({
      learningRate: config.lr,
      momentum: config.momentum,
      nesterov: config.nesterov,
      weightDecay: config.weightDecay,
    });
}

/** The layer sizes, checked against the data before any training. */
function checkLayers(config: TrainConfig, data: Dataset): number[] {
  const sizes = config.layers ?? [data.features, 32, data.targets];
  const source = config.idx ?? config.data;
  if (sizes[0] !== data.features) {
    throw new UsageError(
      `--layers starts with ${sizes[0]} inputs, but ${source} has ${data.features} features`,
    );
  }
  const outputs = sizes[sizes.length - 1];
  if (outputs !== data.targets) {
    const what = data.classes
      ? `${data.targets} classes (${data.classes.join(", ")})`
      : `${data.targets} target columns`;
    throw new UsageError(`--layers ends with ${outputs} outputs, but ${source} has ${what}`);
  }
  return sizes;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n(see --help)`);
      Deno.exit(2);
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
