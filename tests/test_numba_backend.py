"""The Numba backend: its compiled loops agree with the NumPy kernels they replace, its fused kernels are the
ones that run, small and unsupported tensors take the NumPy path, and nothing compiles before it is needed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("numba", reason="the Numba backend needs numba (pip install plugrad[numba])")

import plugrad  # noqa: E402
import plugrad.nn.functional as F  # noqa: E402
from plugrad.autograd import gradcheck, gradgradcheck  # noqa: E402
from plugrad.ops.registry import kernel_source  # noqa: E402
from plugrad.testing import opdb  # noqa: E402
from plugrad_numba import kernels  # noqa: E402

BACKENDS_DIR = Path(kernels.__file__).resolve().parent.parent


@pytest.fixture
def compiled() -> Any:
    """Compiled loops on every tensor, whatever its size (the fallback then runs only for what they refuse)."""
    previous = kernels.set_min_size(0, 0)
    yield
    kernels.set_min_size(*previous)


@pytest.fixture
def default_sizes() -> Any:
    """The thresholds the backend ships with (the numba tox env lowers them to 0 for the whole suite)."""
    previous = kernels.set_min_size(kernels.MIN_SIZE, kernels.MIN_SIZE_FUSED)
    yield
    kernels.set_min_size(*previous)


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``forbid(op)`` makes the NumPy fallback of ``op`` raise, so a test fails if the fallback ran."""

    def forbid(*ops: str) -> None:
        for op in ops:
            def boom(*args: Any, _op: str = op) -> Any:
                raise AssertionError(f"the NumPy fallback of {_op!r} ran instead of the compiled loop")

            monkeypatch.setitem(kernels._FALLBACK, op, boom)

    return forbid


def numba_tensor(array: Any, requires_grad: bool = False) -> Any:
    return plugrad.tensor(np.asarray(array), device="numba", requires_grad=requires_grad)


def numpy_tensor(array: Any, requires_grad: bool = False) -> Any:
    return plugrad.tensor(np.asarray(array), device="numpy", requires_grad=requires_grad)


def calls(op: str) -> int:
    return kernels.CALLS[op]


# --- conformance: every compiled loop against its fallback, on every op-database sample ---------------------

_CONFORMANCE = [c for c in opdb.cases("numba", ops=sorted(kernels.KERNELS)) if c.check in ("native", "forward", "dtype")]


@pytest.mark.parametrize("case", _CONFORMANCE, ids=[c.id for c in _CONFORMANCE])
def test_compiled_loop_matches_the_numpy_kernel_and_the_reference(case: opdb.OpCase, compiled: Any) -> None:
    case.run()


def test_every_op_the_backend_accelerates_has_a_compiled_loop_that_runs(compiled: Any) -> None:
    before = dict(kernels.CALLS)
    for case in _CONFORMANCE:
        if case.check == "native" and case.dtype == "float64":
            case.run()
    never = sorted(op for op in kernels.KERNELS if kernels.CALLS[op] == before.get(op, 0))
    assert not never, f"these kernels never ran their compiled loop on the op-database samples: {never}"


# --- the fused kernels are the ones that run ----------------------------------------------------------------

BIG = 1 << 16  # elements: above the threshold of the fused kernels (MIN_SIZE_FUSED)


def test_pow_backward_is_one_fused_loop(no_fallback: Any, default_sizes: Any) -> None:
    assert BIG >= kernels.MIN_SIZE_FUSED
    no_fallback("pow_backward")
    x = numba_tensor(np.linspace(-2, 2, BIG, dtype=np.float32), requires_grad=True)
    before = calls("pow_backward")
    (x ** 3).sum().backward()
    assert calls("pow_backward") == before + 1
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.detach().numpy() ** 2, rtol=1e-6)
    assert x.grad.dtype is plugrad.float32


@pytest.mark.parametrize("fn, op", [(plugrad.sigmoid, "sigmoid_backward"), (plugrad.tanh, "tanh_backward"),
                                    (plugrad.relu, "threshold_backward"),
                                    (lambda t: t.clamp(-0.5, 0.5), "clamp_backward"),
                                    (lambda t: F.threshold(t, 0.25, -1.0), "threshold_backward")])
def test_multiply_add_and_mask_backward_ops_are_one_fused_loop(fn: Any, op: str, no_fallback: Any,
                                                                default_sizes: Any) -> None:
    no_fallback(op)
    data = np.random.default_rng(0).uniform(-2, 2, BIG).astype(np.float32)
    x = numba_tensor(data, requires_grad=True)
    before = calls(op)
    fn(x).sum().backward()
    assert calls(op) == before + 1
    ref = numpy_tensor(data, requires_grad=True)
    fn(ref).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_forward_and_backward_are_one_loop_each(log: bool, no_fallback: Any, default_sizes: Any) -> None:
    fwd, bwd = ("log_softmax", "log_softmax_backward_data") if log else ("softmax", "softmax_backward_data")
    no_fallback(fwd, bwd)
    data = np.random.default_rng(1).standard_normal((BIG // 16, 16)).astype(np.float32)
    weights = np.random.default_rng(2).standard_normal(16).astype(np.float32)
    fn = plugrad.log_softmax if log else plugrad.softmax
    x = numba_tensor(data, requires_grad=True)
    before = (calls(fwd), calls(bwd))
    (fn(x, 1) * numba_tensor(weights)).sum().backward()
    assert (calls(fwd), calls(bwd)) == (before[0] + 1, before[1] + 1)
    ref = numpy_tensor(data, requires_grad=True)
    (fn(ref, 1) * numpy_tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_is_one_fused_op_forward_and_backward(reduction: str, no_fallback: Any,
                                                             default_sizes: Any) -> None:
    no_fallback("cross_entropy_fused", "cross_entropy_fused_backward", "log_softmax", "nll_loss")
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((BIG // 10, 10)).astype(np.float32)
    target = rng.integers(0, 10, BIG // 10)
    target[::7] = -100
    x = numba_tensor(scores, requires_grad=True)
    before = (calls("cross_entropy_fused"), calls("cross_entropy_fused_backward"))
    loss = F.cross_entropy(x, numba_tensor(target), reduction=reduction)
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    assert [type(f).__name__ for f, _ in loss.grad_fn.next_functions] == ["AccumulateGrad", "NoneType"]
    loss.sum().backward()
    assert (calls("cross_entropy_fused"), calls("cross_entropy_fused_backward")) == (before[0] + 1, before[1] + 1)
    ref = numpy_tensor(scores, requires_grad=True)
    ref_loss = F.cross_entropy(ref, numpy_tensor(target), reduction=reduction)
    ref_loss.sum().backward()
    assert loss.dtype is plugrad.float32 and tuple(loss.shape) == tuple(ref_loss.shape)
    np.testing.assert_allclose(loss.detach().numpy(), ref_loss.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_cross_entropy_keeps_pytorchs_graph_where_the_backend_has_no_fused_kernel() -> None:
    x = numpy_tensor(np.zeros((4, 3), np.float32), requires_grad=True)
    loss = F.cross_entropy(x, numpy_tensor(np.array([0, 1, 2, 0])))
    assert kernel_source("cross_entropy_fused", x._backend) == "generic"
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    assert type(loss.grad_fn.next_functions[0][0]).__name__ == "LogSoftmaxBackward0"


def test_cross_entropy_with_weights_and_ignore_index_matches_numpy(compiled: Any) -> None:
    rng = np.random.default_rng(4)
    scores, target = rng.standard_normal((6, 4)), np.array([0, 3, 1, 1, 2, 3])
    weight = rng.uniform(0.5, 2.0, 4)
    grads = []
    for make in (numba_tensor, numpy_tensor):
        x = make(scores, requires_grad=True)
        loss = F.cross_entropy(x, make(target), weight=make(weight), ignore_index=1)
        loss.backward()
        grads.append((loss.item(), x.grad.numpy()))
    assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-12, atol=1e-15)


def test_double_backward_through_the_fused_kernels(compiled: Any) -> None:
    rng = np.random.default_rng(5)
    x = numba_tensor(rng.standard_normal((4, 3)), requires_grad=True)
    target = numba_tensor(np.array([0, 2, 1, 2]))
    assert gradgradcheck(lambda t: F.cross_entropy(t, target), (x,))
    assert gradgradcheck(lambda t: (plugrad.sigmoid(t) * plugrad.tanh(t) * t ** 3).sum(), (x,))
    assert gradgradcheck(lambda t: (plugrad.softmax(t, 1) * plugrad.log_softmax(t, 0)).sum(), (x,))
    assert gradcheck(lambda t: (plugrad.relu(t) + t.clamp(-0.5, 0.5)).sum(), (x,))


# --- when the NumPy path runs -------------------------------------------------------------------------------


def test_small_tensors_take_the_numpy_path(default_sizes: Any) -> None:
    before = sum(kernels.CALLS.values())
    x = numba_tensor(np.ones(100, np.float32), requires_grad=True)
    (plugrad.softmax(x * 2 + 1, 0) ** 2).sum().backward()
    assert sum(kernels.CALLS.values()) == before
    assert x.grad.dtype is plugrad.float32


@pytest.mark.parametrize("dtype", ["float16", "complex64", "int64", "int32"])
def test_unsupported_dtypes_fall_back_with_numpys_results(dtype: str, compiled: Any) -> None:
    data = (np.arange(24).reshape(4, 6) % 5 + 1).astype(dtype)
    before = sum(kernels.CALLS.values())
    results = []
    for make in (numba_tensor, numpy_tensor):
        x = make(data)
        results.append([x + x, x * 3, -x, x.sum(), x - 1, x.sum(1), plugrad.maximum(x, x)]
                       if dtype.startswith("int") else [x + x, x * 3, -x, x.sum(), x - 1, x.sum(1), x / 2, x ** 2])
    assert sum(kernels.CALLS.values()) == before
    for got, want in zip(*results):
        assert got.dtype == want.dtype and tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_strided_and_broadcast_operands_run_the_strided_loop(no_fallback: Any, compiled: Any) -> None:
    no_fallback("mul", "add", "where")
    rng = np.random.default_rng(6)
    a = rng.standard_normal((512, 256)).astype(np.float32)
    b = rng.standard_normal(256).astype(np.float32)
    x, y = numba_tensor(a), numba_tensor(b)
    cases = [(x.t() * 3.0, a.T * np.float32(3.0)),  # Fortran-ordered
             (x[:, ::2] * x[:, 1::2], a[:, ::2] * a[:, 1::2]),  # strided
             (x + y, a + b),  # broadcast over rows
             (x.t()[:, :256] + x[:256, :256], a.T[:, :256] + a[:256, :256]),  # mixed layouts
             (plugrad.where(x > 0, x, y), np.where(a > 0, a, b))]
    for got, want in cases:
        assert got.dtype is plugrad.float32 and tuple(got.shape) == want.shape
        np.testing.assert_array_equal(got.numpy(), want)


def test_reductions_over_rows_columns_and_all(compiled: Any) -> None:
    rng = np.random.default_rng(7)
    a = rng.standard_normal((6, 40, 30)).astype(np.float32)
    x = numba_tensor(a)
    for dims in (None, (0,), (1,), (2,), (0, 1), (1, 2)):
        before = calls("sum_dim") + calls("sum")
        got = x.sum() if dims is None else x.sum(dims)
        assert calls("sum_dim") + calls("sum") == before + 1
        np.testing.assert_allclose(got.numpy(), a.sum(axis=dims, dtype=np.float64), rtol=1e-6, atol=1e-5)
        assert got.dtype is plugrad.float32
    values, indices = x.max(1)
    np.testing.assert_array_equal(values.numpy(), a.max(1))
    np.testing.assert_array_equal(indices.numpy(), a.argmax(1))
    np.testing.assert_allclose(plugrad.logsumexp(x, 2).numpy(), np.log(np.exp(a).sum(2)), rtol=1e-6)


def test_bad_input_raises_numpys_errors_before_any_loop_runs(compiled: Any) -> None:
    errors = []
    for make in (numba_tensor, numpy_tensor):
        found = []
        for fn in (lambda m: m(np.ones(5, np.float32)) + m(np.ones(4, np.float32)),
                   lambda m: F.cross_entropy(m(np.zeros((3, 4), np.float32)), m(np.array([0, 4, 1]))),
                   lambda m: m(np.ones((2, 3), np.float32)).softmax(2)):
            with pytest.raises(Exception) as info:
                fn(make)
            found.append((type(info.value), str(info.value)))
        errors.append(found)
    assert errors[0] == errors[1]


# --- import, compilation, threads, info ---------------------------------------------------------------------


def _python(code: str, env: dict[str, str] | None = None, cwd: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_nothing_imports_numba_before_a_compiled_loop_runs() -> None:
    out = _python("""
        import sys
        import plugrad
        plugrad.set_default_backend("numba")
        x = plugrad.randn(10, requires_grad=True)
        (x * 2).sum().backward()
        print("numba" in sys.modules, plugrad.get_num_threads() >= 1, "numba" in sys.modules)
        from plugrad_numba import kernels
        kernels.set_min_size(0, 0)
        y = plugrad.ones(10) * 2
        print("numba" in sys.modules)
    """, env={"PLUGRAD_NUMBA_MIN_SIZE": ""})
    assert out.split() == ["False", "True", "False", "True"]


def test_numba_cache_dir_is_respected(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _python("""
        import plugrad
        print((plugrad.ones(1000, device="numba") * 2).sum().item())
    """, env={"NUMBA_CACHE_DIR": str(cache), "PLUGRAD_NUMBA_MIN_SIZE": "0"})
    assert list(cache.rglob("*.nbi")), f"nothing cached under {cache}"


def test_a_read_only_package_and_home_still_cache_somewhere(tmp_path: Path) -> None:
    # Make every cache location numba tries unusable (a file where its directory would go), as on a
    # read-only install with no writable home: the loops then cache in a temporary directory.
    copy = tmp_path / "site"
    shutil.copytree(BACKENDS_DIR / "plugrad_numba", copy / "plugrad_numba",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "plugrad_numba" / "__pycache__").write_text("not a directory")
    (tmp_path / "cache-home").write_text("not a directory")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {"PYTHONPATH": str(copy), "XDG_CACHE_HOME": str(tmp_path / "cache-home"), "NUMBA_CACHE_DIR": "",
           "HOME": str(tmp_path / "cache-home"), "TMPDIR": str(tmp), "PLUGRAD_NUMBA_MIN_SIZE": "0"}
    out = _python(f"""
        import plugrad, plugrad_numba
        assert plugrad_numba.__file__.startswith({str(copy)!r}), plugrad_numba.__file__
        print((plugrad.ones(1000, device="numba") * 2).sum().item())
        print(plugrad_numba.kernels.cache_dir())
    """, env=env)
    total, where = out.split("\n")[:2]
    assert float(total) == 2000
    assert where.startswith(str(tmp)), where
    assert list(Path(where).rglob("*.nbi"))


def test_set_num_threads_sets_numbas_threads(compiled: Any) -> None:
    import numba

    before = plugrad.get_num_threads()
    try:
        plugrad.set_num_threads(1)
        assert plugrad.get_num_threads() == 1
        (numba_tensor(np.ones(BIG, np.float32)) * 2).numpy()  # a compiled loop: the count is applied
        assert numba.get_num_threads() == 1
    finally:
        plugrad.set_num_threads(before)
    assert plugrad.get_num_threads() == before


def test_set_num_threads_rejects_what_numba_cannot_do() -> None:
    with pytest.raises(RuntimeError, match="positive integer"):
        plugrad.set_num_threads(0)
    with pytest.raises(RuntimeError, match="expects an int"):
        plugrad.set_num_threads(1.5)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="NUMBA_NUM_THREADS"):
        plugrad.set_num_threads(kernels.max_threads() + 1)


def test_plugrad_info_shows_numba_its_version_and_threads() -> None:
    from plugrad import plugins

    report = plugins.report()
    numba_backend = next(b for p in report["plugins"] for b in p["backends"] if b["name"] == "numba")
    assert numba_backend["available"] and numba_backend["extra"] == "numba"
    import numba

    assert numba_backend["info"]["numba"] == numba.__version__
    assert numba_backend["info"]["threads"] == plugrad.get_num_threads()
    assert set(kernels.KERNELS) <= set(numba_backend["kernels"]["native"])


def test_plugrad_info_names_the_threading_layer_the_loops_run_on(compiled: Any) -> None:
    import numba
    from plugrad import plugins

    (numba_tensor(np.ones(BIG, np.float32)) * 2).numpy()  # a parallel loop ran: numba has chosen its layer
    report = plugins.report()
    numba_backend = next(b for p in report["plugins"] for b in p["backends"] if b["name"] == "numba")
    assert numba_backend["info"]["threading layer"] == numba.threading_layer()
    assert kernels.threading_layer() == numba.threading_layer()


def test_the_loops_run_on_tbb_whenever_it_loads() -> None:
    # A fresh process with no threading layer named in the environment; whether tbb loads here (the numba
    # extra installs it on x86-64) decides what to expect, so this holds with and without it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_THREADING_LAYER")}
    env["PLUGRAD_NUMBA_MIN_SIZE"] = "0"
    code = """
        import plugrad
        from plugrad_numba import kernels
        print((plugrad.ones(1000, device="numba") * 2).sum().item())
        print(kernels.threading_layer())
        try:
            from numba.np.ufunc import parallel, tbbpool  # noqa: F401
            parallel._check_tbb_version_compatible()
            print("tbb loads")
        except ImportError:
            print("no tbb")
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    total, layer, tbb = done.stdout.strip().split("\n")[-3:]
    assert float(total) == 2000
    assert (layer == "tbb") if tbb == "tbb loads" else (layer in ("omp", "workqueue")), (layer, tbb)


def test_backend_holds_numpy_arrays_and_draws_numpys_random_numbers() -> None:
    plugrad.manual_seed(3)
    a = plugrad.randn(5, device="numba")
    plugrad.manual_seed(3)
    b = plugrad.randn(5, device="numpy")
    assert type(a._data) is np.ndarray and a.device == b.device and str(a.device) == "cpu"
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.numpy() is a._data


# --- the reuse of large output buffers -----------------------------------------------------------------------


def test_a_freed_output_buffer_is_reused_only_after_every_view_of_it_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from plugrad_numba import memory

    monkeypatch.setattr(memory, "MIN_BYTES", 1024)
    memory.empty_cache()
    a = memory.empty((64, 16), np.dtype(np.float32))
    a[...] = 1
    view = a[3:, ::2]
    address = a.__array_interface__["data"][0]
    del a
    gc.collect()
    b = memory.empty((64, 16), np.dtype(np.float32))  # the block is still in use by `view`
    assert b.__array_interface__["data"][0] != address
    b[...] = 7
    assert (view == 1).all()
    other = b.__array_interface__["data"][0]
    del view, b
    gc.collect()
    assert memory.held_bytes() == 2 * 64 * 16 * 4
    c = memory.empty((1024,), np.dtype(np.float32))  # the same size in another shape: a freed block
    assert c.__array_interface__["data"][0] in (address, other)
    assert memory.held_bytes() == 64 * 16 * 4
    memory.empty_cache()
    assert memory.held_bytes() == 0


def test_compiled_results_are_ordinary_writable_arrays(compiled: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from plugrad_numba import memory

    monkeypatch.setattr(memory, "MIN_BYTES", 1024)
    x = numba_tensor(np.arange(4096, dtype=np.float32))
    y = x * 2
    assert y._data.flags.writeable and y._data.flags.c_contiguous and y._data.shape == (4096,)
    y += 1
    y[0] = -1
    assert y[:3].tolist() == [-1.0, 3.0, 5.0]
