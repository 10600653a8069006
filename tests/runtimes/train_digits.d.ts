// Types of train_digits.js for the Deno tests that import it.
import type * as lib from "../../mod.ts";
import type { DigitsRun } from "./bundle.ts";

export function trainDigits(
  library: typeof lib,
  train: Uint8Array,
  test: Uint8Array,
  options?: { backend?: lib.BackendName; threads?: number },
): Promise<DigitsRun>;
