"""``nn.utils``: gradient clipping, parameters as one flat vector, variable-length sequences (``nn.utils.rnn``) and
parametrizations (``nn.utils.parametrize``)."""

from . import parametrizations, parametrize, prune, rnn, stateless
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from .init import skip_init
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "fuse_conv_bn_eval",
    "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights", "get_total_norm",
    "parameters_to_vector", "parametrize", "prune", "rnn", "skip_init", "stateless", "vector_to_parameters",
]
__all__ += ["parametrizations", "remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]
