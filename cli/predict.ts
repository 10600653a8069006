/**
 * `deno task predict --model DIR --data FILE`: runs a trained model over a CSV
 * file and writes one CSV line per sample — the class and each class's
 * probability, or the predicted values.
 *
 * The data file may have the training file's layout (its label column is then
 * ignored) or the features alone.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  argmaxColumns,
  batches,
  csvSamples,
  type CsvSamplesOptions,
  DataError,
  decodeModel,
  type Network,
  toRows,
} from "../mod.ts";
import { openBytes, type Scaling, unscaleTargets } from "./data.ts";
import { writeFileAtomic } from "./files.ts";
import { UsageError } from "./args.ts";

const USAGE = `Usage: deno task predict --model DIR --data FILE [--output FILE]

  --model DIR|FILE   a trained model: a train --out directory, or its model.safetensors
  --data FILE        CSV of samples, with or without the label column
  --output FILE      write the predictions here instead of stdout
  -h, --help         this text
`;

/** What `train` stores with a model, to treat new data as it treated the training data. */
interface ModelExtra {
  classes?: string[];
  scale: Scaling;
  task: "classification" | "regression";
  label: string | number | null;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parse(argv);
  if (values.help) return console.log(USAGE), 0;
  if (!values.model) throw new UsageError("--model is required");
  if (!values.data) throw new UsageError("--data is required");
  const path = values.model.endsWith(".safetensors")
    ? values.model
    : `${values.model}/model.safetensors`;
  const { network, extra } = readModel(path, await readModelBytes(path));
  const lines = await predict(network, extra as ModelExtra, values.data);
  if (values.output) {
    // The launcher grants exactly the output and this temporary name beside it.
    await writeFileAtomic(values.output, lines.join("\n") + "\n", `${values.output}.tmp`);
  } else console.log(lines.join("\n"));
  return 0;
}

/** The CSV lines of predictions: a header, then a line per sample in file order. */
async function predict(network: Network, extra: ModelExtra, path: string): Promise<string[]> {
  const n0 = network.sizes[0];
  const columns = await countColumns(path);
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
  const samples = csvSamples(await openBytes(path), {
    ...options,
    source: path,
    scale: extra.scale,
  });
  const lines = [header(network, extra)];
  for await (const { x } of samples.pipeThrough(batches(256))) {
    const a = network.forward(x);
    const predicted = argmaxColumns(a), rows = toRows(a);
    for (let j = 0; j < a.cols; j++) {
      const outputs = rows.map((r) => r[j]);
      const values = extra.classes ? outputs : unscaleTargets(extra.scale, outputs);
      lines.push(
        extra.classes ? [extra.classes[predicted[j]], ...values].join(",") : values.join(","),
      );
    }
  }
  return lines;
}

function header(network: Network, extra: ModelExtra): string {
  const outputs = network.sizes[network.sizes.length - 1];
  if (extra.classes) return ["class", ...extra.classes.map((c) => `p_${c}`)].join(",");
  return Array.from({ length: outputs }, (_, i) => `value_${i}`).join(",");
}

/** The number of fields on the first line, to tell whether the label column is there. */
async function countColumns(path: string): Promise<number> {
  const reader = (await openBytes(path)).pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return text.split(/\r?\n/)[0].split(",").length;
}

/** The model in `bytes`; a bad file is a `DataError` naming it, its cause kept. */
function readModel(path: string, bytes: Uint8Array): ReturnType<typeof decodeModel> {
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    throw new DataError(e.reason, { source: path }, { cause: e });
  }
}

async function readModelBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DataError("no such model file", { source: path });
    }
    throw e;
  }
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: {
        model: { type: "string" },
        data: { type: "string" },
        output: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0].split(". To specify")[0]);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof UsageError) console.error("(see --help)");
    Deno.exit(e instanceof UsageError ? 2 : 1);
  }
}
