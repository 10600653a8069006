/**
 * CSV bytes to training samples: a streaming RFC 4180 reader that parses numbers straight
 * from the bytes into typed arrays.
 *
 * Each data row becomes a {@linkcode Sample}: the label column(s) give `y` (one-hot for
 * classification, the values for regression) and every other column, in order, gives `x`.
 * The output is pull-driven: input is read only when the consumer asks for more samples,
 * so a slow consumer slows the file read. Bad input stops the stream with a
 * {@linkcode DataError} naming the source, physical line and field number. Memory is bounded
 * whatever the input: a row may be at most `maxLineBytes` long, a class label 1 KiB, and
 * labels found while reading at most `maxClasses` distinct ones.
 *
 * The parts, in the order bytes meet them: `csv/_tokenizer.ts` (fields, quotes, line
 * endings), `csv/_number.ts` (numbers from bytes), `csv/_layout.ts` (label columns, header,
 * classes) and `csv/_parser.ts` (rows into sample blocks).
 *
 * @module
 */

import { DataError } from "../errors.ts";
import type { DType } from "../kernels/types.ts";
import { pullStream } from "./_pull.ts";
import type { Sample } from "./sample.ts";
import { readAll } from "./_portable.ts";
import type { CsvParser } from "./csv/_parser.ts";
import { parserFor } from "./csv/_options.ts";
import { parseWorkerAvailable, samplesInWorker } from "./csv/_in_worker.ts";

/** How {@linkcode csvSamples} reads a CSV. */
export interface CsvSamplesOptions {
  /** Name used in error messages, usually the file path. Default `"<stream>"`. */
  source?: string;
  /**
   * Whether the first non-blank row names the columns. `"auto"` (the default) takes it for a
   * header when a field of it could not stand in a data row (a feature that is not a number,
   * a label that is not one of the classes), or when a label column is given by name or found
   * by its name.
   */
  header?: boolean | "auto";
  /**
   * The label column(s): a header name or a 0-based index, negative counting from the end.
   * Default: the column whose header is `label`, `class`, `target`, `species` or `y` (any
   * case), else the last one. Regression may name several (`y` follows this order) or none
   * (`[]`: features only, as in data to predict on).
   */
  label?: string | number | readonly (string | number)[];
  /** What `y` holds: a one-hot class (`"classification"`, the default) or the label values. */
  task?: "classification" | "regression";
  /**
   * Classification: a count `k` (labels are integer ids `0..k-1`) or the class names in order
   * (a label's text must equal one; `"3"` matches a label `3`). Without it, `onClasses` is
   * required and the classes are found while reading.
   */
  classes?: number | readonly string[];
  /**
   * Classification without `classes`: labels are found while reading, in one pass. A sample's
   * `label` is then its label's index in order of first appearance and its `y` is empty; at the
   * end of the input this is called with the classes in {@linkcode discoverClasses}'s order and,
   * for each label by first appearance, its index among them.
   */
  onClasses?: (classes: string[], byFirstAppearance: Uint32Array) => void;
  /**
   * Called once, when the first row is a header, with the names of the label columns in the
   * order of `label` (a regression's target names).
   */
  onHeader?: (labels: string[]) => void;
  /** The most distinct labels found while reading (without `classes`). Default 1000. */
  maxClasses?: number;
  /** Element type of `x` and `y`. Default `"float32"`. */
  dtype?: DType;
  /**
   * What to do to each feature as it is parsed: multiply it by a number (e.g. `1 / 255` for
   * pixels; default 1), or map feature `i` to `(x[i] − offset[i]) · factor[i]`.
   */
  scale?: number | { offset: readonly number[]; factor: readonly number[] };
  /** Regression: map target `j` to `(y[j] − offset[j]) · factor[j]` as it is parsed. */
  targetScale?: { offset: readonly number[]; factor: readonly number[] };
  /** The field separator, one ASCII character. Default `","`. */
  delimiter?: string;
  /** The longest row taken, in bytes; a longer one is a DataError. Default 4 MiB. */
  maxLineBytes?: number;
  /**
   * Parse in a worker, on another core, so that the consumer (training) and the parser run
   * at once; the samples, errors and callbacks are the same as on the calling thread. Where
   * no worker can start (no module workers, or in Deno no read permission for this package's
   * files, which a worker loads its code from) the parse stays on the calling thread.
   * Default false.
   */
  worker?: boolean;
}

/**
 * Reads samples from CSV bytes. Samples may be views into shared blocks (one-hot targets are
 * shared by every sample of their class): copy what you keep, and do not write to them.
 * Cancelling the output cancels the input (closing a file); an input error or a
 * {@linkcode DataError} errors the output once, after the samples before it, and cancels the
 * input. A failure of the input itself is a DataError naming the line reached, with the
 * failure as its `cause`.
 *
 * @example Classes named by a text label
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvSamples } from "@fullmatrix/backprop";
 *
 * const csv = "width,height,kind\n1.5,2,cat\n0.5,3,dog\n";
 * const bytes = ReadableStream.from([new TextEncoder().encode(csv)]);
 * const samples = await Array.fromAsync(csvSamples(bytes, { classes: ["cat", "dog"] }));
 * assert.deepEqual([...samples[1].x], [0.5, 3]);
 * assert.deepEqual([...samples[1].y], [0, 1]);
 * ```
 *
 * @example A file, two regression targets picked by name
 * ```ts ignore
 * import { csvSamples } from "@fullmatrix/backprop";
 *
 * const file = await Deno.open("data/houses.csv");
 * const samples = csvSamples(file.readable, {
 *   source: "data/houses.csv",
 *   task: "regression",
 *   label: ["price", "rent"],
 * });
 * for await (const { x, y } of samples) console.log(x.length, y[0], y[1]);
 * ```
 */
export function csvSamples(
  input: ReadableStream<Uint8Array>,
  options: CsvSamplesOptions,
): ReadableStream<Sample> {
  // The options are checked on this thread, at once, wherever the parse then runs.
  const { parser, done, classes, dtype } = parserFor(options);
  if (options.worker && parseWorkerAvailable()) {
    return samplesInWorker(input, options, classes, dtype);
  }
  return samplesOf(input, parser, done);
}

/**
 * Finds the class labels of a CSV: the distinct texts of its label column, sorted numerically
 * when all are numbers and by string order otherwise. The result suits `classes` of
 * {@linkcode csvSamples}. Reads the whole input, checking every row as `csvSamples` would.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discoverClasses } from "@fullmatrix/backprop";
 *
 * const csv = "1,dog\n2,cat\n3,dog\n";
 * const bytes = ReadableStream.from([new TextEncoder().encode(csv)]);
 * assert.deepEqual(await discoverClasses(bytes, { header: false }), ["cat", "dog"]);
 * ```
 */
export async function discoverClasses(
  input: ReadableStream<Uint8Array>,
  options: Omit<CsvSamplesOptions, "classes" | "task" | "onClasses"> = {},
): Promise<string[]> {
  let classes: string[] = [];
  const samples = csvSamples(input, { ...options, onClasses: (found) => classes = found });
  for await (const _sample of readAll(samples)) {
    // Only the labels matter; the parser collects them.
  }
  return classes;
}

/** The pull-driven output of a parser; `done` runs at the end of the input. */
function samplesOf(
  input: ReadableStream<Uint8Array>,
  parser: CsvParser,
  done: () => void,
): ReadableStream<Sample> {
  const reader = input.getReader();
  const source = parser.source;
  return pullStream<Sample>({
    async fill(out): Promise<boolean> {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        const reason = `reading failed after line ${parser.line - 1}: ${why}`;
        throw new DataError(reason, { source }, { cause: e });
      }
      if (chunk.done) {
        parser.finish(out);
        done();
      } else parser.push(chunk.value, out);
      return chunk.done;
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
