"""``from plugrad.utils.data import DataLoader, TensorDataset`` works as in PyTorch."""

from __future__ import annotations

from ..data import *  # noqa: F401,F403
from ..data import __all__  # noqa: F401
