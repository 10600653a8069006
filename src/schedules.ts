/**
 * Learning-rate schedules: the rate as a function of the 0-based step.
 *
 * A large rate early makes fast progress, a small one late settles into a minimum; a
 * schedule says how to get from one to the other. The built-in step schedules are plain
 * functions of the step, with no state, so a run resumed at step `k` gets the same rates
 * as one that never stopped. The trainer sets `optimizer.learningRate = schedule(step)`
 * before each step, and {@linkcode train} tells a schedule that has an `epochEnd` hook
 * each epoch's losses, so a schedule can also adapt to how training goes.
 *
 * {@linkcode schedules} is the registry of the command-line forms (`step:10:0.5`); a new
 * schedule is one function and one entry there.
 *
 * @module
 */

/**
 * What {@linkcode train} tells a schedule at the end of each epoch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { EpochLosses } from "@fullmatrix/backprop";
 * const end: EpochLosses = { epoch: 1, trainLoss: 0.5, validationLoss: 0.6 };
 * assert.equal(end.validationLoss ?? end.trainLoss, 0.6);
 * ```
 */
export interface EpochLosses {
  /** The epoch just finished, from 1. */
  epoch: number;
  /** Its mean training loss. */
  trainLoss: number;
  /** Its validation loss, when the run has validation data. */
  validationLoss?: number;
}

/**
 * The learning rate for a 0-based step; optionally told each epoch's losses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Schedule } from "@fullmatrix/backprop";
 * const halving: Schedule = (step) => 0.1 / 2 ** step;
 * assert.equal(halving(2), 0.025);
 * ```
 */
export interface Schedule {
  /** The rate of the 0-based `step`. */
  (step: number): number;
  /** Called by {@linkcode train} after each epoch (before its validation-driven decisions). */
  epochEnd?(losses: EpochLosses): void;
  /** What an adaptive schedule has learnt, to save in a checkpoint. */
  state?(): Record<string, number>;
  /** Restores {@linkcode Schedule.state}, so a resumed run gets the same rates. */
  loadState?(state: Readonly<Record<string, number>>): void;
}

/**
 * The same rate at every step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { constantLR } from "@fullmatrix/backprop";
 * assert.ok(constantLR(0.1)(1000) === 0.1);
 * ```
 */
export function constantLR(lr: number): Schedule {
  checkRate(lr);
  return () => lr;
}

/**
 * Settings of {@linkcode stepLR}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepLR, type StepLROptions } from "@fullmatrix/backprop";
 * const opts: StepLROptions = { lr: 0.1, stepSize: 1000, gamma: 0.5 };
 * assert.equal(stepLR(opts)(2500), 0.025);
 * ```
 */
export interface StepLROptions {
  /** The rate of the first `stepSize` steps. */
  lr: number;
  /** How many steps each rate lasts. */
  stepSize: number;
  /** The factor in (0, 1] applied after every `stepSize` steps. */
  gamma: number;
}

/**
 * A staircase: `lr · gamma^⌊step / stepSize⌋`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepLR } from "@fullmatrix/backprop";
 * const schedule = stepLR({ lr: 0.1, stepSize: 10, gamma: 0.5 });
 * assert.ok(schedule(9) === 0.1 && schedule(10) === 0.05);
 * ```
 */
export function stepLR(options: StepLROptions): Schedule {
  const { lr, stepSize, gamma } = options;
  checkRate(lr);
  checkCount("stepSize", stepSize, 1);
  checkGamma(gamma);
  return (step) => lr * gamma ** Math.floor(step / stepSize);
}

/**
 * Settings of {@linkcode exponentialLR}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exponentialLR, type ExponentialLROptions } from "@fullmatrix/backprop";
 * const perEpoch: ExponentialLROptions = { lr: 0.1, gamma: 0.5, decaySteps: 469 }; // 469 steps an epoch
 * assert.equal(exponentialLR(perEpoch)(2 * 469), 0.025);
 * ```
 */
export interface ExponentialLROptions {
  /** The rate at step 0. */
  lr: number;
  /** The factor in (0, 1] the rate is multiplied by every `decaySteps` steps. */
  gamma: number;
  /** Steps over which the rate falls by `gamma`; default 1. The steps of an epoch make it per epoch. */
  decaySteps?: number;
}

/**
 * A smooth decay, per step: `lr · gamma^(step / decaySteps)`. The rate falls a little at
 * every step rather than in jumps, and passes through `lr · gamma^k` at step
 * `k · decaySteps`; so with `decaySteps` set to the steps of an epoch, `gamma` is the
 * decay per epoch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exponentialLR } from "@fullmatrix/backprop";
 * const schedule = exponentialLR({ lr: 1, gamma: 0.25, decaySteps: 2 });
 * assert.ok(schedule(1) === 0.5 && schedule(4) === 0.0625);
 * ```
 */
export function exponentialLR(options: ExponentialLROptions): Schedule {
  const { lr, gamma, decaySteps = 1 } = options;
  checkRate(lr);
  checkGamma(gamma);
  checkCount("decaySteps", decaySteps, 1);
  return (step) => lr * gamma ** (step / decaySteps);
}

/**
 * Settings of {@linkcode cosineLR}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cosineLR, type CosineLROptions } from "@fullmatrix/backprop";
 * const opts: CosineLROptions = { lr: 0.1, totalSteps: 10_000, warmupSteps: 500 };
 * const schedule = cosineLR(opts);
 * assert.equal(schedule(499), 0.1);
 * assert.ok(schedule(10_000) === 0);
 * ```
 */
export interface CosineLROptions {
  /** The peak rate, reached when the warm-up ends. */
  lr: number;
  /** Steps of the whole run; the rate reaches `minLR` there. */
  totalSteps: number;
  /** The final rate, in [0, lr]; default 0. */
  minLR?: number;
  /** Steps of linear warm-up before the cosine, less than `totalSteps`; default 0. */
  warmupSteps?: number;
}

/**
 * Linear warm-up, then half a cosine from `lr` down to `minLR` at `totalSteps` (and
 * `minLR` after it). The warm-up rises from 0 in equal parts, `lr · (step + 1) / warmupSteps`,
 * so its first step already moves and its last one is at `lr`; it keeps early steps,
 * taken while Adam's moments or momentum are still unsettled, small.
 *
 *     step < W:   lr · (step + 1) / W
 *     otherwise:  minLR + (lr − minLR) · (1 + cos(π · min(1, (step − W) / (T − W)))) / 2
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cosineLR } from "@fullmatrix/backprop";
 * const schedule = cosineLR({ lr: 1, totalSteps: 12, warmupSteps: 2 });
 * assert.ok(schedule(0) === 0.5 && schedule(2) === 1 && schedule(7) === 0.5 && schedule(12) === 0);
 * ```
 */
export function cosineLR(options: CosineLROptions): Schedule {
  const { lr, totalSteps, minLR = 0, warmupSteps = 0 } = options;
  checkRate(lr);
  checkCount("totalSteps", totalSteps, 1);
  if (!(minLR >= 0 && minLR <= lr)) {
    throw new RangeError(`cosineLR: minLR must be in [0, ${lr}], got ${minLR}`);
  }
  checkCount("warmupSteps", warmupSteps, 0);
  if (warmupSteps >= totalSteps) {
    throw new RangeError(
      `cosineLR: warmupSteps (${warmupSteps}) must be less than totalSteps (${totalSteps})`,
    );
  }
  const span = totalSteps - warmupSteps;
  return (step) => {
    if (step < warmupSteps) return lr * (step + 1) / warmupSteps;
    const progress = Math.min(1, (step - warmupSteps) / span);
    return minLR + (lr - minLR) * (1 + Math.cos(Math.PI * progress)) / 2;
  };
}

/**
 * Settings of {@linkcode reduceOnPlateau}; the defaults are PyTorch's `ReduceLROnPlateau`'s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSchedule } from "@fullmatrix/backprop";
 * const s = parseSchedule("plateau:factor=0.5:patience=0", 0.1, 100);
 * s.epochEnd!({ epoch: 1, trainLoss: 1 });
 * s.epochEnd!({ epoch: 2, trainLoss: 1 }); // no better: halve at once (patience 0)
 * assert.equal(s(0), 0.05);
 * ```
 */
export interface PlateauOptions {
  /** The starting rate. */
  lr: number;
  /** The factor in (0, 1) the rate is multiplied by on a plateau; default 0.1. */
  factor?: number;
  /** Epochs without improvement tolerated before reducing; default 10. */
  patience?: number;
  /** The least relative improvement that counts: better means `loss < best · (1 − threshold)`; default 1e-4. */
  threshold?: number;
  /** The rate never goes below this, in [0, lr]; default 0. */
  minLR?: number;
}

/**
 * Reduce on plateau: the rate stays until the epoch's loss (the validation loss when
 * the run has validation data, else the training loss) has not improved for more than
 * `patience` epochs, then it is multiplied by `factor` (not below `minLR`) and the
 * count starts again — PyTorch's `ReduceLROnPlateau` in `min` mode with a relative
 * threshold and no cool-down. It learns from {@linkcode Schedule.epochEnd}, which
 * {@linkcode train} calls, and saves what it learnt with `state()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { schedules } from "@fullmatrix/backprop";
 * const s = schedules.plateau.parse(["patience=1", "factor=0.5"], { lr: 1, totalSteps: 100 });
 * for (const loss of [1, 0.5, 0.6, 0.7]) s.epochEnd!({ epoch: 1, trainLoss: 2, validationLoss: loss });
 * assert.equal(s(123), 0.5); // two epochs no better than 0.5: more than patience 1
 * assert.deepEqual(s.state!(), { rate: 0.5, best: 0.5, wait: 0 });
 * ```
 */
export function reduceOnPlateau(options: PlateauOptions): Schedule {
  const { lr, factor = 0.1, patience = 10, threshold = 1e-4, minLR = 0 } = options;
  checkRate(lr);
  if (!(factor > 0 && factor < 1)) {
    throw new RangeError(`reduceOnPlateau: factor must be in (0, 1), got ${factor}`);
  }
  checkCount("patience", patience, 0);
  if (!(threshold >= 0 && threshold < 1)) {
    throw new RangeError(`reduceOnPlateau: threshold must be in [0, 1), got ${threshold}`);
  }
  if (!(minLR >= 0 && minLR <= lr)) {
    throw new RangeError(`reduceOnPlateau: minLR must be in [0, ${lr}], got ${minLR}`);
  }
  let rate = lr, best = Infinity, wait = 0;
  return Object.assign(() => rate, {
    epochEnd({ trainLoss, validationLoss }: EpochLosses): void {
      const loss = validationLoss ?? trainLoss;
      if (loss < best * (1 - threshold)) [best, wait] = [loss, 0];
      else if (++wait > patience) [rate, wait] = [Math.max(rate * factor, minLR), 0];
    },
    // No `best` before the first epoch: Infinity has no JSON form.
    state: (): Record<string, number> =>
      Number.isFinite(best) ? { rate, best, wait } : { rate, wait },
    loadState(state: Readonly<Record<string, number>>): void {
      const { rate: r, best: b = Infinity, wait: w } = state;
      if (!(r >= minLR && r <= lr) || !(b > -Infinity) || !(Number.isInteger(w) && w >= 0)) {
        throw new RangeError(`reduceOnPlateau: bad state ${JSON.stringify(state)}`);
      }
      [rate, best, wait] = [r, b, w];
    },
  });
}

/**
 * What every command-line schedule is built from: the peak rate and the run's length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { schedules, type ScheduleBase } from "@fullmatrix/backprop";
 * const base: ScheduleBase = { lr: 0.1, totalSteps: 100 };
 * assert.equal(schedules.constant.parse([], base)(50), 0.1);
 * ```
 */
export interface ScheduleBase {
  /** The peak (or only) rate: `--lr`. */
  lr: number;
  /** Steps of the whole run. */
  totalSteps: number;
}

/**
 * A registry entry: the command-line form and how to build the schedule from its fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { schedules } from "@fullmatrix/backprop";
 * assert.equal(schedules.step.form, "step:SIZE:GAMMA");
 * ```
 */
export interface ScheduleEntry {
  /** The form, for help and error messages. */
  form: string;
  /** Builds the schedule from the `:`-separated fields after the name. */
  parse(fields: readonly string[], base: ScheduleBase): Schedule;
}

/**
 * The command-line schedules by name:
 *
 * | text | schedule |
 * | --- | --- |
 * | `constant` | {@linkcode constantLR} |
 * | `step:10:0.5` | {@linkcode stepLR}, `stepSize` 10, `gamma` 0.5 |
 * | `exp:0.99`, `exp:0.5:1000` | {@linkcode exponentialLR}, `gamma`, then `decaySteps` (default 1) |
 * | `cosine`, `cosine:warmup=100:min=1e-5` | {@linkcode cosineLR} over `totalSteps` |
 * | `plateau`, `plateau:factor=0.5:patience=3:min=1e-5` | {@linkcode reduceOnPlateau} from `lr` |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { schedules } from "@fullmatrix/backprop";
 * const s = schedules.exp.parse(["0.5"], { lr: 1, totalSteps: 10 });
 * assert.equal(s(2), 0.25);
 * ```
 */
export const schedules = {
  constant: {
    form: "constant",
    parse: (fields: readonly string[], { lr }: ScheduleBase): Schedule => {
      expectFields(fields, 0, 0);
      return constantLR(lr);
    },
  },
  step: {
    form: "step:SIZE:GAMMA",
    parse: (fields: readonly string[], { lr }: ScheduleBase): Schedule => {
      expectFields(fields, 2, 2);
      return stepLR({ lr, stepSize: number(fields[0]), gamma: number(fields[1]) });
    },
  },
  exp: {
    form: "exp:GAMMA[:DECAY_STEPS]",
    parse: (fields: readonly string[], { lr }: ScheduleBase): Schedule => {
      expectFields(fields, 1, 2);
      return exponentialLR({ lr, gamma: number(fields[0]), decaySteps: number(fields[1] ?? "1") });
    },
  },
  cosine: {
    form: "cosine[:warmup=N][:min=LR]",
    parse: (fields: readonly string[], { lr, totalSteps }: ScheduleBase): Schedule =>
      cosineLR({
        lr,
        totalSteps,
        ...keyed(fields, { warmup: ["warmupSteps", "N"], min: ["minLR", "LR"] }),
      }),
  },
  plateau: {
    form: "plateau[:factor=F][:patience=N][:threshold=T][:min=LR]",
    parse: (fields: readonly string[], { lr }: ScheduleBase): Schedule =>
      reduceOnPlateau({
        lr,
        ...keyed(fields, {
          factor: ["factor", "F"],
          patience: ["patience", "N"],
          threshold: ["threshold", "T"],
          min: ["minLR", "LR"],
        }),
      }),
  },
} as const satisfies Record<string, ScheduleEntry>;

/**
 * The names of the command-line schedules, derived from {@linkcode schedules}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ScheduleName, scheduleNames } from "@fullmatrix/backprop";
 * const name: ScheduleName = "cosine";
 * assert.ok(scheduleNames.includes(name));
 * ```
 */
export type ScheduleName = keyof typeof schedules;

/**
 * Every schedule name, in registry order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scheduleNames } from "@fullmatrix/backprop";
 * assert.equal(scheduleNames[0], "constant");
 * ```
 */
export const scheduleNames: readonly ScheduleName[] = Object.keys(schedules) as ScheduleName[];

/**
 * Every schedule's form, comma-separated, for help text and errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scheduleForms } from "@fullmatrix/backprop";
 * assert.ok(scheduleForms.includes("step:SIZE:GAMMA"));
 * ```
 */
export const scheduleForms: string = scheduleNames.map((n) => schedules[n].form).join(", ");

/**
 * A schedule from its command-line text (see {@linkcode schedules}), at peak rate `lr`
 * over a run of `totalSteps`. Bad text throws a `RangeError` that lists the forms, with
 * the settings' own error as its `cause`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSchedule } from "@fullmatrix/backprop";
 * const schedule = parseSchedule("step:10:0.5", 0.1, 100);
 * assert.equal(schedule(25), 0.025);
 * assert.throws(() => parseSchedule("toString", 0.1, 100), RangeError);
 * ```
 */
export function parseSchedule(text: string, lr: number, totalSteps: number): Schedule {
  const [name, ...fields] = text.trim().split(":");
  try {
    if (!Object.hasOwn(schedules, name)) throw new RangeError(`unknown schedule "${name}"`);
    const entry: ScheduleEntry = schedules[name as ScheduleName];
    return entry.parse(fields, { lr, totalSteps });
  } catch (e) {
    throw new RangeError(
      `bad schedule "${text}": ${(e as Error).message} (forms: ${scheduleForms})`,
      { cause: e },
    );
  }
}

/** `key=value` fields into settings, by a map from each key to its setting's name and placeholder. */
function keyed<K extends string>(
  fields: readonly string[],
  keys: Readonly<Record<string, readonly [K, string]>>,
): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const field of fields) {
    const [key, value, ...rest] = field.split("=");
    if (!Object.hasOwn(keys, key) || value === undefined || rest.length > 0) {
      const forms = Object.entries(keys).map(([k, [, v]]) => `${k}=${v}`).join(" or ");
      throw new RangeError(`"${field}" is not ${forms}`);
    }
    out[keys[key][0]] = number(value);
  }
  return out;
}

function expectFields(fields: readonly string[], min: number, max: number): void {
  if (fields.length < min || fields.length > max) {
    const wanted = min === max ? `${min}` : `${min} to ${max}`;
    throw new RangeError(`${wanted} field(s) after the name expected, got ${fields.length}`);
  }
}

/** A number from text, strictly: `Number("")` would be 0. */
function number(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value)) throw new RangeError(`"${text}" is not a number`);
  return value;
}
function checkRate(lr: number): void {
  if (!(lr > 0 && lr < Infinity)) {
    throw new RangeError(`schedule: lr must be a positive number, got ${lr}`);
  }
}

function checkGamma(gamma: number): void {
  if (!(gamma > 0 && gamma <= 1)) {
    throw new RangeError(`schedule: gamma must be in (0, 1], got ${gamma}`);
  }
}

function checkCount(name: string, value: number, min: number): void {
  if (!(Number.isInteger(value) && value >= min)) {
    throw new RangeError(`schedule: ${name} must be an integer >= ${min}, got ${value}`);
  }
}
