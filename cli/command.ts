/**
 * What the commands share: a model file read with its path in every error (predict, export),
 * and the exit codes (0, 2 for a bad command line, 1 for anything else, one `error:`
 * line each). Their flags are parsed by `parseFlags` in `args.ts`, as train's are.
 *
 * @module
 */

import { DataError, decodeModel, type Network } from "../mod.ts";
import { UsageError } from "./args.ts";

/** The file a `--model` value names: the model itself, or `model.safetensors` in a run folder. */
export function modelPath(model: string): string {
  return model.endsWith(".safetensors") ? model : `${model.replace(/\/+$/, "")}/model.safetensors`;
}

/**
 * The model at `path` and what `train` stored with it (typed as the caller reads it); a
 * missing or bad file is a `DataError` naming it, its cause kept.
 */
export async function loadModel<Extra = Record<string, unknown>>(
  path: string,
): Promise<{ network: Network; extra: Extra }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DataError("no such model file", { source: path }, { cause: e });
    }
    throw e;
  }
  try {
    const { network, extra } = decodeModel(bytes);
    return { network, extra: (extra ?? {}) as Extra };
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    throw new DataError(e.reason, { source: path }, { cause: e });
  }
}

/**
 * Runs a command's `main` and exits with its code, or with one `error:` line and 2 for a bad
 * command line (a {@linkcode UsageError}, or what `isUsage` also counts as one), else 1.
 */
export async function runCommand(
  main: (argv: string[]) => Promise<number>,
  isUsage: (e: unknown) => boolean = (e) => e instanceof UsageError,
): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (isUsage(e)) console.error("(see --help)");
    Deno.exit(isUsage(e) ? 2 : 1);
  }
}
