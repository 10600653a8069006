/**
 * The launcher behind `deno task train` and `deno task predict`: least privilege.
 *
 * Deno fixes a process's permissions when it starts, so the launcher reads the
 * command line first, then starts the real command in a child `deno` allowed
 * to read exactly the data paths it was given and to write only under `--out`
 * (or the predictions file) — nothing else, no network, no environment. The
 * launcher itself may only run `deno`.
 *
 *     deno run --allow-run=deno cli/launch.ts train --data my.csv --out runs/1
 *       → deno run --allow-read=my.csv,runs/1 --allow-write=runs/1 cli/train.ts …
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { DEFAULT_DATA } from "./args.ts";
import { defaultBlasPath } from "../mod.ts";

const COMMANDS = {
  train: {
    script: "train.ts",
    reads: ["--data", "--test", "--idx", "--resume"],
    writes: ["--out", "--resume"],
    /** The bundled data, read only when no data flag names other data. */
    defaults: [DEFAULT_DATA, "data/digits_test.csv"],
    dataFlags: ["--data", "--idx"],
    /** The flag naming the CBLAS file; without it, the platform's usual one. */
    ffi: "--blas",
  },
  predict: {
    script: "predict.ts",
    reads: ["--model", "--data"],
    writes: ["--output"],
    defaults: [],
    dataFlags: [],
    ffi: undefined,
  },
} as const;

type Command = keyof typeof COMMANDS;

/**
 * A small young generation and a capped JS heap make V8 collect the garbage typed arrays of
 * the parser and batcher promptly, so memory stays bounded by the stream queues however long
 * the file (measured: 80 MiB on a 0.2 GB CSV, 85 MiB on 2 GB; without them 92 and 176).
 * Samples, caches and parameters live in typed arrays and wasm memory, outside this cap.
 */
const V8_FLAGS = "--v8-flags=--max-semi-space-size=1,--max-old-space-size=64";

/**
 * The permission flags for a command line: read what its path flags name
 * (or the bundled data it falls back on), write where it writes. A resumed run
 * reads what today's flags name: give `--data` again when it was not the bundled data.
 */
export function permissionsFor(command: Command, args: readonly string[]): string[] {
  const spec = COMMANDS[command];
  const values = (flags: readonly string[]) =>
    args.flatMap((arg, i) => {
      const [flag, inline] = arg.split(/=(.*)/s, 2);
      if (!flags.includes(flag)) return [];
      const value = inline ?? args[i + 1];
      return value === undefined ? [] : [value];
    });
  const writes = values(spec.writes);
  const defaults = values(spec.dataFlags).length === 0 ? spec.defaults : [];
  // Renaming a finished file into place needs read access to its folder, too.
  const reads = [...defaults, ...values(spec.reads), ...writes];
  const flags = [`--allow-read=${unique(reads).join(",")}`];
  if (writes.length > 0) flags.push(`--allow-write=${unique(writes).join(",")}`);
  // FFI for the one BLAS file the child will open, named without reading anything: a grant
  // for a file that is not there is harmless (the child falls back to wasm, silently).
  const blas = spec.ffi && (values([spec.ffi]).at(-1) ?? defaultBlasPath());
  if (blas && !blas.includes(",")) flags.push(`--allow-ffi=${blas}`);
  return flags;
}

function unique(paths: string[]): string[] {
  return [...new Set(paths.map((p) => p.replace(/\/+$/, "") || "/"))].filter((p) =>
    !p.includes(",")
  );
}

async function main([command, ...args]: string[]): Promise<number> {
  if (!(command in COMMANDS)) {
    console.error(`usage: launch.ts train|predict [flags]`);
    return 2;
  }
  const spec = COMMANDS[command as Command];
  const script = fileURLToPath(new URL(spec.script, import.meta.url));
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--no-prompt",
      V8_FLAGS,
      ...permissionsFor(command as Command, args),
      script,
      ...args,
    ],
  }).spawn();
  // Ctrl-C reaches the whole process group; a signal sent to the launcher alone is passed on.
  const forward = () => child.kill("SIGINT");
  Deno.addSignalListener("SIGINT", forward);
  const { code } = await child.status;
  Deno.removeSignalListener("SIGINT", forward);
  return code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
