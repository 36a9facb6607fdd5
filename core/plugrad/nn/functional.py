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
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    silu,
    softplus,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)
from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import softmax as _softmax
from ..ops.activation import softmin as _softmin
from ..ops.distance import cosine_similarity, normalize, pairwise_distance, pdist  # noqa: F401
from ..ops.elementwise import sigmoid, tanh  # noqa: F401
from ..ops.indexing import one_hot  # noqa: F401
from ..ops.loss import (  # noqa: F401
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ..ops.nn import (  # noqa: F401
    binary_cross_entropy,
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
    # losses, activations and distances composed in ops/loss.py, ops/activation.py, ops/distance.py
    "binary_cross_entropy", "celu_", "cosine_embedding_loss", "cosine_similarity", "elu_", "gaussian_nll_loss",
    "glu", "hardshrink", "hardtanh_", "hinge_embedding_loss", "huber_loss", "kl_div", "leaky_relu_",
    "margin_ranking_loss", "multi_margin_loss", "multilabel_soft_margin_loss", "normalize", "one_hot",
    "pairwise_distance", "pdist", "poisson_nll_loss", "prelu", "relu_", "rrelu", "rrelu_", "selu_", "smooth_l1_loss",
    "soft_margin_loss", "softshrink", "threshold_", "triplet_margin_loss", "triplet_margin_with_distance_loss",
]
