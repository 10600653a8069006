"""The same two trainings as bench/fashion.ts, in PyTorch, for a same-run comparison.

One epoch of Fashion-MNIST (60k samples, inputs scaled to [0, 1]) for each
configuration and thread count; prints one JSON line per run:
  A: 784-30-10, sigmoid everywhere, quadratic loss (1/M)·½‖Y−A‖², SGD lr 3.0, batch 10
  B: 784-128-64-10, ReLU hidden, softmax + cross-entropy, SGD lr 0.1, batch 64
Usage: python3 bench/peers/torch_fashion.py DIR [THREADS ...]
"""
import gzip
import json
import sys
import time

import numpy as np
import torch


def load(directory, prefix):
    with gzip.open(f"{directory}/{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{directory}/{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return torch.from_numpy(images.astype(np.float32) / 255), torch.from_numpy(labels.astype(np.int64))


def model(config):
    if config == "A":
        return torch.nn.Sequential(torch.nn.Linear(784, 30), torch.nn.Sigmoid(), torch.nn.Linear(30, 10), torch.nn.Sigmoid())
    return torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)
    )


def epoch(config, x, y):
    torch.manual_seed(1)
    net = model(config)
    batch, lr = (10, 3.0) if config == "A" else (64, 0.1)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    onehot = torch.nn.functional.one_hot(y, 10).float()
    cross_entropy = torch.nn.CrossEntropyLoss()
    started = time.perf_counter()
    for i in range(0, len(x), batch):
        xb, yb = x[i : i + batch], y[i : i + batch]
        out = net(xb)
        if config == "A":
            loss = ((out - onehot[i : i + batch]) ** 2).sum() / 2 / len(xb)
        else:
            loss = cross_entropy(out, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - started
    return len(x) / seconds, float(loss)


def main():
    directory = sys.argv[1]
    threads = [int(t) for t in sys.argv[2:]] or [1, 2]
    x, y = load(directory, "train")
    for config in ("A", "B"):
        for n in threads:
            torch.set_num_threads(n)
            rate, loss = epoch(config, x, y)
            print(json.dumps({"peer": "pytorch", "version": torch.__version__, "config": config, "threads": n,
                              "samplesPerSec": rate, "lastLoss": loss}), flush=True)


if __name__ == "__main__":
    main()
