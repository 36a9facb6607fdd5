"""plugrad's default CPU backend: NumPy arrays and NumPy as the array namespace.

It registers through the ``plugrad`` entry-point group like any third-party
backend. Most ops run on the generic array-API kernels over ``numpy``; the few
kernels here use NumPy features the standard lacks (``out=``, ``np.add.at``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import plugrad
from plugrad.backend import Backend

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
