"""``plugrad.fft``: PyTorch's ``torch.fft`` namespace, the discrete Fourier transforms and their helpers.

The transforms are built from the FFT ops in :mod:`plugrad.ops.spectral` (whose docstring explains their
gradients); this module is imported on first use of ``plugrad.fft``, not by ``import plugrad``.
"""

from __future__ import annotations

from .ops.spectral import (
    fft,
    fft2,
    fftfreq,
    fftn,
    fftshift,
    hfft,
    hfft2,
    hfftn,
    ifft,
    ifft2,
    ifftn,
    ifftshift,
    ihfft,
    ihfft2,
    ihfftn,
    irfft,
    irfft2,
    irfftn,
    rfft,
    rfft2,
    rfftfreq,
    rfftn,
)

__all__ = ["fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "hfft2", "hfftn", "ifft", "ifft2", "ifftn",
           "ifftshift", "ihfft", "ihfft2", "ihfftn", "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn"]
