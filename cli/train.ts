/**
 * `deno task train`: trains a network and reports each epoch.
 *
 * It uses the library only through `mod.ts`, as any user would. Bad flags and
 * bad data end in one line on stderr (exit 2 for usage, 1 for data), never in
 * a stack trace. Ctrl-C (SIGINT), SIGTERM and SIGHUP finish the current batch,
 * write a checkpoint, say where, and exit with 128 + the signal's number;
 * `--resume` continues from it exactly.
 *
 * @module
 */

import {
  EarlyStopping,
  encodeCheckpoint,
  encodeModel,
  type EndEvent,
  type EpochEvent,
  evaluate,
  type Evaluation,
  makeOptimizer,
  Network,
  type Optimizer,
  parseSchedule,
  recommendedThreads,
  type Sample,
  type Schedule,
  type StepEvent,
  train,
  type TrainOptions,
  type TrainStart,
} from "../mod.ts";
import {
  BUNDLED_PRESET,
  capThreads,
  parseTrainArgs,
  type TrainConfig,
  USAGE,
  UsageError,
} from "./args.ts";
import { runCommand } from "./command.ts";
import { type Dataset, loadData } from "./data.ts";
import { formatConfusion, Report } from "./report.ts";
import { loadNewestCheckpoint, RunFiles, savedFlags } from "./run_files.ts";
import { warnIfStuck } from "./stuck.ts";
import { listenForStopSignals, SIGNALS } from "./signals.ts";

type Resumed = Awaited<ReturnType<typeof loadNewestCheckpoint>>;

async function main(argv: string[]): Promise<number> {
  const begun = performance.now();
  let config = parseTrainArgs(argv);
  if (config.help) return console.log(USAGE), 0;
  const resumed = config.resume ? await loadNewestCheckpoint(config.resume) : undefined;
  const notes: string[] = [];
  if (resumed) {
    // The saved flags, then today's: later flags win, so `--epochs 30` extends a run.
    argv = [...savedFlags(resumed.argv), ...argv];
  } else if (!argv.some((a) => /^--(data|idx)(=|$)/.test(a)) && config.optimizer === "sgd") {
    // The preset tunes SGD: another optimizer takes its own defaults (Adam has no momentum).
    argv = [...BUNDLED_PRESET, ...argv];
    notes.push(`preset for the bundled digits: ${BUNDLED_PRESET.join(" ")} (flags override it)`);
  }
  const settled = config = parseTrainArgs(argv);
  // With the layers given, the network is set up while the data's reader starts (its wasm
  // module built, OpenBLAS opened, its weights drawn: 60–75 ms), in time this thread would
  // otherwise wait for the reader's first samples (38–45 ms for --idx's header).
  let early: Network | undefined, building = 0;
  const meanwhile = (): void => {
    if (resumed || !settled.layers) return;
    const start = performance.now();
    try {
      early = networkFor(settled, settled.layers);
    } catch {
      // Flags the network refuses are told below, after the data's own errors and the CLI's
      // checks, as ever.
    }
    building = performance.now() - start;
  };
  const reading = performance.now();
  let network: Network | undefined;
  try {
    const data = await loadData(config, meanwhile);
    const readSeconds = (performance.now() - reading - building) / 1000;
    const sizes = checkLayers(config, data);
    network = early ?? networkFor(config, sizes, resumed);
    return await run({ config, argv, data, begun, readSeconds, sizes, network, resumed, notes });
  } finally {
    (network ?? early)?.close();
  }
}

/** The network a run trains: the checkpoint's when it resumes one, else a new one of `sizes`. */
function networkFor(config: TrainConfig, sizes: number[], resumed?: Resumed): Network {
  const wanted = config.threads === "auto"
    ? recommendedThreads(sizes, config.batch, config.backend)
    : config.threads;
  const { threads, note } = capThreads(wanted);
  if (note) console.error(`warning: ${note}`);
  if (resumed) return resumed.network(config.backend, threads, config.blas);
  return new Network({
    sizes,
    activations: [...Array(sizes.length - 2).fill(config.activation), config.output],
    seed: config.seed,
    backend: config.backend,
    blas: config.blas,
    threads,
  });
}

/** Everything a run works with, set up before the first step. */
interface Run {
  config: TrainConfig;
  argv: string[];
  data: Dataset;
  /** When the command began (`performance.now()`): what comes before the first step counts. */
  begun: number;
  /** How long reading the data took (the training data's one pass, the held-out data's). */
  readSeconds: number;
  sizes: number[];
  network: Network;
  resumed?: Resumed;
  notes: string[];
}

/** A run under way: what it trains with, where it reports and writes, how far it is. */
interface Session {
  r: Run;
  optimizer: Optimizer;
  earlyStopping?: EarlyStopping;
  schedule: Schedule;
  report: Report;
  files?: RunFiles;
  /** The counters a checkpoint saves, kept up to date by the events. */
  progress: TrainStart;
  stop: ReturnType<typeof listenForStopSignals>;
}

async function run(r: Run): Promise<number> {
  const { config, data } = r;
  const optimizer = makeOptimizer(config.optimizer, {
    learningRate: config.lr,
    momentum: config.momentum,
    nesterov: config.nesterov,
    weightDecay: config.weightDecay,
  });
  const earlyStopping = makeEarlyStopping(config, data);
  const stepsPerEpoch = Math.ceil(data.samples / config.batch);
  const schedule = parseSchedule(config.schedule, config.lr, config.epochs * stepsPerEpoch);
  if (r.resumed) {
    r.resumed.restoreOptimizer(optimizer);
    r.resumed.restoreSchedule(schedule);
    if (earlyStopping) r.resumed.restoreEarlyStopping(earlyStopping);
  }
  const start: TrainStart | undefined = r.resumed?.info.progress;
  const report = new Report(config, stepsPerEpoch, heldOutKind(config));
  report.start(r.sizes, data, r.network.kernels, r.resumed?.path, r.notes);
  const files = config.out ? await RunFiles.open(config.out, start?.step) : undefined;
  const progress: TrainStart = { ...(start ?? { epoch: 0, step: 0, samplesSeen: 0 }) };
  using stop = listenForStopSignals();
  const session: Session = {
    r,
    optimizer,
    earlyStopping,
    schedule,
    report,
    files,
    progress,
    stop,
  };
  const started = performance.now();
  let code = 0;
  // The held-out evaluations run between an epoch's last step and its event.
  let stepped = started, heldOut = 0;
  for await (const event of train(trainOptions(session, start))) {
    if (event.type === "step") {
      await onStep(session, event);
      stepped = performance.now();
    } else if (event.type === "epoch") {
      heldOut += performance.now() - stepped;
      await onEpoch(session, event);
    } else code = await onEnd(session, event);
  }
  const seconds = (performance.now() - started) / 1000;
  const samples = progress.samplesSeen - (start?.samplesSeen ?? 0);
  const setupSeconds = (started - r.begun) / 1000;
  // Waiting for held-out data still being read is reading, not evaluating.
  const heldOutSeconds = heldOut / 1000 - (r.data.heldOutWaitSeconds?.() ?? 0);
  const speed = {
    seconds,
    samplesPerSec: samples / seconds,
    readSeconds: r.readSeconds,
    // Before the first step: the reading, the checks, the network's set-up.
    setupSeconds,
    heldOutSeconds,
    // What a user waits for to have trained: all before the first step counted in; the held-out
    // evaluations left out, as a training loop without them (the peers in bench/) has none.
    withReadingSamplesPerSec: samples / (seconds - heldOutSeconds + setupSeconds),
  };
  await finish(r, files, report, speed);
  files?.close();
  return code;
}

function trainOptions(s: Session, start?: TrainStart): TrainOptions {
  const { config, data, network } = s.r;
  return {
    network,
    optimizer: s.optimizer,
    earlyStopping: s.earlyStopping,
    loss: config.loss,
    data: data.train,
    batchData: data.batches,
    validation: data.validation,
    shuffle: data.shuffle,
    schedule: s.schedule,
    classification: config.task === "classification",
    epochs: config.epochs,
    batchSize: config.batch,
    snapshotEvery: config.snapshotEvery,
    signal: s.stop.signal,
    start,
  };
}

async function onStep(s: Session, e: StepEvent): Promise<void> {
  track(s.progress, e);
  s.report.step(e);
  await s.files?.step(e);
  if (e.snapshot) await s.files?.snapshot(e.step, encodeModel(s.r.network, {}, e.snapshot));
}

async function onEpoch(s: Session, e: EpochEvent): Promise<void> {
  Object.assign(s.progress, {
    epoch: e.epoch,
    step: e.step,
    samplesSeen: e.samplesSeen,
    batchesIntoEpoch: 0,
  });
  s.report.epoch(e);
  if (e.epoch === 1) await warnIfStuck(s.r.network, s.r.config.output, s.r.data, e);
  await s.files?.epoch(e);
  await saveCheckpoint(s);
}

/** Why the run ended, as an exit code; an interrupted run is checkpointed and says where. */
async function onEnd(s: Session, e: EndEvent): Promise<number> {
  s.report.end(e, s.stop.received);
  if (e.reason === "non-finite") return 1;
  if (e.reason !== "aborted") return 0;
  // On stderr, so that it shows with --json too.
  const path = await saveCheckpoint(s);
  const saved = path ? `checkpoint written to ${path}` : "nothing saved";
  console.error(`interrupted: ${saved}${path ? `; continue with --resume ${s.r.config.out}` : ""}`);
  return SIGNALS[s.stop.received ?? "SIGINT"];
}

/** Writes a checkpoint under `--out` (none without one, nor of non-finite parameters). */
function saveCheckpoint(s: Session): Promise<string | undefined> {
  if (!s.files || !finite(s.r.network)) return Promise.resolve(undefined);
  return s.files.checkpoint(
    s.progress.step,
    encodeCheckpoint({
      network: s.r.network,
      optimizer: s.optimizer,
      earlyStopping: s.earlyStopping,
      schedule: s.schedule,
      progress: s.progress,
      seed: s.r.config.seed,
      config: { argv: s.r.argv },
    }),
  );
}

function makeEarlyStopping(config: TrainConfig, data: Dataset): EarlyStopping | undefined {
  if (config.patience === 0) return undefined;
  return new EarlyStopping({
    monitor: config.monitor ?? (data.validation ? "validationLoss" : "trainLoss"),
    patience: config.patience,
    minDelta: config.minDelta,
  });
}

/** The counters a mid-epoch checkpoint needs: which batch of which epoch was the last trained. */
function track(progress: TrainStart, e: StepEvent): void {
  progress.batchesIntoEpoch = (progress.batchesIntoEpoch ?? 0) + 1;
  progress.step = e.step;
  progress.samplesSeen = e.samplesSeen;
}

/** Whether every parameter is finite: a model or checkpoint with NaN in it is never saved. */
function finite(network: Network): boolean {
  return network.layers.every(({ W, b }) => W.data.every(isFinite) && b.data.every(isFinite));
}

/** What the data evaluated after each epoch is: a held-out split, or the test file. */
function heldOutKind(config: TrainConfig): "validation" | "test" {
  return config.validationSplit > 0 ? "validation" : "test";
}

/** The end of a run: final metrics on the held-out data, the model, the curves, the summary. */
async function finish(
  r: Run,
  files: RunFiles | undefined,
  report: Report,
  speed: {
    seconds: number;
    samplesPerSec: number;
    readSeconds: number;
    setupSeconds: number;
    heldOutSeconds: number;
    withReadingSamplesPerSec: number;
  },
): Promise<void> {
  const { config, data, network } = r;
  const options = { loss: config.loss, classification: config.task === "classification" };
  const measure = async (open?: () => Promise<ReadableStream<Sample>>) =>
    open ? await evaluate(network, await open(), options) : undefined;
  const kind = heldOutKind(config);
  const held = await measure(data.validation);
  const test = kind === "test" ? held : await measure(data.test);
  const last = test ?? held;
  if (last?.confusion && data.classes) report.note(formatConfusion(last.confusion, data.classes));
  const saved = finite(network);
  if (!saved) console.error("error: the parameters are not finite: no model saved");
  const extra = {
    classes: data.classes,
    scale: data.scale,
    task: config.task,
    label: config.label ?? null,
    targets: data.targetNames,
  };
  await files?.finish(saved ? encodeModel(network, extra) : undefined, { heldOut: kind });
  const summary = {
    type: "summary",
    ...figures("validation", kind === "validation" ? held : undefined, data),
    ...figures("test", test, data),
    trainLoss: files?.history.at(-1)?.trainLoss,
    ...speed,
    confusion: last?.confusion,
    model: files && saved ? `${files.dir}/model.safetensors` : undefined,
  };
  if (config.json) return console.log(JSON.stringify(summary));
  const accuracy = (e: Evaluation | undefined, name?: string) =>
    e?.accuracy !== undefined ? `, final ${name} accuracy ${e.accuracy.toFixed(4)}` : "";
  console.log(
    `done in ${speed.seconds.toFixed(1)} s (data read in ${speed.readSeconds.toFixed(2)} s, ` +
      `first step at ${speed.setupSeconds.toFixed(2)} s, ` +
      `${Math.round(speed.withReadingSamplesPerSec)} samples/s with it)` +
      (kind === "validation" ? accuracy(held, "validation") : "") +
      accuracy(test, kind === "test" ? data.validationName : data.testName) +
      (summary.model ? `; model written to ${summary.model}` : ""),
  );
}

/** An evaluation's figures under the name of its data: `testAccuracy`, `validationLoss`, … */
/** The summary's figures on held-out data; a regression's MSE and MAE in the target's units. */
function figures(
  name: "validation" | "test",
  e: Evaluation | undefined,
  { unscale }: Dataset,
): Record<string, unknown> {
  if (!e) return {};
  return {
    [`${name}Loss`]: e.loss,
    [`${name}Accuracy`]: e.accuracy,
    [`${name}MSE`]: e.mse === undefined ? undefined : e.mse * unscale.mse,
    [`${name}MAE`]: e.mae === undefined ? undefined : e.mae * unscale.mae,
  };
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
  if (config.output === "softmax" && outputs === 1) {
    throw new UsageError("--output softmax needs two or more outputs: one is always 1");
  }
  return sizes;
}

if (import.meta.main) {
  // A RangeError from the library is a bad argument (a pairing it refuses): the flags' fault.
  await runCommand(main, (e) => e instanceof UsageError || e instanceof RangeError);
}
