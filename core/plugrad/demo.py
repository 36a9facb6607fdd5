"""``plugrad demo``: train a small classifier on scikit-learn's 8x8 digits with plugrad.

Uses ``load_digits`` (shipped with scikit-learn, nothing is downloaded), a stratified train/test
split, an MLP (or with ``--model cnn`` a small convolutional net), Adam and cross entropy. Each
epoch shows a progress bar with the running loss and accuracy; the last line gives the test
accuracy, the time per epoch and the backend. The same ``--seed`` gives the same numbers.
``--plots DIR`` writes loss and accuracy curves (PNG, matplotlib) and the autograd graph of one
training step (``graph.dot``, plus ``graph.svg`` and ``graph.png`` where the Graphviz binaries exist).

Needs the ``examples`` extra: ``pip install plugrad[examples]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Sequence
from typing import Any

_EXTRA_HINT = "install the demo's dependencies with: pip install plugrad[examples]"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="plugrad demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", default=None, help="plugrad backend to train on (default: the default backend)")
    p.add_argument("--epochs", type=int, default=15, help="passes over the training set (default 15)")
    p.add_argument("--seed", type=int, default=0, help="seed for the split, the initial weights and the batches")
    p.add_argument("--batch-size", type=int, default=32, help="minibatch size (default 32)")
    p.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default 3e-3)")
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp", help="an MLP (default) or a small CNN")
    p.add_argument("--plots", metavar="DIR", default=None,
                   help="write loss/accuracy curves and the autograd graph of one step into DIR")
    p.add_argument("--no-progress", action="store_true", help="print one line per epoch instead of progress bars")
    return p


def make_model(kind: str) -> Any:
    """The classifier: 64 -> 128 -> 64 -> 10 MLP, or conv(8) -> pool -> conv(16) -> pool -> linear for 8x8 images."""
    from . import nn

    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 2 * 2, 10),
        )
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def load_data(seed: int, kind: str, backend: Any) -> tuple[Any, Any, Any, Any]:
    """Digits scaled to [0, 1], split 75/25 (stratified), as plugrad tensors on ``backend``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    import plugrad

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int64")
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    if kind == "cnn":
        x_tr, x_te = x_tr.reshape(-1, 1, 8, 8), x_te.reshape(-1, 1, 8, 8)
    return tuple(plugrad.tensor(a, device=backend) for a in (x_tr, y_tr, x_te, y_te))  # type: ignore[return-value]


def accuracy(model: Any, x: Any, y: Any) -> float:
    import plugrad

    with plugrad.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


class _Bar:
    """A tqdm bar when tqdm is installed and wanted, else one printed line per epoch."""

    def __init__(self, total: int, desc: str, enabled: bool) -> None:
        self.bar = None
        self.desc = desc
        self.postfix = ""
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=desc, leave=True, dynamic_ncols=True, file=sys.stderr)

    def update(self, loss: float, acc: float) -> None:
        self.postfix = f"loss={loss:.4f}, acc={acc:.3f}"
        if self.bar is not None:
            self.bar.set_postfix_str(self.postfix, refresh=False)
            self.bar.update(1)

    def close(self, extra: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.postfix}, {extra}")
            self.bar.close()
        else:
            print(f"{self.desc}: {self.postfix}, {extra}", flush=True)


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train as the arguments say; returns the history and the final numbers (also used by the tests)."""
    import plugrad
    from plugrad import nn, optim
    from plugrad.data import DataLoader, TensorDataset

    backend = plugrad.backend.resolve(args.backend) if args.backend else plugrad.backend.default_backend_obj()
    plugrad.manual_seed(args.seed)
    x_tr, y_tr, x_te, y_te = load_data(args.seed, args.model, backend)
    with plugrad.default_backend(backend):
        model = make_model(args.model)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True, generator=args.seed)
    history: dict[str, list[float]] = {"loss": [], "train_acc": [], "test_acc": []}
    epoch_times = []
    graph_step = None
    for epoch in range(1, args.epochs + 1):
        model.train()
        bar = _Bar(len(loader), f"epoch {epoch}/{args.epochs}", not args.no_progress)
        start = time.perf_counter()
        total_loss = 0.0
        correct = 0
        seen = 0
        for xb, yb in loader:
            logits = model(xb)
            loss = loss_fn(logits, yb)
            if graph_step is None:
                graph_step = (loss, dict(model.named_parameters()))
            opt.zero_grad()
            loss.backward()
            opt.step()
            n = yb.shape[0]
            total_loss += loss.item() * n
            correct += int((logits.detach().argmax(1) == yb).sum().item())
            seen += n
            bar.update(total_loss / seen, correct / seen)
        epoch_times.append(time.perf_counter() - start)
        model.eval()
        test_acc = accuracy(model, x_te, y_te)
        history["loss"].append(total_loss / seen)
        history["train_acc"].append(correct / seen)
        history["test_acc"].append(test_acc)
        bar.close(f"test_acc={test_acc:.3f}")
    return {"history": history, "test_acc": history["test_acc"][-1], "backend": backend.name,
            "seconds_per_epoch": sum(epoch_times) / len(epoch_times), "graph_step": graph_step, "model": model}


def write_plots(result: dict[str, Any], directory: str) -> list[str]:
    """Loss and accuracy curves as PNG, and the autograd graph of the first step as DOT (and SVG/PNG if possible)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import viz

    os.makedirs(directory, exist_ok=True)
    hist = result["history"]
    epochs = range(1, len(hist["loss"]) + 1)
    written = []
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(epochs, hist["loss"], marker="o")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross entropy)")
    ax.set_title(f"plugrad on digits ({result['backend']})")
    fig.tight_layout()
    path = os.path.join(directory, "loss.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(epochs, hist["train_acc"], marker="o", label="train")
    ax.plot(epochs, hist["test_acc"], marker="s", label="test")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(directory, "accuracy.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)
    loss, params = result["graph_step"]
    dot = viz.make_dot(loss, params=params)
    path = os.path.join(directory, "graph.dot")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(dot.source)
    written.append(path)
    if shutil.which("dot"):
        for fmt in ("svg", "png"):
            out = os.path.join(directory, f"graph.{fmt}")
            with open(out, "wb") as fh:
                fh.write(dot.pipe(format=fmt))
            written.append(out)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``plugrad demo``; returns the exit status."""
    args = build_parser().parse_args(argv)
    missing = [m for m in ("sklearn",) + (("matplotlib", "graphviz") if args.plots else ())
               if _missing(m)]
    if missing:
        print(f"plugrad demo: missing {', '.join(missing)}; {_EXTRA_HINT}", file=sys.stderr)
        return 2
    result = train(args)
    if args.plots:
        for path in write_plots(result, args.plots):
            print(f"wrote {path}")
        if not shutil.which("dot"):
            print("graph.svg/graph.png not drawn: the Graphviz 'dot' program is not installed", file=sys.stderr)
    print(f"test accuracy {result['test_acc']:.2%} | {result['seconds_per_epoch']:.3f} s/epoch | "
          f"backend {result['backend']} | model {args.model} | {args.epochs} epochs, seed {args.seed}")
    return 0


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


if __name__ == "__main__":
    sys.exit(main())
