"""``nn.functional``: the stateless layers, activations and losses, with PyTorch's names and arguments.

The ops themselves live in ``plugrad.ops`` (``nn`` and ``activation`` families); this module is the
user-facing namespace, adding only what ``torch.nn.functional`` does beyond the op (``softmax``'s
implicit-dimension rule).
"""

from __future__ import annotations

import warnings
from typing import Any

from ..ops.activation import (  # noqa: F401
    celu,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    logsigmoid,
    mish,
    relu,
    relu6,
    selu,
    silu,
    softplus,
    softsign,
    tanhshrink,
    threshold,
)
from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import softmax as _softmax
from ..ops.activation import softmin as _softmin
from ..ops.elementwise import sigmoid, tanh  # noqa: F401
from ..ops.nn import (  # noqa: F401
    binary_cross_entropy_with_logits,
    conv2d,
    cross_entropy,
    dropout,
    embedding,
    fold,
    l1_loss,
    layer_norm,
    linear,
    max_pool2d,
    max_pool2d_with_indices,
    mse_loss,
    nll_loss,
    unfold,
)
from ._functional_attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Any:  # noqa: A002
    """``exp(x) / exp(x).sum(dim)``; without ``dim`` PyTorch's deprecated implicit choice (with its warning)."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax(input, dim, dtype)


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Any:  # noqa: A002
    """``log(softmax(x, dim))`` computed stably."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _log_softmax(input, dim, dtype)


def softmin(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Any:  # noqa: A002
    """``softmax(-x, dim)``."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return _softmin(input, dim, dtype)


__all__ = [
    "binary_cross_entropy_with_logits", "celu", "conv2d", "cross_entropy", "dropout", "elu", "embedding", "fold",
    "gelu", "hardsigmoid", "hardswish", "hardtanh", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax",
    "logsigmoid", "max_pool2d", "max_pool2d_with_indices", "mish", "mse_loss", "nll_loss", "relu", "relu6", "selu",
    "sigmoid", "silu", "softmax", "softmin", "softplus", "softsign", "tanh", "tanhshrink", "threshold", "unfold",
]
__all__ += ["multi_head_attention_forward", "scaled_dot_product_attention"]
