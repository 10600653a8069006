/**
 * What the train command prints for people: one line for the run, one per epoch.
 *
 * @module
 */

import type { EpochEvent } from "../mod.ts";
import type { TrainConfig } from "./args.ts";

/** The opening line: what is trained on what, and how. */
export function describeRun(
  config: TrainConfig,
  sizes: number[],
  samples: number,
  scale: number,
): string {
  const layers = `${
    sizes.join("-")
  } (${config.activation} hidden, ${config.output} output, ${config.loss})`;
  return `training ${layers} on ${config.data}: ${samples} samples, features × ${
    Number(scale.toPrecision(4))
  }, ` +
    `batch ${config.batch}, lr ${config.lr}, momentum ${config.momentum}, ${config.epochs} epochs, seed ${config.seed}`;
}

/** One epoch's line: losses, test accuracy and speed. */
export function describeEpoch(e: EpochEvent, epochs: number): string {
  const width = String(epochs).length;
  const parts = [
    `epoch ${String(e.epoch).padStart(width)}/${epochs}`,
    `loss ${e.trainLoss.toFixed(4)}`,
  ];
  if (e.testLoss !== undefined) parts.push(`test loss ${e.testLoss.toFixed(4)}`);
  if (e.testAccuracy !== undefined) parts.push(`test accuracy ${e.testAccuracy.toFixed(4)}`);
  parts.push(`${Math.round(e.samplesPerSec)} samples/s`);
  return parts.join("  ");
}
