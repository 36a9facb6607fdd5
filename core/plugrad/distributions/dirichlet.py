"""The Dirichlet distribution over the probability simplex."""

from __future__ import annotations

from typing import Any

import plugrad
from plugrad import Size, Tensor

from . import constraints
from ._gamma_sampling import standard_gamma
from .exp_family import ExponentialFamily

__all__ = ["Dirichlet"]


def _sample_dirichlet(concentration: Tensor) -> Tensor:
    """Normalized Gamma(concentration_i, 1) draws, kept inside the open simplex.

    Gradients flow through each Gamma draw's implicit reparameterization; that is an exact pathwise gradient
    of this sampler (PyTorch differentiates its sampler through the Beta marginals instead: a different
    per-draw gradient with the same expectation).
    """
    gammas = standard_gamma(concentration)
    x = gammas / gammas.sum(-1, keepdim=True)
    finfo = plugrad.finfo(x.dtype)
    x.detach().clamp_(min=finfo.tiny, max=1 - finfo.eps)
    return x


class Dirichlet(ExponentialFamily):
    """Dirichlet distribution with concentration vector ``concentration`` (last dimension)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Dirichlet:
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(tuple(batch_shape) + tuple(self.event_shape))
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return _sample_dirichlet(self.concentration.expand(shape))

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return (plugrad.xlogy(self.concentration - 1.0, value).sum(-1) + plugrad.lgamma(self.concentration.sum(-1))
                - plugrad.lgamma(self.concentration).sum(-1))

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self) -> Tensor:
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentrationm1 / concentrationm1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1)
        if bool(mask.any()):
            hot = plugrad.nn.functional.one_hot(mode[mask].argmax(dim=-1), concentrationm1.shape[-1])
            mode[mask] = hot.to(mode.dtype)
        return mode

    @property
    def variance(self) -> Tensor:
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self) -> Tensor:
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (plugrad.lgamma(self.concentration).sum(-1) - plugrad.lgamma(a0) - (k - a0) * plugrad.digamma(a0)
                - ((self.concentration - 1.0) * plugrad.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.concentration,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.lgamma().sum(-1) - plugrad.lgamma(x.sum(-1))
