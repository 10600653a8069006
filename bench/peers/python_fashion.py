"""The same two trainings as bench/fashion.ts, in Python, for a same-run comparison.

Two peers, each at its best: PyTorch (nn.Linear, autograd, torch.optim.SGD) and the
seed's own full-matrix method written in NumPy float32 (samples as columns, the four
equations as matrix products: what a Python user of the seed would write). For every
thread count asked for, the BLAS pool is pinned with threadpoolctl (and torch's own
pool with torch.set_num_threads), so that no peer oversubscribes the cores; the caller
reports the best. Like ours (a full shuffle of the cached samples each epoch), each
peer shuffles the epoch, in the fastest way found: one permuted copy of the whole training
set, timed with the epoch, then batches as slices; NumPy runs a second time without the
shuffle ("numpy-unshuffled", batches in the file's order), the figure a script that skips
the shuffle would show. It also times NumPy's float32 matmul (cblas_sgemm) on the three
products of each configuration's first layer, the yardstick of our BLAS backend.

One epoch of Fashion-MNIST (60k samples, inputs scaled to [0, 1]) per configuration:
  A: 784-30-10, sigmoid everywhere, quadratic loss (1/M)·½‖Y−A‖², SGD lr 3.0, batch 10
  B: 784-128-64-10, ReLU hidden, softmax + cross-entropy, SGD lr 0.1, batch 64
Each epoch runs ROUNDS times per thread count and the best is kept (every round is printed).
Prints one JSON line per measurement. Usage: python3 bench/peers/python_fashion.py DIR [THREADS ...]
"""
import gzip
import json
import os
import re
import sys
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

# Each peer's epoch is run this many times per thread count, the best kept: its first epoch
# pays for fresh memory (NumPy's shuffled copy of the 188 MB training set is page-faulted in:
# 57-65k samples/s on A against 130-160k for the same epoch run again), as a training loop's
# later epochs do not.
ROUNDS = 3

CONFIGS = {
    "A": {"sizes": [784, 30, 10], "batch": 10, "lr": 3.0},
    "B": {"sizes": [784, 128, 64, 10], "batch": 64, "lr": 0.1},
}


def load(directory, prefix):
    with gzip.open(f"{directory}/{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{directory}/{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images.astype(np.float32) / 255, labels.astype(np.int64)


def torch_model(config):
    if config == "A":
        return torch.nn.Sequential(torch.nn.Linear(784, 30), torch.nn.Sigmoid(), torch.nn.Linear(30, 10), torch.nn.Sigmoid())
    return torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)
    )


def torch_epoch(config, images, labels):
    torch.manual_seed(1)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    net, (batch, lr) = torch_model(config), (CONFIGS[config]["batch"], CONFIGS[config]["lr"])
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    onehot = torch.nn.functional.one_hot(y, 10).float()
    cross_entropy = torch.nn.CrossEntropyLoss()
    started = time.perf_counter()
    perm = torch.randperm(len(x))
    x, y, onehot = x[perm], y[perm], onehot[perm]
    for i in range(0, len(x), batch):
        out = net(x[i : i + batch])
        if config == "A":
            loss = ((out - onehot[i : i + batch]) ** 2).sum() / 2 / len(out)
        else:
            loss = cross_entropy(out, y[i : i + batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return len(x) / (time.perf_counter() - started), float(loss)


def numpy_epoch(config, images, labels, shuffle=True):
    """The seed's method: X is N0×M (samples as columns), δ^L, δ^l = Wᵀδ ⊙ σ', ∂W = δAᵀ, ∂b = δ·1.

    With `shuffle`, the epoch's samples are shuffled (timed), as ours and PyTorch's are; without,
    the batches are the file's order, with X's transpose made before the clock starts."""
    sizes, batch, lr = CONFIGS[config]["sizes"], CONFIGS[config]["batch"], CONFIGS[config]["lr"]
    rng = np.random.default_rng(1)
    relu = config == "B"
    W = [(rng.standard_normal((n, m)) * np.sqrt(2 / m if relu else 2 / (m + n))).astype(np.float32)
         for m, n in zip(sizes[:-1], sizes[1:])]
    b = [np.zeros((n, 1), np.float32) for n in sizes[1:]]
    L = len(W)
    if shuffle:
        started = time.perf_counter()
        # One copy of whole rows (0.08 s), the transpose a view: 784 × 60000 in column-major
        # order, a batch a contiguous column slice.
        perm = rng.permutation(len(labels))
        X = images[perm].T
        Y = np.zeros((len(labels), 10), np.float32)
        Y[np.arange(len(labels)), labels[perm]] = 1
        Y = Y.T
    else:
        X = np.ascontiguousarray(images.T)
        Y = np.zeros((10, len(labels)), np.float32)
        Y[labels, np.arange(len(labels))] = 1
        started = time.perf_counter()
    for i in range(0, X.shape[1], batch):
        A = [X[:, i : i + batch]]
        y = Y[:, i : i + batch]
        m = A[0].shape[1]
        for l in range(L):
            z = W[l] @ A[-1] + b[l]
            if l == L - 1 and relu:
                e = np.exp(z - z.max(axis=0, keepdims=True))
                A.append(e / e.sum(axis=0, keepdims=True))
            elif relu:
                A.append(np.maximum(z, 0))
            else:
                A.append(1 / (1 + np.exp(-z)))
        out = A[-1]
        if relu:
            loss = -np.log(np.maximum(out[y > 0], 1e-30)).sum() / m
            delta = (out - y) / m
        else:
            loss = ((out - y) ** 2).sum() / 2 / m
            delta = (out - y) / m * out * (1 - out)
        for l in range(L - 1, -1, -1):
            dW, db = delta @ A[l].T, delta.sum(axis=1, keepdims=True)
            if l > 0:
                back = W[l].T @ delta
                delta = back * (A[l] > 0) if relu else back * A[l] * (1 - A[l])
            W[l] -= lr * dW
            b[l] -= lr * db
    return X.shape[1] / (time.perf_counter() - started), float(loss)


def sgemm_rates(config):
    """GFLOP/s of NumPy's float32 matmul (cblas_sgemm) on W·A, Wᵀ·δ, δ·Aᵀ of the first layer."""
    n0, n1, m = CONFIGS[config]["sizes"][0], CONFIGS[config]["sizes"][1], CONFIGS[config]["batch"]
    rng = np.random.default_rng(2)
    W, A, d = (rng.random(s, dtype=np.float32) for s in ((n1, n0), (n0, m), (n1, m)))
    outs = {"W·A": np.empty((n1, m), np.float32), "Wᵀ·δ": np.empty((n0, m), np.float32),
            "δ·Aᵀ": np.empty((n1, n0), np.float32)}
    products = {"W·A": lambda: np.matmul(W, A, out=outs["W·A"]),
                "Wᵀ·δ": lambda: np.matmul(W.T, d, out=outs["Wᵀ·δ"]),
                "δ·Aᵀ": lambda: np.matmul(d, A.T, out=outs["δ·Aᵀ"])}
    rates = {}
    for name, f in products.items():
        f()
        best = float("inf")
        for _ in range(3):
            n, started = 0, time.perf_counter()
            while time.perf_counter() - started < 0.3:
                f()
                n += 1
            best = min(best, (time.perf_counter() - started) / n)
        rates[name] = 2 * n0 * n1 * m / best / 1e9
    return rates


def blas_info():
    """Which BLAS each peer runs on: threadpoolctl's view of the loaded libraries."""
    return [{k: i.get(k) for k in ("internal_api", "version", "architecture", "filepath")}
            for i in threadpool_info() if i["user_api"] == "blas"]


def main():
    directory = sys.argv[1]
    threads = [int(t) for t in sys.argv[2:]] or [1, 2]
    images, labels = load(directory, "train")
    print(json.dumps({"kind": "peer-info", "torch": torch.__version__, "numpy": np.__version__,
                      "blas": blas_info(), "torchBuild": re.search(r"BLAS_INFO=(\w+)", torch.__config__.show()).group(1),
                      "environment": {k: v for k, v in os.environ.items() if "BLAS" in k or k.startswith("OMP_")}}),
          flush=True)
    for config in CONFIGS:
        for n in threads:
            with threadpool_limits(limits=n):
                torch.set_num_threads(n)
                sequential = lambda *a: numpy_epoch(*a, shuffle=False)
                for peer, run in (("pytorch", torch_epoch), ("numpy", numpy_epoch),
                                  ("numpy-unshuffled", sequential)):
                    rounds = [run(config, images, labels) for _ in range(ROUNDS)]
                    rate, loss = max(rounds)
                    print(json.dumps({"kind": "peer", "peer": peer, "config": config, "threads": n,
                                      "samplesPerSec": rate, "lastLoss": loss,
                                      "rounds": [r for r, _ in rounds]}), flush=True)
                if n == 1:
                    print(json.dumps({"kind": "sgemm", "peer": "numpy", "config": config, "threads": 1,
                                      "gflops": sgemm_rates(config)}), flush=True)


if __name__ == "__main__":
    main()
