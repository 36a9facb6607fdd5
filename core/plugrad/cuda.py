"""``plugrad.cuda``: whether a CUDA device can be used, asked as ``torch.cuda`` asks it.

A CUDA device is usable when a backend on device ``cuda`` (CuPy, or a plugin's) is installed and working;
``device = "cuda" if plugrad.cuda.is_available() else "cpu"`` then picks it.
"""

from __future__ import annotations

from .backend import Backend, known_backends


def _cuda_backends() -> list[Backend]:
    return [b for b in known_backends().values() if b.device_type == "cuda" and b.available()[0]]


def is_available() -> bool:
    """True when some backend can run tensors on a CUDA device."""
    return bool(_cuda_backends())


def device_count() -> int:
    """The number of CUDA devices plugrad can use (its CUDA backends use one device)."""
    return 1 if _cuda_backends() else 0


def manual_seed(seed: int) -> None:
    """Seed the random generators of the CUDA backends (nothing happens without one, as in PyTorch)."""
    for b in _cuda_backends():
        b.manual_seed(int(seed))


manual_seed_all = manual_seed

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all"]
