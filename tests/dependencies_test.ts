/**
 * What the project asks of its machine: dependencies that run no install
 * scripts, and tasks that never ask for the network, the environment, FFI or all permissions.
 */

import assert from "node:assert/strict";

const lock = JSON.parse(await Deno.readTextFile("deno.lock"));
const config = JSON.parse(await Deno.readTextFile("deno.json"));

/**
 * Packages whose install script is known and harmless. Deno runs no install
 * script anyway unless `--allow-scripts` is given, which no task does.
 */
const KNOWN_SCRIPTS: Record<string, string> = {
  // onnxruntime-web's (tests only); its postinstall prints a warning about dependents' version ranges.
  "protobufjs@7.6.6": "scripts/postinstall.js only prints a version-scheme warning",
};

Deno.test("no npm dependency has an install script (Deno's lock file marks them with `scripts`)", () => {
  const packages = Object.entries(lock.npm ?? {}) as [string, Record<string, unknown>][];
  assert.ok(packages.length > 0);
  for (const [name, entry] of packages) {
    if (name in KNOWN_SCRIPTS) continue;
    assert.equal(entry.scripts, undefined, `${name} has install scripts`);
  }
});

Deno.test("every dependency is an npm package pinned to an exact version", () => {
  for (const [name, specifier] of Object.entries(config.imports as Record<string, string>)) {
    assert.match(specifier, /^npm:(@[^/]+\/)?[^@]+@\d+\.\d+\.\d+$/, `${name}: ${specifier}`);
  }
});

Deno.test("no task asks for the network, the environment, FFI beyond one library file, install scripts or all permissions", () => {
  for (const [name, command] of Object.entries(config.tasks as Record<string, string>)) {
    // The demo serves its page, on the loopback interface only.
    const rest = name === "demo" ? command.replace(/ --allow-net=127\.0\.0\.1(?= )/, "") : command;
    assert.doesNotMatch(
      // The launcher may read one variable: the folder `deno task` was started in.
      rest.replace(/ --allow-env=INIT_CWD(?=\s)/, ""),
      /(^|\s)(-A|--allow-all|--allow-net|--allow-env|--allow-ffi(?!=\/[^,\s]+(\s|$))|--allow-sys|--allow-scripts)\b/,
      `task ${name}: ${command}`,
    );
  }
});

/** The modules `deno info` finds from `entry`, as `kind specifier`. */
async function graph(entry: string): Promise<string[]> {
  const out = await new Deno.Command("deno", { args: ["info", "--json", entry] }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  return info.modules.map((m: { kind: string; specifier: string }) => `${m.kind} ${m.specifier}`);
}

Deno.test("the root export pulls no npm package: its graph is the package's own files", async () => {
  const modules = await graph("mod.ts");
  assert.ok(modules.length > 10);
  const foreign = modules.filter((m) => !m.startsWith("esm file://"));
  assert.deepEqual(foreign, []);
  // The same check on the plot entry finds d3, so it would catch an npm import in the core.
  assert.ok((await graph("plot.ts")).some((m) => m.startsWith("npm ")));
});
