"""A 784-512-10 MLP with cross entropy and SGD, forward and backward written by hand against an array
namespace (NumPy or CuPy): the reference the backend scripts (bench_numba.py, bench_cupy.py) time plugrad against.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def mlp_data(batches: int, batch: int) -> tuple:
    """Inputs, labels and the starting weights (w1, b1, w2, b2) of the MLP, as NumPy arrays."""
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((batches, batch, 784), dtype=np.float32)
    ys = rng.integers(0, 10, size=(batches, batch))
    w1 = (rng.standard_normal((512, 784)) / 28).astype(np.float32)
    w2 = (rng.standard_normal((10, 512)) / 22.6).astype(np.float32)
    return xs, ys, w1, np.zeros(512, np.float32), w2, np.zeros(10, np.float32)


def mlp_by_hand(xp: Any, steps: int, batch: int, sync: Callable[[], Any] = lambda: None) -> Callable[[], float]:
    """``steps`` SGD steps of the MLP in the array namespace ``xp``, from the same start each call; the last loss.

    ``sync`` waits for the device's work (a GPU's), so that a call times the work and not only its launch.
    """
    xs, ys, *weights = (xp.asarray(a) for a in mlp_data(4, batch))
    lr = np.float32(0.01)
    rows = xp.arange(batch)

    def run() -> float:
        w1, b1, w2, b2 = (w.copy() for w in weights)
        for i in range(steps):
            x, y = xs[i % len(xs)], ys[i % len(ys)]
            h = x @ w1.T + b1
            a = xp.maximum(h, 0)
            z = a @ w2.T + b2
            z -= z.max(axis=1, keepdims=True)
            e = xp.exp(z)
            p = e / e.sum(axis=1, keepdims=True)
            loss = -xp.log(p[rows, y]).mean()
            p[rows, y] -= 1
            p /= batch
            da = p @ w2
            da[h <= 0] = 0
            w2 -= lr * (p.T @ a)
            b2 -= lr * p.sum(axis=0)
            w1 -= lr * (da.T @ x)
            b1 -= lr * da.sum(axis=0)
        sync()
        return float(loss)

    return run
