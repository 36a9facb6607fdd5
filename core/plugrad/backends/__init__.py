"""``plugrad.backends``: PyTorch's switches for the vendor libraries it can use, with plugrad's answers.

plugrad's kernels come from its backend plugins (NumPy, Numba, CuPy), not from cuDNN, MPS or oneDNN, so
the ``is_available()`` questions answer False, and the flags (``cudnn.deterministic``, ``cudnn.benchmark``,
``cuda.matmul.allow_tf32``...) hold what code sets, with PyTorch's defaults, and change no kernel. Code that
configures PyTorch (``torch.backends.cudnn.deterministic = True``) or picks a device
(``"mps" if torch.backends.mps.is_available() else "cpu"``) runs unchanged.
"""

from __future__ import annotations

import sys
import types


def _module(name: str, doc: str, **attrs: object) -> types.ModuleType:
    mod = types.ModuleType(f"{__name__}.{name}", doc)
    mod.__dict__.update(attrs)
    sys.modules[mod.__name__] = mod
    return mod


def _cuda_built() -> bool:
    """Whether a backend for CUDA devices is installed (its library is not imported to answer)."""
    from ..backend import known_backends

    return any(b.device_type == "cuda" for b in known_backends().values())


cudnn = _module(
    "cudnn", "cuDNN is not used by plugrad: is_available() is False, version() None; the flags keep their values.",
    is_available=lambda: False, version=lambda: None, enabled=True, benchmark=False, deterministic=False,
    allow_tf32=True,
)
mps = _module("mps", "Apple's MPS is not a plugrad device.", is_available=lambda: False, is_built=lambda: False)
cuda = _module(
    "cuda", "is_built(): whether a backend for CUDA devices is installed; matmul flags as PyTorch's defaults.",
    is_built=_cuda_built,
    matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                 allow_bf16_reduced_precision_reduction=True),
)
mkldnn = _module("mkldnn", "oneDNN is not used by plugrad.", is_available=lambda: False, enabled=True)

__all__ = ["cuda", "cudnn", "mkldnn", "mps"]
