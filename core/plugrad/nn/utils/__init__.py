"""``nn.utils``: gradient clipping, parameters as one flat vector, variable-length sequences (``nn.utils.rnn``) and
parametrizations (``nn.utils.parametrize``)."""

from . import parametrizations, parametrize, prune, rnn, stateless
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "parametrizations", "parametrize", "prune", "rnn", "stateless",
           "vector_to_parameters", "remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]
