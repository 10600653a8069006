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
 * `files.ts`), so a crash at any moment leaves the newest checkpoint loadable.
 *
 * @module
 */

import {
  type CurvesOptions,
  curvesSvg,
  decodeCheckpoint,
  type EpochEvent,
  type StepEvent,
} from "../mod.ts";
import { writeDirAtomic, writeFileAtomic } from "./files.ts";

const KEEP_CHECKPOINTS = 2;

/** The files of one run's `--out` directory. */
export class RunFiles {
  readonly #log: Deno.FsFile;
  readonly history: EpochEvent[];

  private constructor(readonly dir: string, log: Deno.FsFile, history: EpochEvent[]) {
    this.#log = log;
    this.history = history;
  }

  /** Opens `dir` for a new run, or for one resumed after `resumeStep` (later log lines are dropped). */
  static async open(dir: string, resumeStep?: number): Promise<RunFiles> {
    await Deno.mkdir(`${dir}/checkpoints`, { recursive: true });
    let history: EpochEvent[] = [];
    const header = "step,epoch,loss,learning_rate\n";
    if (resumeStep === undefined) {
      await writeFileAtomic(`${dir}/log.csv`, header);
    } else {
      const kept = (await readText(`${dir}/log.csv`)).split("\n").slice(1).filter((line) =>
        line !== "" && Number(line.split(",")[0]) <= resumeStep
      );
      await writeFileAtomic(`${dir}/log.csv`, header + kept.map((l) => l + "\n").join(""));
      history = JSON.parse(await readText(`${dir}/history.json`, "[]"));
      history = history.filter((e) => e.step <= resumeStep);
    }
    const log = await Deno.open(`${dir}/log.csv`, { append: true });
    return new RunFiles(dir, log, history);
  }

  /** Appends a step's line to the log in one write, so a crash cuts at most that line. */
  async step(e: StepEvent): Promise<void> {
    const line = `${e.step},${e.epoch},${e.loss},${e.learningRate}\n`;
    await this.#log.write(new TextEncoder().encode(line));
  }

  /** Records an epoch in the history. */
  async epoch(e: EpochEvent): Promise<void> {
    this.history.push(e);
    await writeFileAtomic(`${this.dir}/history.json`, JSON.stringify(this.history, null, 2));
  }

  /** Writes a checkpoint as a new directory, then drops all but the newest few. */
  async checkpoint(step: number, files: Record<string, Uint8Array | string>): Promise<string> {
    const path = `${this.dir}/checkpoints/step-${String(step).padStart(8, "0")}`;
    await Deno.remove(path, { recursive: true }).catch(() => {}); // a resumed run may pass the same step again
    await writeDirAtomic(path, files);
    const all = await checkpointDirs(this.dir);
    for (const old of all.slice(0, -KEEP_CHECKPOINTS)) await Deno.remove(old, { recursive: true });
    return path;
  }

  /** Saves a parameter snapshot. */
  async snapshot(step: number, bytes: Uint8Array): Promise<void> {
    await Deno.mkdir(`${this.dir}/snapshots`, { recursive: true });
    await writeFileAtomic(
      `${this.dir}/snapshots/step-${String(step).padStart(8, "0")}.safetensors`,
      bytes,
    );
  }

  /** The history, the final model (unless withheld) and the curves (once an epoch ended). */
  async finish(model?: Uint8Array, curves?: CurvesOptions): Promise<void> {
    await writeFileAtomic(`${this.dir}/history.json`, JSON.stringify(this.history, null, 2));
    if (model) await writeFileAtomic(`${this.dir}/model.safetensors`, model);
    if (this.history.length > 0) {
      await writeFileAtomic(`${this.dir}/curves.svg`, curvesSvg(this.history, curves));
    }
  }

  close(): void {
    this.#log.close();
  }
}

/** The complete checkpoints in `dir`, oldest first (a `.tmp-` one was cut short by a crash). */
async function checkpointDirs(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(`${dir}/checkpoints`)) {
    if (e.isDirectory && /^step-\d+$/.test(e.name)) names.push(e.name);
  }
  return names.sort().map((n) => `${dir}/checkpoints/${n}`);
}

/** The newest checkpoint of a run directory, read and decoded. */
export async function loadNewestCheckpoint(
  dir: string,
): Promise<ReturnType<typeof decodeCheckpoint> & { path: string }> {
  const all = await checkpointDirs(dir).catch(() => []);
  const path = all.at(-1);
  if (!path) throw new Error(`${dir}: no checkpoint to resume from`);
  const files: Record<string, Uint8Array> = {};
  for await (const e of Deno.readDir(path)) {
    if (e.isFile) files[e.name] = await Deno.readFile(`${path}/${e.name}`);
  }
  return { ...decodeCheckpoint(files), path };
}

async function readText(path: string, fallback?: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (fallback !== undefined && e instanceof Deno.errors.NotFound) return fallback;
    throw e;
  }
}
