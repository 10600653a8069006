/**
 * A run that is not learning, told after its first epoch instead of after the last: the
 * outputs pinned at their limits (saturated), or accuracy at chance level. The seed's
 * configuration with momentum 0.9 ends its first Fashion-MNIST epoch with every sigmoid
 * output below 1e-6 and 0.10 accuracy, and would have gone on so for every epoch.
 *
 * @module
 */

import { argmaxColumns, type Batch, batches, type EpochEvent, type Network } from "../mod.ts";
import type { Dataset } from "./data.ts";

/** Outputs this close to an end of their range have a derivative of about zero. */
const PINNED = 1e-3;
/** Saturated: nearly every output is pinned. */
const SATURATED = 0.99;
/** Chance level: accuracy within this of 1/classes. */
const CHANCE_MARGIN = 0.02;

/** The ends of the outputs' range, for the bounded activations. */
const RANGES: Partial<Record<string, [number, number]>> = { sigmoid: [0, 1], tanh: [-1, 1] };

/**
 * A warning for people, or `undefined` when the run looks alive. `batch` is a sample of the
 * data to look at the outputs; `classes` the number of classes (classification).
 */
export function stuckWarning(
  network: Network,
  output: string,
  e: EpochEvent,
  batch: Batch | undefined,
  classes: number | undefined,
): string | undefined {
  const a = batch ? network.forward(batch.x) : undefined;
  const range = RANGES[output];
  if (a && range) {
    let pinned = 0;
    for (const v of a.data) if (Math.min(v - range[0], range[1] - v) < PINNED) pinned++;
    if (pinned >= SATURATED * a.data.length) {
      return `warning: after epoch ${e.epoch} the ${output} outputs are saturated (` +
        `${(100 * pinned / a.data.length).toFixed(0)}% at the ends of their range), so ` +
        "the gradients vanish: try a smaller --lr, or --momentum 0";
    }
  }
  if (!classes) return undefined;
  const accuracy = e.validationAccuracy ?? e.trainAccuracy;
  const oneClass = a && a.cols > 1 && new Set(argmaxColumns(a)).size === 1;
  if (oneClass || (accuracy !== undefined && accuracy <= 1 / classes + CHANCE_MARGIN)) {
    return `warning: after epoch ${e.epoch} accuracy is ${accuracy?.toFixed(4)}, chance level ` +
      `for ${classes} classes${oneClass ? " (every sample gets the same class)" : ""}: ` +
      "the run is not learning; try a smaller --lr, or --momentum 0";
  }
  return undefined;
}

/** After the first epoch: a warning when the run is saturated or at chance level. */
export async function warnIfStuck(
  network: Network,
  output: string,
  data: Dataset,
  e: EpochEvent,
): Promise<void> {
  const warning = stuckWarning(network, output, e, await firstBatch(data), data.classes?.length);
  if (warning) console.error(warning);
}

/** Up to 256 samples to look at: of the held-out data when there is some, else of the training data. */
async function firstBatch(data: Dataset): Promise<Batch | undefined> {
  const stream = data.validation
    ? (await data.validation()).pipeThrough(batches(256))
    : data.batches
    ? data.batches(1, 256)
    : (await data.train!(1)).pipeThrough(batches(256));
  const reader = stream.getReader();
  const { value } = await reader.read();
  await reader.cancel();
  return value;
}
