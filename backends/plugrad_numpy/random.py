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
  one last block of 16. float32 blocks use PyTorch's vectorized log/sin/cos, which can differ from
  NumPy's in the last bit;
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
        return x * (hi - lo) + lo

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
        out = np.empty(n, dtype=np.float64)
        for i in range(n):
            kept = self._next_normal
            if kept is not None:
                self._next_normal = None
                out[i] = kept * std + mean
                continue
            u1, u2 = self._uniform(2, np.dtype(np.float64))
            r = math.sqrt(-2.0 * math.log1p(-float(u2)))
            theta = 2.0 * math.pi * float(u1)
            self._next_normal = r * math.sin(theta)
            out[i] = r * math.cos(theta) * std + mean
        return out

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
    radius = np.sqrt(two * np.log(u1))
    theta = dtype.type(2.0 * math.pi) * u2
    cos, sin = radius * np.cos(theta), radius * np.sin(theta)
    if std != 1.0 or mean != 0.0:
        # Note: PyTorch scales the standard normals in the tensor's dtype afterwards (two roundings)
        s, m = dtype.type(std), dtype.type(mean)
        cos = cos * s + m
        sin = sin * s + m
    blocks[:, :8] = cos
    blocks[:, 8:] = sin


def _count(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


__all__ = ["DEFAULT_SEED", "TorchStream"]
