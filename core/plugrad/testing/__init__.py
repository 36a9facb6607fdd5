"""Testing tools: PyTorch's ``assert_close`` and ``make_tensor``, and plugrad's op database samples,
gradcheck helpers and conformance kit (in the submodules)."""

from ._comparison import assert_allclose, assert_close
from ._creation import make_tensor

__all__ = ["assert_allclose", "assert_close", "make_tensor"]
