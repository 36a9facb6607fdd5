"""plugrad's Numba backend: NumPy arrays on the CPU, with the hot kernels compiled by Numba.

Install it with ``pip install plugrad[numba]`` and select it with ``plugrad.set_default_backend("numba")``,
``device="numba"`` or ``PLUGRAD_BACKEND=numba``. Its tensors are NumPy arrays, so every op runs: the ops it
has kernels for (:data:`plugrad_numba.kernels.KERNELS`: elementwise arithmetic with broadcasting, the
reductions, softmax and log_softmax, the fused backward ops and cross entropy) run parallel compiled loops on
large float32/float64 tensors; everything else, and small tensors, run the NumPy backend's kernels. Results
match the NumPy backend's: same dtypes, same shapes, values equal within float rounding.

It registers through the ``plugrad`` entry-point group like any third-party backend. Neither registering nor
selecting it imports numba: the first compiled kernel does, and compiles (or loads from numba's cache) only
the loops it runs. ``plugrad.set_num_threads(n)`` sets the loops' thread count. The loops run on numba's
``tbb`` threading layer when tbb is installed (the ``numba`` extra installs it), else on ``omp`` or
``workqueue``; ``plugrad info`` names the one in use.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

import plugrad
from plugrad_numpy import NumpyBackend

from . import kernels

PLUGRAD_CONTRACT = "1"


class NumbaBackend(NumpyBackend):
    """CPU tensors held as ``numpy.ndarray``, with Numba-compiled kernels; random numbers as on NumPy."""

    name = "numba"
    device_type = "cpu"
    extra = "numba"
    priority = 5  # Note: below NumPy's, so that device="cpu" keeps meaning the NumPy backend

    def available(self) -> tuple[bool, str]:
        # Note: only whether numba can be imported; importing it waits for the first compiled kernel.
        if not kernels.numba_installed():
            return False, (f"numba is not installed (ModuleNotFoundError: No module named 'numba'); "
                           f"install it with: pip install plugrad[{self.extra}]")
        return super().available()

    def info(self) -> dict[str, Any]:
        facts = dict(super().info())
        facts["numba"] = _numba_version()
        facts["threads"] = kernels.get_num_threads()
        facts["threading layer"] = kernels.threading_layer()
        single, fused = kernels.min_size()
        facts["compiled from"] = f"{single} elements ({fused} for fused kernels)"
        facts["cache"] = kernels.cache_dir()
        return facts

    def set_num_threads(self, n: int) -> None:
        """The hook behind ``plugrad.set_num_threads``: the compiled loops' thread count."""
        kernels.set_num_threads(n)

    def get_num_threads(self) -> int:
        return kernels.get_num_threads()


def _numba_version() -> str:
    try:
        return metadata.version("numba")
    except metadata.PackageNotFoundError:
        return "not installed"


@plugrad.hookimpl
def plugrad_register_backends(registry: Any) -> None:
    registry.register_backend(NumbaBackend())


@plugrad.hookimpl
def plugrad_register_kernels(registry: Any) -> None:
    for op_name, fn in kernels.KERNELS.items():
        registry.register_kernel(op_name, "numba", fn)
    # The arrays are NumPy's: where no loop is compiled, the NumPy backend's own kernels (silent math,
    # branchless selects, np.add.at scatters) serve rather than the generic ones.
    from plugrad_numpy import KERNELS as NUMPY_KERNELS

    for op_name, fn in NUMPY_KERNELS.items():
        if op_name not in kernels.KERNELS:
            registry.register_kernel(op_name, "numba", fn)
