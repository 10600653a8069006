/**
 * Stopping a run, through `deno task train`: SIGTERM and SIGHUP do what Ctrl-C does (a
 * checkpoint, where it is, exit 128 + the signal), a stop in the first epoch still leaves
 * `history.json`, and a diverged run never leaves a model with non-finite parameters.
 */

import assert from "node:assert/strict";
import { decodeModel } from "../mod.ts";
import { type Run, spawnTask, task, tempDir } from "./helpers/cli.ts";

/** Polls until `done()` holds: a sign that the child has got going. */
async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not happen`);
}
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/**
 * Runs `deno task train …` and sends `signal` to its whole process group (as `docker stop`,
 * a closing terminal or Ctrl-C reach every process) once `ready` holds.
 */
async function stopped(args: string[], signal: string, ready: () => Promise<boolean>) {
  const child = spawnTask("train", args);
  const [stdout, stderr] = [new Response(child.stdout).text(), new Response(child.stderr).text()];
  await until(ready, "the run's start");
  const kill = await new Deno.Command("kill", { args: ["-s", signal, "--", `-${child.pid}`] })
    .output();
  assert.equal(kill.code, 0);
  const { code } = await child.status;
  return { code, stdout: await stdout, stderr: await stderr } satisfies Run;
}

for (const [signal, exit] of [["TERM", 143], ["HUP", 129]] as const) {
  Deno.test(`train CLI: SIG${signal} writes a checkpoint, says where, exits ${exit}`, async () => {
    await using out = await tempDir();
    const { code, stdout, stderr } = await stopped(
      ["--epochs", "100000", "--out", out.path],
      signal,
      () => exists(`${out.path}/history.json`),
    );
    assert.equal(code, exit, stderr);
    const epoch = stdout.match(
      new RegExp(`interrupted in epoch (\\d+) after step \\d+ \\(SIG${signal}\\)`),
    );
    assert.ok(epoch, stdout);
    const said = stderr.match(
      /interrupted: checkpoint written to (\S+); continue with --resume (\S+)/,
    );
    assert.ok(said, stderr);
    assert.equal(said[2], out.path);
    assert.ok(await exists(`${said[1]}/checkpoint.json`), `${said[1]} holds no checkpoint`);
    // The checkpoint resumes: to the end of the interrupted epoch.
    const resumed = await task("train", ["--resume", out.path, "--epochs", epoch[1]]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`^epoch +${epoch[1]}/${epoch[1]} `, "m"));
  });
}

Deno.test("train CLI: Ctrl-C in the first epoch writes history.json, skips the plot, exits 130", async () => {
  await using out = await tempDir();
  // A slow first epoch: one sample a step through wide layers on the plain TypeScript kernels.
  const args = ["--batch", "1", "--layers", "64,1024,1024,10", "--backend", "typescript"];
  const { code, stdout, stderr } = await stopped(
    [...args, "--epochs", "1", "--out", out.path],
    "INT",
    async () =>
      (await Deno.readTextFile(`${out.path}/log.csv`).catch(() => "")).split("\n").length > 3,
  );
  assert.equal(code, 130, stderr);
  assert.match(stdout, /interrupted in epoch 1 after step \d+ \(SIGINT\)/);
  assert.doesNotMatch(stderr, /curvesSvg|no epochs to plot/);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${out.path}/history.json`)), []);
  assert.equal(await exists(`${out.path}/curves.svg`), false);
  assert.match(stderr, /interrupted: checkpoint written to \S+step-\d{8}; continue with --resume/);
});

Deno.test("train CLI: a diverged run writes its history and never a model with non-finite parameters", async () => {
  await using out = await tempDir();
  const { code, stderr } = await task("train", [
    "--data",
    "data/digits_train.csv",
    "--lr",
    "1e15",
    "--epochs",
    "2",
    "--out",
    out.path,
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /^error: loss became NaN at epoch 1, step \d+;/m);
  assert.doesNotMatch(stderr, /curvesSvg/);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${out.path}/history.json`)), []);
  if (await exists(`${out.path}/model.safetensors`)) {
    const { network } = decodeModel(await Deno.readFile(`${out.path}/model.safetensors`));
    const all = network.layers.flatMap(({ W, b }) => [...W.data, ...b.data]);
    network.close();
    assert.ok(all.every(Number.isFinite), "a model with non-finite parameters was saved");
  } else {
    assert.match(stderr, /the parameters are not finite: no model saved/);
  }
});
