// The demo page: starts the training worker, draws the loss and accuracy curves as epochs come
// in, and classifies what is drawn on the pad. `globalThis.demo` is the page's API for tests and
// the console: `demo.trained` (a promise), `demo.drawPixels(pixels)` and `demo.classify()`.
import { EPOCHS } from "./model.js";

const $ = (id) => document.getElementById(id);
const status = $("status"), curves = $("curves"), pad = $("pad");
const worker = new Worker("./worker.js", { type: "module" });
const history = [];
const pending = new Map();
let kernels = "", nextId = 0;
let resolveTrained, rejectTrained;
const trained = new Promise((resolve, reject) =>
  [resolveTrained, rejectTrained] = [resolve, reject]
);

worker.onmessage = ({ data }) => {
  if (data.type === "epoch") {
    history.push(data.event);
    const e = data.event;
    status.textContent = `epoch ${e.epoch}/${EPOCHS} · loss ${e.trainLoss.toFixed(3)} · ` +
      `validation accuracy ${(100 * e.validationAccuracy).toFixed(1)} %`;
    drawCurves();
  } else if (data.type === "trained") {
    kernels = data.kernels;
    const e = data.last;
    status.textContent = `trained in ${data.seconds.toFixed(1)} s on ${kernels} · ` +
      `validation accuracy ${(100 * e.validationAccuracy).toFixed(1)} % · now draw a digit`;
    resolveTrained({ kernels, last: e, history });
  } else if (data.type === "probabilities") {
    pending.get(data.id)?.(data.p);
    pending.delete(data.id);
  } else if (data.type === "error") {
    status.textContent = `error: ${data.message}`;
    rejectTrained(new Error(data.message));
  }
};
worker.onerror = (event) => {
  status.textContent = `error: ${event.message}`;
  rejectTrained(new Error(event.message));
};
worker.postMessage({ type: "train" });

// ---- Learning curves: loss on the left axis, accuracy (0–1) on the right, epochs across.

const COLORS = { train: "#3f6fd8", validation: "#e0622a", accuracy: "#2a9d5c" };

function drawCurves() {
  const g = curves.getContext("2d"), W = curves.width, H = curves.height;
  const box = { left: 48, right: W - 48, top: 34, bottom: H - 36 };
  g.clearRect(0, 0, W, H);
  g.font = "12px system-ui, sans-serif";
  const maxLoss = Math.max(...history.flatMap((e) => [e.trainLoss, e.validationLoss]), 0.1);
  const x = (epoch) => box.left + (box.right - box.left) * (epoch - 1) / (EPOCHS - 1);
  const yLoss = (v) => box.bottom - (box.bottom - box.top) * v / maxLoss;
  const yAcc = (v) => box.bottom - (box.bottom - box.top) * v;
  // Grid and axes.
  g.strokeStyle = "#e3e7ee";
  g.fillStyle = "#5b6476";
  g.lineWidth = 1;
  for (let i = 0; i <= 5; i++) {
    const y = box.top + (box.bottom - box.top) * i / 5;
    g.beginPath(), g.moveTo(box.left, y), g.lineTo(box.right, y), g.stroke();
    g.textAlign = "right", g.fillText((maxLoss * (1 - i / 5)).toFixed(2), box.left - 6, y + 4);
    g.textAlign = "left", g.fillText((1 - i / 5).toFixed(1), box.right + 6, y + 4);
  }
  g.textAlign = "center";
  for (let epoch = 1; epoch <= EPOCHS; epoch += 2) g.fillText(epoch, x(epoch), box.bottom + 16);
  g.fillText("epoch", (box.left + box.right) / 2, H - 4);
  g.save(), g.translate(12, (box.top + box.bottom) / 2), g.rotate(-Math.PI / 2);
  g.fillText("loss", 0, 0), g.restore();
  g.save(), g.translate(W - 8, (box.top + box.bottom) / 2), g.rotate(Math.PI / 2);
  g.fillText("accuracy", 0, 0), g.restore();
  // The curves, with a dot per epoch.
  const series = [
    ["training loss", COLORS.train, (e) => yLoss(e.trainLoss)],
    ["validation loss", COLORS.validation, (e) => yLoss(e.validationLoss)],
    ["validation accuracy", COLORS.accuracy, (e) => yAcc(e.validationAccuracy)],
  ];
  series.forEach(([name, color, y], i) => {
    g.strokeStyle = g.fillStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    history.forEach((e, j) => (j ? g.lineTo(x(e.epoch), y(e)) : g.moveTo(x(e.epoch), y(e))));
    g.stroke();
    for (const e of history) g.beginPath(), g.arc(x(e.epoch), y(e), 2.5, 0, 2 * Math.PI), g.fill();
    const lx = box.left + i * 170;
    g.fillRect(lx, 12, 14, 3);
    g.fillStyle = "#1d2433", g.textAlign = "left", g.fillText(name, lx + 20, 18);
  });
}
drawCurves();

// ---- The drawing pad: 256×256 pixels of white ink on black, read as 8×8 blocks of 32×32, each
// block's mean intensity scaled to 0..16 as the digits' pixels are.

const ink = pad.getContext("2d", { willReadFrequently: true });
const BLOCK = pad.width / 8;
clearPad();

function clearPad() {
  ink.fillStyle = "#000";
  ink.fillRect(0, 0, pad.width, pad.height);
  $("predicted").textContent = "";
  showBars(new Array(10).fill(0));
}

/** The pad as 64 integers 0..16, row by row. */
function padPixels() {
  const { data } = ink.getImageData(0, 0, pad.width, pad.height);
  const pixels = new Array(64).fill(0);
  for (let y = 0; y < pad.height; y++) {
    for (let x = 0; x < pad.width; x++) {
      pixels[Math.floor(y / BLOCK) * 8 + Math.floor(x / BLOCK)] += data[(y * pad.width + x) * 4];
    }
  }
  return pixels.map((sum) => Math.round((16 * sum) / (255 * BLOCK * BLOCK)));
}

/** Classifies the pad; shows and returns the predicted class, its probabilities and the pixels. */
async function classify() {
  await trained;
  const pixels = padPixels(), id = nextId++;
  const p = await new Promise((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ type: "classify", id, pixels });
  });
  const predicted = p.indexOf(Math.max(...p));
  $("predicted").textContent = String(predicted);
  showBars(p);
  return { predicted, probabilities: p, pixels };
}

function showBars(p) {
  const top = p.indexOf(Math.max(...p));
  $("bars").innerHTML = p.map((v, i) =>
    `<span>${i}</span><div class="bar${v > 0 && i === top ? " top" : ""}">` +
    `<div style="width:${(100 * v).toFixed(1)}%"></div></div>` +
    `<span class="p">${(100 * v).toFixed(1)} %</span>`
  ).join("");
}

/** Paints 64 pixel intensities (0..16) as 8×8 gray blocks, and classifies them. */
function drawPixels(pixels) {
  pixels.forEach((v, i) => {
    const level = Math.round((255 * v) / 16);
    ink.fillStyle = `rgb(${level},${level},${level})`;
    ink.fillRect((i % 8) * BLOCK, Math.floor(i / 8) * BLOCK, BLOCK, BLOCK);
  });
  return classify();
}

let drawing = false;
const at = (event) => {
  const r = pad.getBoundingClientRect();
  return [
    (event.clientX - r.left) * pad.width / r.width,
    (event.clientY - r.top) * pad.height / r.height,
  ];
};
pad.addEventListener("pointerdown", (event) => {
  drawing = true;
  pad.setPointerCapture(event.pointerId);
  ink.strokeStyle = "#fff", ink.lineWidth = 26, ink.lineCap = ink.lineJoin = "round";
  ink.beginPath(), ink.moveTo(...at(event)), ink.lineTo(...at(event)), ink.stroke();
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  ink.lineTo(...at(event)), ink.stroke();
});
pad.addEventListener("pointerup", () => {
  drawing = false;
  classify();
});
$("clear").addEventListener("click", clearPad);

globalThis.demo = { trained, drawPixels, classify, padPixels, history };
