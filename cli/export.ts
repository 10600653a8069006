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

import { type OnnxAffine, type OnnxPreprocessing, toOnnx } from "../onnx.ts";
import { parseFlags, UsageError } from "./args.ts";
import { loadModel, modelPath, runCommand } from "./command.ts";

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
  const { values } = parseFlags(argv, {
    model: { type: "string" },
    onnx: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return console.log(USAGE), 0;
  if (!values.model) throw new UsageError("--model is required");
  if (!values.onnx) throw new UsageError("--onnx is required");
  const { network, extra } = await loadModel<ModelExtra>(modelPath(values.model));
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

if (import.meta.main) await runCommand(main);
