/**
 * The launcher behind `deno task train` and `deno task predict`: least privilege.
 *
 * Deno fixes a process's permissions when it starts, so the launcher reads the
 * command line first, then starts the real command in a child `deno` allowed
 * to read exactly the paths its flags name (see `sources.ts`), to write only
 * what it writes, and to reach only the hosts of the URLs it was given — no
 * environment, no other program. The launcher itself may only run `deno` and
 * read `INIT_CWD`, the folder `deno task` was started from.
 *
 *     deno task train --data my.csv --out runs/1        (run in /home/me)
 *       → deno run --allow-read=/home/me/my.csv,/home/me/runs/1 --allow-write=/home/me/runs/1
 *                  cli/train.ts --data /home/me/my.csv --out /home/me/runs/1
 *
 * Relative paths resolve against the folder `deno task` was started in (`INIT_CWD`);
 * the command itself runs in the repository, where the bundled data lies, and is given
 * absolute paths when the two folders differ (as typed when they are the same).
 *
 * Every value is checked before it is granted: an empty one, a comma (Deno's lists
 * are comma-separated), `/` itself, `/dev`, `/proc` and `/sys` are refused as usage
 * errors (exit 2), so nothing is ever granted that was not named and checked.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultBlasPath } from "../mod.ts";
import { type CommandName, isUrl, PATH_FLAGS, type PathFlag } from "./sources.ts";

const SCRIPTS: Record<CommandName, string> = {
  train: "train.ts",
  predict: "predict.ts",
  export: "export.ts",
};
/** The repository: where the command runs and the bundled data lies. */
const REPO = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/**
 * The JS heap is capped: samples, caches and parameters live in typed arrays and wasm memory,
 * outside it. A small young generation makes V8 collect the garbage typed arrays of the parser
 * and batcher promptly, so a run that streams its data stays lean: `deno task bench:memory`
 * (0.2 and 2 GB CSVs, `--cache-mb 0`) peaked at 87–130 MiB with it and 176 and 190 MiB
 * without (bounded either way: ratios 0.88 and 1.08). But it made V8 collect 38 times where it
 * collected 16 on an epoch of Fashion-MNIST from its cache, 0.3 s of a 2.4–3.3 s command (B:
 * 49–57k samples/s with it, 52–60k without, alternated). So the young generation is small only
 * where the command streams for sure: `predict`, `export`, and `train --cache-mb 0`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { v8Flags } from "./launch.ts";
 * assert.equal(v8Flags("train", ["--cache-mb", "0"]), "--v8-flags=--max-semi-space-size=1,--max-old-space-size=64");
 * assert.equal(v8Flags("train", ["--cache-mb=0"]), "--v8-flags=--max-semi-space-size=1,--max-old-space-size=64");
 * assert.equal(v8Flags("train", ["--cache-mb", "512"]), "--v8-flags=--max-old-space-size=64");
 * assert.equal(v8Flags("train", []), "--v8-flags=--max-old-space-size=64");
 * assert.equal(v8Flags("predict", []), "--v8-flags=--max-semi-space-size=1,--max-old-space-size=64");
 * ```
 */
export function v8Flags(command: CommandName, args: readonly string[]): string {
  const heap = "--max-old-space-size=64";
  const at = args.findLastIndex((a) => a === "--cache-mb" || a.startsWith("--cache-mb="));
  const cacheMb = at < 0 ? undefined : args[at].split(/=(.*)/s, 2)[1] ?? args[at + 1];
  const streams = command !== "train" || (cacheMb !== undefined && Number(cacheMb) === 0);
  return `--v8-flags=${streams ? "--max-semi-space-size=1," : ""}${heap}`;
}

/** Signals passed on to the command, which checkpoints and exits 128 + the signal's number. */
const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Deno opens `/proc` and `/sys`, and the `/dev` names that lead into `/proc` (`/dev/stdin`,
 * `/dev/fd/…`), only with `--allow-all`, which the launcher never gives. Other devices
 * (`/dev/zero`, say) can be read like a file, never written.
 */
const SPECIAL = /^\/(proc|sys|dev\/(stdin|stdout|stderr|fd))(\/|$)/;
const DEVICES = /^\/dev(\/|$)/;

/** A path flag's value the launcher will not grant; the message says why (exit 2). */
export class RefusedPath extends Error {
  override name = "RefusedPath";
}

/**
 * What a command line may touch: absolute paths to read and write, `host:port`s to reach,
 * and the command line itself with each path flag's value made absolute.
 */
export interface Grants {
  read: string[];
  write: string[];
  net: string[];
  /** Native libraries the command may open: the one CBLAS file of the `blas` backend. */
  ffi: string[];
  /**
   * The package's own modules, which `train` reads to start its CSV parser's worker (a Deno
   * worker loads its code as files): the library's source, nothing of the user's.
   */
  code: string[];
  args: string[];
}

/**
 * The grants for a command line whose relative paths resolve against `base` (an absolute
 * folder): what its path flags name, or the bundled data it falls back on.
 * Throws {@linkcode RefusedPath} for a value it will not grant.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grantsFor } from "./launch.ts";
 * const grants = grantsFor("train", ["--data", "my.csv", "--out=runs/1"], "/home/me");
 * assert.deepEqual(grants.read, ["/home/me/my.csv", "/home/me/runs/1"]);
 * assert.deepEqual(grants.write, ["/home/me/runs/1"]);
 * assert.throws(() => grantsFor("train", ["--out="], "/home/me"), /an empty value/);
 * ```
 */
export function grantsFor(command: CommandName, args: readonly string[], base: string): Grants {
  const grants: Grants = { read: [], write: [], net: [], ffi: [], code: [], args: [...args] };
  if (command === "train") grants.code.push(resolve(REPO, "src"));
  const given = new Map<string, string[]>();
  for (const { spec, value, at, inline } of pathValues(command, args)) {
    given.set(spec.flag, [...given.get(spec.flag) ?? [], value]);
    if (spec.url && isUrl(value)) {
      grants.net.push(hostOf(spec, value));
      continue;
    }
    const path = checkedPath(spec, value, base);
    grants.args[at] = inline ? `${spec.flag}=${path}` : path;
    const paths = spec.paths(path);
    if (spec.access === "load") {
      grants.ffi.push(...paths);
      continue;
    }
    grants.read.push(...paths);
    if (spec.access === "write") grants.write.push(...paths);
  }
  // FFI for the one BLAS file the command will open, named without reading anything: a grant
  // for a file that is not there is harmless (the command falls back to wasm, silently).
  const load = PATH_FLAGS[command].find((spec) => spec.access === "load");
  const blas = load && !given.has(load.flag) ? defaultBlasPath() : undefined;
  if (blas && !blas.includes(",")) grants.ffi.push(blas);
  for (const { bundled } of PATH_FLAGS[command]) {
    if (bundled && bundled.unless.every((flag) => !given.has(flag))) {
      grants.read.push(resolve(REPO, bundled.path));
    }
  }
  const [resume, out] = [given.get("--resume")?.at(-1), given.get("--out")?.at(-1)];
  if (resume !== undefined && out !== undefined && resolve(base, resume) !== resolve(base, out)) {
    throw new RefusedPath(
      `--resume ${resume} continues the run in ${resume}, so --out ${out} cannot name another folder: ` +
        `copy the run first (cp -r ${resume} ${out}) and --resume ${out}, or leave out --out`,
    );
  }
  return {
    ...grants,
    read: unique(grants.read),
    write: unique(grants.write),
    net: unique(grants.net),
    ffi: unique(grants.ffi),
  };
}

/**
 * The permission flags of the child for a command line (none for a list that is empty).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permissionsFor } from "./launch.ts";
 * assert.deepEqual(permissionsFor("predict", [], "/home/me"), []);
 * ```
 */
export function permissionsFor(
  command: CommandName,
  args: readonly string[],
  base: string = Deno.cwd(),
): string[] {
  return permissionFlags(grantsFor(command, args, base));
}

function permissionFlags({ read, write, net, ffi, code }: Grants): string[] {
  return [
    ["--allow-read", [...read, ...code]],
    ["--allow-write", write],
    ["--allow-net", net],
    ["--allow-ffi", ffi],
  ]
    .filter(([, list]) => list.length > 0)
    .map(([flag, list]) => `${flag}=${(list as string[]).join(",")}`);
}

/** Each path flag's value on the command line, as the command's parser will read it. */
function pathValues(command: CommandName, args: readonly string[]) {
  const found: { spec: PathFlag; value: string; at: number; inline: boolean }[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const spec = PATH_FLAGS[command].find((s) => s.flag === flag);
    if (!spec) continue;
    const value = inline ?? args[++i];
    // Missing, or another flag where the value belongs: the command's parser says so.
    if (value === undefined || (inline === undefined && value.startsWith("-"))) continue;
    found.push({ spec, value, at: i, inline: inline !== undefined });
  }
  return found;
}

function checkedPath(spec: PathFlag, value: string, base: string): string {
  const refuse = (why: string) => new RefusedPath(`${spec.flag} ${JSON.stringify(value)}: ${why}`);
  if (value === "") throw refuse(`an empty value names no ${spec.kind}; give the ${spec.name}`);
  if (isUrl(value)) throw refuse(`the ${spec.name} must be a local ${spec.kind}, not a URL`);
  const path = resolve(base, value);
  if (path === "/") throw refuse("refusing to grant the whole file system");
  if (path.includes(",")) {
    throw refuse(
      "a path with a comma cannot be granted (Deno's permission lists are comma-separated); rename it or link to it from a path without one",
    );
  }
  if (SPECIAL.test(path)) {
    throw refuse(
      "/proc, /sys and /dev/stdin (/dev/fd) are opened only with --allow-all, which the launcher never grants; save the data to a file (or a FIFO made with mkfifo)",
    );
  }
  if (spec.access === "write" && DEVICES.test(path)) {
    throw refuse(`the ${spec.name} cannot be a device under /dev`);
  }
  return path;
}

function hostOf(spec: PathFlag, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (e) {
    throw new RefusedPath(`${spec.flag} ${JSON.stringify(value)}: not a valid URL`, { cause: e });
  }
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? 443 : 80)}`;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** The folder relative paths resolve against: where `deno task` was run, else this process's. */
function userFolder(): string {
  const env = Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" }).state;
  const init = env === "granted" ? Deno.env.get("INIT_CWD") : undefined;
  return init && isAbsolute(init) ? init : Deno.cwd();
}

async function main([command, ...args]: string[]): Promise<number> {
  if (!(command in SCRIPTS)) {
    console.error(`usage: launch.ts train|predict|export [flags]`);
    return 2;
  }
  const base = userFolder();
  let grants: Grants;
  try {
    grants = grantsFor(command as CommandName, args, base);
  } catch (e) {
    if (!(e instanceof RefusedPath)) throw e;
    console.error(`error: ${e.message}\n(see --help)`);
    return 2;
  }
  const script = fileURLToPath(new URL(SCRIPTS[command as CommandName], import.meta.url));
  const child = new Deno.Command("deno", {
    cwd: REPO,
    args: [
      "run",
      "--no-prompt",
      v8Flags(command as CommandName, args),
      ...permissionFlags(grants),
      script,
      // As typed where the user's folder is the repository, so that messages name them so.
      ...(base === REPO ? args : grants.args),
    ],
  }).spawn();
  // Ctrl-C reaches the whole process group; a signal sent to the launcher alone (by
  // `deno task`, `docker stop`, systemd, a closed terminal) is passed on, so that the
  // command checkpoints and stops instead of training on as an orphan.
  const forwarders = FORWARDED.map((signal) => {
    const forward = () => {
      try {
        child.kill(signal);
      } catch {
        // It has just exited: nothing left to stop.
      }
    };
    Deno.addSignalListener(signal, forward);
    return () => Deno.removeSignalListener(signal, forward);
  });
  const { code } = await child.status;
  forwarders.forEach((stop) => stop());
  return code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
