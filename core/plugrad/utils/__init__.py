"""PyTorch's ``torch.utils`` import paths: ``plugrad.utils.data`` is :mod:`plugrad.data`;
``plugrad.utils.checkpoint`` is activation checkpointing."""

from __future__ import annotations

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
