"""``plugrad.set_num_threads`` / ``plugrad.get_num_threads``: how many threads CPU kernels may use.

plugrad's core runs no threads of its own. A backend whose kernels do (the Numba backend's parallel
loops) defines ``set_num_threads(n)`` and ``get_num_threads()`` on its Backend object; these functions
call them on the backends that are installed and available, so that PyTorch's calls carry over. Nothing
here imports a backend's library: the Numba backend applies the count when its first compiled kernel runs.
NumPy's BLAS threads are not managed here (set ``OMP_NUM_THREADS`` or use threadpoolctl for those).
"""

from __future__ import annotations

from typing import Any

_requested: list[int | None] = [None]  # the last count asked for, for get_num_threads without a threaded backend


def _threaded_backends() -> list[Any]:
    from . import backend as _backend

    out = []
    for b in _backend.known_backends().values():
        if callable(getattr(b, "set_num_threads", None)) and b.available()[0]:
            out.append(b)
    return out


def set_num_threads(num: int) -> None:
    """Use ``num`` threads in parallel CPU kernels (PyTorch's ``torch.set_num_threads``)."""
    if isinstance(num, bool) or not isinstance(num, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(num).__name__}")
    if num <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, but got {num}")
    for b in _threaded_backends():
        b.set_num_threads(num)
    _requested[0] = num


def get_num_threads() -> int:
    """The number of threads parallel CPU kernels use: the threaded backend's count, else the last one set
    (1 when nothing was set and no backend runs threads)."""
    for b in _threaded_backends():
        return int(b.get_num_threads())
    return _requested[0] or 1


_interop: list[int | None] = [None]


def set_num_interop_threads(num: int) -> None:
    """Set the size of the inter-op thread pool, once per process (PyTorch's rule: a second call raises).

    plugrad runs ops on the calling thread, so the count is recorded and read back rather than used.
    """
    if isinstance(num, bool) or not isinstance(num, int):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got {type(num).__name__}")
    if num <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    if _interop[0] is not None:
        raise RuntimeError(
            "Error: cannot set number of interop threads after parallel work has started or set_num_interop_threads called"
        )
    _interop[0] = num


def get_num_interop_threads() -> int:
    """The inter-op thread count: the one set, else the number of CPUs (PyTorch's default)."""
    import os

    return _interop[0] or os.cpu_count() or 1


__all__ = ["get_num_interop_threads", "get_num_threads", "set_num_interop_threads", "set_num_threads"]
