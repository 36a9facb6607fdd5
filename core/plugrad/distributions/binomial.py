"""The binomial distribution."""

from __future__ import annotations

from typing import Any

import plugrad
from plugrad import Size, Tensor

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, expand_probs_or_logits, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Binomial"]

_TRIALS_PER_DRAW = 1024  # Bernoulli trials drawn at once per element while sampling


def _clamp_by_zero(x: Tensor) -> Tensor:
    # x.clamp(min=0) with a gradient of 1/2 at 0, as PyTorch's
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def _binomial_draws(total_count: Tensor, probs: Tensor) -> Tensor:
    """Counts of successes in ``total_count`` Bernoulli(``probs``) trials, elementwise, by counting uniform
    draws below ``probs`` in blocks of trials. (PyTorch's CPU sampler is its own BTRS/inversion code, whose
    draws are not reproduced; these counts have the same distribution.)"""
    counts = plugrad.zeros_like(probs)
    if counts.numel() == 0:
        return counts
    most = int(total_count.max().item())
    done = 0
    while done < most:
        block = min(_TRIALS_PER_DRAW, most - done)
        u = plugrad.rand(tuple(probs.shape) + (block,), dtype=probs.dtype, device=probs.device)
        trial = plugrad.arange(done, done + block, device=probs.device).to(probs.dtype)
        live = trial < total_count.unsqueeze(-1)
        counts = counts + ((u < probs.unsqueeze(-1)) & live).to(probs.dtype).sum(-1)
        done += block
    return counts


class Binomial(Distribution):
    """Number of successes in ``total_count`` independent trials of success probability ``probs``."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Binomial:
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        expand_probs_or_logits(self, new, batch_shape)
        super(Binomial, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    def sample(self, sample_shape: Any = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with plugrad.no_grad():
            return _binomial_draws(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = plugrad.lgamma(self.total_count + 1)
        log_factorial_k = plugrad.lgamma(value + 1)
        log_factorial_nmk = plugrad.lgamma(self.total_count - value + 1)
        # ``n * log1p(exp(logits))`` written to stay finite for large |logits|
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * plugrad.log1p(plugrad.exp(-plugrad.abs(self.logits)))
                          - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self) -> Tensor:
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(plugrad.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = plugrad.arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
