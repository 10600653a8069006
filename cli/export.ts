/**
 * `deno task export --model DIR --onnx FILE`: a trained model as an ONNX file.
 *
 * The file takes the raw features of a CSV row: the preprocessing that
 * training applied (stored with the model) is baked into the graph. Run it
 * through the launcher (`cli/launch.ts`), which grants reading the model and
 * writing the ONNX file, nothing else.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DataError, decodeModel } from "../mod.ts";
import { type OnnxAffine, type OnnxPreprocessing, toOnnx } from "../onnx.ts";
import { UsageError } from "./args.ts";

const USAGE = `usage: deno task export --model DIR --onnx FILE

  --model DIR|FILE   a trained model: the run folder of \`deno task train\` or its model.safetensors
  --onnx FILE        where to write the ONNX model (float32, opset 13)
  -h, --help         this text
`;

/** What `train` stores with a model that the ONNX graph needs. */
interface ModelExtra {
  classes?: string[];
  /** One factor for every feature, or per-feature maps (and, for regression, per target). */
  scale?: number | (OnnxAffine & { targets?: OnnxAffine });
}

async function main(argv: string[]): Promise<number> {
  const { values } = parse(argv);
  if (values.help) return console.log(USAGE), 0;
  if (!values.model) throw new UsageError("--model is required");
  if (!values.onnx) throw new UsageError("--onnx is required");
  const path = values.model.endsWith(".safetensors")
    ? values.model
    : `${values.model}/model.safetensors`;
  const { network, extra } = decode(path, await read(path));
  const bytes = toOnnx(network, {
    preprocessing: preprocessingOf(extra),
    targets: typeof extra.scale === "object" ? extra.scale.targets : undefined,
    metadata: extra.classes ? { classes: JSON.stringify(extra.classes) } : {},
  });
  network.close();
  await Deno.writeFile(values.onnx, bytes);
  console.error(`wrote ${values.onnx}: ${network.sizes.join("-")}, ${bytes.length} bytes`);
  return 0;
}

/** The preprocessing stored with the model: per-feature maps, or one factor for all. */
function preprocessingOf({ scale }: ModelExtra): OnnxPreprocessing | undefined {
  if (typeof scale === "object") return { offset: scale.offset, factor: scale.factor };
  return typeof scale === "number" && scale !== 1 ? { scale } : undefined;
}

async function read(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DataError("no such model file", { source: path });
    }
    throw e;
  }
}

function decode(path: string, bytes: Uint8Array) {
  try {
    const { network, extra } = decodeModel(bytes);
    return { network, extra: (extra ?? {}) as ModelExtra };
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`not a model file (${(e as Error).message})`, { source: path });
  }
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: {
        model: { type: "string" },
        onnx: { type: "string" },
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
