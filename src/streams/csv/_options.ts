/**
 * The options of `csvSamples` checked and turned into a parser, on whichever thread parses:
 * the calling one, or a worker (`_parse_worker.ts`), which gets the same options less their
 * callbacks.
 *
 * @module
 */

import type { CsvSamplesOptions } from "../csv_samples.ts";
import type { DType } from "../../kernels/types.ts";
import { type Config, type Discovered, oneHotLength, type Target } from "./_layout.ts";
import { CsvParser } from "./_parser.ts";
import { CR, LF, MAX_LINE_BYTES, QUOTE, SPACE, TAB } from "./_tokenizer.ts";

/** What {@linkcode parserFor} makes. */
export interface ParserFor {
  parser: CsvParser;
  /** What to call at the end of the input. */
  done: () => void;
  /** The length of the samples' one-hot `y` (0: none), and their element type. */
  classes: number;
  dtype: DType;
}

/** A parser for `options`, and what to call at the end of the input. */
export function parserFor(options: CsvSamplesOptions): ParserFor {
  const { target, done } = targetOf(options);
  const cfg = configure(options, target);
  const scale = options.scale ?? 1;
  if (typeof scale === "number" && !Number.isFinite(scale)) {
    throw new RangeError(`csvSamples: scale must be a finite number, got ${scale}`);
  }
  const parser = new CsvParser(cfg, { scale, targetScale: options.targetScale });
  return { parser, done, classes: oneHotLength(target), dtype: cfg.dtype };
}

const DEFAULT_MAX_CLASSES = 1000;

/** The target of the options, and what to do at the end of the input. */
function targetOf(options: CsvSamplesOptions): { target: Target; done: () => void } {
  const none = (): void => {};
  if (options.task === "regression") return { target: { kind: "regression" }, done: none };
  if (options.task !== undefined && options.task !== "classification") {
    throw new TypeError(`csvSamples: unknown task "${options.task}"`);
  }
  const classes = options.classes;
  if (typeof classes === "number") {
    if (!Number.isInteger(classes) || classes < 1) {
      throw new RangeError(`csvSamples: classes must be a positive integer, got ${classes}`);
    }
    return { target: { kind: "ids", count: classes }, done: none };
  }
  if (classes === undefined) {
    const onClasses = options.onClasses;
    if (onClasses === undefined) {
      throw new TypeError(
        "csvSamples: classification needs `classes`, a count or the names (discoverClasses finds them), or `onClasses`",
      );
    }
    const max = options.maxClasses ?? DEFAULT_MAX_CLASSES;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`csvSamples: maxClasses must be a positive integer, got ${max}`);
    }
    const found: Discovered = { index: new Map(), names: [], values: [], max };
    return {
      target: { kind: "discover", classes: found },
      done: () => onClasses(...classOrder(found)),
    };
  }
  const index = new Map(classes.map((name, i) => [name, i]));
  if (classes.length === 0 || index.size !== classes.length) {
    throw new RangeError("csvSamples: classes must be distinct names, at least one");
  }
  return { target: { kind: "names", names: classes, index }, done: none };
}

/** The found labels sorted (numerically when all are numbers), and each one's place there. */
function classOrder(found: Discovered): [string[], Uint32Array] {
  const { names, values } = found;
  const byText = (a: number, b: number): number =>
    names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0;
  const numeric = !values.some(Number.isNaN);
  const order = names.map((_, i) => i).sort((a, b) =>
    numeric ? values[a] - values[b] || byText(a, b) : byText(a, b)
  );
  const place = new Uint32Array(names.length);
  order.forEach((i, k) => place[i] = k);
  return [order.map((i) => names[i]), place];
}

function configure(options: CsvSamplesOptions, target: Target): Config {
  const labels = options.label === undefined ? null : [options.label].flat();
  // No label column is allowed for regression: features only, an empty `y` (data to predict on).
  if (labels !== null && labels.length === 0 && target.kind !== "regression") {
    throw new TypeError("csvSamples: classification needs a label column");
  }
  if (target.kind !== "regression" && labels !== null && labels.length > 1) {
    throw new TypeError("csvSamples: classification takes one label column");
  }
  const delimiter = options.delimiter ?? ",";
  const code = delimiter.charCodeAt(0);
  if (delimiter.length !== 1 || code > 127 || [LF, CR, SPACE, QUOTE].includes(code)) {
    throw new TypeError(`csvSamples: delimiter must be one ASCII character, got "${delimiter}"`);
  }
  const dtype = options.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") {
    throw new TypeError(`csvSamples: unknown dtype "${dtype}"`);
  }
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new RangeError(
      `csvSamples: maxLineBytes must be a positive integer, got ${maxLineBytes}`,
    );
  }
  return {
    source: options.source ?? "<stream>",
    header: options.header ?? "auto",
    labels,
    dtype,
    delimiter: code,
    pad: code === TAB ? SPACE : TAB,
    target,
    maxLineBytes,
    onHeader: options.onHeader,
  };
}
