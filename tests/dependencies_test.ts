/**
 * What the project asks of its machine: dependencies that run no install
 * scripts, and tasks that never ask for the network, the environment, FFI or all permissions.
 */

import assert from "node:assert/strict";

const lock = JSON.parse(await Deno.readTextFile("deno.lock"));
const config = JSON.parse(await Deno.readTextFile("deno.json"));

Deno.test("no npm dependency has an install script (Deno's lock file marks them with `scripts`)", () => {
  const packages = Object.entries(lock.npm ?? {}) as [string, Record<string, unknown>][];
  assert.ok(packages.length > 0);
  for (const [name, entry] of packages) {
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
    assert.doesNotMatch(
      command,
      /(^|\s)(-A|--allow-all|--allow-net|--allow-env|--allow-ffi(?!=\/[^,\s]+(\s|$))|--allow-sys|--allow-scripts)\b/,
      `task ${name}: ${command}`,
    );
  }
});
