/**
 * The flags of `deno task train`, parsed and checked into a plain config.
 * A bad flag is a {@linkcode UsageError}: one line naming the flag, exit code 2.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type ActivationName,
  type BackendName,
  backendNames,
  type LossName,
  type Monitor,
} from "../mod.ts";

/** A bad command line; the message names the flag. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Everything the train command needs to know, with defaults filled in. */
export interface TrainConfig {
  data: string;
  test?: string;
  idx?: string;
  label?: string | number;
  task: "classification" | "regression";
  /** `undefined`: first and last sizes come from the data, one hidden layer of 32. */
  layers?: number[];
  activation: ActivationName;
  output: ActivationName;
  loss: LossName;
  batch: number;
  optimizer: "sgd" | "adam";
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  schedule: string;
  epochs: number;
  seed: number;
  /** `"auto"`: divide by the largest absolute feature value in the training data. */
  scale: number | "auto";
  validationSplit: number;
  shuffleBuffer: number;
  cacheMb: number;
  patience: number;
  monitor?: Monitor;
  minDelta: number;
  backend: BackendName;
  /** The CBLAS library file for the `blas`/`auto` backends (the launcher grants FFI for it). */
  blas?: string;
  /** `"auto"`: what `recommendedThreads` says (one, except for large products on 4+ cores). */
  threads: number | "auto";
  snapshotEvery: number;
  out?: string;
  resume?: string;
  json: boolean;
  help: boolean;
}

export const USAGE = `Usage: deno task train [flags]

Trains a fully-connected network by full-matrix mini-batch backprop.

Data
  --data FILE            training CSV (default: data/digits_train.csv)
  --test FILE            test CSV, evaluated after each epoch (default with the
                         bundled data: data/digits_test.csv)
  --idx DIR              train on MNIST-style IDX files in DIR (train-*, t10k-*)
  --validation-split F   hold out a seeded, stratified fraction F for validation
  --label COL            label column, by header name or 0-based index (default: last)
  --task T               classification (default) or regression
  --scale X|auto         multiply every feature by X; auto (default) divides by the
                         largest absolute feature value in the training data
  --shuffle-buffer N     shuffle buffer size when streaming; 0 = file order (default 1024)
  --cache-mb N           keep the parsed data in memory up to N MiB and shuffle it
                         fully each epoch (default 1024)
Network
  --layers N0,N1,..      layer sizes, input first (default: from the data, one hidden 32)
  --activation A         hidden layers: sigmoid, tanh, relu (default), identity
  --output A             output layer (default: softmax with cross-entropy, else identity)
  --loss L               cross-entropy (default for classification) or quadratic
  --backend B            kernels: ${backendNames.join(", ")} (default auto: the system BLAS
                         where one loads, else wasm)
  --blas PATH            the CBLAS library file (default: Debian's libopenblas0, Accelerate)
  --threads N|auto       threads for the matrix products; auto (default): one, except for
                         large products on four or more cores
  --seed N               seed of the weights, the shuffle and the split (default 1)
Training
  --epochs N             epochs (default 20)
  --batch M              mini-batch size (default 32)
  --optimizer O          sgd (default) or adam
  --lr X                 learning rate (default 0.02 for sgd, 0.001 for adam)
  --momentum X           SGD momentum in [0, 1) (default 0.9)
  --nesterov             Nesterov momentum
  --weight-decay X       L2 weight decay (default 0)
  --schedule S           learning rate per step: constant (default), step:STEPS:GAMMA,
                         exp:GAMMA[:DECAY_STEPS], cosine[:warmup=STEPS][:min=LR]
  --patience N           early stopping after N epochs without improvement; the best
                         parameters are restored at the end
  --monitor M            validationLoss (default with validation data),
                         validationAccuracy or trainLoss
  --min-delta X          least change that counts as an improvement (default 0)
Output
  --out DIR              write log.csv, history.json, curves.svg, checkpoints and
                         the model here
  --resume DIR           continue the run saved in DIR (flags given now override)
  --snapshot-every N     save the parameters every N steps (needs --out)
  --json                 print every event, then a summary, as JSON lines
  -h, --help             this text
`;

const HIDDEN: readonly ActivationName[] = ["sigmoid", "tanh", "relu", "identity"];
const OUTPUT: readonly ActivationName[] = [...HIDDEN, "softmax"];
export const DEFAULT_DATA = "data/digits_train.csv";
const DEFAULT_TEST = "data/digits_test.csv";

const OPTIONS = {
  data: { type: "string" },
  test: { type: "string" },
  idx: { type: "string" },
  "validation-split": { type: "string" },
  label: { type: "string" },
  task: { type: "string" },
  scale: { type: "string" },
  "shuffle-buffer": { type: "string" },
  "cache-mb": { type: "string" },
  layers: { type: "string" },
  activation: { type: "string" },
  output: { type: "string" },
  loss: { type: "string" },
  backend: { type: "string" },
  blas: { type: "string" },
  threads: { type: "string" },
  seed: { type: "string" },
  epochs: { type: "string" },
  batch: { type: "string" },
  optimizer: { type: "string" },
  lr: { type: "string" },
  momentum: { type: "string" },
  nesterov: { type: "boolean" },
  "weight-decay": { type: "string" },
  schedule: { type: "string" },
  patience: { type: "string" },
  monitor: { type: "string" },
  "min-delta": { type: "string" },
  out: { type: "string" },
  resume: { type: "string" },
  "snapshot-every": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Parses `argv` (the flags after the command) into a {@linkcode TrainConfig}.
 * Later flags win over earlier ones, which is how `--resume` lays new flags
 * over the saved ones.
 */
export function parseTrainArgs(argv: string[]): TrainConfig {
  const v = parse(argv);
  const task = oneOf(
    "--task",
    v.task ?? "classification",
    ["classification", "regression"] as const,
  );
  const loss = oneOf(
    "--loss",
    v.loss ?? (task === "classification" ? "cross-entropy" : "quadratic"),
    [
      "cross-entropy",
      "quadratic",
    ] as const,
  );
  const optimizer = oneOf("--optimizer", v.optimizer ?? "sgd", ["sgd", "adam"] as const);
  const bundled = v.data === undefined && v.idx === undefined;
  const config: TrainConfig = {
    data: v.data ?? DEFAULT_DATA,
    test: v.test ?? (bundled ? DEFAULT_TEST : undefined),
    idx: v.idx,
    label: v.label === undefined ? undefined : /^-?\d+$/.test(v.label) ? Number(v.label) : v.label,
    task,
    layers: v.layers === undefined ? undefined : layerSizes(v.layers),
    activation: oneOf("--activation", v.activation ?? "relu", HIDDEN),
    output: oneOf(
      "--output",
      v.output ?? (loss === "cross-entropy" ? "softmax" : "identity"),
      OUTPUT,
    ),
    loss,
    batch: integer("--batch", v.batch ?? "32", 1),
    optimizer,
    lr: positive("--lr", v.lr ?? (optimizer === "adam" ? "0.001" : "0.02")),
    momentum: fraction("--momentum", v.momentum ?? "0.9", true),
    nesterov: v.nesterov ?? false,
    weightDecay: number("--weight-decay", v["weight-decay"] ?? "0", 0),
    schedule: v.schedule ?? "constant",
    epochs: integer("--epochs", v.epochs ?? "20", 1),
    seed: integer("--seed", v.seed ?? "1", 0),
    scale: (v.scale ?? "auto") === "auto" ? "auto" : number("--scale", v.scale!),
    validationSplit: v["validation-split"] === undefined
      ? 0
      : fraction("--validation-split", v["validation-split"], false),
    shuffleBuffer: integer("--shuffle-buffer", v["shuffle-buffer"] ?? "1024", 0),
    cacheMb: number("--cache-mb", v["cache-mb"] ?? "1024", 0),
    patience: integer("--patience", v.patience ?? "0", 0),
    monitor: v.monitor === undefined ? undefined : oneOf(
      "--monitor",
      v.monitor,
      ["validationLoss", "validationAccuracy", "trainLoss"] as const,
    ),
    minDelta: number("--min-delta", v["min-delta"] ?? "0", 0),
    backend: oneOf(
      "--backend",
      v.backend ?? "auto",
      backendNames,
    ),
    blas: v.blas,
    threads: (v.threads ?? "auto") === "auto" ? "auto" : integer("--threads", v.threads!, 1),
    snapshotEvery: integer("--snapshot-every", v["snapshot-every"] ?? "0", 0),
    out: (v.out ?? v.resume)?.replace(/\/+$/, ""),
    resume: v.resume,
    json: v.json ?? false,
    help: v.help ?? false,
  };
  if (config.snapshotEvery > 0 && !config.out) {
    throw new UsageError("--snapshot-every needs --out DIR");
  }
  if (config.layers && config.layers.length < 2) {
    throw new UsageError("--layers needs at least two sizes (input and output)");
  }
  if (config.monitor && config.patience === 0) throw new UsageError("--monitor needs --patience N");
  return config;
}

function parse(
  argv: string[],
): {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "boolean" ? boolean : string;
} {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS })
      .values;
  } catch (e) {
    // node:util's messages name the flag; keep the first sentence, not its advice.
    throw new UsageError((e as Error).message.split("\n")[0].split(". To specify")[0]);
  }
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

function number(flag: string, text: string, min = -Infinity): number {
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x)) {
    throw new UsageError(`${flag} needs a number, got "${text}"`);
  }
  if (x < min) throw new UsageError(`${flag} must be ≥ ${min}, got ${text}`);
  return x;
}

function positive(flag: string, text: string): number {
  const x = number(flag, text);
  if (!(x > 0)) throw new UsageError(`${flag} must be > 0, got ${text}`);
  return x;
}

/** A number in [0, 1) (or (0, 1) when zero is not allowed). */
function fraction(flag: string, text: string, zeroAllowed: boolean): number {
  const x = number(flag, text);
  if (!(x < 1 && (zeroAllowed ? x >= 0 : x > 0))) {
    throw new UsageError(`${flag} must be in ${zeroAllowed ? "[0" : "(0"}, 1), got ${text}`);
  }
  return x;
}

function integer(flag: string, text: string, min: number): number {
  const x = number(flag, text);
  if (!Number.isInteger(x) || x < min) {
    throw new UsageError(`${flag} needs a whole number ≥ ${min}, got "${text}"`);
  }
  return x;
}

function layerSizes(text: string): number[] {
  return text.split(",").map((part) => integer("--layers", part.trim(), 1));
}
