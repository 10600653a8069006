/**
 * Optimizers against traces worked out by hand on f(θ) = θ²/2 (so ∂f/∂θ = θ), with one
 * weight and one bias in float64; state round trips that continue bit for bit; bad settings.
 */

import assert from "node:assert/strict";
import type { Layer, LayerGradient } from "../src/network.ts";
import { Network } from "../src/network.ts";
import { Adam, makeOptimizer, type Optimizer, optimizerNames, SGD } from "../src/optimizers.ts";

const f64 = (v: number) => ({ rows: 1, cols: 1, data: new Float64Array([v]) });

/** Steps `optimizer` on f(θ) = θ²/2 from W = 1, b = 0.5 and returns W and b after each step. */
function trace(optimizer: Optimizer, steps: number, gradient = (theta: number) => theta) {
  const layer: Layer = { W: f64(1), b: f64(0.5) };
  const out: { W: number; b: number }[] = [];
  for (let t = 0; t < steps; t++) {
    const grad: LayerGradient = {
      dW: f64(gradient(layer.W.data[0])),
      db: f64(gradient(layer.b.data[0])),
    };
    optimizer.step([layer], [grad]);
    out.push({ W: layer.W.data[0], b: layer.b.data[0] });
  }
  return out;
}

function close(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]) < 1e-12, `${i}: ${a} vs ${expected[i]}`)
  );
}

Deno.test("SGD: plain steps shrink θ by (1 − η) each", () => {
  // θ ← θ − 0.1 θ: 1 → 0.9 → 0.81 → 0.729
  close(trace(new SGD({ learningRate: 0.1 }), 3).map((s) => s.W), [0.9, 0.81, 0.729]);
});

Deno.test("SGD: heavy-ball momentum follows v ← μv − ηg, θ ← θ + v", () => {
  // η = 0.1, μ = 0.9, g = θ:
  // 1: v = −0.1                      θ = 0.9
  // 2: v = 0.9·(−0.1) − 0.09 = −0.18  θ = 0.72
  // 3: v = −0.162 − 0.072 = −0.234    θ = 0.486
  close(trace(new SGD({ learningRate: 0.1, momentum: 0.9 }), 3).map((s) => s.W), [
    0.9,
    0.72,
    0.486,
  ]);
});

Deno.test("SGD: Nesterov momentum adds μv − ηg after updating v", () => {
  // 1: g = 1       v = −0.1                       θ = 1 − 0.09 − 0.1 = 0.81
  // 2: g = 0.81    v = −0.09 − 0.081 = −0.171      θ = 0.81 − 0.1539 − 0.081 = 0.5751
  // 3: g = 0.5751  v = −0.1539 − 0.05751 = −0.21141 θ = 0.5751 − 0.190269 − 0.05751 = 0.327321
  const sgd = new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
  close(trace(sgd, 3).map((s) => s.W), [0.81, 0.5751, 0.327321]);
});

Deno.test("SGD: weight decay adds λθ to the gradient of W only", () => {
  // g = 0 and λ = 0.5, η = 0.1: W ← W − 0.05 W = 0.95 W; b has no decay and stays 0.5.
  const steps = trace(new SGD({ learningRate: 0.1, weightDecay: 0.5 }), 2, () => 0);
  close(steps.map((s) => s.W), [0.95, 0.9025]);
  close(steps.map((s) => s.b), [0.5, 0.5]);
});

Deno.test("Adam: bias-corrected moments, three steps", () => {
  // η = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8, g = θ:
  // 1: g = 1: m = 0.1, v = 0.001, m̂ = 1, v̂ = 1           θ = 1 − 0.1·1/(1 + 1e-8) = 0.900000001
  // 2: g = 0.900000001: m = 0.09 + 0.0900000001 = 0.1800000001, m̂ = m/0.19 = 0.94736842157…
  //    v = 0.000999 + 0.001·0.810000001800… = 0.0018090000018, v̂ = v/0.001999 = 0.90495247713…
  //    θ = 0.900000001 − 0.1·0.94736842157/(0.95129043… + 1e-8) = 0.80041222971…
  // 3: (the same arithmetic once more, in float64)         θ = 0.70158627450…
  const steps = trace(new Adam({ learningRate: 0.1 }), 3);
  close(steps.map((s) => s.W), [0.900000001, 0.8004122297123382, 0.701586274504415]);
});

Deno.test("Adam: weight decay moves W, a bias with zero gradient stays put", () => {
  // g = λθ = 0.5 > 0: the first step is η·g/(|g| + ε) ≈ η. b: m = v = 0, so its step is 0.
  const [first] = trace(new Adam({ learningRate: 0.1, weightDecay: 0.5 }), 1, () => 0);
  assert.ok(Math.abs(first.W - 0.9) < 1e-7);
  assert.equal(first.b, 0.5);
});

Deno.test("Adam: defaults are 0.001, 0.9, 0.999, 1e-8", () => {
  const { scalars } = new Adam().state();
  assert.deepEqual(scalars, {
    learningRate: 0.001,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0,
  });
});

/** Trains a real float32 network for `steps` steps on fixed data with `optimizer`. */
function run(network: Network, optimizer: Optimizer, steps: number, from = 0): void {
  for (let t = from; t < from + steps; t++) {
    const x = { rows: 2, cols: 2, data: new Float32Array([t % 3, 1, -1, (t % 5) / 5]) };
    const y = { rows: 1, cols: 2, data: new Float32Array([0.25, 0.75]) };
    optimizer.step(network.layers, network.gradients(x, y, "quadratic").grads);
  }
}

const bits = (network: Network) =>
  network.layers.flatMap(({ W, b }) => [
    ...new Uint32Array(W.data.slice().buffer),
    ...new Uint32Array(b.data.slice().buffer),
  ]);

for (
  const [label, make] of [
    [
      "SGD nesterov",
      () => new SGD({ learningRate: 0.2, momentum: 0.8, nesterov: true, weightDecay: 0.01 }),
    ],
    ["Adam", () => new Adam({ learningRate: 0.05, weightDecay: 0.01 })],
  ] as const
) {
  Deno.test(`${label}: state()/loadState() continues bit for bit`, () => {
    const options = { sizes: [2, 3, 1], activations: ["tanh", "sigmoid"] as const, seed: 4 };
    const straight = new Network(options), resumed = new Network(options);
    const a = make();
    run(straight, a, 3);
    const saved = a.state();
    resumed.layers.forEach((layer, l) => {
      layer.W.data.set(straight.layers[l].W.data);
      layer.b.data.set(straight.layers[l].b.data);
    });
    run(straight, a, 4, 3);
    a.learningRate = 123; // a deep copy: later changes do not reach the saved state
    const b = make();
    b.loadState(saved);
    assert.equal(b.state().step, 3);
    run(resumed, b, 4, 3);
    assert.deepEqual(bits(resumed), bits(straight));
  });
}

Deno.test("state: tensors are named buffer.layer.parameter and are copies", () => {
  const sgd = new SGD({ learningRate: 0.1, momentum: 0.5 });
  const layer: Layer = { W: f64(1), b: f64(1) };
  sgd.step([layer], [{ dW: f64(1), db: f64(2) }]);
  const state = sgd.state();
  assert.deepEqual(Object.keys(state.tensors), ["velocity.0.W", "velocity.0.b"]);
  assert.deepEqual([...state.tensors["velocity.0.b"]], [-0.2]);
  state.tensors["velocity.0.b"][0] = 99;
  assert.deepEqual([...sgd.state().tensors["velocity.0.b"]], [-0.2]);
  assert.deepEqual(Object.keys(new Adam().state().tensors), []);
});

Deno.test("loadState: another kind, other settings or a misshapen buffer are refused", () => {
  const state = new SGD({ learningRate: 0.1, momentum: 0.5 }).state();
  assert.throws(() => new Adam().loadState(state), /cannot load the state of "sgd"/);
  assert.throws(
    () => new SGD({ learningRate: 0.1, momentum: 0.9 }).loadState(state),
    /state has momentum 0.5, this has 0.9/,
  );
  const sgd = new SGD({ learningRate: 0.1, momentum: 0.5 });
  sgd.loadState({ ...state, tensors: { "velocity.0.W": new Float64Array(2) } });
  assert.throws(
    () => sgd.step([{ W: f64(1), b: f64(1) }], [{ dW: f64(1), db: f64(1) }]),
    /state "velocity.0.W" holds 2 × float64, the parameter 1 × float64/,
  );
});

Deno.test("loadState: restores the learning rate a schedule had set", () => {
  const sgd = new SGD({ learningRate: 0.1 });
  sgd.learningRate = 0.025;
  const copy = new SGD({ learningRate: 0.1 });
  copy.loadState(sgd.state());
  assert.equal(copy.learningRate, 0.025);
});

Deno.test("bad settings are RangeErrors", () => {
  const bad: [() => unknown, RegExp][] = [
    [() => new SGD({ learningRate: 0 }), /learningRate must be > 0, got 0/],
    [() => new SGD({ learningRate: NaN }), /learningRate must be > 0/],
    [() => new SGD({ learningRate: 0.1, momentum: 1 }), /momentum must be in \[0, 1\)/],
    [() => new SGD({ learningRate: 0.1, nesterov: true }), /nesterov needs momentum > 0/],
    [() => new SGD({ learningRate: 0.1, weightDecay: -1 }), /weightDecay must be >= 0/],
    [() => new Adam({ learningRate: -1 }), /Adam: learningRate must be > 0/],
    [() => new Adam({ beta1: 1 }), /beta1 must be in \[0, 1\)/],
    [() => new Adam({ beta2: -0.1 }), /beta2 must be in \[0, 1\)/],
    [() => new Adam({ epsilon: 0 }), /epsilon must be > 0/],
    [() => new Adam({ weightDecay: Infinity }), /weightDecay must be >= 0/],
  ];
  for (const [make, message] of bad) {
    assert.throws(make, (e) => e instanceof RangeError && message.test(e.message));
  }
});

Deno.test("step: gradients for another number of layers are refused", () => {
  assert.throws(
    () => new Adam().step([{ W: f64(1), b: f64(1) }], []),
    /1 layers but 0 gradients/,
  );
});

Deno.test("AdamW matches PyTorch's torch.optim.AdamW (weights decayed, biases not) over three steps", () => {
  // Reference: /usr/bin/python3 with torch 1.13 (Debian's python3-torch), float64:
  //   opt = torch.optim.AdamW([{"params": [W], "weight_decay": 0.1},
  //                            {"params": [b], "weight_decay": 0.0}], lr=0.01)
  //   three opt.step()s with the gradients below.
  const layer: Layer = {
    W: { rows: 2, cols: 2, data: new Float64Array([0.5, -1, 2, 0.25]) },
    b: { rows: 2, cols: 1, data: new Float64Array([0.1, -0.2]) },
  };
  const gW = [[1, -2, 0.5, 3], [-1, 0.5, 0.25, -3], [0, 1, 2, 0.5]];
  const gb = [[0.3, -0.1], [0.2, 0.4], [-0.5, 0]];
  const adamw = makeOptimizer("adamw", { learningRate: 0.01, weightDecay: 0.1 });
  for (let k = 0; k < 3; k++) {
    adamw.step([layer], [{
      dW: { rows: 2, cols: 2, data: new Float64Array(gW[k]) },
      db: { rows: 2, cols: 1, data: new Float64Array(gb[k]) },
    }]);
  }
  close([...layer.W.data], [
    0.4894541226939328,
    -0.981858667508071,
    1.9666226730274454,
    0.2394523442526978,
  ]);
  close([...layer.b.data], [0.08109465562497774, -0.19992001379189056]);
  const state = adamw.state();
  assert.deepEqual([state.kind, state.step, state.scalars.weightDecay], ["adamw", 3, 0.1]);
});

Deno.test("AdamW: default decay 0.01; its state is not Adam's; it differs from Adam's L2", () => {
  const adamw = makeOptimizer("adamw", {});
  assert.equal(adamw.state().scalars.weightDecay, 0.01);
  assert.ok(optimizerNames.includes("adamw"));
  assert.throws(
    () => new Adam().loadState(adamw.state()),
    /Adam: cannot load the state of "adamw"/,
  );
  assert.throws(() => makeOptimizer("adamw", { momentum: 0.9 }), /adamw does not take momentum/);
  assert.throws(
    () => makeOptimizer("adamw", { weightDecay: -1 }),
    /AdamW: weightDecay must be >= 0/,
  );
  const decoupled = trace(makeOptimizer("adamw", { learningRate: 0.1, weightDecay: 0.5 }), 3);
  const l2 = trace(new Adam({ learningRate: 0.1, weightDecay: 0.5 }), 3);
  assert.notDeepEqual(decoupled.map((s) => s.W), l2.map((s) => s.W));
  assert.deepEqual(decoupled.map((s) => s.b), l2.map((s) => s.b)); // biases are decayed by neither
});

Deno.test("SGD.stepAndCopy: step()'s parameters bit for bit, their copy and sum; undefined where it cannot", () => {
  for (const dtype of ["float32", "float64"] as const) {
    const make = () =>
      new Network({ sizes: [13, 7, 3], activations: "sigmoid", seed: 5, dtype, backend: "wasm" });
    using fused = make(), apart = make();
    const fill = (net: Network) =>
      net.allocGradients().map(({ dW, db }, l) => {
        dW.data.forEach((_, i) => dW.data[i] = Math.sin(i + l));
        db.data.forEach((_, i) => db.data[i] = Math.cos(i + l));
        return { dW, db };
      });
    const copies = fused.allocGradients().map(({ dW, db }) => ({ W: dW, b: db }));
    const sum = new SGD({ learningRate: 0.3 }).stepAndCopy(fused.layers, fill(fused), copies);
    new SGD({ learningRate: 0.3 }).step(apart.layers, fill(apart));
    const values = (layers: Layer[]) => layers.flatMap(({ W, b }) => [...W.data, ...b.data]);
    assert.deepEqual(values(fused.layers), values(apart.layers), dtype);
    assert.deepEqual(values(copies), values(fused.layers), dtype);
    const want = values(fused.layers).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum! - want) < 1e-4 * (1 + Math.abs(want)), `${dtype}: ${sum} vs ${want}`);
    // Momentum, decay or storage off wasm: nothing is done.
    const before = values(fused.layers);
    assert.equal(
      new SGD({ learningRate: 0.3, momentum: 0.9 }).stepAndCopy(fused.layers, fill(fused), copies),
      undefined,
    );
    assert.equal(
      new SGD({ learningRate: 0.3, weightDecay: 0.1 }).stepAndCopy(
        fused.layers,
        fill(fused),
        copies,
      ),
      undefined,
    );
    using plain = new Network({
      sizes: [13, 7, 3],
      activations: "sigmoid",
      backend: "typescript",
      dtype,
    });
    const onTs = plain.allocGradients().map(({ dW, db }) => ({ W: dW, b: db }));
    assert.equal(
      new SGD({ learningRate: 0.3 }).stepAndCopy(plain.layers, plain.allocGradients(), onTs),
      undefined,
    );
    assert.deepEqual(values(fused.layers), before);
  }
});

Deno.test("train: plain SGD's one-pass step and check give the parameters of step() and the check apart", async () => {
  const { SampleCache, train } = await import("../mod.ts");
  const cache = new SampleCache();
  for (let i = 0; i < 60; i++) {
    cache.add({
      x: Float32Array.from({ length: 9 }, (_, k) => Math.sin(i * 9 + k)),
      y: Float32Array.of(i % 2, 1 - (i % 2)),
    });
  }
  const run = async (wrap: boolean) => {
    using network = new Network({
      sizes: [9, 6, 2],
      activations: ["relu", "softmax"],
      seed: 3,
      backend: "wasm",
    });
    const sgd = new SGD({ learningRate: 0.2 });
    // Without stepAndCopy: the step, then the copy-and-sum, as any optimizer gets them.
    const optimizer: Optimizer = wrap
      ? {
        get learningRate() {
          return sgd.learningRate;
        },
        set learningRate(v) {
          sgd.learningRate = v;
        },
        step: (l, g) => sgd.step(l, g),
        state: () => sgd.state(),
        loadState: (s) => sgd.loadState(s),
      }
      : sgd;
    const losses: number[] = [];
    for await (
      const e of train({
        network,
        loss: "cross-entropy",
        optimizer,
        batchData: (_, m) => cache.batches(m),
        batchSize: 8,
        epochs: 3,
      })
    ) {
      if (e.type === "step") losses.push(e.loss);
    }
    return { losses, params: network.layers.flatMap(({ W, b }) => [...W.data, ...b.data]) };
  };
  const fused = await run(false), apart = await run(true);
  assert.deepEqual(fused.losses, apart.losses);
  assert.deepEqual(fused.params, apart.params);
});
