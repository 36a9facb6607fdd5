"""3-d fractional max pooling, as_strided_scatter, and ``import plugrad.linalg``."""

from __future__ import annotations

import types

import numpy as np
import plugrad
import pytest
from _devices import to_numpy

F = plugrad.nn.functional


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


# --- fractional max pooling in 3-d ------------------------------------------------------------------------

_X = np.random.default_rng(0).standard_normal((2, 3, 7, 8, 9)).astype(np.float32)
_S = np.random.default_rng(1).random((2, 3, 3)).astype(np.float32)


def _starts(sample: np.float32, size: int, out: int, pool: int) -> list:
    alpha = np.float32(size - pool) / np.float32(out - 1)
    return [int((np.float32(i) + sample) * alpha) - int(sample * alpha) for i in range(out - 1)] + [size - pool]


def test_fractional_max_pool3d_takes_the_max_of_each_window() -> None:
    v, i = F.fractional_max_pool3d(plugrad.tensor(_X), 2, output_size=(3, 4, 5), return_indices=True,
                                   _random_samples=plugrad.tensor(_S))
    assert v.shape == (2, 3, 3, 4, 5) and i.dtype == plugrad.int64
    b, c = 1, 2
    ts, hs, ws = (_starts(_S[b, c, k], n, o, 2) for k, n, o in ((0, 7, 3), (1, 8, 4), (2, 9, 5)))
    for a, t0 in enumerate(ts):
        for h, h0 in enumerate(hs):
            for w, w0 in enumerate(ws):
                window = _X[b, c, t0:t0 + 2, h0:h0 + 2, w0:w0 + 2]
                assert to_numpy(v)[b, c, a, h, w] == window.max()
                assert _X[b, c].reshape(-1)[to_numpy(i)[b, c, a, h, w]] == window.max()


def test_fractional_max_pool3d_module_and_errors() -> None:
    m = plugrad.nn.FractionalMaxPool3d(2, output_ratio=0.5)
    assert repr(m) == "FractionalMaxPool3d()"
    assert m(plugrad.tensor(_X)).shape == (2, 3, 3, 4, 4)
    assert F.fractional_max_pool3d(plugrad.tensor(_X[0]), 2, output_size=2).shape == (3, 2, 2, 2)
    with pytest.raises(ValueError, match="requires specifying either an output size, or a pooling ratio"):
        plugrad.nn.FractionalMaxPool3d(2)
    with pytest.raises(RuntimeError, match="pool time 2 too large relative to input time 7"):
        F.fractional_max_pool3d(plugrad.tensor(_X), 2, output_size=(6, 3, 3))
    with pytest.raises(RuntimeError, match=r"Expected 4D or 5D tensor, but got: \[7, 8, 9\]"):
        F.fractional_max_pool3d(plugrad.tensor(_X[0, 0]), 2, output_size=3, _random_samples=plugrad.rand(1, 7, 3))
    with pytest.raises(RuntimeError, match="Expect _random_samples.size\\(2\\) equals to 3; got 2."):
        F.fractional_max_pool3d(plugrad.tensor(_X), 2, output_size=3, _random_samples=plugrad.rand(2, 3, 2))


@pytest.mark.parametrize("nd,shape,kwargs", [
    (3, (2, 3, 7, 8, 9), {"kernel_size": 2, "output_size": (4, 5, 6)}),
    (3, (3, 7, 8, 9), {"kernel_size": (2, 3, 2), "output_ratio": (0.5, 0.6, 0.7)}),
    (3, (2, 3, 7, 8, 9), {"kernel_size": 2, "output_size": 0}),
    (2, (2, 3, 7, 8), {"kernel_size": (2, 3), "output_size": (5, 6)}),
])
def test_fractional_max_pool_matches_torch(torch, nd: int, shape: tuple, kwargs: dict) -> None:
    x = _X.reshape(-1)[:int(np.prod(shape))].reshape(shape).astype(np.float64)
    samples = _S[:shape[0] if len(shape) == nd + 2 else 1, :shape[-nd - 1], :nd].astype(np.float64)
    outs = []
    for lib in (plugrad, torch):
        xt = lib.tensor(x, requires_grad=True)
        pool = getattr(lib.nn.functional, f"fractional_max_pool{nd}d")
        v, i = pool(xt, return_indices=True, _random_samples=lib.tensor(samples), **kwargs)
        (v * v).sum().backward()
        outs.append([to_numpy(t.detach()) if lib is plugrad else t.detach().numpy() for t in (v, i, xt.grad)])
    for mine, theirs in zip(*outs):
        np.testing.assert_array_equal(mine, theirs)


# --- as_strided_scatter ------------------------------------------------------------------------------------


def test_as_strided_scatter_writes_the_strided_region() -> None:
    out = plugrad.as_strided_scatter(plugrad.zeros(3, 4), plugrad.arange(6.0).reshape(2, 3), (2, 3), (1, 2), 1)
    ref = np.zeros(12, dtype=np.float32)
    ref[[1, 3, 5, 2, 4, 6]] = np.arange(6.0)
    np.testing.assert_array_equal(to_numpy(out), ref.reshape(3, 4))
    t = plugrad.arange(12.0).reshape(3, 4).t()  # the copy keeps the input's strides: storage positions 0, 1, 2
    res = to_numpy(t.as_strided_scatter(-plugrad.ones(3), (3,), (1,)))
    np.testing.assert_array_equal(res[:3, 0], [-1.0, -1.0, -1.0])
    with pytest.raises(RuntimeError, match="expected src to have a size equal to the slice of self"):
        plugrad.as_strided_scatter(plugrad.zeros(3, 3), plugrad.ones(3), (2,), (4,))


def test_as_strided_scatter_gradients_are_the_outside_and_the_region() -> None:
    x = plugrad.randn(12, dtype=plugrad.float64, requires_grad=True)
    s = plugrad.randn(2, 3, dtype=plugrad.float64, requires_grad=True)
    assert plugrad.autograd.gradcheck(lambda a, b: plugrad.as_strided_scatter(a, b, (2, 3), (1, 2), 1), (x, s))


def test_as_strided_scatter_matches_torch(torch) -> None:
    # Note: PyTorch's gradient for the input is wrong (its own gradcheck fails), so only values and the
    # source's gradient are compared.
    outs = []
    for lib in (plugrad, torch):
        x = lib.arange(12.0).reshape(3, 4)
        s = lib.arange(6.0).reshape(2, 3).requires_grad_()
        y = lib.as_strided_scatter(x, s, (2, 3), (1, 2), 1)
        (y * lib.arange(12.0).reshape(3, 4)).sum().backward()
        outs.append([to_numpy(t.detach()) if lib is plugrad else t.detach().numpy() for t in (y, s.grad)])
    for mine, theirs in zip(*outs):
        np.testing.assert_array_equal(mine, theirs)


# --- import plugrad.linalg ---------------------------------------------------------------------------------


def test_import_plugrad_linalg_and_from_import() -> None:
    import plugrad.linalg
    import plugrad.linalg as la
    from plugrad.linalg import inv

    assert la is plugrad.linalg and "linalg" not in vars(plugrad)
    np.testing.assert_allclose(to_numpy(inv(plugrad.eye(2) * 2)), np.eye(2) / 2)
    with pytest.raises(ImportError, match="cannot import name 'no_such_function'"):
        from plugrad.linalg import no_such_function  # noqa: F401


def test_a_linalg_plugin_namespace_takes_precedence_over_the_import() -> None:
    import plugrad.linalg  # noqa: F401 - imported before the plugin loads

    namespace = types.ModuleType("linalg_from_a_plugin")
    namespace.inv = lambda x: "the plugin's inv"  # type: ignore[attr-defined]
    module = types.ModuleType("plugrad_test_linalg_namespace")
    module.PLUGRAD_CONTRACT = "1"  # type: ignore[attr-defined]
    module.plugrad_add_namespaces = plugrad.hookimpl(  # type: ignore[attr-defined]
        lambda registry: registry.add_namespace("linalg", namespace))
    record = plugrad.register_plugin(module, name="test_linalg_namespace")
    try:
        assert record.status == "loaded", record.error
        from plugrad.linalg import inv

        assert inv(None) == "the plugin's inv" and plugrad.linalg is namespace
    finally:
        plugrad.unregister_plugin("test_linalg_namespace")
    from plugrad.linalg import inv

    assert inv is plugrad._linalg.inv
