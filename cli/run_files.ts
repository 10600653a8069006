/**
 * What a run leaves under `--out`: the training log (one line per step,
 * appended as training goes), the history (rewritten each epoch), a checkpoint
 * after each epoch, snapshots, and at the end the model and the curves.
 *
 *     out/log.csv               step,epoch,loss,learning_rate
 *     out/history.json          one entry per epoch
 *     out/checkpoints/step-N/   model, optimizer, best, checkpoint.json (the newest two kept)
 *     out/snapshots/step-N.safetensors
 *     out/model.safetensors     the final parameters, with architecture, classes and scale
 *     out/curves.svg            loss and accuracy per epoch
 *
 * Every file but the append-only log is written whole or not at all (see
 * `files.ts`), so a crash at any moment leaves the newest checkpoint loadable;
 * the temporary files such a crash leaves are removed at the next start.
 *
 * The run folder is a sandbox: Deno checks paths as they are written, so a
 * symbolic link inside the folder that leads outside it is refused before
 * anything is read or written, and only what a run creates is ever deleted.
 *
 * @module
 */

import { DataError, decodeCheckpoint, type EpochEvent, type StepEvent } from "../mod.ts";
import { type CurvesOptions, curvesSvg } from "../plot.ts";
import { UsageError } from "./args.ts";
import { isTemporary, writeDirAtomic, writeFileAtomic } from "./files.ts";

const KEEP_CHECKPOINTS = 2;
const LOG_HEADER = "step,epoch,loss,learning_rate";
/** The run folder's own entries, each checked to stay inside it. */
const ENTRIES = [
  "log.csv",
  "history.json",
  "checkpoints",
  "snapshots",
  "model.safetensors",
  "curves.svg",
];

/** The files of one run's `--out` directory. */
export class RunFiles {
  readonly #log: Deno.FsFile;
  readonly history: EpochEvent[];
  /** The newest complete checkpoint, named when a write fails. */
  #lastGood?: string;

  private constructor(
    readonly dir: string,
    log: Deno.FsFile,
    history: EpochEvent[],
    lastGood?: string,
  ) {
    this.#log = log;
    this.history = history;
    this.#lastGood = lastGood;
  }

  /**
   * Opens `dir` for a new run, or for one resumed after `resumeStep` (later log lines
   * are dropped). A new run refuses a folder that holds another run's checkpoint or model.
   */
  static async open(dir: string, resumeStep?: number): Promise<RunFiles> {
    await checkInside(dir, ENTRIES);
    const existing = await checkpointDirs(dir).catch(ifMissing([]));
    if (
      resumeStep === undefined && (existing.length > 0 || await exists(`${dir}/model.safetensors`))
    ) {
      throw new UsageError(
        `--out ${dir} holds another run: continue it with --resume ${dir}, or give a new folder`,
      );
    }
    await Deno.mkdir(`${dir}/checkpoints`, { recursive: true });
    for (const sub of ["", "/checkpoints", "/snapshots"]) await removeTemporaries(`${dir}${sub}`);
    let history: EpochEvent[] = [];
    const log = `${dir}/log.csv`;
    if (resumeStep === undefined || !await exists(log)) {
      await writeFileAtomic(log, `${LOG_HEADER}\n`);
    }
    if (resumeStep !== undefined) {
      await keepLogUpTo(log, resumeStep);
      history = await readHistory(`${dir}/history.json`);
      history = history.filter((e) => e.step <= resumeStep);
    }
    const file = await Deno.open(log, { append: true });
    return new RunFiles(dir, file, history, existing.at(-1));
  }

  /** Appends a step's line to the log in one write, so a crash cuts at most that line. */
  async step(e: StepEvent): Promise<void> {
    const line = new TextEncoder().encode(`${e.step},${e.epoch},${e.loss},${e.learningRate}\n`);
    await this.#writing(`${this.dir}/log.csv`, async () => {
      for (let at = 0; at < line.length;) at += await this.#log.write(line.subarray(at));
    });
  }

  /** Records an epoch in the history. */
  async epoch(e: EpochEvent): Promise<void> {
    this.history.push(e);
    const path = `${this.dir}/history.json`;
    await this.#writing(path, () => writeFileAtomic(path, JSON.stringify(this.history, null, 2)));
  }

  /** Writes a checkpoint as a new directory, then drops all but the newest few. */
  async checkpoint(step: number, files: Record<string, Uint8Array | string>): Promise<string> {
    const path = `${this.dir}/checkpoints/${stepName(step)}`;
    await this.#writing(path, async () => {
      // A resumed run may pass the same step again; what is there is a checkpoint of this run.
      await Deno.remove(path, { recursive: true }).catch(ifMissing(undefined));
      await writeDirAtomic(path, files);
    });
    this.#lastGood = path;
    const all = await checkpointDirs(this.dir);
    for (const old of all.slice(0, -KEEP_CHECKPOINTS)) await Deno.remove(old, { recursive: true });
    return path;
  }

  /** Saves a parameter snapshot. */
  async snapshot(step: number, bytes: Uint8Array): Promise<void> {
    const path = `${this.dir}/snapshots/${stepName(step)}.safetensors`;
    await this.#writing(path, async () => {
      await Deno.mkdir(`${this.dir}/snapshots`, { recursive: true });
      await writeFileAtomic(path, bytes);
    });
  }

  /** The history, the final model (unless withheld) and the curves (once an epoch ended). */
  async finish(model?: Uint8Array, curves?: CurvesOptions): Promise<void> {
    const history = `${this.dir}/history.json`;
    await this.#writing(
      history,
      () => writeFileAtomic(history, JSON.stringify(this.history, null, 2)),
    );
    const modelPath = `${this.dir}/model.safetensors`;
    if (model) await this.#writing(modelPath, () => writeFileAtomic(modelPath, model));
    if (this.history.length > 0) {
      const path = `${this.dir}/curves.svg`;
      await this.#writing(path, () => writeFileAtomic(path, curvesSvg(this.history, curves)));
    }
  }

  close(): void {
    this.#log.close();
  }

  /** Runs a write; a failure (a full disk, say) names the file and the last good checkpoint. */
  async #writing(path: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (e) {
      const last = this.#lastGood
        ? `the last good checkpoint is ${this.#lastGood}`
        : "no checkpoint was written yet";
      throw new Error(`could not write ${path}: ${(e as Error).message}; ${last}`, { cause: e });
    }
  }
}

/**
 * The flags saved in a checkpoint, without those that name the run folder: the folder
 * given to `--resume` is the run, wherever it has moved since.
 */
export function savedFlags(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i].split("=", 1)[0];
    if (flag === "--json") continue;
    if (flag === "--out" || flag === "--resume") {
      if (!argv[i].includes("=")) i++; // and its value
      continue;
    }
    kept.push(argv[i]);
  }
  return kept;
}

function stepName(step: number): string {
  return `step-${String(step).padStart(8, "0")}`;
}

/** The complete checkpoints in `dir`, oldest first by step number (a `.tmp-` one was cut short by a crash). */
async function checkpointDirs(dir: string): Promise<string[]> {
  const steps: number[] = [];
  for await (const e of Deno.readDir(`${dir}/checkpoints`)) {
    // A symbolic link is not a checkpoint this run wrote: never read or delete through it.
    if (e.isDirectory && /^step-\d+$/.test(e.name)) steps.push(Number(e.name.slice(5)));
  }
  return steps.sort((a, b) => a - b).map((n) => `${dir}/checkpoints/${stepName(n)}`);
}

/** The newest checkpoint of a run directory, read, checked and decoded. */
export async function loadNewestCheckpoint(
  dir: string,
): Promise<ReturnType<typeof decodeCheckpoint> & { path: string; argv: string[] }> {
  await checkInside(dir, ENTRIES);
  const all = await checkpointDirs(dir).catch(ifMissing([]));
  const path = all.at(-1);
  if (!path) throw new DataError("no checkpoint to resume from", { source: dir });
  const files: Record<string, Uint8Array> = {};
  for await (const e of Deno.readDir(path)) {
    if (e.isSymlink) {
      throw new DataError("is a symbolic link; a checkpoint's files must be in it", {
        source: `${path}/${e.name}`,
      });
    }
    if (e.isFile) files[e.name] = await Deno.readFile(`${path}/${e.name}`);
  }
  let decoded;
  try {
    decoded = decodeCheckpoint(files);
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    throw new DataError(e.reason, { source: `${path}/${e.source}` }, { cause: e });
  }
  const argv = (decoded.info.config as { argv?: unknown } | null)?.argv;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === "string")) {
    throw new DataError("config.argv is not a list of flags", {
      source: `${path}/checkpoint.json`,
    });
  }
  return { ...decoded, path, argv };
}

/**
 * Refuses any of `names` in `dir` that resolves outside `dir` (a symbolic link to
 * elsewhere): Deno grants by the path as written, so such a link would let a run
 * read, write or delete files nobody named.
 */
async function checkInside(dir: string, names: readonly string[]): Promise<void> {
  const root = await Deno.realPath(dir).catch(ifMissing(undefined));
  if (root === undefined) return; // a new folder: nothing in it yet
  for (const name of names) {
    const path = `${dir}/${name}`;
    const real = await Deno.realPath(path).catch(ifMissing(undefined));
    const link = await Deno.lstat(path).then((s) => s.isSymlink, ifMissing(false));
    if (link && (real === undefined || !real.startsWith(`${root}/`))) {
      throw new DataError(
        `is a symbolic link to ${
          real ?? "nothing"
        }, outside the run folder; a run's files must be inside it`,
        { source: path },
      );
    }
  }
}

/** Removes the temporary files and folders of writes a crash cut short (only those `files.ts` names). */
async function removeTemporaries(dir: string): Promise<void> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (isTemporary(e.name)) names.push(e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  for (const name of names) await Deno.remove(`${dir}/${name}`, { recursive: true });
}

/**
 * Cuts the log after the last line of a step at most `step`, reading it from its end in
 * blocks: a resumed run of 500k steps need not hold a 17 MB log in a 64 MiB heap.
 * A last line without its newline (a write cut short) is dropped too.
 */
async function keepLogUpTo(path: string, step: number): Promise<void> {
  const BLOCK = 1 << 16;
  using file = await Deno.open(path, { read: true, write: true });
  const bad = (reason: string) => new DataError(reason, { source: path });
  let end = (await file.stat()).size;
  while (true) {
    const start = Math.max(0, end - BLOCK);
    const bytes = await readAt(file, start, end - start, path);
    let lineEnd = -1; // index of the newline that ends the line being looked at
    for (let i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] !== 10) continue;
      if (lineEnd >= 0) {
        const line = new TextDecoder().decode(bytes.subarray(i + 1, lineEnd));
        const lineStep = Number(line.split(",", 1)[0]);
        if (!Number.isSafeInteger(lineStep) || line === "") {
          throw bad(`the line at byte ${start + i + 1} is not "${LOG_HEADER}"`);
        }
        if (lineStep <= step) return await file.truncate(start + lineEnd + 1);
      }
      lineEnd = i;
    }
    if (start === 0) {
      if (lineEnd < 0 || new TextDecoder().decode(bytes.subarray(0, lineEnd)) !== LOG_HEADER) {
        throw bad(`does not start with the header "${LOG_HEADER}"`);
      }
      return await file.truncate(lineEnd + 1);
    }
    if (lineEnd < 0 || start + lineEnd + 1 === end) {
      throw bad(`a line is longer than ${BLOCK} bytes`);
    }
    end = start + lineEnd + 1; // the line that begins before this block is read with the next
  }
}

async function readAt(
  file: Deno.FsFile,
  at: number,
  length: number,
  path: string,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  await file.seek(at, Deno.SeekMode.Start);
  for (let got = 0; got < length;) {
    const n = await file.read(bytes.subarray(got));
    if (n === null) throw new DataError("changed while it was read", { source: path });
    got += n;
  }
  return bytes;
}

async function readHistory(path: string): Promise<EpochEvent[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  let history: unknown;
  try {
    history = JSON.parse(text);
  } catch (e) {
    throw new DataError(`not JSON (${(e as Error).message})`, { source: path }, { cause: e });
  }
  if (!Array.isArray(history) || !history.every((e) => Number.isSafeInteger(e?.step))) {
    throw new DataError("is not a list of epochs with their step", { source: path });
  }
  return history;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, ifMissing(false));
}

/** A `catch` handler that turns "not found" into `value` and lets every other error through. */
function ifMissing<T>(value: T): (e: unknown) => T {
  return (e) => {
    if (e instanceof Deno.errors.NotFound) return value;
    throw e;
  };
}
