/**
 * What the train command prints for people: a line for the run, a live bar
 * while an epoch runs (on a terminal), a line per epoch, and the end.
 *
 * @module
 */

import type { EndEvent, EpochEvent, StepEvent } from "../mod.ts";
import type { TrainConfig } from "./args.ts";
import type { Dataset } from "./data.ts";
import { ProgressBar } from "./progress.ts";

/**
 * JSON lines written in blocks: one `console.log` per step cost A (6000 steps an epoch) 34–48%
 * of its speed. A block goes out at 64 KiB, after 200 ms, and at every epoch and the end, so
 * a reader still sees the run live.
 */
class JsonLines {
  #text = "";
  #since = performance.now();
  readonly #encoder = new TextEncoder();

  write(value: unknown, flush = false): void {
    this.#text += JSON.stringify(value) + "\n";
    if (flush || this.#text.length >= 1 << 16 || performance.now() - this.#since > 200) {
      this.flush();
    }
  }

  flush(): void {
    const bytes = this.#encoder.encode(this.#text);
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
    this.#text = "";
    this.#since = performance.now();
  }
}

/** Prints a run for people, or as JSON lines with `--json`. */
export class Report {
  readonly #bar?: ProgressBar;
  readonly #json = new JsonLines();

  /** `heldOut` names the data evaluated after each epoch: a validation split, or the test file. */
  constructor(
    readonly config: TrainConfig,
    stepsPerEpoch: number,
    readonly heldOut: "validation" | "test" = "test",
  ) {
    if (!config.json && Deno.stdout.isTerminal()) {
      this.#bar = new ProgressBar(config.epochs, stepsPerEpoch);
    }
  }

  /** The opening lines: what is trained on what, and how (and any `notes`, such as a preset). */
  start(
    sizes: number[],
    data: Dataset,
    kernels: string,
    resumedFrom?: string,
    notes: string[] = [],
  ): void {
    if (this.config.json) return;
    const c = this.config;
    for (const note of notes) console.log(note);
    if (resumedFrom) console.log(`resuming from ${resumedFrom}`);
    console.log(
      `training ${sizes.join("-")} (${c.activation} hidden, ${c.output} output, ${c.loss}) on ` +
        `${c.idx ?? c.data}: ${data.samples} samples, features ${data.scaling}`,
    );
    const held = data.validationName ? `; ${this.heldOut}: ${data.validationName}` : "";
    const test = data.testName ? `; test (once, at the end): ${data.testName}` : "";
    console.log(`  data: ${data.mode}${held}${test}`);
    console.log(
      `  ${c.optimizer} lr ${c.lr}${
        c.optimizer === "sgd"
          ? ` momentum ${c.momentum ?? 0}${c.nesterov ? " (Nesterov)" : ""}`
          : ""
      }` +
        `, schedule ${c.schedule}, batch ${c.batch}, ${
          plural(c.epochs, "epoch")
        }, seed ${c.seed}, ` +
        `${kernels} kernels`,
    );
    if (c.task === "regression" && c.loss === "quadratic") {
      // The two figures differ by ½ and by the sum over outputs: say so once, not leave a puzzle.
      console.log(
        "  loss = ½ × squared error summed over the outputs; MSE = squared error averaged over them",
      );
    }
  }

  step(e: StepEvent): void {
    if (this.config.json) {
      return this.#json.write({ ...e, snapshot: e.snapshot ? true : undefined });
    }
    this.#bar?.step(e);
  }

  epoch(e: EpochEvent): void {
    if (this.config.json) return this.#json.write(e, true);
    this.#bar?.clear();
    console.log(describeEpoch(e, this.config.epochs, this.heldOut === "test" ? "test" : "val"));
  }

  /** Why training stopped, on stderr when it is bad news; `signal` is what interrupted it. */
  end(e: EndEvent, signal = "SIGINT"): void {
    if (this.config.json) return this.#json.write(e, true);
    this.#bar?.clear();
    if (e.reason === "non-finite") console.error(`error: ${e.message}`);
    if (e.reason === "aborted") {
      console.log(`interrupted in epoch ${e.epoch + 1} after step ${e.step} (${signal})`);
    }
    if (e.reason === "early-stopping") {
      console.log(
        `early stopping after epoch ${e.epoch}: no improvement for ${
          plural(this.config.patience, "epoch")
        }`,
      );
    }
    if (e.restoredBest) {
      console.log(
        `restored the parameters of epoch ${e.bestEpoch}, the best by ${
          this.config.monitor ?? "validationLoss"
        }`,
      );
    }
  }

  /** A message for people only. */
  note(text: string): void {
    if (!this.config.json) console.log(text);
  }
}

/** `1 epoch`, `2 epochs`. */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** One epoch's line: losses, accuracy and speed; `held` names the held-out data (val or test). */
export function describeEpoch(e: EpochEvent, epochs: number, held = "val"): string {
  const width = String(epochs).length;
  const parts = [
    `epoch ${String(e.epoch).padStart(width)}/${epochs}`,
    `loss ${e.trainLoss.toFixed(4)}`,
  ];
  if (e.trainAccuracy !== undefined) parts.push(`accuracy ${e.trainAccuracy.toFixed(4)}`);
  if (e.validationLoss !== undefined) parts.push(`${held} loss ${e.validationLoss.toFixed(4)}`);
  if (e.validationAccuracy !== undefined) {
    parts.push(`${held} accuracy ${e.validationAccuracy.toFixed(4)}`);
  }
  if (e.validationMSE !== undefined) {
    parts.push(
      `${held} MSE ${e.validationMSE.toPrecision(4)} MAE ${e.validationMAE!.toPrecision(4)}`,
    );
  }
  parts.push(`${Math.round(e.samplesPerSec)} samples/s${e.best ? "  *" : ""}`);
  return parts.join("  ");
}

/** A confusion matrix as aligned text, actual classes down, predicted across. */
export function formatConfusion(confusion: number[][], classes: string[]): string {
  const width =
    Math.max(...classes.map((c) => c.length), ...confusion.flat().map((n) => String(n).length)) + 1;
  const pad = (s: string) => s.padStart(width);
  const header = pad("") + " │" + classes.map(pad).join("");
  const rows = confusion.map((row, i) =>
    pad(classes[i]) + " │" + row.map((n) => pad(String(n))).join("")
  );
  return [
    "confusion matrix (rows: actual, columns: predicted)",
    header,
    pad("").replace(/ /g, "─") + "─┼" + "─".repeat(width * classes.length),
    ...rows,
  ].join("\n");
}
