#!/usr/bin/env python
"""The CUDA backend's speed, as ratios measured in one run on one GPU: plugrad on CuPy next to PyTorch on
CUDA when torch (with CUDA) is importable, else next to CuPy's own hand-written forward and backward.

    python benchmarks/bench_cupy.py                  # every workload; prints a Markdown table
    python benchmarks/bench_cupy.py --quick          # fewer repeats, steps and elements (a smoke run)
    python benchmarks/bench_cupy.py --only mlp --json out.json
    PYTHONPATH=core:backends python benchmarks/bench_cupy.py   # from a source checkout, nothing installed

Workloads:

``sum_of_squares``
    forward and backward of the seed chain ``0.5 * sum(5 * (x + 1) ** 2)`` on 10^8 float32 elements.
``mlp``
    a 784-512-10 MLP (``nn.Linear``, ``nn.ReLU``, ``nn.CrossEntropyLoss``, ``optim.SGD``) on batches of 4096,
    20 steps.

Each repeat runs every contender once, in turn (interleaved, so that a slow moment of the GPU hits all of
them); a call ends with a device synchronize, so it times the GPU work and not only its launch. The table
shows medians and the ratios of the medians; the losses of the contenders' first calls are compared as a
check that they computed the same thing. Nothing is asserted: the figures are recorded in
benchmarks/README.md with the GPU's facts and the command.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for _src in (ROOT / "core", ROOT / "backends"):  # Note: after the installed packages; runs from a checkout too
    if str(_src) not in sys.path:
        sys.path.append(str(_src))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._mlp_by_hand import mlp_by_hand, mlp_data  # noqa: E402
from benchmarks._timing import command_line, interleaved, selected, write_json  # noqa: E402

WORKLOADS = ("sum_of_squares", "mlp")
PLUGRAD = "plugrad-cupy"


class Contender:
    """A library under test: how to make its arrays and tensors, and how to wait for its GPU work."""

    def __init__(self, name: str, lib: Any, device: str | None, sync: Callable[[], None]) -> None:
        self.name, self.lib, self.device, self.sync = name, lib, device, sync


# --- the workloads: once against the PyTorch API (plugrad or torch), once in CuPy by hand (the MLP: _mlp_by_hand)


def sum_of_squares(c: Contender, host: np.ndarray) -> Callable[[], float]:
    x = c.lib.tensor(host, device=c.device, requires_grad=True)

    def run() -> float:
        x.grad = None
        loss = 0.5 * (5 * (x + 1) ** 2).sum()
        loss.backward()
        c.sync()
        return float(loss.item())

    return run


def sum_of_squares_cupy(cp: Any, host: np.ndarray) -> Callable[[], float]:
    x = cp.asarray(host)

    def run() -> float:
        y = x + 1
        loss = 0.5 * cp.sum(5 * y * y)
        grad = 5 * y  # d loss / dx = 0.5 * 5 * 2 * (x + 1)
        cp.cuda.runtime.deviceSynchronize()
        del grad
        return float(loss)

    return run


def mlp(c: Contender, steps: int, batch: int) -> Callable[[], float]:
    lib, kw = c.lib, {"device": c.device}
    xs, ys, *weights = mlp_data(4, batch)
    data = [(lib.tensor(xs[i], **kw), lib.tensor(ys[i], **kw)) for i in range(len(xs))]
    model = lib.nn.Sequential(lib.nn.Linear(784, 512), lib.nn.ReLU(), lib.nn.Linear(512, 10)).to(c.device)
    start = [lib.tensor(w, **kw) for w in weights]
    loss_fn = lib.nn.CrossEntropyLoss()
    opt = lib.optim.SGD(model.parameters(), lr=0.01)

    def run() -> float:
        with lib.no_grad():
            for p, w in zip(model.parameters(), start):
                p.copy_(w)
        for i in range(steps):
            xb, yb = data[i % len(data)]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        c.sync()
        return float(loss.item())

    return run


# --- running them ------------------------------------------------------------------------------------------------


def _libraries() -> tuple[Contender, Contender | None, Any]:
    """plugrad on the cupy backend, torch on CUDA (or None, with why), and cupy itself."""
    import plugrad
    from plugrad.backend import known_backends

    b = known_backends().get("cupy")
    if b is None:
        raise SystemExit("the plugrad_cupy backend is not registered: install plugrad[cuda13] (or run with "
                         "PYTHONPATH=core:backends from a checkout)")
    ok, reason = b.available()
    if not ok:
        raise SystemExit(f"the cupy backend cannot run here: {reason}")
    cp = b.namespace()
    ours = Contender(PLUGRAD, plugrad, "cupy", cp.cuda.runtime.deviceSynchronize)
    try:
        import torch
    except ImportError:
        return ours, None, cp
    if not torch.cuda.is_available():
        return ours, None, cp
    return ours, Contender("torch-cuda", torch, "cuda", torch.cuda.synchronize), cp


def run(workloads: tuple[str, ...] = WORKLOADS, quick: bool = False) -> dict[str, Any]:
    """Time the workloads on the GPU; return the medians (seconds), the ratios, the losses and the machine's facts."""
    ours, torch_cuda, cp = _libraries()
    reference = torch_cuda.name if torch_cuda is not None else "cupy-by-hand"
    repeats, min_seconds = (3, 0.05) if quick else (9, 0.3)
    results: dict[str, Any] = {"machine": machine(cp, torch_cuda), "reference": reference, "quick": quick,
                               "workloads": {}}
    for name in workloads:
        if name == "sum_of_squares":
            n = 10 ** 6 if quick else 10 ** 8
            host = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
            params: dict[str, Any] = {"elements": n, "dtype": "float32"}
            contenders = {ours.name: sum_of_squares(ours, host)}
            contenders[reference] = (sum_of_squares(torch_cuda, host) if torch_cuda is not None
                                     else sum_of_squares_cupy(cp, host))
        elif name == "mlp":
            steps, batch = (5, 1024) if quick else (20, 4096)
            params = {"layers": "784-512-10", "batch": batch, "steps": steps, "dtype": "float32"}
            contenders = {ours.name: mlp(ours, steps, batch)}
            contenders[reference] = (mlp(torch_cuda, steps, batch) if torch_cuda is not None
                                     else mlp_by_hand(cp, steps, batch, cp.cuda.runtime.deviceSynchronize))
        else:
            raise ValueError(f"unknown workload {name!r}; workloads: {', '.join(WORKLOADS)}")
        medians, losses = interleaved(contenders, repeats, min_seconds)
        results["workloads"][name] = {
            "params": params,
            "seconds": medians,
            "ratio": medians[ours.name] / medians[reference],
            "losses": losses,
            "losses_agree": bool(np.isclose(losses[ours.name], losses[reference], rtol=1e-4)),
        }
        contenders.clear()
        cp.get_default_memory_pool().free_all_blocks()
    return results


def machine(cp: Any, torch_cuda: Contender | None) -> dict[str, Any]:
    from plugrad.backend import known_backends

    facts = dict(known_backends()["cupy"].info())
    facts.update({"platform": platform.platform(), "python": platform.python_version(), "numpy": np.__version__,
                  "torch": getattr(torch_cuda.lib, "__version__", None) if torch_cuda is not None else None})
    return facts


def markdown(results: dict[str, Any]) -> str:
    """The results as the Markdown table of benchmarks/README.md."""
    ref = results["reference"]
    lines = [f"| workload | {PLUGRAD} (ms) | {ref} (ms) | {PLUGRAD} / {ref} | losses agree |",
             "|---|---|---|---|---|"]
    for name, w in results["workloads"].items():
        s = w["seconds"]
        lines.append(f"| {name} ({', '.join(f'{k} {v}' for k, v in w['params'].items())}) | "
                     f"{1e3 * s[PLUGRAD]:.2f} | {1e3 * s[ref]:.2f} | {w['ratio']:.2f} | "
                     f"{'yes' if w['losses_agree'] else 'NO: ' + str(w['losses'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = command_line(__doc__, WORKLOADS).parse_args(argv)
    results = run(selected(args.only), args.quick)
    m = results["machine"]
    print(f"{m['device']} (compute capability {m['compute capability']}), CUDA runtime {m['CUDA runtime']}, "
          f"driver {m['CUDA driver']}, cupy {m['cupy']}, torch {m['torch']}; reference: {results['reference']}")
    print(markdown(results))
    write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
