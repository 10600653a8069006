/**
 * Writes Fashion-MNIST's training set as CSV (60k rows × 784 pixels + label,
 * ~130 MB, gitignored), so CSV ingestion can be measured at scale:
 *
 *     deno task fashion-csv [IDX_DIR] [OUT_FILE]
 *
 * @module
 */

import { idxSamples } from "../mod.ts";

const dir = Deno.args[0] ?? "/usr/share/datasets/fashion-mnist";
const out = Deno.args[1] ?? "data/fashion_mnist_train.csv";
const images = `${dir}/train-images-idx3-ubyte.gz`, labels = `${dir}/train-labels-idx1-ubyte.gz`;
const samples = idxSamples((await Deno.open(images)).readable, (await Deno.open(labels)).readable, {
  scale: 1,
  source: { images, labels },
});
const file = await Deno.open(out, { write: true, create: true, truncate: true });
const writer = file.writable.getWriter();
const encoder = new TextEncoder();
await writer.write(
  encoder.encode(Array.from({ length: 784 }, (_, i) => `p${i}`).join(",") + ",label\n"),
);
let rows = 0, text = "";
for await (const s of samples) {
  text += `${s.x.join(",")},${s.y.indexOf(1)}\n`;
  if (++rows % 1000 === 0) [text] = [await writer.write(encoder.encode(text)).then(() => "")];
}
await writer.write(encoder.encode(text));
await writer.close();
console.log(`wrote ${rows} rows to ${out}`);
