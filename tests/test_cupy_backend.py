"""The CUDA backend (``plugrad_cupy``) and what a PyTorch user sees of a CUDA device.

Three kinds of tests:

- everywhere: the backend registers without importing cupy, ``plugrad info`` says why it is unavailable (or
  shows the GPU), its fused kernels are made on first use, and their host code is right (each CUDA kernel
  replaced by a NumPy twin);
- device semantics, on each CUDA backend: ``fakecuda`` (NumPy arrays on device ``cuda``, always here) and
  ``cupy``, which needs a GPU;
- cupy only: the fused kernels against the generic ones on the GPU, random numbers, the device facts.

Without a GPU the cupy cases skip with a one-line reason; with ``PLUGRAD_REQUIRE_GPU=1`` they fail instead,
so that a GPU run cannot pass by skipping.
"""

from __future__ import annotations

import inspect
import io
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import numpy as np
import plugrad
import plugrad.nn.functional as F
import pytest
from _devices import FAKE_CUDA, fake_cuda_registered, require_gpu
from plugrad import nn, optim
from plugrad.backend import Backend, known_backends
from plugrad.ops import registry
from plugrad.testing import opdb
from plugrad_cupy import CupyBackend
from plugrad_cupy import kernels as fused

CONVERT_ERROR = ("can't convert cuda:0 device type tensor to numpy. "
                 "Use Tensor.cpu() to copy the tensor to host memory first.")


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGRAD_")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=full_env, timeout=300)


def gpu_backend() -> Backend:
    """The cupy backend; skips with its one-line reason where it cannot run (fails with PLUGRAD_REQUIRE_GPU=1)."""
    b = known_backends().get("cupy")
    reason = "the plugrad_cupy backend is not registered" if b is None else b.available()[1]
    if reason:
        if require_gpu():
            pytest.fail(f"PLUGRAD_REQUIRE_GPU=1 but the cupy backend cannot run here: {reason}")
        pytest.skip(f"no GPU for the cupy backend: {reason}")
    assert b is not None
    return b


@pytest.fixture
def gpu() -> Backend:
    return gpu_backend()


@pytest.fixture(params=[FAKE_CUDA, "cupy"])
def cuda(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each CUDA backend in turn, as the default backend, so that ``"cuda"`` names it and ``"cpu"`` the CPU."""
    if request.param == "cupy":
        with plugrad.default_backend(gpu_backend()) as b:
            yield b
    else:
        with fake_cuda_registered() as b, plugrad.default_backend(b):
            yield b


# --- everywhere: registration, info, laziness ----------------------------------------------------------------


def test_cupy_backend_is_registered_as_a_built_in_cuda_backend() -> None:
    b = known_backends()["cupy"]
    assert isinstance(b, CupyBackend)
    assert (b.name, b.device_type, b.extra, b.device_name()) == ("cupy", "cuda", "cuda13", "cuda:0")
    record = next(r for r in plugrad.plugins.records() if r.name == "cupy")
    assert record.status == "loaded" and record.builtin and record.backends == ["cupy"]
    assert {n for (n, backend) in registry.NATIVE_KERNELS if backend == "cupy"} == set(fused.KERNELS)


def test_import_plugrad_and_the_backend_import_no_cupy() -> None:
    proc = run_python("""
        import sys
        import plugrad
        import plugrad_cupy
        x = plugrad.ones(3, requires_grad=True)
        ((x * 2) ** 2).tanh().sum().backward()
        assert "cupy" in plugrad.backend.known_backends()
        print("cupy" in sys.modules, plugrad_cupy.kernels.built())
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False []"


def _info_text() -> str:
    from plugrad.__main__ import main

    out = io.StringIO()
    assert main(["info"], out=out) == 0
    return out.getvalue()


def test_plugrad_info_shows_the_cupy_backend_with_its_device_or_why_it_cannot_run() -> None:
    text = _info_text()
    row = next(line for line in text.splitlines() if line.startswith("cupy "))
    ok, reason = known_backends()["cupy"].available()
    notes = [line for line in text.splitlines() if line.startswith("cupy: ")]
    if ok:
        assert re.search(r"\bloaded\s+cuda\b", row), row
        facts = gpu_backend().info()
        assert notes == ["cupy: " + ", ".join(f"{k} {v}" for k, v in facts.items())]
        assert {"device", "CUDA runtime", "cupy"} <= set(facts)
    else:
        assert re.search(r"\bunavailable\s+cuda\b", row), row
        assert notes == [f"cupy: unavailable: {reason}"]
        assert "\n" not in reason
        assert reason.startswith(("cupy is not installed", "no usable CUDA device", "no CUDA device found",
                                  "cupy failed to load"))
        if reason.startswith("cupy is not installed"):
            assert "pip install plugrad[cuda13]" in reason and "plugrad[cuda12]" in reason


class _FakeRuntime:
    def __init__(self, count: Any) -> None:
        self.count = count

    def getDeviceCount(self) -> int:  # noqa: N802 - cupy's name
        if isinstance(self.count, Exception):
            raise self.count
        return self.count


class _FakeCupy:
    """Just enough of cupy's namespace for ``available()``: ``cuda.runtime.getDeviceCount``."""

    def __init__(self, count: Any) -> None:
        self.cuda = type("cuda", (), {"runtime": _FakeRuntime(count)})()


def _backend_loading(namespace: Any) -> CupyBackend:
    b = CupyBackend()

    def load() -> Any:
        if isinstance(namespace, Exception):
            raise namespace
        return namespace

    b.load_namespace = load  # type: ignore[method-assign]
    return b


def test_unavailable_reasons_are_one_line_and_say_what_to_do() -> None:
    rulers = ImportError("\n" + "=" * 60 + "\nFailed to import CuPy.\n\nlibcuda.so.1: cannot open shared object\n"
                         + "=" * 60 + "\n")
    assert _backend_loading(rulers).available() == (False, (
        "cupy is not installed (ImportError: Failed to import CuPy. libcuda.so.1: cannot open shared object); "
        "install it with: pip install plugrad[cuda13] (CUDA 13) or plugrad[cuda12] (CUDA 12)"))
    error = RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient\nfor CUDA runtime version")
    assert _backend_loading(_FakeCupy(error)).available() == (False, (
        "no usable CUDA device: RuntimeError: cudaErrorInsufficientDriver: CUDA driver version is insufficient "
        "for CUDA runtime version"))
    assert _backend_loading(_FakeCupy(0)).available() == (
        False, "no CUDA device found (cupy.cuda.runtime.getDeviceCount() is 0)")
    assert _backend_loading(_FakeCupy(2)).available() == (True, "")


def test_availability_is_probed_once() -> None:
    runtime = _FakeRuntime(1)
    calls = []
    count = runtime.getDeviceCount
    runtime.getDeviceCount = lambda: calls.append(1) or count()  # type: ignore[method-assign]
    namespace = _FakeCupy(1)
    namespace.cuda.runtime = runtime
    b = _backend_loading(namespace)
    assert b.available() == b.available() == (True, "")
    assert len(calls) == 1


def test_asarray_of_an_older_cupy_gets_numpy_2s_copy_argument() -> None:
    class Before14:
        """A cupy 13 stand-in: ``asarray`` without ``copy=``, ``array`` with it (NumPy arrays in its place)."""

        ndarray = np.ndarray
        array = staticmethod(np.array)

        @staticmethod
        def asarray(a: Any, dtype: Any = None, order: Any = None) -> Any:
            return np.asarray(a, dtype=dtype, order=order)

    assert not fused._takes_copy(Before14.asarray) and fused._takes_copy(np.asarray)
    asarray = fused._asarray_with_copy(Before14)
    a = np.arange(3.0)
    assert asarray(a) is a and asarray(a, copy=None) is a and asarray(a, copy=False) is a
    copied = asarray(a, copy=True)
    assert copied is not a and copied.tolist() == a.tolist()
    assert asarray(a, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="Unable to avoid copy"):
        asarray(a, dtype=np.float32, copy=False)


def test_fused_kernels_are_made_on_first_use_only() -> None:
    proc = run_python("""
        import sys
        import plugrad_cupy.kernels as k
        before = k.built()
        try:
            k.kernel("tanh_backward")
        except ImportError:
            print(before, "no cupy")
        else:
            print(before, k.built())
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in ("[] no cupy", "[] ['tanh_backward']"), proc.stdout


def test_every_fused_kernel_replaces_a_registered_op_with_the_generic_kernels_signature() -> None:
    for name, fn in fused.KERNELS.items():
        assert name in registry.OPS and name in registry.GENERIC_KERNELS, name
        generic = registry.GENERIC_KERNELS[name][0](np)
        assert list(inspect.signature(fn).parameters) == list(inspect.signature(generic).parameters), name


def _twins() -> dict[str, Any]:
    """Each CUDA kernel as NumPy computes it: what ``kernels.kernel(name)`` returns, run on the CPU."""

    def zero(a: Any) -> Any:
        return a.dtype.type(0)

    return {
        "pow_backward": lambda g, x, e: g * x.dtype.type(e) * (
            x if e == 2 else x * x if e == 3 else np.power(x, x.dtype.type(e - 1))),
        "tanh_backward": lambda g, y: g * (1 - y * y),
        "sigmoid_backward": lambda g, y: g * y * (1 - y),
        "threshold_backward": lambda g, x, th: np.where(x <= th, zero(g), g),
        "clamp_backward": lambda g, x, lo, hi, has_lo, has_hi: np.where(
            np.logical_and(np.logical_or(not has_lo, x >= lo), np.logical_or(not has_hi, x <= hi)), g, zero(g)),
        "sum_products": lambda g, y, axis=None, keepdims=False: np.sum(g * y, axis=axis, keepdims=keepdims),
        "softmax_backward_data": lambda g, y, s: y * (g - s),
        "log_softmax_backward_data": lambda g, y, s: g - np.exp(y) * s,
        "sum_exp_shifted": lambda x, m, axis=None, keepdims=False: np.sum(np.exp(x - m), axis=axis,
                                                                          keepdims=keepdims),
        "cross_entropy_rows": lambda m, picked, s, w: w * ((m - picked) + np.log(s)),
        "cross_entropy_backward": lambda x, m, s, c, t, j: c * (np.exp(x - m) / s - (j == t).astype(x.dtype)),
    }


def test_fused_kernels_host_code_matches_the_generic_kernels_with_numpy_twins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python around each CUDA kernel (arguments, shapes, reductions, fallbacks) run on the op database's
    samples with NumPy in cupy's place and each CUDA kernel replaced by its NumPy twin."""
    twins = _twins()
    assert set(twins) == set(fused._MAKERS)
    ran: dict[str, int] = {}

    def counted(name: str, fn: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            ran[name] = ran.get(name, 0) + 1
            return fn(*args, **kwargs)

        return run

    monkeypatch.setattr(fused, "_namespace", [np])
    monkeypatch.setattr(fused, "_built", {name: counted(name, fn) for name, fn in twins.items()})
    monkeypatch.setattr(fused, "_generic", {})
    numpy_backend = known_backends()["numpy"]
    for op_name, kernel in fused.KERNELS.items():
        generic = registry.GENERIC_KERNELS[op_name][0](np)
        for sample_id, sample in opdb.op_samples(op_name):
            for dtype in ("float32", "float64"):
                m = opdb.materialize(sample, numpy_backend, dtype, seed=0)
                datas = [a._data if isinstance(a, plugrad.Tensor) else a for a in m.args]
                got, want = np.asarray(kernel(*datas, *m.attrs)), np.asarray(generic(*datas, *m.attrs))
                where = f"{op_name} {sample_id} {dtype}"
                assert (got.dtype, got.shape) == (want.dtype, want.shape), where
                tol = 1e-5 if dtype == "float32" else 1e-12
                np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=where)
    assert set(ran) == set(twins), f"fused kernels never taken: {sorted(set(twins) - set(ran))}"


def test_a_missing_gpu_skips_with_one_line_or_fails_when_required(tmp_path: Any) -> None:
    """The suite on ``--backend cupy`` in a process that sees no GPU (CUDA_VISIBLE_DEVICES hides any)."""
    test = tmp_path / "test_needs_gpu.py"
    test.write_text("def test_on_the_gpu():\n    assert True\n")
    here = os.path.dirname(os.path.abspath(__file__))
    cmd = [sys.executable, "-m", "pytest", str(test), "-p", "no:cacheprovider", "-q", "-rs",
           "--rootdir", here, "--confcutdir", here, "-p", "conftest", "--backend", "cupy"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGRAD_")}
    env.update(PYTHONPATH=os.pathsep.join([here, env.get("PYTHONPATH", "")]), CUDA_VISIBLE_DEVICES="")
    skipped = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=here)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    line = next(ln for ln in skipped.stdout.splitlines() if ln.startswith("SKIPPED"))
    assert "test_needs_gpu.py:1: backend 'cupy' is not available: " in line, skipped.stdout
    assert "1 skipped" in skipped.stdout.splitlines()[-1]
    failed = subprocess.run(cmd, capture_output=True, text=True, env={**env, "PLUGRAD_REQUIRE_GPU": "1"},
                            timeout=300, cwd=here)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "PLUGRAD_REQUIRE_GPU=1 and backend 'cupy' is not available: " in failed.stdout


# --- device semantics, on every CUDA backend -------------------------------------------------------------------


def test_factories_and_moves_put_tensors_on_the_device(cuda: Backend) -> None:
    x = plugrad.tensor([1.0, 2.0], device="cuda")
    assert x.backend == cuda.name and x.is_cuda and x.get_device() == 0
    assert str(x.device) == "cuda:0" and repr(x.device) == "device(type='cuda', index=0)"
    assert x.device == plugrad.device("cuda") == "cuda:0"
    c = plugrad.tensor([3.0, 4.0], device="cpu")
    assert str(c.device) == "cpu" and not c.is_cuda and c.get_device() == -1
    for moved in (c.to("cuda"), c.cuda(), c.cuda(0), c.to(device="cuda:0"), c.to(x)):
        assert moved.backend == cuda.name and moved.tolist() == [3.0, 4.0]
    back = x.cpu()
    assert str(back.device) == "cpu" and back.tolist() == [1.0, 2.0] and back.cpu() is back
    assert x.to("cuda") is x and x.cuda() is x
    for factory in (plugrad.zeros(2, 3, device="cuda"), plugrad.ones(2, device="cuda"),
                    plugrad.full((2,), 7.0, device="cuda"), plugrad.arange(4, device="cuda"),
                    plugrad.eye(3, device="cuda"), plugrad.linspace(0, 1, 5, device="cuda"),
                    plugrad.empty(2, device="cuda"), plugrad.zeros_like(c, device="cuda")):
        assert factory.backend == cuda.name, factory
    assert plugrad.tensor(np.arange(3.0), device="cuda").tolist() == [0.0, 1.0, 2.0]


def test_cuda_tensors_print_their_device_as_pytorch_does(cuda: Backend) -> None:
    assert repr(plugrad.tensor([1.0, 2.0], device="cuda")) == "tensor([1., 2.], device='cuda:0')"
    x = plugrad.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    assert repr(x) == "tensor([1., 2.], device='cuda:0', requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], device='cuda:0', grad_fn=<MulBackward0>)"
    assert repr(plugrad.tensor([1, 2], device="cuda", dtype=plugrad.int32)) == (
        "tensor([1, 2], device='cuda:0', dtype=torch.int32)")


def test_mixing_devices_raises_the_device_error(cuda: Backend) -> None:
    c = plugrad.ones(2, device="cpu")
    g = plugrad.ones(2, device="cuda")
    mismatch = r"Expected all tensors to be on the same device, but found at least two devices, (cpu and cuda:0|cuda:0 and cpu)!"
    for op in (lambda: c + g, lambda: g * c, lambda: plugrad.maximum(g, c), lambda: c @ g,
               lambda: plugrad.where(g > 0, c, g), lambda: c.add_(g)):
        with pytest.raises(RuntimeError, match=mismatch):
            op()
    with pytest.raises(RuntimeError, match="assigned grad has data located on a different device"):
        plugrad.zeros(2, device="cuda", requires_grad=True).grad = plugrad.zeros(2, device="cpu")


def test_numpy_of_a_cuda_tensor_raises_pytorchs_error_and_cpu_copies(cuda: Backend) -> None:
    x = plugrad.tensor([1.5, 2.5], device="cuda")
    for convert in (x.numpy, lambda: np.asarray(x), plugrad.tensor([1.0], device="cuda", requires_grad=True).numpy):
        with pytest.raises(TypeError, match=re.escape(CONVERT_ERROR)):
            convert()
    host = x.cpu().numpy()
    assert isinstance(host, np.ndarray) and host.tolist() == [1.5, 2.5]
    host[0] = 9.0  # a copy: the device tensor is unchanged
    assert x.tolist() == [1.5, 2.5]
    assert plugrad.tensor(2.5, device="cuda").item() == 2.5
    assert plugrad.tensor([[1, 2]], device="cuda").tolist() == [[1, 2]]
    assert "copies" in plugrad.Tensor.item.__doc__ and "copies" in plugrad.Tensor.tolist.__doc__


def test_gradients_of_cuda_leaves_live_on_the_device(cuda: Backend) -> None:
    w = plugrad.tensor([1.0, -2.0, 3.0], device="cuda", requires_grad=True)
    loss = (5 * (w + 1) ** 2).sum() * 0.5
    loss.backward()
    assert w.grad.backend == cuda.name and str(w.grad.device) == "cuda:0"
    assert w.grad.tolist() == [10.0, -5.0, 20.0]
    c = plugrad.tensor([1.0, 2.0], device="cpu", requires_grad=True)
    moved = c.cuda()
    assert type(moved.grad_fn).__name__ == "ToCopyBackward0"
    (moved * moved).sum().backward()
    assert str(c.grad.device) == "cpu" and c.grad.tolist() == [2.0, 4.0]


def test_random_numbers_are_made_on_the_device_and_seeded(cuda: Backend) -> None:
    plugrad.manual_seed(7)
    a, n, i = plugrad.rand(1000, device="cuda"), plugrad.randn(4, 5, device="cuda"), plugrad.randint(0, 10, (50,), device="cuda")
    plugrad.manual_seed(7)
    assert plugrad.rand(1000, device="cuda").tolist() == a.tolist()
    assert plugrad.randn(4, 5, device="cuda").tolist() == n.tolist()
    assert plugrad.randint(0, 10, (50,), device="cuda").tolist() == i.tolist()
    assert {t.backend for t in (a, n, i)} == {cuda.name}
    assert (a.dtype, n.dtype, i.dtype) == (plugrad.float32, plugrad.float32, plugrad.int64)
    assert plugrad.randn(3, device="cuda", dtype=plugrad.float64).dtype is plugrad.float64
    values = a.tolist()
    assert 0.0 <= min(values) and max(values) < 1.0 and 0.4 < sum(values) / len(values) < 0.6
    assert set(i.tolist()) <= set(range(10))
    assert plugrad.randn(2, 3, device="cuda", requires_grad=True).requires_grad


def test_a_small_network_trains_on_the_device(cuda: Backend) -> None:
    plugrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to("cuda")
    assert all(p.backend == cuda.name for p in model.parameters())
    opt = optim.Adam(model.parameters(), lr=0.05)
    x = plugrad.randn(32, 4, device="cuda")
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    assert all(p.grad.backend == cuda.name for p in model.parameters())
    assert losses[-1] < 0.5 * losses[0]


def test_cross_entropy_on_the_device_matches_the_cpu(cuda: Backend) -> None:
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((6, 5))
    target = [0, 4, 1, 1, 3, 2]
    weight = rng.uniform(0.5, 2.0, 5)
    for kwargs in ({}, {"reduction": "sum"}, {"reduction": "none"}, {"ignore_index": 1}, {"weight": weight},
                   {"weight": weight, "ignore_index": 4, "reduction": "mean"}):
        results = []
        for device in ("cpu", "cuda"):
            x = plugrad.tensor(scores, device=device, requires_grad=True)
            kw = dict(kwargs, weight=plugrad.tensor(kwargs["weight"], device=device)) if "weight" in kwargs else kwargs
            loss = F.cross_entropy(x, plugrad.tensor(target, device=device), **kw)
            loss.sum().backward()
            assert x.grad.backend == x.backend
            results.append((loss.detach().cpu().numpy(), x.grad.cpu().numpy()))
        (cpu_loss, cpu_grad), (dev_loss, dev_grad) = results
        np.testing.assert_allclose(dev_loss, cpu_loss, rtol=1e-12, atol=1e-12, err_msg=str(kwargs))
        np.testing.assert_allclose(dev_grad, cpu_grad, rtol=1e-12, atol=1e-12, err_msg=str(kwargs))


# --- cupy only ---------------------------------------------------------------------------------------------------


def test_cupy_tensors_hold_cupy_arrays_and_the_backend_names_its_gpu(gpu: Backend) -> None:
    import cupy

    x = plugrad.ones(3, device="cupy")
    assert isinstance(x._data, cupy.ndarray)
    facts = gpu.info()
    assert facts["device"] and re.fullmatch(r"\d+\.\d+", facts["CUDA runtime"]) and facts["cupy"] == cupy.__version__


def test_fused_kernels_agree_with_the_generic_kernels_on_the_gpu(gpu: Backend) -> None:
    cases = [c for c in opdb.cases("cupy", ops=list(fused.KERNELS)) if c.check == "native"]
    assert {c.op_name for c in cases} == set(fused.KERNELS)
    failures = {}
    for case in cases:
        try:
            case.run()
        except opdb.OpCheckError as exc:
            failures[case.id] = str(exc)
    assert not failures, "\n\n".join(failures.values())
    assert set(fused.built()) == set(fused._MAKERS)


def test_fused_kernels_hand_other_dtypes_to_the_generic_kernels(gpu: Backend) -> None:
    import cupy

    g = cupy.ones(4, dtype=cupy.float16)
    y = cupy.full(4, 0.5, dtype=cupy.float16)
    out = fused.KERNELS["tanh_backward"](g, y)
    assert out.dtype == cupy.float16 and cupy.asnumpy(out).tolist() == [0.75] * 4
    mixed = fused.KERNELS["sigmoid_backward"](cupy.ones(2, dtype=cupy.float64), cupy.full(2, 0.5, dtype=cupy.float32))
    assert mixed.dtype == cupy.float64 and cupy.asnumpy(mixed).tolist() == [0.25, 0.25]
