"""plugrad.fft: the transforms' values against numpy.fft, their gradients (gradcheck, and against PyTorch's on
random inputs for every transform, norm and a few padded or truncated sizes), dtypes, node names, errors, the
frequency and shift helpers, and that the namespace loads lazily.

The differential tests (the ``torch`` fixture) are skipped when PyTorch is not installed.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import plugrad
import plugrad.fft as pfft
import pytest
from _devices import to_numpy
from plugrad.autograd import gradcheck, gradgradcheck


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")


def _draw(rng: np.random.Generator, shape: tuple, complex_: bool) -> np.ndarray:
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if complex_ else x


NORMS = (None, "backward", "forward", "ortho")
ONE_D = ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")
N_D = ("fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn")
REAL_ONLY = ("rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn")


def _numpy_transform(name: str) -> Any:
    """numpy.fft's function of that name; NumPy has no n-d Hermitian transforms, so those by their definition."""
    np_fft = np.fft
    if name in ("hfft2", "hfftn"):
        def hfftn(x: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Any:
            flipped = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]
            return np_fft.irfftn(np.conj(x), s=s, axes=axes, norm=flipped)

        return hfftn
    if name in ("ihfft2", "ihfftn"):
        def ihfftn(x: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Any:
            flipped = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]
            return np.conj(np_fft.rfftn(x, s=s, axes=axes, norm=flipped))

        return ihfftn
    return getattr(np_fft, name)


# --- values, against numpy.fft --------------------------------------------------------------------


@pytest.mark.parametrize("name", ONE_D)
def test_one_dimensional_transforms_match_numpy(name: str) -> None:
    rng = np.random.default_rng(1)
    for complex_, n, norm, dim in itertools.product((False, True), (None, 3, 8), NORMS, (-1, 0)):
        if complex_ and name in REAL_ONLY:
            continue
        x = _draw(rng, (4, 5), complex_)
        got = getattr(pfft, name)(plugrad.tensor(x), n=n, dim=dim, norm=norm)
        want = getattr(np.fft, name)(x, n=n, axis=dim, norm=norm)
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", N_D)
def test_multi_dimensional_transforms_match_numpy(name: str) -> None:
    rng = np.random.default_rng(2)
    two_d = name.endswith("2")
    for complex_, s, norm in itertools.product((False, True), (None, (3, 6), (5, 4)), NORMS):
        if complex_ and name in REAL_ONLY:
            continue
        x = _draw(rng, (2, 4, 5), complex_)
        got = getattr(pfft, name)(plugrad.tensor(x), s=s, norm=norm)
        axes = (-2, -1) if two_d or s is not None else (0, 1, 2)
        if s is None and name in ("irfftn", "hfftn", "irfft2", "hfft2"):
            s = (*(x.shape[a] for a in axes[:-1]), 2 * (x.shape[axes[-1]] - 1))
        want = _numpy_transform(name)(x, s=s, axes=axes, norm=norm)
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10, atol=1e-12)


def test_fftn_with_dims_transforms_only_those_dims_in_their_order() -> None:
    x = _draw(np.random.default_rng(3), (3, 4, 5), True)
    got = pfft.fftn(plugrad.tensor(x), s=(6, 2), dim=(2, 0), norm="ortho")
    np.testing.assert_allclose(to_numpy(got), np.fft.fftn(x, s=(6, 2), axes=(2, 0), norm="ortho"), rtol=1e-10)
    got = pfft.irfftn(plugrad.tensor(x), dim=(0,))
    np.testing.assert_allclose(to_numpy(got), np.fft.irfft(x, n=4, axis=0), rtol=1e-10, atol=1e-12)


def test_real_inputs_promote_as_pytorch_does() -> None:
    assert pfft.fft(plugrad.randn(4)).dtype is plugrad.complex64
    assert pfft.fft(plugrad.randn(4, dtype=plugrad.float64)).dtype is plugrad.complex128
    assert pfft.fft2(plugrad.arange(6).reshape(2, 3)).dtype is plugrad.complex64
    assert pfft.rfft(plugrad.tensor([True, False, True])).dtype is plugrad.complex64
    assert pfft.irfft(plugrad.randn(5)).dtype is plugrad.float32
    assert pfft.hfft(plugrad.randn(5, dtype=plugrad.complex128)).dtype is plugrad.float64
    np.testing.assert_allclose(to_numpy(pfft.fft(plugrad.arange(4))), np.fft.fft(np.arange(4.0)), atol=1e-6)


def test_float32_transforms_compute_in_single_precision() -> None:
    x = np.random.default_rng(4).standard_normal((3, 8)).astype(np.float32)
    got = pfft.rfft(plugrad.tensor(x), norm="ortho")
    assert got.dtype is plugrad.complex64
    np.testing.assert_allclose(to_numpy(got), np.fft.rfft(x.astype(np.float64), norm="ortho"), rtol=1e-5, atol=1e-6)


def test_inverse_transforms_round_trip() -> None:
    x = _draw(np.random.default_rng(5), (3, 6), False)
    t = plugrad.tensor(x)
    np.testing.assert_allclose(to_numpy(pfft.irfft(pfft.rfft(t), n=6)), x, atol=1e-12)
    np.testing.assert_allclose(to_numpy(pfft.ifftn(pfft.fftn(t))).real, x, atol=1e-12)
    np.testing.assert_allclose(to_numpy(pfft.hfft(pfft.ihfft(t), n=6)), x, atol=1e-12)


# --- gradients ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ONE_D + N_D)
def test_gradcheck_every_transform(name: str) -> None:
    rng = np.random.default_rng(6)
    fn = getattr(pfft, name)
    size = "n" if name in ONE_D else "s"
    for complex_, n, norm in itertools.product((False, True), (None, 3, 6), ("backward", "forward", "ortho")):
        if complex_ and name in REAL_ONLY:
            continue
        x = plugrad.tensor(_draw(rng, (3, 4), complex_), requires_grad=True)
        kw = {size: n if n is None or name in ONE_D else (2, n), "norm": norm}
        assert gradcheck(lambda t, kw=kw: fn(t, **kw), (x,))


@pytest.mark.parametrize("name", ("rfft", "irfft", "hfftn", "ihfftn"))
def test_gradgradcheck_transforms(name: str) -> None:
    x = plugrad.tensor(_draw(np.random.default_rng(7), (2, 5), name not in REAL_ONLY), requires_grad=True)
    assert gradgradcheck(lambda t: getattr(pfft, name)(t, norm="ortho"), (x,))


def test_node_names_follow_pytorch() -> None:
    x = plugrad.randn(4, 5, requires_grad=True)
    z = plugrad.randn(4, 5, dtype=plugrad.complex64, requires_grad=True)

    def name(t: Any) -> str:
        return type(t.grad_fn).__name__

    assert name(pfft.fft(x)) == name(pfft.rfft(x)) == name(pfft.rfftn(x)) == "FftR2CBackward0"
    assert name(pfft.ifft(x)) == name(pfft.ihfft(x)) == "ConjBackward0"
    assert name(pfft.fft(z)) == name(pfft.ifft2(z)) == name(pfft.fftn(x)) == name(pfft.ihfftn(x)) == "FftC2CBackward0"
    assert name(pfft.irfft(z)) == name(pfft.hfftn(z)) == name(pfft.irfftn(x)) == "FftC2RBackward0"
    assert type(pfft.fftn(x).grad_fn.next_functions[0][0]).__name__ == "ToCopyBackward0"
    assert type(pfft.fft(x, n=7).grad_fn.next_functions[0][0]).__name__ == "ConstantPadNdBackward0"
    assert type(pfft.fft(x, n=3).grad_fn.next_functions[0][0]).__name__ == "SliceBackward0"
    assert name(pfft.fftshift(x)) == "RollBackward0"
    assert pfft.ifft(x).is_conj()


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: pfft.fft(plugrad.randn(3), n=0), RuntimeError, "Invalid number of data points (0) specified"),
    (lambda: pfft.irfft(plugrad.randn(1)), RuntimeError, "Invalid number of data points (0) specified"),
    (lambda: pfft.fft(plugrad.randn(3), norm="bad"), RuntimeError, 'Invalid normalization mode: "bad"'),
    (lambda: pfft.fft(plugrad.randn(3), dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 2)"),
    (lambda: pfft.fft(plugrad.tensor(1.0)), IndexError, "Dimension specified as -1 but tensor has no dimensions"),
    (lambda: pfft.fftn(plugrad.randn(3, 4), dim=(0, 0)), RuntimeError, "FFT dims must be unique"),
    (lambda: pfft.fftn(plugrad.randn(3, 4), s=(2, 2, 2)), RuntimeError,
     "Got shape with 3 values but input tensor only has 2 dimensions."),
    (lambda: pfft.fftn(plugrad.randn(3, 4), s=(2, 2), dim=(0,)), RuntimeError,
     "When given, dim and shape arguments must have the same length"),
    (lambda: pfft.rfftn(plugrad.randn(3, 4), dim=()), RuntimeError, "rfftn must transform at least one axis"),
    (lambda: pfft.rfft(plugrad.randn(3, dtype=plugrad.complex64)), RuntimeError,
     "rfft expects a real input tensor, but got ComplexFloat"),
    (lambda: pfft.fft(plugrad.randn(3).half()), RuntimeError, "Unsupported dtype Half"),
    (lambda: pfft.fftfreq(4, dtype=plugrad.int64), RuntimeError, "fftfreq requires a floating point or complex dtype"),
    (lambda: pfft.fftshift(plugrad.tensor(1.0)), RuntimeError, "`shifts` required"),
])
def test_errors_keep_pytorch_wording(call: Any, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_out_argument_writes_the_result() -> None:
    x = plugrad.randn(6, dtype=plugrad.float64)
    out = plugrad.empty(4, dtype=plugrad.complex128)
    assert pfft.rfft(x, out=out) is out
    np.testing.assert_allclose(to_numpy(out), np.fft.rfft(to_numpy(x)), atol=1e-12)


# --- frequencies and shifts -----------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 4, 5])
def test_fftfreq_and_rfftfreq_match_numpy(n: int) -> None:
    np.testing.assert_allclose(to_numpy(pfft.fftfreq(n, d=0.5, dtype=plugrad.float64)), np.fft.fftfreq(n, 0.5))
    np.testing.assert_allclose(to_numpy(pfft.rfftfreq(n, d=0.5, dtype=plugrad.float64)), np.fft.rfftfreq(n, 0.5))
    f = pfft.fftfreq(n)
    assert f.dtype is plugrad.float32 and not f.requires_grad
    np.testing.assert_allclose(to_numpy(f), np.fft.fftfreq(n), rtol=1e-6)


def test_frequencies_take_requires_grad_and_device() -> None:
    f = pfft.rfftfreq(6, requires_grad=True, device=plugrad.randn(1).device)
    assert f.requires_grad and f.is_leaf and f.grad_fn is None
    assert pfft.fftfreq(0).shape == (0,)
    assert np.isnan(to_numpy(pfft.rfftfreq(0))).all()


def test_fftshift_and_ifftshift_match_numpy() -> None:
    x = np.arange(30.0).reshape(5, 6)
    t = plugrad.tensor(x)
    for axes in (None, 0, (1,), (-1, 0)):
        np.testing.assert_array_equal(to_numpy(pfft.fftshift(t, dim=axes)), np.fft.fftshift(x, axes=axes))
        np.testing.assert_array_equal(to_numpy(pfft.ifftshift(t, dim=axes)), np.fft.ifftshift(x, axes=axes))


def test_fft_namespace_loads_lazily() -> None:
    code = ("import sys, plugrad; assert 'plugrad.fft' not in sys.modules; "
            "from plugrad.fft import fft; assert plugrad.fft.fft is fft")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- against PyTorch ------------------------------------------------------------------------------


def _against_torch(torch: Any, name: str, x: np.ndarray, kw: dict, rng: np.random.Generator) -> None:
    tx = torch.tensor(x, requires_grad=True)
    px = plugrad.tensor(x, requires_grad=True)
    ty = getattr(torch.fft, name)(tx, **kw)
    py = getattr(pfft, name)(px, **kw)
    assert py.dtype.name == str(ty.dtype).removeprefix("torch.") and tuple(py.shape) == tuple(ty.shape)
    np.testing.assert_allclose(to_numpy(py), ty.detach().resolve_conj().numpy(), rtol=1e-10, atol=1e-12)
    assert type(py.grad_fn).__name__ == type(ty.grad_fn).__name__
    g = _draw(rng, tuple(ty.shape), ty.is_complex())
    ty.backward(torch.tensor(g))
    py.backward(plugrad.tensor(g))
    np.testing.assert_allclose(to_numpy(px.grad), tx.grad.resolve_conj().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ONE_D)
def test_one_dimensional_transforms_and_gradients_match_torch(torch: Any, name: str) -> None:
    rng = np.random.default_rng(8)
    for complex_, n, norm, dim in itertools.product((False, True), (None, 3, 4, 7, 8), NORMS, (-1, 0)):
        if not (complex_ and name in REAL_ONLY):
            _against_torch(torch, name, _draw(rng, (4, 5), complex_), {"n": n, "dim": dim, "norm": norm}, rng)


@pytest.mark.parametrize("name", N_D)
def test_multi_dimensional_transforms_and_gradients_match_torch(torch: Any, name: str) -> None:
    rng = np.random.default_rng(9)
    sizes: list = [None, (3, 4), (5, 7), (-1, 8)]
    if name.endswith("n"):
        sizes.append((2, 3, 6))
    for complex_, s, norm in itertools.product((False, True), sizes, NORMS):
        if not (complex_ and name in REAL_ONLY):
            _against_torch(torch, name, _draw(rng, (3, 4, 5), complex_), {"s": s, "norm": norm}, rng)
    if name.endswith("n"):
        for complex_, dim in itertools.product((False, True), ((0,), (2, 0), (1, 2))):
            if not (complex_ and name in REAL_ONLY):
                for s in (None, (4,) * len(dim)):
                    _against_torch(torch, name, _draw(rng, (3, 4, 5), complex_), {"s": s, "dim": dim}, rng)


def test_float32_and_integer_inputs_match_torch(torch: Any) -> None:
    x = np.random.default_rng(10).standard_normal((3, 6)).astype(np.float32)
    for name in ("fft", "rfft", "ihfft", "fft2", "rfftn", "ihfftn"):
        want = getattr(torch.fft, name)(torch.tensor(x)).resolve_conj()
        got = getattr(pfft, name)(plugrad.tensor(x))
        assert got.dtype is plugrad.complex64 and want.dtype == torch.complex64
        np.testing.assert_allclose(to_numpy(got), want.numpy(), rtol=1e-5, atol=1e-5)
    ints = np.arange(6).reshape(2, 3)
    for name in ("fft", "irfft", "hfftn", "ifft2"):
        want = getattr(torch.fft, name)(torch.tensor(ints)).resolve_conj()
        got = getattr(pfft, name)(plugrad.tensor(ints))
        assert got.dtype.name == str(want.dtype).removeprefix("torch.")
        np.testing.assert_allclose(to_numpy(got), want.numpy(), rtol=1e-5, atol=1e-5)


def test_frequencies_and_shifts_match_torch(torch: Any) -> None:
    for n, d in ((1, 1.0), (5, 0.1), (8, 2.0)):
        for f in ("fftfreq", "rfftfreq"):
            np.testing.assert_array_equal(to_numpy(getattr(pfft, f)(n, d)), getattr(torch.fft, f)(n, d).numpy())
            np.testing.assert_array_equal(to_numpy(getattr(pfft, f)(n, d, dtype=plugrad.float64)),
                                          getattr(torch.fft, f)(n, d, dtype=torch.float64).numpy())
    x = np.arange(24.0).reshape(2, 3, 4)
    for dim in (None, 1, (0, 2)):
        for f in ("fftshift", "ifftshift"):
            np.testing.assert_array_equal(to_numpy(getattr(pfft, f)(plugrad.tensor(x), dim)),
                                          getattr(torch.fft, f)(torch.tensor(x), dim).numpy())


# --- stft / istft ---------------------------------------------------------------------------------


def test_stft_is_the_fft_of_windowed_frames() -> None:
    x = np.random.default_rng(11).standard_normal(20)
    w = np.hanning(8)
    got = plugrad.stft(plugrad.tensor(x), 8, hop_length=3, window=plugrad.tensor(w), center=False,
                       return_complex=True)
    frames = np.stack([x[i:i + 8] * w for i in range(0, 13, 3)])
    np.testing.assert_allclose(to_numpy(got), np.fft.rfft(frames, axis=-1).T, rtol=1e-10, atol=1e-12)


def test_istft_inverts_stft_and_both_differentiate() -> None:
    x = plugrad.tensor(np.random.default_rng(12).standard_normal((2, 30)), requires_grad=True)
    w = plugrad.hann_window(8, dtype=plugrad.float64)
    spec = x.stft(8, hop_length=2, window=w, return_complex=True)
    assert tuple(spec.shape) == (2, 5, 16)
    np.testing.assert_allclose(to_numpy(spec.istft(8, hop_length=2, window=w, length=30)), to_numpy(x), atol=1e-12)
    assert gradcheck(lambda t: plugrad.stft(t, 8, hop_length=3, window=w, return_complex=True), (x,))
    z = plugrad.tensor(to_numpy(spec), requires_grad=True)
    assert gradcheck(lambda t: plugrad.istft(t, 8, hop_length=2, window=w), (z,))


def test_stft_without_a_window_warns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from plugrad.ops import spectral

    monkeypatch.setattr(spectral, "_warned", set())
    with pytest.warns(UserWarning, match="A window was not provided. A rectangular window will be applied"):
        plugrad.stft(plugrad.randn(20), 8, return_complex=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plugrad.stft(plugrad.randn(20), 8, return_complex=True)


def test_stft_requires_return_complex_for_real_inputs() -> None:
    with pytest.raises(RuntimeError, match="stft requires the return_complex parameter be given for real inputs"):
        plugrad.stft(plugrad.randn(20), 8, window=plugrad.ones(8))


def test_stft_and_istft_match_torch(torch: Any) -> None:
    rng = np.random.default_rng(13)
    cases = [  # shape, complex input, n_fft, hop_length, win_length, a window, center, pad_mode, normalized, onesided
        ((20,), False, 8, None, None, True, True, "reflect", False, None),
        ((2, 19), False, 7, 3, 6, True, True, "constant", True, None),
        ((20,), False, 8, 3, 6, False, False, "reflect", False, False),
        ((2, 19), False, 8, 2, None, True, False, "reflect", True, None),
        ((20,), False, 7, None, 6, False, True, "reflect", False, False),
        ((2, 20), False, 8, 8, None, True, False, "constant", False, None),
        ((20,), True, 8, None, None, True, True, "reflect", False, None),
        ((2, 19), True, 7, 3, 6, False, True, "constant", True, False),
    ]
    for shape, complex_, n_fft, hop, win, windowed, center, pad_mode, normalized, onesided in cases:
        x = _draw(rng, shape, complex_)
        w = rng.uniform(0.5, 1.5, win or n_fft) if windowed else None
        kw = {"n_fft": n_fft, "hop_length": hop, "win_length": win, "center": center, "normalized": normalized,
              "onesided": onesided}
        tx, px = torch.tensor(x, requires_grad=True), plugrad.tensor(x, requires_grad=True)
        tw = None if w is None else torch.tensor(w, requires_grad=True)
        pw = None if w is None else plugrad.tensor(w, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Note: the missing-window warnings, once per process in both
            ty = torch.stft(tx, window=tw, pad_mode=pad_mode, return_complex=True, **kw)
            py = plugrad.stft(px, window=pw, pad_mode=pad_mode, return_complex=True, **kw)
        np.testing.assert_allclose(to_numpy(py), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert type(py.grad_fn).__name__ == type(ty.grad_fn).__name__
        g = _draw(rng, tuple(ty.shape), True)
        ty.backward(torch.tensor(g))
        py.backward(plugrad.tensor(g))
        np.testing.assert_allclose(to_numpy(px.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
        if w is not None:
            np.testing.assert_allclose(to_numpy(pw.grad), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
        if complex_:
            continue
        for length, return_complex in ((None, False), (15, False), (30, True)):
            if return_complex and onesided is None:
                continue
            spec = ty.detach().numpy()
            ts, ps = torch.tensor(spec, requires_grad=True), plugrad.tensor(spec, requires_grad=True)
            ikw = {**kw, "length": length, "return_complex": return_complex}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    ti = torch.istft(ts, window=None if w is None else torch.tensor(w), **ikw)
                except RuntimeError as exc:  # a window envelope that is zero somewhere: the same error here
                    with pytest.raises(RuntimeError) as info:
                        plugrad.istft(ps, window=None if w is None else plugrad.tensor(w), **ikw)
                    want = str(exc)
                    if ps.device.type == "cuda":  # PyTorch's message on a CUDA device names it
                        want = want.replace("CPU", "CUDA").replace("torch.DoubleTensor", "torch.cuda.DoubleTensor")
                    assert str(info.value) == want
                    continue
                pi = plugrad.istft(ps, window=None if w is None else plugrad.tensor(w), **ikw)
            np.testing.assert_allclose(to_numpy(pi), ti.detach().numpy(), rtol=1e-10, atol=1e-12)
            gi = _draw(rng, tuple(ti.shape), return_complex)
            ti.backward(torch.tensor(gi))
            pi.backward(plugrad.tensor(gi))
            np.testing.assert_allclose(to_numpy(ps.grad), ts.grad.numpy(), rtol=1e-10, atol=1e-12)
