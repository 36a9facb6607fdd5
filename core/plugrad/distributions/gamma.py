"""The Gamma distribution (shape ``concentration``, inverse scale ``rate``)."""

from __future__ import annotations

import numbers
from typing import Any

import plugrad
from plugrad import Size, Tensor

from . import constraints
from ._gamma_sampling import standard_gamma
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """Gamma distribution; ``rsample`` is differentiable in both parameters (implicit reparameterization)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        scalar = isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number)
        super().__init__(Size() if scalar else self.concentration.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gamma:
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Any = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=plugrad.finfo(value.dtype).tiny)  # the division may underflow
        return value

    def log_prob(self, value: Any) -> Tensor:
        if not isinstance(value, Tensor):
            value = plugrad.tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (plugrad.xlogy(self.concentration, self.rate) + plugrad.xlogy(self.concentration - 1, value)
                - self.rate * value - plugrad.lgamma(self.concentration))

    def cdf(self, value: Any) -> Tensor:
        """The regularized lower incomplete gamma function of ``rate * value`` (differentiable in ``value``)."""
        if not isinstance(value, Tensor):
            value = plugrad.tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return plugrad.special.gammainc(self.concentration, self.rate * value)

    def entropy(self) -> Tensor:
        return (self.concentration - plugrad.log(self.rate) + plugrad.lgamma(self.concentration)
                + (1.0 - self.concentration) * plugrad.digamma(self.concentration))

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return plugrad.lgamma(x + 1) + (x + 1) * plugrad.log(-y.reciprocal())
