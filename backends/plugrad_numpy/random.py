"""PyTorch's CPU random stream, drawn with NumPy: the same numbers after the same ``manual_seed``.

PyTorch's CPU generator is a 32-bit Mersenne Twister seeded with the low 32 bits of the seed (the
reference ``init_genrand``); NumPy's legacy ``RandomState`` seeds its MT19937 the same way, so their raw
32-bit outputs agree. On top of that stream this module applies PyTorch's transformations, in its order:

- uniform floats: the low 24 (float32) or 53 (float64, from two outputs, the first as the high half) bits
  of a draw, scaled by 2**-24 or 2**-53, then ``x * (to - from) + from`` in the tensor's dtype;
- integers in [low, high): ``draw % (high - low) + low``, from a 64-bit draw when the range needs one;
- normals: below 16 elements one at a time in float64 by Box-Muller (``r cos θ``, with ``r sin θ`` kept for
  the next normal drawn); from 16 elements the whole tensor is filled with uniforms first, then every block
  of 16 is transformed in place (element ``j`` and ``j + 8`` make a pair), and a ragged end is redrawn as
  one last block of 16. float32 blocks take the log, sine and cosine of PyTorch's x86 kernel (Cephes'
  single-precision polynomials, evaluated with fused multiply-adds), float64 blocks the C library's, so
  both match PyTorch's to the last bit on x86;
- permutations: Fisher-Yates, swapping element ``i`` with ``i + draw % (n - i)``.

``TorchStream`` is the state of one generator; the NumPy backend keeps one as its default generator and
makes one for each ``plugrad.Generator``.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

DEFAULT_SEED = 67280421310721  # PyTorch's default CPU seed: unseeded programs start from the same numbers
_MASK53 = np.uint64((1 << 53) - 1)
_DIGITS = {np.dtype(np.float16): 11, np.dtype(np.float32): 24}  # PyTorch's std::numeric_limits<T>::digits
_NORMAL_FILL_MIN = 16  # from this many elements PyTorch fills normals in blocks of 16


class TorchStream:
    """One Mersenne Twister stream with PyTorch's transformations on top (see the module's docstring)."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self._lock = threading.Lock()
        self.manual_seed(seed)

    # --- state ------------------------------------------------------------------------------------------
    def manual_seed(self, seed: int) -> None:
        seed = int(seed)
        self.initial_seed = seed & 0xFFFFFFFFFFFFFFFF  # what torch.initial_seed() reports (a uint64)
        self._bits = np.random.RandomState(seed & 0xFFFFFFFF)._bit_generator
        self._next_normal: float | None = None  # the second value of the last Box-Muller pair

    def get_state(self) -> np.ndarray:
        """The whole state as bytes: the 624 words, the position, the seed and the kept normal."""
        st = self._bits.state["state"]
        normal = self._next_normal
        head = np.array([st["pos"], self.initial_seed, normal is not None], dtype=np.uint64)
        tail = np.array([normal or 0.0], dtype=np.float64)
        return np.concatenate([st["key"].astype(np.uint32).view(np.uint8), head.view(np.uint8), tail.view(np.uint8)])

    def set_state(self, state: Any) -> None:
        raw = np.ascontiguousarray(np.asarray(state, dtype=np.uint8))
        want = 624 * 4 + 3 * 8 + 8
        if raw.shape != (want,):
            raise RuntimeError(f"RNG state is wrong size: expected {want} bytes, got {raw.size}")
        key = raw[: 624 * 4].view(np.uint32)
        pos, seed, has_normal = (int(v) for v in raw[624 * 4: 624 * 4 + 24].view(np.uint64))
        normal = float(raw[624 * 4 + 24:].view(np.float64)[0])
        if pos > 624:
            raise RuntimeError(f"RNG state is invalid: position {pos} is past the 624 words of the state")
        bits = np.random.RandomState(0)._bit_generator
        bits.state = {"bit_generator": "MT19937", "state": {"key": key.copy(), "pos": pos}}
        self._bits = bits
        self.initial_seed = seed
        self._next_normal = normal if has_normal else None

    # --- raw draws --------------------------------------------------------------------------------------
    def random32(self, n: int) -> np.ndarray:
        return self._bits.random_raw(n).astype(np.uint32)

    def random64(self, n: int) -> np.ndarray:
        raw = self._bits.random_raw(2 * n)
        return (raw[0::2] << np.uint64(32)) | raw[1::2]

    # --- distributions ----------------------------------------------------------------------------------
    def uniform(self, shape: tuple, dtype: Any, low: float = 0.0, high: float = 1.0) -> np.ndarray:
        with self._lock:
            return self._uniform(_count(shape), np.dtype(dtype), low, high).reshape(shape)

    def _uniform(self, n: int, dtype: np.dtype, low: float = 0.0, high: float = 1.0) -> np.ndarray:
        if dtype == np.float64:
            x = (self.random64(n) & _MASK53).astype(np.float64) * (2.0**-53)
        else:
            digits = _DIGITS.get(dtype, 24)  # bfloat16 and others: float32's bits, rounded to the dtype
            x = (self.random32(n) & np.uint32((1 << digits) - 1)).astype(np.float32) * np.float32(2.0**-digits)
        x = x.astype(dtype, copy=False)
        if low == 0.0 and high == 1.0:
            return x
        lo, hi = dtype.type(low), dtype.type(high)
        return _fma(x, hi - lo, lo)  # PyTorch's CPU kernel computes x * (to - from) + from as one fused multiply-add

    def integers(self, low: int, high: int, shape: tuple, dtype: Any) -> np.ndarray:
        span = high - low
        n = _count(shape)
        with self._lock:
            draws = self.random64(n) if span >= 1 << 32 else self.random32(n).astype(np.uint64)
        values = (draws % np.uint64(span)).astype(np.int64) + np.int64(low)
        return values.astype(dtype, copy=False).reshape(shape)

    def normal(self, shape: tuple, dtype: Any, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
        dtype = np.dtype(dtype)
        n = _count(shape)
        with self._lock:
            if n >= _NORMAL_FILL_MIN and dtype.kind == "f":
                out = self._normal_fill(n, dtype, mean, std)
            else:
                out = self._normal_one_by_one(n, mean, std).astype(dtype)
        return out.reshape(shape)

    def _normal_one_by_one(self, n: int, mean: float, std: float) -> np.ndarray:
        z = np.empty(n, dtype=np.float64)
        for i in range(n):
            kept = self._next_normal
            if kept is not None:
                self._next_normal = None
                z[i] = kept
                continue
            u1, u2 = self._uniform(2, np.dtype(np.float64))
            r = math.sqrt(-2.0 * math.log1p(-float(u2)))
            theta = 2.0 * math.pi * float(u1)
            self._next_normal = r * math.sin(theta)
            z[i] = r * math.cos(theta)
        if std == 1.0 and mean == 0.0:
            return z
        return _fma(z, np.float64(std), np.float64(mean))  # z * std + mean, fused as in PyTorch's kernel

    def _normal_fill(self, n: int, dtype: np.dtype, mean: float, std: float) -> np.ndarray:
        data = self._uniform(n, dtype)
        full = n - n % 16
        _box_muller_blocks(data[:full].reshape(-1, 16), dtype, mean, std)
        if full != n:
            last = self._uniform(16, dtype).reshape(1, 16)
            _box_muller_blocks(last, dtype, mean, std)
            data[n - 16:] = last[0]
        return data

    def permutation(self, n: int, dtype: Any) -> np.ndarray:
        with self._lock:
            draws = self.random32(n - 1) if n > 1 else np.empty(0, dtype=np.uint32)
        spans = np.arange(n, 1, -1, dtype=np.uint64)  # n - i for i = 0 .. n-2
        offsets = (draws.astype(np.uint64) % spans).astype(np.int64).tolist()
        perm = list(range(n))
        for i, z in enumerate(offsets):
            j = i + z
            perm[i], perm[j] = perm[j], perm[i]
        return np.array(perm, dtype=dtype)


def _box_muller_blocks(blocks: np.ndarray, dtype: np.dtype, mean: float, std: float) -> None:
    """PyTorch's ``normal_fill_16`` on each row of 16 uniforms, in place."""
    one, two = dtype.type(1), dtype.type(-2)
    u1 = one - blocks[:, :8]
    u2 = blocks[:, 8:]
    theta = dtype.type(2.0 * math.pi) * u2
    if dtype == np.float32:
        radius = np.sqrt(two * _log_f32(u1))
        sin, cos = _sincos_f32(theta)
        cos, sin = radius * cos, radius * sin
    else:
        # PyTorch calls the C library's log, cos and sin here; NumPy's vectorized versions differ from them
        # in the last bit now and then, Python's math module (the C library's) does not.
        radius = np.sqrt(two * _libm(math.log, u1))
        cos, sin = radius * _libm(math.cos, theta), radius * _libm(math.sin, theta)
    if std != 1.0 or mean != 0.0:
        # one rounding, as the fused multiply-add of PyTorch's kernel
        cos = _fma(cos, dtype.type(std), dtype.type(mean))
        sin = _fma(sin, dtype.type(std), dtype.type(mean))
    blocks[:, :8] = cos
    blocks[:, 8:] = sin


# --- float32 log, sine and cosine as PyTorch's x86 normal kernel computes them ----------------------------
# Cephes' single-precision algorithms (frexp-style range reduction, then minimax polynomials; for sin/cos a
# three-part reduction by pi/4), with each multiply-add fused as the compiled kernel fuses it. The constants are
# Cephes' coefficients. Only finite arguments in the ranges the normal sampler uses occur: log of (0, 1], sin
# and cos of [0, 2 pi).

_F32 = np.float32
_LOG_P = tuple(_F32(c) for c in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
                                 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
                                 3.3333331174e-1))
_LOG_Q1, _LOG_Q2 = _F32(-2.12194440e-4), _F32(0.693359375)  # log(2) split in two parts
_SQRT_HALF = _F32(0.707106781186547524)
_MIN_NORMAL = np.array([0x00800000], dtype=np.int32).view(_F32)[0]
_PI4_PARTS = (_F32(-0.78515625), _F32(-2.4187564849853515625e-4), _F32(-3.77489497744594108e-8))
_SIN_P = (_F32(-1.9515295891e-4), _F32(8.3321608736e-3), _F32(-1.6666654611e-1))
_COS_P = (_F32(2.443315711809948e-5), _F32(-1.388731625493765e-3), _F32(4.166664568298827e-2))
_FOUR_OVER_PI = _F32(1.27323954473516)


def _libm(fn: Any, x: np.ndarray) -> np.ndarray:
    """``fn`` (a function of Python's math module) on each element of a float64 array."""
    return np.fromiter(map(fn, x.ravel().tolist()), dtype=np.float64, count=x.size).reshape(x.shape)


def _fma32(a: Any, b: Any, c: Any) -> np.ndarray:
    """float32 ``a * b + c`` rounded once (the product of two float32 values is exact in float64)."""
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(_F32)


def _log_f32(x: np.ndarray) -> np.ndarray:
    x = np.maximum(x, _MIN_NORMAL)
    bits = x.view(np.int32)
    exponent = ((bits >> 23) - 127).astype(_F32) + _F32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(_F32)  # the mantissa as a number in [0.5, 1)
    small = m < _SQRT_HALF
    exponent = exponent - small.astype(_F32)
    m = (m - _F32(1)) + np.where(small, m, _F32(0))  # m < sqrt(1/2): 2m - 1, else m - 1
    z = m * m
    y = _fma32(_LOG_P[0], m, _LOG_P[1])
    for c in _LOG_P[2:]:
        y = _fma32(y, m, c)
    y = y * m
    y = _fma32(y, z, exponent * _LOG_Q1)
    y = _fma32(-z, _F32(0.5), y)
    return _fma32(exponent, _LOG_Q2, m + y)


def _sincos_f32(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sign_sin = x.view(np.int32) & np.int32(-(2**31))
    x = np.abs(x)
    octant = (x * _FOUR_OVER_PI).astype(np.int32)
    octant = (octant + 1) & ~1
    y = octant.astype(_F32)
    sign_sin = sign_sin ^ ((octant & 4) << 29)
    sign_cos = (~(octant - 2) & 4) << 29
    use_sin_poly = (octant & 2) == 0
    for part in _PI4_PARTS:  # x - y * pi/4 in three parts
        x = _fma32(y, part, x)
    z = x * x
    yc = _fma32(_COS_P[0], z, _COS_P[1])
    yc = _fma32(yc, z, _COS_P[2])
    yc = _fma32(yc * z, z, -(z * _F32(0.5))) + _F32(1)
    ys = _fma32(_SIN_P[0], z, _SIN_P[1])
    ys = _fma32(ys, z, _SIN_P[2])
    ys = _fma32(ys * z, x, x)
    sin = np.where(use_sin_poly, ys, yc)
    cos = np.where(use_sin_poly, yc, ys)
    return (sin.view(np.int32) ^ sign_sin).view(_F32), (cos.view(np.int32) ^ sign_cos).view(_F32)


def _fma(a: np.ndarray, b: Any, c: Any) -> np.ndarray:
    """``a * b + c`` rounded once to ``a``'s dtype (a fused multiply-add; ``b`` and ``c`` scalars of that dtype).

    float32 and narrower: the product of two float32 values is exact in float64, so one float64 sum rounded
    to the dtype gives the fused result. float64: Dekker's exact product and Knuth's two-sum carry the
    rounding errors of the product and the sum into one last rounding.
    """
    if a.dtype != np.float64:
        return (a.astype(np.float64) * float(b) + float(c)).astype(a.dtype)
    b, c = float(b), float(c)
    split = 134217729.0  # 2**27 + 1: splits a double into two halves whose products are exact
    p = a * b
    t = split * a
    ah = t - (t - a)
    al = a - ah
    tb = split * b
    bh = tb - (tb - b)
    bl = b - bh
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    back = s - p
    err_sum = (p - (s - back)) + (c - back)
    return s + (err_sum + err)


def _count(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


__all__ = ["DEFAULT_SEED", "TorchStream"]
