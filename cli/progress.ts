/**
 * A live progress bar for a terminal: epoch, step/total, the epoch's running mean
 * loss, samples/s and ETA, redrawn in place at most 10 times a second so that
 * drawing never costs training time. The line is cut to the terminal's width (a
 * wrapped line leaves a stale copy at every redraw), and speed and ETA show only
 * once a tenth of a second has been timed (a first frame timed over a few
 * microseconds claimed 64,000,000,000 samples/s). Off a terminal nothing is drawn
 * (the per-epoch lines remain).
 *
 * @module
 */

import type { StepEvent } from "../mod.ts";

const REDRAW_MS = 100;
/** The bar's cells at most; it shrinks on a narrow terminal. */
const WIDTH = 24;
/** Time an epoch must have run before its speed means something. */
const MIN_TIMED_MS = 100;

/** Draws step events as one line that rewrites itself. */
export class ProgressBar {
  #lastDraw = -Infinity;
  #epoch = 0;
  #epochStart = 0;
  #epochSamples = 0;
  #epochSteps = 0;
  #epochLoss = 0;
  #drawn = false;
  readonly #write: (text: string) => void;
  readonly #columns: () => number;

  /**
   * `stepsPerEpoch` sizes the bar; `write` gets the raw text (default: stdout); `columns`
   * is the terminal's width, asked at each redraw since a terminal can be resized.
   */
  constructor(
    readonly epochs: number,
    readonly stepsPerEpoch: number,
    write: (text: string) => void = (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
    columns: () => number = terminalColumns,
  ) {
    this.#write = write;
    this.#columns = columns;
  }

  /** Accounts for a step and redraws when the last redraw is old enough. */
  step(e: StepEvent): void {
    const now = performance.now();
    if (e.epoch !== this.#epoch) {
      [this.#epoch, this.#epochStart, this.#epochSamples] = [e.epoch, now, 0];
      [this.#epochSteps, this.#epochLoss] = [0, 0];
    }
    this.#epochSamples += e.batchSize;
    this.#epochSteps++;
    this.#epochLoss += e.loss;
    if (now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#write(`\r\x1b[2K${this.#line(e, now)}`);
    this.#drawn = true;
  }

  /** The bar's text, shortened to fit the terminal: the bar narrows first, then the end is cut. */
  #line(e: StepEvent, now: number): string {
    // Every epoch has the same number of steps, so the step number tells the place in the epoch;
    // speed, ETA and the mean loss count only the steps seen here (a resumed run starts mid-epoch).
    const done = e.step - (e.epoch - 1) * this.stepsPerEpoch;
    const ms = now - this.#epochStart;
    const timed = ms >= MIN_TIMED_MS;
    const rate = timed
      ? `${Math.round(this.#epochSamples / (ms / 1000))} samples/s`
      : "– samples/s";
    const eta = timed
      ? formatSeconds((ms / 1000 / this.#epochSteps) * (this.stepsPerEpoch - done))
      : "?";
    const head = `epoch ${e.epoch}/${this.epochs} `;
    const tail =
      ` ${done}/${this.stepsPerEpoch}  loss ${(this.#epochLoss / this.#epochSteps).toFixed(4)}` +
      `  ${rate}  ETA ${eta}`;
    // One column spare: writing the last column makes some terminals wrap.
    const room = this.#columns() - 1;
    const cells = Math.max(0, Math.min(WIDTH, room - head.length - tail.length));
    const filled = Math.min(cells, Math.round((cells * done) / this.stepsPerEpoch));
    const bar = "█".repeat(filled) + "░".repeat(cells - filled);
    return [...(head + bar + tail)].slice(0, Math.max(room, 0)).join("");
  }

  /** Clears the bar so that a normal line can be printed in its place. */
  clear(): void {
    if (this.#drawn) this.#write("\r\x1b[2K");
    this.#drawn = false;
  }
}

/** The terminal's width; 80, the common default, when stdout's size cannot be asked. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  return s < 60
    ? `${Math.ceil(s)}s`
    : `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, "0")}s`;
}
