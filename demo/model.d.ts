// Types of model.js for the Deno code that imports it.
import type * as lib from "../mod.ts";

/** The data sources' options. */
export const CSV: { classes: number; scale: number };
/** Epochs the demo trains for. */
export const EPOCHS: number;

/** Trains the demo's network on the digits' bytes. */
export function trainDigits(
  library: typeof lib,
  train: Uint8Array,
  test: Uint8Array,
  options?: {
    backend?: lib.BackendName;
    threads?: number;
    onEpoch?: (event: lib.EpochEvent) => void;
  },
): Promise<{ network: lib.Network; last: lib.EpochEvent }>;

/** The class probabilities for 64 raw pixel intensities. */
export function classify(library: typeof lib, network: lib.Network, pixels: number[]): number[];
