/**
 * The command line's data sources: every flag that names a file, a folder or a URL,
 * with what it is, whether the command reads or writes it, and the exact paths the
 * launcher grants for it. The launcher's permissions derive from this table alone,
 * so a new path flag is one entry here.
 *
 * Import-light on purpose: nothing here touches the Deno API when the module loads,
 * so the launcher (which may not read files) and the data readers can both use it.
 *
 * @module
 */

/** The commands the launcher starts. */
export type CommandName = "train" | "predict" | "export";

/** One path flag of a command. */
export interface PathFlag {
  /** The flag, e.g. `--data`. */
  readonly flag: `--${string}`;
  /** What it names, in the words of errors and help. */
  readonly name: string;
  /** A file, a folder, or either. */
  readonly kind: "file" | "folder" | "file or folder";
  /**
   * `read`: the command only reads it; `write`: it creates or updates it (and reads it back);
   * `load`: a native library it opens through FFI (granted as FFI for that one file, no read).
   */
  readonly access: "read" | "write" | "load";
  /** Whether an `http://` or `https://` URL may stand for the path (fetched, never granted as a path). */
  readonly url: boolean;
  /** The exact paths to grant for a value, given as an absolute, normalised path. */
  readonly paths: (path: string) => string[];
  /** The bundled file (relative to the repository) a command reads when none of `unless` is given. */
  readonly bundled?: { readonly path: string; readonly unless: readonly string[] };
}

/** The bundled training data, relative to the repository (where the commands run). */
export const BUNDLED_TRAIN = "data/digits_train.csv";
/** The bundled test data, read with the bundled training data. */
export const BUNDLED_TEST = "data/digits_test.csv";

const itself = (path: string) => [path];

const DATA: PathFlag = {
  flag: "--data",
  name: "data file",
  kind: "file",
  access: "read",
  url: true,
  paths: itself,
};

const MODEL: PathFlag = {
  flag: "--model",
  name: "model",
  kind: "file or folder",
  access: "read",
  url: false,
  paths: itself,
};

/**
 * The path flags of each command.
 *
 * @example Predict's output is granted with the temporary file it is written through
 * ```ts
 * import assert from "node:assert/strict";
 * import { PATH_FLAGS } from "./sources.ts";
 * const output = PATH_FLAGS.predict.find((f) => f.flag === "--output")!;
 * assert.deepEqual(output.paths("/w/p.csv"), ["/w/p.csv", "/w/p.csv.tmp"]);
 * assert.equal(output.access, "write");
 * ```
 */
export const PATH_FLAGS: Readonly<Record<CommandName, readonly PathFlag[]>> = {
  train: [
    {
      ...DATA,
      name: "training data",
      bundled: { path: BUNDLED_TRAIN, unless: ["--data", "--idx"] },
    },
    {
      flag: "--test",
      name: "test data",
      kind: "file",
      access: "read",
      url: true,
      paths: itself,
      bundled: { path: BUNDLED_TEST, unless: ["--test", "--data", "--idx"] },
    },
    { flag: "--idx", name: "IDX folder", kind: "folder", access: "read", url: true, paths: itself },
    // The folder given to --resume is the run: it is read and written, as --out is.
    {
      flag: "--resume",
      name: "run to resume",
      kind: "folder",
      access: "write",
      url: false,
      paths: itself,
    },
    {
      flag: "--out",
      name: "run folder",
      kind: "folder",
      access: "write",
      url: false,
      paths: itself,
    },
    // Without the flag, the launcher grants the platform's usual CBLAS file.
    {
      flag: "--blas",
      name: "BLAS library",
      kind: "file",
      access: "load",
      url: false,
      paths: itself,
    },
  ],
  predict: [
    MODEL,
    DATA,
    // Predictions go to a temporary file first, renamed over the target when whole.
    {
      flag: "--output",
      name: "predictions file",
      kind: "file",
      access: "write",
      url: false,
      paths: (path) => [path, `${path}.tmp`],
    },
  ],
  export: [
    MODEL,
    { flag: "--onnx", name: "ONNX file", kind: "file", access: "write", url: false, paths: itself },
  ],
};

/**
 * Whether `value` is a URL that a flag with `url: true` fetches rather than opens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isUrl } from "./sources.ts";
 * assert.ok(isUrl("https://example.com/train.csv") && !isUrl("data/https.csv"));
 * ```
 */
export function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}
