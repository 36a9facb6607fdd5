"""Reuse of large output buffers: the Numba backend's caching allocator for the CPU.

A fresh array of tens of megabytes costs the operating system a page fault and the zeroing of every page
on first write, often more than the loop that fills it (the C library maps such blocks anew for each
allocation and unmaps them when freed). The compiled loops therefore take their large outputs from here:
:func:`empty` hands out an array over a block of anonymous memory, and when that array and every view of
it are gone, the block returns to a bounded pool for the next output of the same size.

Safety rests on NumPy's base chains: an array made by ``np.frombuffer`` over a non-array buffer is the
``base`` of every view made from it, so it is collected only after all of them; its finalizer returns the
block. Blocks are reused only at their exact size, and at most :data:`POOL_BYTES` are kept;
:func:`empty_cache` releases them (as ``torch.cuda.empty_cache`` does on the GPU).
"""

from __future__ import annotations

import mmap
import threading
import weakref

import numpy as np

MIN_BYTES = 8 << 20  # smaller arrays come from the C library's heap, which reuses memory by itself
POOL_BYTES = 512 << 20  # at most this much free memory is kept for reuse

_free: dict[int, list[mmap.mmap]] = {}
_held = [0]
_lock = threading.Lock()


def empty(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """``np.empty(shape, dtype)``, C-ordered; large ones over a reused block (their contents are arbitrary)."""
    count = 1
    for n in shape:
        count *= n
    nbytes = count * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    block = None
    with _lock:
        blocks = _free.get(nbytes)
        if blocks:
            block = blocks.pop()
            _held[0] -= nbytes
    if block is None:
        block = mmap.mmap(-1, nbytes)
    owner = np.frombuffer(block, dtype=dtype, count=count)
    weakref.finalize(owner, _give_back, block).atexit = False
    return owner.reshape(shape)


def _give_back(block: mmap.mmap) -> None:
    size = len(block)
    with _lock:
        if _held[0] + size <= POOL_BYTES:
            _free.setdefault(size, []).append(block)
            _held[0] += size


def held_bytes() -> int:
    """Bytes of free blocks kept for reuse."""
    return _held[0]


def empty_cache() -> None:
    """Release the free blocks kept for reuse (memory in use is untouched)."""
    with _lock:
        _free.clear()
        _held[0] = 0


__all__ = ["MIN_BYTES", "POOL_BYTES", "empty", "empty_cache", "held_bytes"]
