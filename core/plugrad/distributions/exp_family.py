"""ExponentialFamily: distributions whose entropy and KL divergences follow from the log-normalizer."""

from __future__ import annotations

from typing import Any

import plugrad
from plugrad import Tensor

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """``p(x; θ) = exp(<t(x), θ> - F(θ) + k(x))``: subclasses give the natural parameters θ, the
    log-normalizer F and the mean carrier measure E[k(x)]; entropy is then the Bregman divergence of F."""

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _natural_params")

    def _log_normalizer(self, *natural_params: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement _log_normalizer")

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError(f"{type(self).__name__} does not implement _mean_carrier_measure")

    def entropy(self) -> Tensor:
        result: Any = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = plugrad.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result += lg_normal
        for nparam, g in zip(nparams, gradients):
            result -= (nparam * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
