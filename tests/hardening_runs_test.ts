/**
 * Run folders under attack and under faults, through `deno task train`: symbolic links
 * that lead outside, leftovers of a crash, checkpoint numbers past eight digits, a run
 * that moved, a reused --out, a full disk, a 500k-step log, SIGTERM to `deno task`.
 */

import assert from "node:assert/strict";
import { loadNewestCheckpoint } from "../cli/run_files.ts";
import { oneLine, spawnTask, task, tempDir, trainRun } from "./helpers/launcher.ts";

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

/** `ln -s`: Deno.symlink needs unscoped read and write, which tests are not given. */
async function symlink(target: string, path: string): Promise<void> {
  const { success } = await new Deno.Command("ln", { args: ["-s", target, path] }).output();
  assert.ok(success, `ln -s ${target} ${path}`);
}

async function newestCheckpoint(run: string): Promise<string> {
  return (await loadNewestCheckpoint(run)).path;
}

/** Rewrites a checkpoint's `checkpoint.json` with `change` applied. */
async function editInfo(dir: string, change: (info: Record<string, unknown>) => void) {
  const path = `${dir}/checkpoint.json`;
  const info = JSON.parse(await Deno.readTextFile(path));
  change(info);
  await Deno.writeTextFile(path, JSON.stringify(info));
}

Deno.test("run folder: a symbolic link that leads outside is refused, and nothing outside is touched", async () => {
  await using tmp = await tempDir();
  const run = `${tmp.dir}/run`, outside = `${tmp.dir}/outside`;
  await trainRun(run);
  // RUN/checkpoints → elsewhere: a resume would have written and deleted checkpoints there.
  await Deno.mkdir(`${outside}/step-00000001`, { recursive: true });
  await Deno.writeTextFile(`${outside}/step-00000001/keep.txt`, "not the run's");
  await Deno.rename(`${run}/checkpoints`, `${tmp.dir}/real-checkpoints`);
  await symlink(outside, `${run}/checkpoints`);
  const linked = await task(["train", "--resume", run, "--epochs", "2"]);
  assert.equal(linked.code, 1, linked.stderr);
  assert.match(
    linked.stderr,
    /run\/checkpoints: is a symbolic link to .*outside, outside the run folder/,
  );
  assert.ok(oneLine(linked.stderr), linked.stderr);
  assert.equal(await Deno.readTextFile(`${outside}/step-00000001/keep.txt`), "not the run's");
  // RUN/log.csv → outside.csv: a resume would have copied that file's lines into the log.
  await Deno.remove(`${run}/checkpoints`);
  await Deno.rename(`${tmp.dir}/real-checkpoints`, `${run}/checkpoints`);
  await Deno.writeTextFile(`${tmp.dir}/outside.csv`, "secret,lines\n1,2\n");
  await Deno.remove(`${run}/log.csv`);
  await symlink(`${tmp.dir}/outside.csv`, `${run}/log.csv`);
  const log = await task(["train", "--resume", run, "--epochs", "2"]);
  assert.equal(log.code, 1, log.stderr);
  assert.match(
    log.stderr,
    /run\/log.csv: is a symbolic link to .*outside.csv, outside the run folder/,
  );
  assert.equal(await Deno.readTextFile(`${tmp.dir}/outside.csv`), "secret,lines\n1,2\n");
});

Deno.test("run folder: a crash's .tmp- leftovers are removed at the next start, and nothing else", async () => {
  await using tmp = await tempDir();
  const run = `${tmp.dir}/run`;
  await trainRun(run);
  const leftovers = [
    `${run}/checkpoints/step-00000090.tmp-0123abcd`,
    `${run}/history.json.tmp-deadbeef`,
    `${run}/snapshots/step-00000007.safetensors.tmp-00ff00ff`,
  ];
  await Deno.mkdir(leftovers[0], { recursive: true });
  await Deno.writeTextFile(`${leftovers[0]}/model.safetensors`, "half");
  await Deno.mkdir(`${run}/snapshots`);
  for (const file of leftovers.slice(1)) await Deno.writeTextFile(file, "half");
  const mine = `${run}/notes.tmp-mine`; // not a name the run writes
  await Deno.writeTextFile(mine, "the user's");
  const { code, stderr } = await task(["train", "--resume", run, "--epochs", "2"]);
  assert.equal(code, 0, stderr);
  for (const path of leftovers) assert.equal(await exists(path), false, path);
  assert.equal(await Deno.readTextFile(mine), "the user's");
});

Deno.test("run folder: checkpoints are ordered by their number, past step 99,999,999", async () => {
  await using tmp = await tempDir();
  const run = `${tmp.dir}/run`;
  await trainRun(run);
  const first = await newestCheckpoint(run);
  // As text, step-100000000 sorts before step-99999999.
  for (const step of [99_999_999, 100_000_000]) {
    const dir = `${run}/checkpoints/step-${step}`;
    await Deno.mkdir(dir);
    for await (const e of Deno.readDir(first)) {
      await Deno.copyFile(`${first}/${e.name}`, `${dir}/${e.name}`);
    }
    await editInfo(dir, (info) => {
      info.progress = { epoch: 1, step, samplesSeen: step * 32 };
    });
  }
  const { code, stdout, stderr } = await task(["train", "--resume", run, "--epochs", "2"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /resuming from .*step-100000000/);
  const kept = [];
  for await (const e of Deno.readDir(`${run}/checkpoints`)) kept.push(e.name);
  // The epoch's new checkpoint and the one it continued from; the older two were rotated out.
  assert.deepEqual(kept.sort(), ["step-100000000", "step-100000045"]);
});

Deno.test("run folder: the folder given to --resume is the run, wherever it has moved", async () => {
  await using tmp = await tempDir();
  await trainRun(`${tmp.dir}/first`);
  await Deno.rename(`${tmp.dir}/first`, `${tmp.dir}/moved`);
  await Deno.remove(`${tmp.dir}/moved/log.csv`); // lost too: it is started again
  const { code, stdout, stderr } = await task([
    "train",
    "--resume",
    `${tmp.dir}/moved`,
    "--epochs",
    "2",
  ]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, new RegExp(`model written to ${tmp.dir}/moved/model.safetensors`));
  assert.equal(await exists(`${tmp.dir}/first`), false);
  const log = (await Deno.readTextFile(`${tmp.dir}/moved/log.csv`)).trimEnd().split("\n");
  assert.deepEqual([log[0], log.length], ["step,epoch,loss,learning_rate", 1 + 45]);
  assert.match(log[1], /^46,2,/);
});

Deno.test("run folder: a new run in an --out that holds another asks for --resume or a new folder", async () => {
  await using tmp = await tempDir();
  const run = `${tmp.dir}/run`;
  await trainRun(run);
  const model = await Deno.readFile(`${run}/model.safetensors`);
  const { code, stderr } = await task(["train", "--epochs", "1", "--out", run, "--seed", "9"]);
  assert.equal(code, 2, stderr);
  assert.match(
    stderr,
    /--out .*run holds another run: continue it with --resume .*run, or give a new folder/,
  );
  assert.deepEqual(await Deno.readFile(`${run}/model.safetensors`), model);
});

Deno.test("run folder: a permission or kind error is reported, not taken for 'no checkpoint'", async () => {
  await using tmp = await tempDir();
  const run = `${tmp.dir}/run`;
  await Deno.mkdir(run);
  await Deno.writeTextFile(`${run}/checkpoints`, "a file where the folder belongs");
  const { code, stderr } = await task(["train", "--resume", run]);
  assert.equal(code, 1, stderr);
  assert.doesNotMatch(stderr, /no checkpoint to resume from/);
  assert.match(stderr, /Not a directory.*run\/checkpoints/);
});

Deno.test("run folder: a full disk says which file failed and where the last good checkpoint is", async () => {
  await using tmp = await tempDir();
  const disk = `${tmp.dir}/disk`;
  await Deno.mkdir(disk);
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=256k", "tmpfs", disk],
    stderr: "null",
  }).output().catch(() => undefined);
  if (!mount?.success) {
    console.log("skipped: cannot mount a small tmpfs here (needs root); no full disk to test on");
    return;
  }
  try {
    const run = `${disk}/run`;
    await trainRun(run);
    const last = await newestCheckpoint(run);
    // Fill what is left of the disk.
    await Deno.writeFile(`${disk}/ballast`, new Uint8Array(256 * 1024)).catch((e) => {
      if (!/No space left/.test(String(e))) throw e;
    });
    const { code, stderr } = await task(["train", "--resume", run, "--epochs", "3"]);
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      new RegExp(
        `error: could not write ${run}/\\S+: No space left on device.*; the last good checkpoint is ${last}`,
      ),
    );
    assert.ok(oneLine(stderr), stderr);
    assert.equal(await newestCheckpoint(run), last, "the last good checkpoint still loads");
  } finally {
    await new Deno.Command("umount", { args: [disk] }).output();
  }
});

Deno.test("run folder: resuming a 500k-step run reads only the tail of log.csv (64 MiB heap)", async () => {
  await using tmp = await tempDir();
  const run = `${tmp.dir}/run`;
  await trainRun(run);
  const checkpoint = await newestCheckpoint(run);
  const steps = 500_000;
  await editInfo(checkpoint, (info) => {
    info.progress = { epoch: 1, step: steps, samplesSeen: steps * 32 };
  });
  // 17 MB of log, with lines past the checkpoint (a crash after it) that must be dropped.
  const lines = ["step,epoch,loss,learning_rate"];
  for (let s = 1; s <= steps + 20; s++) {
    lines.push(`${s},${s > steps ? 2 : 1},0.123456789012345,0.02`);
  }
  await Deno.writeTextFile(`${run}/log.csv`, lines.join("\n") + "\n3,cut sh");
  const { code, stderr } = await task(["train", "--resume", run, "--epochs", "2"]);
  assert.equal(code, 0, stderr);
  const log = await Deno.readTextFile(`${run}/log.csv`);
  const rows = log.trimEnd().split("\n");
  assert.equal(rows.length, 1 + steps + 45);
  assert.equal(rows[steps], `${steps},1,0.123456789012345,0.02`);
  assert.match(rows[steps + 1], new RegExp(`^${steps + 1},2,`));
  assert.match(rows.at(-1)!, new RegExp(`^${steps + 45},2,`));
});

Deno.test("signals: SIGTERM to `deno task train` stops the trainer with a checkpoint (exit 143), no orphan", async () => {
  await using tmp = await tempDir();
  const run = `${tmp.dir}/run`;
  const child = spawnTask(["train", "--epochs", "100000", "--out", run]);
  const [stdout, stderr] = [new Response(child.stdout).text(), new Response(child.stderr).text()];
  while (!await exists(`${run}/history.json`)) await new Promise((r) => setTimeout(r, 50));
  child.kill("SIGTERM");
  const { code } = await child.status;
  assert.equal(code, 143, await stderr);
  await stdout;
  const saved = await loadNewestCheckpoint(run);
  assert.match(await stderr, new RegExp(`interrupted: checkpoint written to ${saved.path}`));
  // An orphaned trainer would go on appending to the log.
  const size = (await Deno.stat(`${run}/log.csv`)).size;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await Deno.stat(`${run}/log.csv`)).size, size, "the trainer is still running");
  const resumed = await task([
    "train",
    "--resume",
    run,
    "--epochs",
    String(saved.info.progress.epoch + 1),
  ]);
  assert.equal(resumed.code, 0, resumed.stderr);
});

Deno.test("signals: SIGHUP to the launcher is passed on: checkpoint, exit 129", async () => {
  await using tmp = await tempDir();
  const run = `${tmp.dir}/run`;
  const child = new Deno.Command("deno", {
    args: ["run", "--allow-run=deno", "cli/launch.ts", "train", "--epochs", "100000", "--out", run],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  while (!await exists(`${run}/history.json`)) await new Promise((r) => setTimeout(r, 50));
  child.kill("SIGHUP");
  assert.equal((await child.status).code, 129, await stderr);
  assert.match(await stderr, /interrupted: checkpoint written to .*step-\d{8}/);
});
