/**
 * `deno task predict --model DIR --data FILE`: runs a trained model over a CSV
 * file and writes one CSV line per sample — the class and each class's
 * probability, or the predicted values under the target's name.
 *
 * The data file may have the training file's layout (its label column is then
 * ignored) or the features alone. Lines are written as each batch is predicted,
 * never held all at once, so any number of rows fits in the launcher's 64 MiB
 * heap. `--output FILE` is written to exactly `FILE.tmp`, fsynced, then renamed
 * to `FILE` — the two paths the launcher lets predict write.
 *
 * @module
 */

import {
  argmaxColumns,
  batches,
  csvSamples,
  type CsvSamplesOptions,
  DataError,
  type Network,
  toRows,
} from "../mod.ts";
import { openBytes, type Scaling, unscaleTargets } from "./data.ts";
import { parseFlags, UsageError } from "./args.ts";
import { firstLineOf } from "./first_line.ts";
import { loadModel, modelPath, runCommand } from "./command.ts";

export const USAGE = `Usage: deno task predict --model DIR|FILE --data FILE [--output FILE]

  --model DIR|FILE   a trained model: a train --out directory, or its model.safetensors
  --data FILE        CSV of samples, with or without the label column
  --output FILE      write the predictions to FILE (a file, not a folder) instead of stdout
  -h, --help         this text
`;

/** What `train` stores with a model, to treat new data as it treated the training data. */
interface ModelExtra {
  classes?: string[];
  scale: Scaling;
  task: "classification" | "regression";
  label: string | number | null;
  /** Regression: the names of the target columns. */
  targets?: string[];
}

/** Samples predicted per forward pass: large enough for fast products, small in memory. */
const BATCH = 256;

async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    model: { type: "string" },
    data: { type: "string" },
    output: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return console.log(USAGE), 0;
  if (argv.length === 0) return console.error(USAGE), 2;
  if (!values.model) throw new UsageError("--model is required");
  if (!values.data) throw new UsageError("--data is required");
  if (values.output !== undefined) await checkOutput(values.output);
  const { network, extra } = await loadModel<ModelExtra>(modelPath(values.model));
  const lines = predict(network, extra, values.data);
  if (values.output) await writeLines(values.output, lines);
  else await lines.pipeThrough(new TextEncoderStream()).pipeTo(Deno.stdout.writable);
  return 0;
}

/** `--output` names a file: a folder (or a name ending in `/`) is a usage error. */
async function checkOutput(output: string): Promise<void> {
  if (output === "") throw new UsageError("--output needs a file name, got an empty value");
  const isDir = output.endsWith("/") ||
    await Deno.stat(output).then((s) => s.isDirectory, () => false);
  if (isDir) {
    throw new UsageError(
      `--output ${output} is a folder: name the file, e.g. ${
        output.replace(/\/*$/, "/")
      }predictions.csv`,
    );
  }
}

/** The CSV text of the predictions, a header then a batch of lines at a time, in file order. */
function predict(network: Network, extra: ModelExtra, path: string): ReadableStream<string> {
  let reader: ReadableStreamDefaultReader<{ x: Parameters<Network["forward"]>[0] }>;
  return new ReadableStream<string>({
    async start(controller) {
      reader = (await samples(network, extra, path)).pipeThrough(batches(BATCH)).getReader();
      controller.enqueue(header(network, extra) + "\n");
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      const a = network.forward(value.x);
      const predicted = argmaxColumns(a), rows = toRows(a);
      let text = "";
      for (let j = 0; j < a.cols; j++) {
        const outputs = rows.map((r) => r[j]);
        text += (extra.classes
          ? [extra.classes[predicted[j]], ...outputs]
          : unscaleTargets(extra.scale, outputs)).join(",") + "\n";
      }
      controller.enqueue(text);
    },
    cancel: (reason) => reader?.cancel(reason),
  }, { highWaterMark: 1 });
}

/** The samples of `path`, read as the model's training data was read. */
async function samples(network: Network, extra: ModelExtra, path: string) {
  const n0 = network.sizes[0];
  // One open, two branches: the first line tells whether the label is there, and the rest
  // is read once, so a FIFO or stdin works too.
  const [head, body] = (await openBytes(path)).tee();
  const columns = (await firstLineOf(head)).split(",").length;
  if (columns !== n0 && columns !== n0 + 1) {
    throw new DataError(
      `has ${columns} columns; the model takes ${n0} features (plus an optional label)`,
      { source: path },
    );
  }
  const hasLabel = columns === n0 + 1;
  const label = extra.label ?? undefined; // the reader finds it as train's reader did
  const options: CsvSamplesOptions = !hasLabel
    ? { task: "regression", label: [] }
    : extra.classes
    ? { task: "classification", classes: extra.classes, label }
    : { task: "regression", label: label === undefined ? undefined : [label] };
  return csvSamples(body, { ...options, source: path, scale: extra.scale });
}

function header(network: Network, extra: ModelExtra): string {
  const outputs = network.sizes[network.sizes.length - 1];
  if (extra.classes) return ["class", ...extra.classes.map((c) => `p_${c}`)].join(",");
  if (extra.targets?.length === outputs) return extra.targets.join(",");
  return Array.from({ length: outputs }, (_, i) => `value_${i}`).join(",");
}

/** Streams `lines` into `output.tmp`, fsyncs it and renames it to `output`. */
async function writeLines(output: string, lines: ReadableStream<string>): Promise<void> {
  const tmp = `${output}.tmp`;
  {
    using file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      for await (const chunk of lines.pipeThrough(new TextEncoderStream())) {
        for (let at = 0; at < chunk.length;) at += await file.write(chunk.subarray(at));
      }
      await file.sync();
    } catch (e) {
      await Deno.remove(tmp).catch(() => {}); // a half-written file is no result
      throw e;
    }
  }
  await Deno.rename(tmp, output);
}

if (import.meta.main) await runCommand(main);
