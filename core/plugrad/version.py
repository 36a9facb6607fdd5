"""``plugrad.version``: the version facts PyTorch keeps in ``torch.version``.

plugrad is a Python package with no compiled CUDA or ROCm build of its own (a backend plugin brings CUDA),
so ``cuda`` and ``hip`` are None, as in a CPU build of PyTorch.
"""

from __future__ import annotations

from . import __version__

cuda = None
hip = None
debug = False

__all__ = ["__version__", "cuda", "debug", "hip"]
