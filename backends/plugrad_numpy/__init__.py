"""plugrad's default CPU backend: NumPy arrays and NumPy as the array namespace.

It registers through the ``plugrad`` entry-point group like any third-party
backend. Most ops run on the generic array-API kernels over ``numpy``; the few
kernels here use NumPy features the standard lacks (``out=``, ``np.add.at``).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import plugrad
from plugrad.backend import Backend
from plugrad.ops.indexing import gather_coords, index_tuple, lift

PLUGRAD_CONTRACT = "1"


class NumpyBackend(Backend):
    """CPU tensors held as ``numpy.ndarray``."""

    name = "numpy"
    device_type = "cpu"
    extra = ""
    priority = 10

    def load_namespace(self) -> Any:
        return np

    def to_numpy(self, array: Any) -> Any:
        return array

    def from_numpy(self, array: Any) -> Any:
        return array

    def device_name(self, index: int = 0) -> str:
        return "cpu"

    def info(self) -> dict[str, Any]:
        return {"numpy": np.__version__}

    def rng(self) -> np.random.Generator:
        gen = getattr(self, "_rng", None)
        if gen is None:
            gen = self._rng = np.random.default_rng(self.seed)
        return gen

    def manual_seed(self, seed: int) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def rand(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return self.rng().random(shape, dtype=np.float64).astype(self.native_dtype(dtype), copy=False)

    def randn(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return self.rng().standard_normal(shape, dtype=np.float64).astype(self.native_dtype(dtype), copy=False)

    def randint(self, low: int, high: int, shape: tuple[int, ...], dtype: Any) -> Any:
        return self.rng().integers(low, high, size=shape).astype(self.native_dtype(dtype), copy=False)


@plugrad.hookimpl
def plugrad_register_backends(registry: Any) -> None:
    registry.register_backend(NumpyBackend())


# --- native kernels: scatter-adds with np.add.at (the generic ones sort and scan instead) ----------


def _index_put(x: Any, values: Any, dims: tuple, accumulate: bool, *arrays: Any) -> Any:
    out = x.copy()
    if accumulate:
        np.add.at(out, index_tuple(dims, arrays), values)
    else:
        out[index_tuple(dims, arrays)] = values
    return out


def _scatter_add(x: Any, src: Any, dim: int, index: Any) -> Any:
    out = lift(np, x.copy())
    np.add.at(out, gather_coords(np, index, dim), lift(np, np.asarray(src)))
    return out.reshape(x.shape)


def _index_add(x: Any, src: Any, dim: int, index: Any, alpha: Any) -> Any:
    out = lift(np, x.copy())
    np.add.at(out, (slice(None),) * dim + (index,), lift(np, np.asarray(src if alpha == 1 else src * alpha)))
    return out.reshape(x.shape)


def _put(x: Any, src: Any, index: Any, accumulate: bool) -> Any:
    out = x.copy()
    flat = out.reshape(-1)
    if accumulate:
        np.add.at(flat, index.reshape(-1), np.broadcast_to(src, index.shape).reshape(-1))
    else:
        flat[index.reshape(-1)] = np.broadcast_to(src, index.shape).reshape(-1)
    return out


_OPERATOR_KERNELS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "neg": operator.neg,
}


@plugrad.hookimpl
def plugrad_register_kernels(registry: Any) -> None:
    registry.register_kernel("index_put", "numpy", _index_put)
    registry.register_kernel("scatter_add", "numpy", _scatter_add)
    registry.register_kernel("index_add", "numpy", _index_add)
    registry.register_kernel("put", "numpy", _put)
    # Python's operators instead of the ufuncs: identical on arrays, and on the NumPy scalars that 0-d
    # results are, they take NumPy's fast scalar path (about 10x cheaper than a ufunc call).
    for op_name, fn in _OPERATOR_KERNELS.items():
        registry.register_kernel(op_name, "numpy", fn)
