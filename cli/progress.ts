/**
 * A live progress bar for a terminal: epoch, step/total, loss, samples/s and
 * ETA, redrawn in place at most 10 times a second so that drawing never costs
 * training time. Off a terminal nothing is drawn (the per-epoch lines remain).
 *
 * @module
 */

import type { StepEvent } from "../mod.ts";

const REDRAW_MS = 100;
const WIDTH = 24;

/** Draws step events as one line that rewrites itself. */
export class ProgressBar {
  #lastDraw = -Infinity;
  #epoch = 0;
  #epochStart = 0;
  #epochSamples = 0;
  #epochSteps = 0;
  #drawn = false;
  readonly #write: (text: string) => void;

  /** `stepsPerEpoch` sizes the bar; `write` gets the raw text (default: stdout). */
  constructor(
    readonly epochs: number,
    readonly stepsPerEpoch: number,
    write: (text: string) => void = (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
  ) {
    this.#write = write;
  }

  /** Accounts for a step and redraws when the last redraw is old enough. */
  step(e: StepEvent): void {
    const now = performance.now();
    if (e.epoch !== this.#epoch) {
      [this.#epoch, this.#epochStart, this.#epochSamples, this.#epochSteps] = [e.epoch, now, 0, 0];
    }
    this.#epochSamples += e.batchSize;
    this.#epochSteps++;
    if (now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    // Every epoch has the same number of steps, so the step number tells the place in the epoch;
    // speed and ETA count only the steps seen here (a resumed run starts mid-epoch).
    const done = e.step - (e.epoch - 1) * this.stepsPerEpoch;
    const seconds = (now - this.#epochStart) / 1000;
    const rate = this.#epochSamples / Math.max(seconds, 1e-9);
    const eta = (seconds / this.#epochSteps) * (this.stepsPerEpoch - done);
    const filled = Math.min(WIDTH, Math.round((WIDTH * done) / this.stepsPerEpoch));
    const bar = "█".repeat(filled) + "░".repeat(WIDTH - filled);
    this.#write(
      `\r\x1b[2Kepoch ${e.epoch}/${this.epochs} ${bar} ${done}/${this.stepsPerEpoch}` +
        `  loss ${e.loss.toFixed(4)}  ${Math.round(rate)} samples/s  ETA ${formatSeconds(eta)}`,
    );
    this.#drawn = true;
  }

  /** Clears the bar so that a normal line can be printed in its place. */
  clear(): void {
    if (this.#drawn) this.#write("\r\x1b[2K");
    this.#drawn = false;
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  return s < 60
    ? `${Math.ceil(s)}s`
    : `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, "0")}s`;
}
