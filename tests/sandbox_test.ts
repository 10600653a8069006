/**
 * The launcher's sandbox, attacked through `deno task train|predict`: values it must not
 * grant (empty, `/`, a comma, `/dev`, `/proc`), relative paths, URLs, FIFOs, the exact
 * grants of predict's output, and a resume into another folder.
 */

import assert from "node:assert/strict";
import { resolve } from "node:path";
import { grantsFor, permissionsFor } from "../cli/launch.ts";
import { PATH_FLAGS } from "../cli/sources.ts";
import { oneLine, REPO, task, tempDir, trainRun } from "./helpers/launcher.ts";

Deno.test("sandbox: an empty path value is a usage error (exit 2), never a grant of /", async () => {
  const attacks: string[][] = [
    ["train", "--out="],
    ["train", "--idx="],
    ["train", "--data="],
    ["train", "--test="],
    ["train", "--resume", ""],
    ["train", "--data", "data/digits_train.csv", "--out", ""],
    ["predict", "--model=", "--data", "data/digits_test.csv"],
    ["predict", "--model", "runs/x", "--data", "data/digits_test.csv", "--output="],
  ];
  for (const args of attacks) {
    const { code, stderr } = await task(args);
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, /^error: --\w+ "": an empty value names no (file|folder|file or folder)/);
    assert.ok(oneLine(stderr), stderr);
  }
});

Deno.test("sandbox: no value grants the whole file system, and every grant is a checked absolute path", async () => {
  for (const value of ["/", "//", "/tmp/..", ".", "../../../../../../../.."]) {
    const args = ["--out", value];
    let grants;
    try {
      grants = grantsFor("train", args, "/tmp");
    } catch (e) {
      assert.match((e as Error).message, /refusing to grant the whole file system/);
      continue;
    }
    for (const path of [...grants.read, ...grants.write]) {
      assert.ok(path.startsWith("/") && path !== "/", `${value} granted ${path}`);
    }
  }
  const { code, stderr } = await task(["train", "--out", "/"]);
  assert.equal(code, 2);
  assert.match(stderr, /--out "\/": refusing to grant the whole file system/);
});

Deno.test("sandbox: a comma in a path is refused clearly, not with a Rust backtrace", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/a,b.csv`;
  await Deno.writeTextFile(path, "x,y\n1,a\n");
  for (const flag of ["--data", "--out", "--test"]) {
    const { code, stderr } = await task(["train", flag, path]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /a path with a comma cannot be granted/);
    assert.ok(oneLine(stderr), stderr);
    assert.doesNotMatch(stderr, /Empty path is not allowed|backtrace|panicked/);
  }
});

Deno.test("sandbox: /dev/stdin and /proc paths are refused with the reason", async () => {
  for (const path of ["/dev/stdin", "/proc/self/fd/0", "/proc/self/environ", "/sys/kernel"]) {
    const { code, stderr } = await task(["train", "--data", path]);
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      /\/proc, \/sys and \/dev\/stdin \(\/dev\/fd\) are opened only with --allow-all/,
    );
    assert.ok(oneLine(stderr), stderr);
  }
  const device = await task(["train", "--out", "/dev/null"]);
  assert.equal(device.code, 2, device.stderr);
  assert.match(device.stderr, /--out "\/dev\/null": the run folder cannot be a device under \/dev/);
});

Deno.test("sandbox: a FIFO named on the command line is granted and read once", async () => {
  await using tmp = await tempDir();
  await trainRun(`${tmp.dir}/run`);
  const fifo = `${tmp.dir}/model.safetensors`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output().catch(() => undefined);
  if (!made?.success) {
    console.log("skipped: mkfifo is not available to this test");
    return;
  }
  const model = await Deno.readFile(`${tmp.dir}/run/model.safetensors`);
  const writer = (async () => {
    using file = await Deno.open(fifo, { write: true });
    for (let at = 0; at < model.length;) at += await file.write(model.subarray(at));
  })();
  const { code, stdout, stderr } = await task([
    "predict",
    "--model",
    fifo,
    "--data",
    "data/digits_test.csv",
  ]);
  await writer;
  assert.equal(code, 0, stderr);
  assert.match(stdout.split("\n")[0], /^class,p_0,/);
});

Deno.test("sandbox: relative paths resolve against the folder deno task ran in; the bundled data against the repository", async () => {
  await using tmp = await tempDir();
  const { code, stdout, stderr } = await task(
    ["train", "--epochs", "1", "--out", "rel/run"],
    tmp.dir,
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, new RegExp(`model written to ${tmp.dir}/rel/run/model.safetensors`));
  await Deno.stat(`${tmp.dir}/rel/run/model.safetensors`);
  // A relative data file is found beside the user, too.
  await Deno.copyFile(`${REPO}/data/digits_test.csv`, `${tmp.dir}/mine.csv`);
  const mine = await task(["train", "--epochs", "1", "--data", "mine.csv"], tmp.dir);
  assert.equal(mine.code, 0, mine.stderr);
});

Deno.test("sandbox: a URL is granted as its host:port on the network, never as a path to read", () => {
  const grants = grantsFor(
    "train",
    ["--data", "https://example.com:8443/train.csv", "--test", "http://data.test/t.csv"],
    "/tmp",
  );
  assert.deepEqual(grants.net, ["example.com:8443", "data.test:80"]);
  assert.deepEqual(grants.read, []);
  // Besides the one BLAS file train may load (the platform's usual one, named without a read).
  const flags = permissionsFor("train", ["--idx", "https://h.test/mnist"], "/tmp");
  // And the package's own source, which the CSV parser's worker loads.
  assert.deepEqual(flags.filter((f) => !f.startsWith("--allow-ffi=")), [
    `--allow-read=${REPO}/src`,
    "--allow-net=h.test:443",
  ]);
  assert.ok(flags.filter((f) => f.startsWith("--allow-ffi=")).every((f) => !f.includes(",")));
  // Where a URL means nothing, it is refused rather than taken for a relative path.
  assert.throws(
    () => grantsFor("train", ["--out", "https://example.com/run"], "/tmp"),
    /the run folder must be a local folder, not a URL/,
  );
});

Deno.test("sandbox: predict may write exactly <output> and <output>.tmp; with no flags it says what is missing", async () => {
  assert.deepEqual(
    permissionsFor(
      "predict",
      ["--model", "runs/1", "--data", "new.csv", "--output", "p.csv"],
      "/w",
    ),
    [
      "--allow-read=/w/runs/1,/w/new.csv,/w/p.csv,/w/p.csv.tmp",
      "--allow-write=/w/p.csv,/w/p.csv.tmp",
    ],
  );
  assert.deepEqual(permissionsFor("predict", [], "/w"), []);
  const bare = await task(["predict"]);
  assert.equal(bare.code, 2, bare.stderr);
  assert.match(bare.stderr, /^Usage: deno task predict --model/); // usage, exit 2

  await using tmp = await tempDir();
  await trainRun(`${tmp.dir}/run`);
  const output = `${tmp.dir}/predictions.csv`;
  const { code, stderr } = await task([
    "predict",
    "--model",
    `${tmp.dir}/run`,
    "--data",
    "data/digits_test.csv",
    "--output",
    output,
  ]);
  assert.equal(code, 0, stderr);
  assert.match(await Deno.readTextFile(output), /^class,p_0/);
  await assert.rejects(Deno.stat(`${output}.tmp`), Deno.errors.NotFound);
});

Deno.test("sandbox: --resume A --out B is refused before anything is created", async () => {
  await using tmp = await tempDir();
  await trainRun(`${tmp.dir}/a`);
  const { code, stderr } = await task([
    "train",
    "--resume",
    `${tmp.dir}/a`,
    "--out",
    `${tmp.dir}/b`,
  ]);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /continues the run in .*\/a, so --out .*\/b cannot name another folder/);
  await assert.rejects(Deno.stat(`${tmp.dir}/b`), Deno.errors.NotFound);
});

Deno.test("sandbox: every path flag of the registry is granted, and only the write flags are writable", () => {
  for (const [command, flags] of Object.entries(PATH_FLAGS)) {
    for (const spec of flags) {
      const grants = grantsFor(command as "train", [spec.flag, "some/where"], "/base");
      const paths = spec.paths(resolve("/base", "some/where"));
      // A library the command loads is granted as FFI for that file alone, never as a read.
      const where = spec.access === "load" ? grants.ffi : grants.read;
      for (const path of paths) assert.ok(where.includes(path), `${spec.flag} ${path}`);
      assert.equal(paths.some((p) => grants.read.includes(p)), spec.access !== "load");
      assert.equal(paths.every((p) => grants.write.includes(p)), spec.access === "write");
    }
  }
});
