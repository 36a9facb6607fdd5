"""The benchmark workloads: each written once against the PyTorch API and once as hand-written NumPy.

The PyTorch-API version runs unchanged on ``torch`` and on ``plugrad`` (``import plugrad as torch``), on
whichever plugrad backend is named as the device. The NumPy version is what a competent NumPy programmer
writes by hand: the forward pass, the backward pass derived on paper, in-place updates where natural.
Every contender of a case starts from the same NumPy-generated inputs, so their results can be compared.

A contender is built by ``Case.build(name)`` into a :class:`Run`: ``reset()`` (untimed: fresh parameters,
gradients cleared), then the timed phases in order, then ``result()`` (a NumPy array for the agreement check).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SIZES = ("full", "quick", "tiny")

# Contender names: "plugrad-<backend>", the hand-written NumPy reference, and PyTorch.
NUMPY_REF = "numpy-ref"
TORCH = "torch"


def plugrad_contender(backend: str) -> str:
    return f"plugrad-{backend}"


@dataclass
class Run:
    """One contender's instance of a case: ``reset`` is untimed, ``phases`` are timed one by one."""

    reset: Callable[[], None]
    phases: tuple[Callable[[], Any], ...]
    result: Callable[[], Any]


@dataclass
class Case:
    """One row group of the table: a workload at one size, with its unit and timed phases."""

    workload: str
    label: str
    params: dict[str, Any]
    unit: str  # what a reported number means: "us/op", "ms", ...
    scale: float  # reported value = seconds per run * scale
    phases: tuple[str, ...]
    builders: dict[str, Callable[[], Run]] = field(default_factory=dict)
    rtol: float = 1e-3  # agreement between contenders' results (float32 arithmetic in different orders)

    def build(self, contender: str) -> Run:
        return self.builders[contender]()


@dataclass
class Libraries:
    """What the runner found: plugrad backends to time, and whether torch is there."""

    backends: list[str]
    torch: Any = None  # the torch module, or None
    plugrad: Any = None


def contenders(libs: Libraries) -> list[str]:
    """The interleaving order of one repeat: plugrad on each backend, hand-written NumPy, PyTorch."""
    names = [plugrad_contender(b) for b in libs.backends] + [NUMPY_REF]
    if libs.torch is not None:
        names.append(TORCH)
    return names


def _api_builders(libs: Libraries, make: Callable[[Any, str], Run]) -> dict[str, Callable[[], Run]]:
    """Builders for the PyTorch-API version of a workload: plugrad on each backend, then torch on the CPU."""
    out: dict[str, Callable[[], Run]] = {}
    for b in libs.backends:
        out[plugrad_contender(b)] = lambda b=b: make(libs.plugrad, b)
    if libs.torch is not None:
        out[TORCH] = lambda: make(libs.torch, "cpu")
    return out


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _to_numpy(t: Any) -> Any:
    return np.asarray(t.detach().cpu().numpy() if hasattr(t, "cpu") else t.detach().numpy())


# --- 1. per-op overhead: y = y * 1.0001 + x, 1,000 scalar ops ------------------------------------


def per_op(size: str, libs: Libraries) -> list[Case]:
    n_ops = {"full": 1000, "quick": 1000, "tiny": 20}[size]
    steps = n_ops // 2  # each step is two ops: mul, add

    def api(T: Any, device: str) -> Run:
        x = T.tensor(1.0, device=device, requires_grad=True)
        box: dict[str, Any] = {}

        def reset() -> None:
            x.grad = None
            box.clear()

        def forward() -> None:
            y = x
            for _ in range(steps):
                y = y * 1.0001 + x
            box["y"] = y

        def backward() -> None:
            box.pop("y").backward()

        return Run(reset, (forward, backward), lambda: _to_numpy(x.grad))

    def numpy_ref() -> Run:
        x = np.float32(1.0)
        c = np.float32(1.0001)
        box: dict[str, Any] = {}

        def reset() -> None:
            box.clear()

        def forward() -> None:
            y = x
            for _ in range(steps):
                y = y * c + x
            box["y"] = y

        def backward() -> None:
            # d y_n / d x by the chain rule, in reverse: each step adds the incoming gradient (from "+ x")
            # and multiplies it by c (from "y * c"); the chain starts at y_0 = x.
            g = np.float32(1.0)
            gx = np.float32(0.0)
            for _ in range(steps):
                gx = gx + g
                g = g * c
            box["grad"] = gx + g

        return Run(reset, (forward, backward), lambda: np.asarray(box["grad"]))

    case = Case("per_op", f"chain of {n_ops} scalar ops", {"ops": n_ops, "steps": steps, "dtype": "float32"},
                unit="us/op", scale=1e6 / n_ops, phases=("forward", "backward"))
    case.builders = {**_api_builders(libs, api), NUMPY_REF: numpy_ref}
    return [case]


# --- 2. the tutorial chain 0.5 * sum(5 * (x + 1) ** 2) -------------------------------------------


def tutorial_chain(size: str, libs: Libraries) -> list[Case]:
    sizes = {"full": (10**3, 10**5, 10**7), "quick": (10**3, 10**5), "tiny": (10, 100)}[size]
    cases = []
    for n in sizes:
        data = _rng(1).standard_normal(n, dtype=np.float32)

        def api(T: Any, device: str, data: Any = data) -> Run:
            x = T.tensor(data, device=device, requires_grad=True)
            box: dict[str, Any] = {}

            def reset() -> None:
                x.grad = None
                box.clear()

            def forward() -> None:
                box["y"] = 0.5 * T.sum(5 * (x + 1) ** 2)

            def backward() -> None:
                box.pop("y").backward()

            return Run(reset, (forward, backward), lambda: _to_numpy(x.grad))

        def numpy_ref(data: Any = data) -> Run:
            x = data.copy()
            box: dict[str, Any] = {}

            def reset() -> None:
                box.clear()

            def forward() -> None:
                t = x + 1.0
                s = t * t
                s *= 5.0
                box["t"] = t
                box["y"] = 0.5 * s.sum()

            def backward() -> None:
                # dy/dx = 0.5 * 5 * 2 * (x + 1); t is ours, so scale it in place.
                g = box.pop("t")
                g *= 5.0
                box["grad"] = g

            return Run(reset, (forward, backward), lambda: box["grad"])

        case = Case("tutorial_chain", f"0.5*sum(5*(x+1)**2), n={n:.0e}".replace("e+0", "e"),
                    {"n": n, "dtype": "float32"}, unit="ms", scale=1e3, phases=("forward", "backward"))
        case.builders = {**_api_builders(libs, api), NUMPY_REF: numpy_ref}
        cases.append(case)
    return cases


# --- 3. the PyTorch examples' two-layer network, SGD -----------------------------------------------


def two_layer(size: str, libs: Libraries) -> list[Case]:
    N, D_in, H, D_out = (64, 1000, 100, 10) if size != "tiny" else (4, 10, 5, 2)
    steps = {"full": 200, "quick": 20, "tiny": 3}[size]
    lr = 1e-6
    rng = _rng(2)
    x0 = rng.standard_normal((N, D_in), dtype=np.float32)
    y0 = rng.standard_normal((N, D_out), dtype=np.float32)
    w1_0 = rng.standard_normal((D_in, H), dtype=np.float32)
    w2_0 = rng.standard_normal((H, D_out), dtype=np.float32)

    def api(T: Any, device: str) -> Run:
        x = T.tensor(x0, device=device)
        y = T.tensor(y0, device=device)
        w1 = T.tensor(w1_0, device=device, requires_grad=True)
        w2 = T.tensor(w2_0, device=device, requires_grad=True)
        w1_init = T.tensor(w1_0, device=device)
        w2_init = T.tensor(w2_0, device=device)

        def reset() -> None:
            with T.no_grad():
                w1.copy_(w1_init)
                w2.copy_(w2_init)
            w1.grad = None
            w2.grad = None

        def train() -> None:
            nonlocal w1, w2  # `w1 -= ...` rebinds the name (to the same tensor), as in the tutorial
            for _ in range(steps):
                y_pred = x.mm(w1).clamp(min=0).mm(w2)
                loss = (y_pred - y).pow(2).sum()
                loss.backward()
                with T.no_grad():
                    w1 -= lr * w1.grad
                    w2 -= lr * w2.grad
                    w1.grad.zero_()
                    w2.grad.zero_()

        return Run(reset, (train,), lambda: np.concatenate([_to_numpy(w1).ravel(), _to_numpy(w2).ravel()]))

    def numpy_ref() -> Run:
        x, y = x0.copy(), y0.copy()
        w1, w2 = w1_0.copy(), w2_0.copy()

        def reset() -> None:
            w1[...] = w1_0
            w2[...] = w2_0

        def train() -> None:
            nonlocal w1, w2
            for _ in range(steps):
                h = x @ w1
                np.maximum(h, 0, out=h)  # h is now relu(h); h > 0 is the mask the backward needs
                diff = h @ w2
                diff -= y
                # loss = (diff ** 2).sum() is never read during training, as in the autograd version
                diff *= 2.0  # d loss / d y_pred
                grad_w2 = h.T @ diff
                grad_h = diff @ w2.T
                grad_h *= h > 0
                grad_w1 = x.T @ grad_h
                grad_w1 *= lr
                grad_w2 *= lr
                w1 -= grad_w1
                w2 -= grad_w2

        return Run(reset, (train,), lambda: np.concatenate([w1.ravel(), w2.ravel()]))

    case = Case("two_layer_sgd", f"two-layer net N={N} D_in={D_in} H={H} D_out={D_out}, {steps} SGD steps",
                {"N": N, "D_in": D_in, "H": H, "D_out": D_out, "steps": steps, "lr": lr, "dtype": "float32"},
                unit="ms", scale=1e3, phases=("train",), rtol=1e-2)
    case.builders = {**_api_builders(libs, api), NUMPY_REF: numpy_ref}
    return [case]


# --- 4. a 784-512-10 MLP, cross-entropy, Adam --------------------------------------------------------


def mlp_shapes(size: str) -> tuple[int, int, int, int, int]:
    """(batch, d_in, hidden, classes, steps) of workload 4 at ``size``."""
    if size == "tiny":
        return 8, 12, 6, 3, 2
    return 256, 784, 512, 10, {"full": 50, "quick": 5}[size]


def mlp_data(size: str) -> dict[str, Any]:
    """Inputs and initial parameters of workload 4 (PyTorch's Linear init), shared by every contender."""
    B, D, H, C, _ = mlp_shapes(size)
    rng = _rng(3)
    b1, b2 = 1 / math.sqrt(D), 1 / math.sqrt(H)
    return {
        "x": rng.standard_normal((B, D), dtype=np.float32),
        "y": rng.integers(0, C, size=B).astype(np.int64),
        "W1": rng.uniform(-b1, b1, (H, D)).astype(np.float32),
        "b1": rng.uniform(-b1, b1, H).astype(np.float32),
        "W2": rng.uniform(-b2, b2, (C, H)).astype(np.float32),
        "b2": rng.uniform(-b2, b2, C).astype(np.float32),
    }


ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}


def mlp_api(T: Any, device: str, size: str, data: dict[str, Any] | None = None) -> Run:
    """Workload 4 in the PyTorch API: nn.Sequential, nn.CrossEntropyLoss, optim.Adam."""
    data = data if data is not None else mlp_data(size)
    B, D, H, C, steps = mlp_shapes(size)
    x = T.tensor(data["x"], device=device)
    y = T.tensor(data["y"], device=device)
    loss_fn = T.nn.CrossEntropyLoss()
    state: dict[str, Any] = {}

    def reset() -> None:
        model = T.nn.Sequential(T.nn.Linear(D, H, device=device), T.nn.ReLU(), T.nn.Linear(H, C, device=device))
        with T.no_grad():
            for p, key in zip(model.parameters(), ("W1", "b1", "W2", "b2")):
                p.copy_(T.tensor(data[key], device=device))
        state["model"] = model
        state["opt"] = T.optim.Adam(model.parameters(), lr=ADAM["lr"], betas=ADAM["betas"], eps=ADAM["eps"])

    def train() -> None:
        model, opt = state["model"], state["opt"]
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

    def result() -> Any:
        return np.concatenate([_to_numpy(p).ravel() for p in state["model"].parameters()])

    return Run(reset, (train,), result)


def mlp_numpy(size: str, data: dict[str, Any] | None = None) -> Run:
    """Workload 4 by hand: forward, softmax cross-entropy, backward, Adam with PyTorch's update rule."""
    data = data if data is not None else mlp_data(size)
    B, D, H, C, steps = mlp_shapes(size)
    x, y = data["x"], data["y"]
    rows = np.arange(B)
    lr, (beta1, beta2), eps = ADAM["lr"], ADAM["betas"], ADAM["eps"]
    state: dict[str, Any] = {}

    def reset() -> None:
        params = [data[k].copy() for k in ("W1", "b1", "W2", "b2")]
        state["params"] = params
        state["m"] = [np.zeros_like(p) for p in params]
        state["v"] = [np.zeros_like(p) for p in params]
        state["t"] = 0

    def train() -> None:
        params, ms, vs = state["params"], state["m"], state["v"]
        W1, b1, W2, b2 = params
        for _ in range(steps):
            # forward
            h = x @ W1.T
            h += b1
            np.maximum(h, 0, out=h)
            z = h @ W2.T
            z += b2
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=z)
            z /= z.sum(axis=1, keepdims=True)  # softmax; loss = -mean(log z[rows, y]) is not needed to train
            # backward: d loss / d logits = (softmax - onehot) / B
            z[rows, y] -= 1.0
            z /= B
            gW2 = z.T @ h
            gb2 = z.sum(axis=0)
            dh = z @ W2
            dh *= h > 0
            gW1 = dh.T @ x
            gb1 = dh.sum(axis=0)
            # Adam
            state["t"] += 1
            t = state["t"]
            step_size = lr / (1 - beta1**t)
            bc2_sqrt = math.sqrt(1 - beta2**t)
            for p, g, m, v in zip(params, (gW1, gb1, gW2, gb2), ms, vs):
                m *= beta1
                m += (1 - beta1) * g
                v *= beta2
                g *= g  # g is ours: square it in place
                g *= 1 - beta2
                v += g
                denom = np.sqrt(v)
                denom /= bc2_sqrt
                denom += eps
                np.divide(m, denom, out=denom)
                denom *= step_size
                p -= denom

    return Run(reset, (train,), lambda: np.concatenate([p.ravel() for p in state["params"]]))


def mlp_adam(size: str, libs: Libraries) -> list[Case]:
    B, D, H, C, steps = mlp_shapes(size)
    data = mlp_data(size)
    case = Case("mlp_adam", f"MLP {D}-{H}-{C}, batch {B}, cross-entropy, {steps} Adam steps",
                {"batch": B, "layers": [D, H, C], "steps": steps, **ADAM, "dtype": "float32"},
                unit="ms", scale=1e3, phases=("train",), rtol=1e-2)
    case.builders = {
        **_api_builders(libs, lambda T, dev: mlp_api(T, dev, size, data)),
        NUMPY_REF: lambda: mlp_numpy(size, data),
    }
    return [case]


# --- 5. the gradient of sum(A ** 10) (matrix power) ----------------------------------------------------


def matrix_power(size: str, libs: Libraries) -> list[Case]:
    n = {"full": 256, "quick": 128, "tiny": 8}[size]
    power = 10
    a0 = (_rng(4).standard_normal((n, n)) / math.sqrt(n)).astype(np.float32)

    def api(T: Any, device: str) -> Run:
        A = T.tensor(a0, device=device, requires_grad=True)
        box: dict[str, Any] = {}

        def reset() -> None:
            A.grad = None
            box.clear()

        def forward() -> None:
            P = A
            for _ in range(power - 1):
                P = P @ A
            box["s"] = P.sum()

        def backward() -> None:
            box.pop("s").backward()

        return Run(reset, (forward, backward), lambda: _to_numpy(A.grad))

    def numpy_ref() -> Run:
        A = a0.copy()
        box: dict[str, Any] = {}

        def reset() -> None:
            box.clear()

        def forward() -> None:
            powers = [A]  # powers[k] = A ** (k + 1)
            for _ in range(power - 1):
                powers.append(powers[-1] @ A)
            box["powers"] = powers
            box["s"] = powers[-1].sum()

        def backward() -> None:
            powers = box.pop("powers")
            G = np.ones_like(A)  # d s / d A**power
            grad = np.zeros_like(A)
            At = A.T
            for k in range(power - 1, 0, -1):  # powers[k] = powers[k - 1] @ A
                grad += powers[k - 1].T @ G
                G = G @ At
            grad += G
            box["grad"] = grad

        return Run(reset, (forward, backward), lambda: box["grad"])

    case = Case("matrix_power_grad", f"grad of sum(A**{power}), A {n}x{n}", {"n": n, "power": power,
                "dtype": "float32"}, unit="ms", scale=1e3, phases=("forward", "backward"))
    case.builders = {**_api_builders(libs, api), NUMPY_REF: numpy_ref}
    return [case]


# The in-process workloads, by number and name (6, imports, and 7, memory, run in fresh processes).
TIMED = {
    1: ("per_op", per_op),
    2: ("tutorial_chain", tutorial_chain),
    3: ("two_layer_sgd", two_layer),
    4: ("mlp_adam", mlp_adam),
    5: ("matrix_power_grad", matrix_power),
}
IMPORT_WORKLOAD = (6, "import_time")
MEMORY_WORKLOAD = (7, "mlp_adam_peak_memory")
ALL = {**{k: v[0] for k, v in TIMED.items()}, IMPORT_WORKLOAD[0]: IMPORT_WORKLOAD[1],
       MEMORY_WORKLOAD[0]: MEMORY_WORKLOAD[1]}


# --- 6. import time, in fresh processes ---------------------------------------------------------------


def import_snippets(libs: Libraries) -> dict[str, dict[str, str]]:
    """Per case, per contender: the statement timed in a fresh interpreter."""
    bare = {plugrad_contender(libs.backends[0]) if libs.backends else "plugrad": "import plugrad",
            NUMPY_REF: "import numpy"}
    first = {plugrad_contender(b): f"import plugrad; plugrad.ones(1, device={b!r})" for b in libs.backends}
    first[NUMPY_REF] = "import numpy; numpy.ones(1)"
    if libs.torch is not None:
        bare[TORCH] = "import torch"
        first[TORCH] = "import torch; torch.ones(1)"
    return {"import": bare, "import + first tensor": first}


IMPORT_CHILD = (
    "import time\n"
    "t0 = time.perf_counter()\n"
    "{stmt}\n"
    "print(repr(time.perf_counter() - t0))\n"
)


# --- 7. peak memory of workload 4, in fresh processes -----------------------------------------------------


def _rss_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # Linux: reset VmHWM to the current RSS
        return True
    except OSError:
        return False


def memory_child(contender: str, size: str, threads: int) -> dict[str, Any]:
    """Run workload 4 in this (fresh) process; peak RSS growth, then peak traced memory, in bytes.

    tracemalloc sees NumPy's buffers and every Python object, but not PyTorch's own allocator, so PyTorch
    gets only the RSS figure. The RSS run comes first, before tracemalloc's own bookkeeping exists.
    """
    import gc
    import tracemalloc

    data = mlp_data(size)
    if contender == NUMPY_REF:
        make: Callable[[], Run] = lambda: mlp_numpy(size, data)
    elif contender == TORCH:
        import torch

        torch.set_num_threads(threads)
        make = lambda: mlp_api(torch, "cpu", size, data)
    else:
        import plugrad

        if hasattr(plugrad, "set_num_threads"):
            plugrad.set_num_threads(threads)
        backend = contender.removeprefix("plugrad-")
        make = lambda: mlp_api(plugrad, backend, size, data)
    _limit_blas(threads)

    def once() -> None:
        run = make()
        run.reset()
        for phase in run.phases:
            phase()

    once()  # warm-up: imports, kernel caches, first-call allocations
    gc.collect()
    out: dict[str, Any] = {"rss_peak_growth": None, "traced_peak": None}
    base = _rss_kib("VmRSS")
    if base is not None and _reset_peak_rss():
        once()
        peak = _rss_kib("VmHWM")
        if peak is not None:
            out["rss_peak_growth"] = max(peak - base, 0) * 1024
    gc.collect()
    if contender != TORCH:
        tracemalloc.start()
        once()
        out["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return out


def _limit_blas(threads: int) -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(threads)
