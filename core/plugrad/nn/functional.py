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
from ..ops.convolution import conv1d, conv_transpose1d, conv_transpose2d  # noqa: F401
from ..ops.distance import cosine_similarity, normalize, pairwise_distance, pdist  # noqa: F401
from ..ops.elementwise import sigmoid, tanh  # noqa: F401
from ..ops.indexing import one_hot  # noqa: F401
from ..ops.loss import (  # noqa: F401
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    kl_div,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ..ops.nn import (  # noqa: F401
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    conv2d,
    cross_entropy,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    embedding,
    fold,
    glu,
    huber_loss,
    l1_loss,
    layer_norm,
    linear,
    max_pool2d,
    max_pool2d_with_indices,
    mse_loss,
    nll_loss,
    pad,
    smooth_l1_loss,
    unfold,
)
from ..ops.normalization import group_norm, instance_norm, rms_norm  # noqa: F401
from ..ops.pooling import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    avg_pool1d,
    max_pool1d,
    max_pool1d_with_indices,
)
from ..ops.resampling import interpolate, pixel_shuffle, pixel_unshuffle  # noqa: F401
from ..ops.volumetric import (  # noqa: F401
    adaptive_avg_pool3d,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool3d,
    conv3d,
    conv_transpose3d,
    max_pool3d,
    max_pool3d_with_indices,
)
from ._functional_attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401
from ._functional_layers import (  # noqa: F401
    alpha_dropout,
    bilinear,
    channel_shuffle,
    ctc_loss,
    embedding_bag,
    feature_alpha_dropout,
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
    gumbel_softmax,
    local_response_norm,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
    multilabel_margin_loss,
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
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices", "avg_pool1d", "avg_pool2d", "batch_norm",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "celu", "celu_", "conv1d", "conv2d",
    "conv_transpose1d", "conv_transpose2d", "cosine_embedding_loss", "cosine_similarity", "cross_entropy", "dropout",
    "dropout1d", "dropout2d", "dropout3d", "elu", "elu_", "embedding", "fold", "gaussian_nll_loss", "gelu", "glu",
    "group_norm", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_", "hinge_embedding_loss",
    "huber_loss", "instance_norm", "interpolate", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "leaky_relu_",
    "linear", "log_softmax", "logsigmoid", "margin_ranking_loss", "max_pool1d", "max_pool1d_with_indices",
    "max_pool2d", "max_pool2d_with_indices", "mish", "mse_loss", "multi_margin_loss", "multilabel_soft_margin_loss",
    "nll_loss", "normalize", "one_hot", "pad", "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle",
    "poisson_nll_loss", "prelu", "relu", "relu6", "relu_", "rms_norm", "rrelu", "rrelu_", "selu", "selu_", "sigmoid",
    "silu", "smooth_l1_loss", "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink", "softsign", "tanh",
    "tanhshrink", "threshold", "threshold_", "triplet_margin_loss", "triplet_margin_with_distance_loss", "unfold",
]
__all__ += ["adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "avg_pool3d", "conv3d",
            "conv_transpose3d", "max_pool3d", "max_pool3d_with_indices"]
__all__ += ["alpha_dropout", "bilinear", "channel_shuffle", "embedding_bag", "feature_alpha_dropout",
            "gumbel_softmax", "local_response_norm", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
            "multilabel_margin_loss"]
native_channel_shuffle = channel_shuffle
__all__ += ["native_channel_shuffle"]
__all__ += ["ctc_loss", "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
            "fractional_max_pool3d_with_indices"]
__all__ += ["multi_head_attention_forward", "scaled_dot_product_attention"]
from ._linear_cross_entropy import linear_cross_entropy  # noqa: E402

__all__ += ["linear_cross_entropy"]
