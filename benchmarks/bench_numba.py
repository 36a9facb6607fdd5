#!/usr/bin/env python
"""The Numba backend's speed, as ratios measured in one run: plugrad on Numba next to plugrad on NumPy,
hand-written NumPy and PyTorch on the CPU (when torch is importable), all with the same number of threads
(Numba's loops, ``torch.set_num_threads`` and, with threadpoolctl installed, NumPy's BLAS).

    python benchmarks/bench_numba.py                  # every workload; prints a Markdown table
    python benchmarks/bench_numba.py --quick          # fewer repeats and steps (a smoke run)
    python benchmarks/bench_numba.py --only threshold --json out.json

Workloads:

``sum_of_squares``
    forward and backward of ``0.5 * sum(5 * (x + 1) ** 2)`` on 10^7 float32 elements.
``two_layer``
    PyTorch's two-layer network tutorial: N=64, D_in=1000, H=100, D_out=10, 200 SGD steps
    (``x.mm(w1).clamp(min=0).mm(w2)``, squared error, manual update under ``no_grad``).
``mlp``
    a 784-512-10 MLP (``nn.Linear``, ``nn.ReLU``, ``nn.CrossEntropyLoss``, ``optim.SGD``) on batches of 256,
    20 steps.
``threshold``
    from which size a compiled loop beats the NumPy kernel: each kernel class timed at 2^8 .. 2^20 elements,
    compiled loop against its NumPy fallback; the crossover sets ``MIN_SIZE`` / ``MIN_SIZE_FUSED`` in
    ``plugrad_numba/kernels.py``.

Each repeat runs every contender once, in turn (interleaved, so that a slow moment of the machine hits all
of them); the table shows medians and the ratios of the medians. Nothing here is asserted: timings depend on
the machine, so they are recorded in benchmarks/README.md with the machine's facts and the command.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._mlp_by_hand import mlp_by_hand, mlp_data  # noqa: E402
from benchmarks._timing import command_line, interleaved, selected, write_json  # noqa: E402

WORKLOADS = ("sum_of_squares", "two_layer", "mlp", "threshold")


# --- the workloads, written once against the PyTorch API (plugrad or torch) and once in NumPy -------------


def sum_of_squares(lib: Any, device: str | None, n: int) -> Callable[[], Any]:
    kw = {"device": device} if device else {}
    x = lib.tensor(np.random.default_rng(0).standard_normal(n, dtype=np.float32), requires_grad=True, **kw)

    def step() -> Any:
        x.grad = None
        y = 0.5 * (5 * (x + 1) ** 2).sum()
        y.backward()
        return x.grad

    return step


def sum_of_squares_numpy(n: int) -> Callable[[], Any]:
    x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)

    def step() -> Any:
        t = x + 1
        0.5 * np.sum(5 * (t * t))
        return 5 * t  # d/dx of 0.5 * 5 * (x + 1)^2

    return step


def _two_layer_data(n: int, d_in: int, h: int, d_out: int) -> tuple:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, d_in), dtype=np.float32), rng.standard_normal((n, d_out), dtype=np.float32),
            rng.standard_normal((d_in, h), dtype=np.float32), rng.standard_normal((h, d_out), dtype=np.float32))


def two_layer(lib: Any, device: str | None, steps: int) -> Callable[[], Any]:
    kw = {"device": device} if device else {}
    xs, ys, w1s, w2s = _two_layer_data(64, 1000, 100, 10)
    x, y = lib.tensor(xs, **kw), lib.tensor(ys, **kw)
    lr = 1e-6

    def run() -> Any:
        w1 = lib.tensor(w1s, requires_grad=True, **kw)
        w2 = lib.tensor(w2s, requires_grad=True, **kw)
        for _ in range(steps):
            y_pred = x.mm(w1).clamp(min=0).mm(w2)
            loss = (y_pred - y).pow(2).sum()
            loss.backward()
            with lib.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
                w1.grad.zero_()
                w2.grad.zero_()
        return loss

    return run


def two_layer_numpy(steps: int) -> Callable[[], Any]:
    x, y, w1s, w2s = _two_layer_data(64, 1000, 100, 10)
    lr = 1e-6

    def run() -> Any:
        w1, w2 = w1s.copy(), w2s.copy()
        for _ in range(steps):
            h = x.dot(w1)
            h_relu = np.maximum(h, 0)
            y_pred = h_relu.dot(w2)
            loss = np.square(y_pred - y).sum()
            grad_y_pred = 2.0 * (y_pred - y)
            grad_w2 = h_relu.T.dot(grad_y_pred)
            grad_h = grad_y_pred.dot(w2.T)
            grad_h[h < 0] = 0
            grad_w1 = x.T.dot(grad_h)
            w1 -= lr * grad_w1
            w2 -= lr * grad_w2
        return loss

    return run


def mlp(lib: Any, device: str | None, steps: int, batch: int = 256) -> Callable[[], Any]:
    kw = {"device": device} if device else {}
    xs, ys, w1, b1, w2, b2 = mlp_data(4, batch)
    data = [(lib.tensor(xs[i], **kw), lib.tensor(ys[i], **kw)) for i in range(len(xs))]

    def run() -> Any:
        model = lib.nn.Sequential(lib.nn.Linear(784, 512), lib.nn.ReLU(), lib.nn.Linear(512, 10))
        with lib.no_grad():
            for p, v in zip(model.parameters(), (w1, b1, w2, b2)):
                p.copy_(lib.tensor(v, **kw))
        if device:
            model.to(device)
        loss_fn = lib.nn.CrossEntropyLoss()
        opt = lib.optim.SGD(model.parameters(), lr=0.01)
        for i in range(steps):
            xb, yb = data[i % len(data)]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        return loss

    return run


# --- running them ------------------------------------------------------------------------------------------


def _contenders(make: Callable[..., Callable[[], Any]], make_numpy: Callable[..., Callable[[], Any]],
                torch: Any, *args: Any) -> dict[str, Callable[[], Any]]:
    import plugrad

    out = {"plugrad-numba": make(plugrad, "numba", *args), "plugrad-numpy": make(plugrad, "numpy", *args),
           "numpy": make_numpy(*args)}
    if torch is not None:
        out["torch"] = make(torch, None, *args)
    return out


def _threshold(repeats: int, min_seconds: float) -> dict[str, Any]:
    """Compiled loop against NumPy fallback, per kernel class and size: the ratio fallback / compiled."""
    from plugrad_numba import kernels

    rng = np.random.default_rng(0)
    classes: dict[str, tuple[str, Callable[[np.ndarray], tuple]]] = {
        # name: (op, arguments built from a float32 vector); streaming kernels (MIN_SIZE) first
        "mul": ("mul", lambda x: (x, x)),
        "add, broadcast over rows": ("add", lambda x: (x.reshape(-1, 64), x[:64])),
        "sum": ("sum", lambda x: (x, None, False)),
        "bias gradient (sum_to_size)": ("sum_to_size", lambda x: (x.reshape(-1, 64), (64,))),
        "relu": ("relu", lambda x: (x,)),
        "relu backward (threshold_backward)": ("threshold_backward", lambda x: (x, x, 0)),
        "pow backward": ("pow_backward", lambda x: (x, x, 2)),
        "sigmoid": ("sigmoid", lambda x: (x,)),
        "softmax, rows of 16": ("softmax", lambda x: (x.reshape(-1, 16), 1)),
        "cross entropy, 16 classes": ("cross_entropy_fused",
                                      lambda x: (x.reshape(-1, 16), np.zeros(x.size // 16, np.int64), None, "mean",
                                                 -100)),
    }
    sizes = [2 ** k for k in range(10, 25, 2)]
    table: dict[str, dict[int, float]] = {}
    previous = kernels.set_min_size(0, 0)
    try:
        for label, (op, args_of) in classes.items():
            native = kernels.KERNELS[op]
            fb = kernels.fallback(op)
            row = {}
            for n in sizes:
                args = args_of(rng.standard_normal(n, dtype=np.float32))
                t, _ = interleaved({"compiled": lambda a=args, f=native: f(*a), "numpy": lambda a=args, f=fb: f(*a)},
                                   repeats, min_seconds)
                row[n] = t["numpy"] / t["compiled"]
            table[label] = row
    finally:
        kernels.set_min_size(*previous)
    return {"sizes": sizes, "speedup_of_compiled": table}


def run(workloads: tuple[str, ...] = WORKLOADS, quick: bool = False, threads: int | None = None) -> dict[str, Any]:
    """Time the workloads; return the medians (seconds), the ratios and the machine's facts."""
    import plugrad

    try:
        import torch
    except ImportError:
        torch = None
    if threads is not None:
        plugrad.set_num_threads(threads)
    threads = plugrad.get_num_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    blas = _limit_blas(threads)
    repeats, min_seconds = (3, 0.05) if quick else (9, 0.3)
    results: dict[str, Any] = {"machine": machine(), "threads": threads, "blas_threads": blas,
                               "torch": getattr(torch, "__version__", None), "quick": quick, "workloads": {}}
    for name in workloads:
        if name == "threshold":
            results["workloads"][name] = _threshold(repeats, min_seconds / 10)
            continue
        if name == "sum_of_squares":
            contenders = _contenders(sum_of_squares, sum_of_squares_numpy, torch, 10 ** 6 if quick else 10 ** 7)
        elif name == "two_layer":
            contenders = _contenders(two_layer, two_layer_numpy, torch, 20 if quick else 200)
        elif name == "mlp":
            contenders = _contenders(mlp, lambda steps: mlp_by_hand(np, steps, 256), torch, 5 if quick else 20)
        else:
            raise ValueError(f"unknown workload {name!r}; workloads: {', '.join(WORKLOADS)}")
        medians, _ = interleaved(contenders, repeats, min_seconds)
        numba = medians["plugrad-numba"]
        results["workloads"][name] = {
            "seconds": medians,
            "ratios": {f"numba / {k}": numba / v for k, v in medians.items() if k != "plugrad-numba"},
        }
    return results


def _limit_blas(threads: int) -> int | None:
    """Give NumPy's BLAS the same thread count (with threadpoolctl, if installed); return the count it has."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return None
    _limit_blas.keep = threadpool_limits(limits=threads, user_api="blas")  # type: ignore[attr-defined]
    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return counts[0] if counts else None


def machine() -> dict[str, Any]:
    import numba
    from plugrad_numba import kernels

    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
            "numba_threads": numba.get_num_threads(), "threading_layer": kernels.threading_layer(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def markdown(results: dict[str, Any]) -> str:
    """The results as the Markdown tables of benchmarks/README.md."""
    lines = []
    w = results["workloads"]
    timed = [k for k in w if k != "threshold"]
    if timed:
        names = list(w[timed[0]]["seconds"])
        lines.append("| workload | " + " | ".join(f"{n} (ms)" for n in names) + " | "
                     + " | ".join(w[timed[0]]["ratios"]) + " |")
        lines.append("|---" * (1 + len(names) + len(w[timed[0]]["ratios"])) + "|")
        for k in timed:
            row = [f"{1e3 * w[k]['seconds'][n]:.2f}" for n in names]
            ratios = [f"{r:.2f}" for r in w[k]["ratios"].values()]
            lines.append(f"| {k} | " + " | ".join(row + ratios) + " |")
    if "threshold" in w:
        t = w["threshold"]
        lines.append("")
        lines.append("| kernel (NumPy time / compiled time) | " + " | ".join(f"2^{int(np.log2(s))}" for s in t["sizes"])
                     + " |")
        lines.append("|---" * (1 + len(t["sizes"])) + "|")
        for label, row in t["speedup_of_compiled"].items():
            lines.append(f"| {label} | " + " | ".join(f"{row[s]:.2f}" for s in t["sizes"]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = command_line(__doc__, WORKLOADS)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for numba, torch and NumPy's BLAS (threadpoolctl) alike (default: numba's)")
    args = parser.parse_args(argv)
    results = run(selected(args.only), args.quick, args.threads)
    m = results["machine"]
    print(f"{m['processor']}, nproc {m['nproc']}, numba {m['numba']} on {results['threads']} threads "
          f"({m['threading_layer']}), BLAS threads {results['blas_threads']}, numpy {m['numpy']}, "
          f"torch {results['torch']}, load {m['load_average']}")
    print(markdown(results))
    write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
