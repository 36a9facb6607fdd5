"""PyTorch's ``torch.utils`` import paths: ``plugrad.utils.data`` is :mod:`plugrad.data`."""

from __future__ import annotations

from . import data

__all__ = ["data"]
