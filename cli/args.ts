/**
 * The flags of `deno task train`, parsed and checked into a plain config.
 * A bad flag is a {@linkcode UsageError}: one line naming the flag, exit code 2.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { ActivationName, LossName } from "../mod.ts";

/** A bad command line; the message names the flag. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Everything the train command needs to know, with defaults filled in. */
export interface TrainConfig {
  data: string;
  test?: string;
  label?: string | number;
  task: "classification" | "regression";
  /** `undefined`: first and last sizes come from the data, one hidden layer of 32. */
  layers?: number[];
  activation: ActivationName;
  output: ActivationName;
  loss: LossName;
  batch: number;
  lr: number;
  momentum: number;
  epochs: number;
  seed: number;
  /** `"auto"`: divide by the largest absolute feature value in the training data. */
  scale: number | "auto";
  snapshotEvery: number;
  out?: string;
  json: boolean;
  help: boolean;
}

export const USAGE = `Usage: deno task train [flags]

Trains a fully-connected network on a CSV file by full-matrix mini-batch backprop.

  --data FILE          training CSV (default: data/digits_train.csv)
  --test FILE          test CSV, evaluated after each epoch (default with the bundled
                       data: data/digits_test.csv)
  --label COL          label column, by header name or 0-based index (default: last)
  --task T             classification (default) or regression
  --layers N0,N1,..    layer sizes, input first (default: from the data, one hidden 32)
  --activation A       hidden layers: sigmoid, tanh, relu (default), identity
  --output A           output layer (default: softmax with cross-entropy, else identity)
  --loss L             cross-entropy (default for classification) or quadratic
  --batch M            mini-batch size (default 32)
  --lr X               learning rate (default 0.02)
  --momentum X         SGD momentum in [0, 1) (default 0.9)
  --epochs N           epochs (default 20)
  --seed N             seed of the initial weights (default 1)
  --scale X|auto       multiply every feature by X; auto (default) divides by the
                       largest absolute feature value in the training data
  --snapshot-every N   save the parameters every N steps (needs --out)
  --out DIR            write snapshots and the final model (model.json) here
  --json               print every event, then a summary, as JSON lines
  -h, --help           this text
`;

const HIDDEN: readonly ActivationName[] = ["sigmoid", "tanh", "relu", "identity"];
const OUTPUT: readonly ActivationName[] = [...HIDDEN, "softmax"];
export const DEFAULT_DATA = "data/digits_train.csv";
const DEFAULT_TEST = "data/digits_test.csv";

/**
 * Parses `argv` (the flags after the command) into a {@linkcode TrainConfig}.
 *
 * @example
 * ```ts
 * import { parseTrainArgs } from "./args.ts";
 * console.assert(parseTrainArgs(["--epochs", "3"]).epochs === 3);
 * ```
 */
export function parseTrainArgs(argv: string[]): TrainConfig {
  const { values: v } = parse(argv);
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
  const bundled = v.data === undefined;
  const config: TrainConfig = {
    data: v.data ?? DEFAULT_DATA,
    test: v.test ?? (bundled ? DEFAULT_TEST : undefined),
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
    lr: positive("--lr", v.lr ?? "0.02"),
    momentum: number("--momentum", v.momentum ?? "0.9"),
    epochs: integer("--epochs", v.epochs ?? "20", 1),
    seed: integer("--seed", v.seed ?? "1", 0),
    scale: (v.scale ?? "auto") === "auto" ? "auto" : number("--scale", v.scale!),
    snapshotEvery: integer("--snapshot-every", v["snapshot-every"] ?? "0", 0),
    out: v.out,
    json: v.json ?? false,
    help: v.help ?? false,
  };
  if (!(config.momentum >= 0 && config.momentum < 1)) {
    throw new UsageError(`--momentum must be in [0, 1), got ${v.momentum}`);
  }
  if (config.snapshotEvery > 0 && !config.out) {
    throw new UsageError("--snapshot-every needs --out DIR");
  }
  if (config.layers && config.layers.length < 2) {
    throw new UsageError("--layers needs at least two sizes (input and output)");
  }
  return config;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: "string" },
        test: { type: "string" },
        label: { type: "string" },
        task: { type: "string" },
        layers: { type: "string" },
        activation: { type: "string" },
        output: { type: "string" },
        loss: { type: "string" },
        batch: { type: "string" },
        lr: { type: "string" },
        momentum: { type: "string" },
        epochs: { type: "string" },
        seed: { type: "string" },
        scale: { type: "string" },
        "snapshot-every": { type: "string" },
        out: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    // node:util's messages name the flag; drop its advice about "--" for positionals.
    throw new UsageError((e as Error).message.split("\n")[0].split(". To specify")[0]);
  }
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

function number(flag: string, text: string): number {
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x)) {
    throw new UsageError(`${flag} needs a number, got "${text}"`);
  }
  return x;
}

function positive(flag: string, text: string): number {
  const x = number(flag, text);
  if (!(x > 0)) throw new UsageError(`${flag} must be > 0, got ${text}`);
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
