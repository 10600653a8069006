/**
 * The layout of a CSV: which columns are labels and which features, whether the first row is a
 * header, and what a label becomes (a class index or a regression value). It is decided once,
 * from the options and the first row.
 *
 * @module
 */

import type { DType } from "../../kernels/types.ts";
import type { Dialect } from "./_tokenizer.ts";

/** What the label column becomes. */
export type Target =
  | { kind: "regression" }
  | { kind: "ids"; count: number }
  | { kind: "names"; names: readonly string[]; index: Map<string, number> }
  | { kind: "discover"; classes: Discovered };

/** The length of a sample's one-hot `y` for `target`: 0 where `y` is no one-hot vector. */
export function oneHotLength(target: Target): number {
  return target.kind === "ids" ? target.count : target.kind === "names" ? target.names.length : 0;
}

/**
 * Labels found while reading, each with an index in order of first appearance and its numeric
 * value (NaN when it is no number), so that the classes can be sorted once all are known.
 */
export interface Discovered {
  /** Label text → its index. */
  index: Map<string, number>;
  /** The texts in index order, and their numeric values. */
  names: string[];
  values: number[];
  /** The most distinct labels taken. */
  max: number;
}

/** The reader's checked options. */
export interface Config extends Dialect {
  source: string;
  header: boolean | "auto";
  /** The label columns as given, or null for the default (a label-like name, else the last). */
  labels: readonly (string | number)[] | null;
  dtype: DType;
  target: Target;
  /** The longest row taken, in bytes. */
  maxLineBytes: number;
  /** Told the label columns' names when the first row is a header. */
  onHeader?: (labels: string[]) => void;
}

/** Column roles: a feature or regression target holds its offset in a sample's slot (>= 0). */
export const CLASS_ID = -1, CLASS_NAME = -2, LABEL_TEXT = -3;

/** The column roles, known once the first row is read. */
export interface Layout {
  fields: number;
  /** By column: an offset in the slot (a feature or regression target), or a label role. */
  roles: Int32Array;
  /** Features per sample. */
  nx: number;
  /** Elements of a slot: the features, then any regression targets. */
  stride: number;
  /** Whether a sample has a class (one of the label roles). */
  classified: boolean;
}

/** Header names that mark a label column, whatever their case. */
const LABEL_NAMES = /^(label|class|target|species|y)$/i;

/** A problem with the options against the first row: the reason, for an error at that row. */
export class LayoutError extends Error {}

/**
 * Decides the layout from the first row's texts and numbers; returns it with whether that row
 * is a header.
 */
export function decideLayout(
  cfg: Config,
  first: readonly { text: string; value: number }[],
): { layout: Layout; header: boolean; labels: number[] } {
  const names = first.map((f) => f.text);
  const { header } = cfg;
  const target = cfg.target;
  const guessed = cfg.labels === null && header !== false
    ? names.findIndex((name) =>
      LABEL_NAMES.test(name.trim()) && !(target.kind === "names" && target.index.has(name))
    )
    : -1;
  const labels = cfg.labels ?? [guessed >= 0 ? guessed : -1];
  const byName = labels.some((l) => typeof l === "string");
  // A label-like name that is no class is no data: that row is a header.
  let isHeader = header === true || (header === "auto" && (byName || guessed >= 0));
  const columns = labelColumns(labels, isHeader ? names : null, names.length);
  const layout = layoutFor(columns, names.length, target);
  if (header === "auto" && !isHeader) isHeader = !fits(layout, first, target);
  return { layout, header: isHeader, labels: columns };
}

/** The indices of the label columns, in the order given. */
function labelColumns(
  labels: readonly (string | number)[],
  names: string[] | null,
  count: number,
): number[] {
  const columns: number[] = [];
  for (const label of labels) {
    const column = labelColumn(label, names, count);
    if (columns.includes(column)) throw new LayoutError(`label column ${column} given twice`);
    columns.push(column);
  }
  return columns;
}

function labelColumn(label: string | number, names: string[] | null, count: number): number {
  if (typeof label === "number") {
    const column = label < 0 ? count + label : label;
    if (Number.isInteger(label) && column >= 0 && column < count) return column;
    throw new LayoutError(`label column ${label} out of range (${count} columns)`);
  }
  if (names === null) throw new LayoutError(`label column "${label}" needs a header row`);
  const column = names.indexOf(label);
  if (column >= 0) return column;
  throw new LayoutError(`unknown label column "${label}" (columns: ${listed(names)})`);
}

/** Whether every field of a first row could stand in a data row. */
function fits(
  layout: Layout,
  fields: readonly { text: string; value: number }[],
  target: Target,
): boolean {
  return fields.every((f, col) =>
    layout.roles[col] >= CLASS_ID
      ? f.value === f.value
      : target.kind !== "names" || target.index.has(f.text)
  );
}

function layoutFor(labelColumns: number[], fields: number, target: Target): Layout {
  const nx = fields - labelColumns.length;
  const roles = new Int32Array(fields);
  for (let col = 0, feature = 0; col < fields; col++) {
    const j = labelColumns.indexOf(col);
    roles[col] = j < 0 ? feature++ : labelRole(target, nx + j);
  }
  const regression = target.kind === "regression";
  return {
    fields,
    roles,
    nx,
    stride: regression ? fields : nx,
    classified: !regression,
  };
}

function labelRole(target: Target, offset: number): number {
  switch (target.kind) {
    case "regression":
      return offset;
    case "ids":
      return CLASS_ID;
    case "names":
      return CLASS_NAME;
    case "discover":
      return LABEL_TEXT;
  }
}

/** At most 20 names, for a message. */
export function listed(names: readonly string[]): string {
  const shown = names.slice(0, 20).join(", ");
  return names.length > 20 ? `${shown}, … (${names.length} in all)` : shown;
}
