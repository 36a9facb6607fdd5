"""The continuous Bernoulli distribution on [0, 1] (Loaiza-Ganem and Cunningham, 2019)."""

from __future__ import annotations

import math

import plugrad
from plugrad import Tensor
from plugrad.nn.functional import binary_cross_entropy_with_logits

from . import constraints
from .exp_family import ExponentialFamily
from .utils import (
    Number,
    _Number,
    _size,
    broadcast_all,
    clamp_probs,
    expand_probs_or_logits,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ExponentialFamily):
    """Continuous Bernoulli distribution of ``probs`` (or ``logits``); ``lims`` bounds the region
    where the normalizer is computed by its Taylor expansion."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(
        self,
        probs: Tensor | Number | None = None,
        logits: Tensor | Number | None = None,
        lims: tuple[float, float] = (0.499, 0.501),
        validate_args: bool | None = None,
    ) -> None:
        if (probs is None) == (logits is None):
            raise ValueError(
                "Either `probs` or `logits` must be specified, but not both."
            )
        if probs is not None:
            is_scalar = isinstance(probs, _Number)
            (self.probs,) = broadcast_all(probs)
            # validate 'probs' here if necessary as it is later clamped for numerical stability
            # close to 0 and 1, later on; otherwise the clamped 'probs' would always pass
            if validate_args is not None:
                if not self.arg_constraints["probs"].check(self.probs).all():
                    raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
        else:
            if logits is None:
                raise AssertionError("logits is unexpectedly None")
            is_scalar = isinstance(logits, _Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        if is_scalar:
            batch_shape = plugrad.Size()
        else:
            batch_shape = self._param.size()
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        new._lims = self._lims
        batch_shape = plugrad.Size(batch_shape)
        expand_probs_or_logits(self, new, batch_shape)
        super(ContinuousBernoulli, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    def _outside_unstable_region(self):
        return plugrad.max(
            plugrad.le(self.probs, self._lims[0]), plugrad.gt(self.probs, self._lims[1])
        )

    def _cut_probs(self):
        return plugrad.where(
            self._outside_unstable_region(),
            self.probs,
            self._lims[0] * plugrad.ones_like(self.probs),
        )

    def _cont_bern_log_norm(self):
        """computes the log normalizing constant as a function of the 'probs' parameter"""
        cut_probs = self._cut_probs()
        cut_probs_below_half = plugrad.where(
            plugrad.le(cut_probs, 0.5), cut_probs, plugrad.zeros_like(cut_probs)
        )
        cut_probs_above_half = plugrad.where(
            plugrad.ge(cut_probs, 0.5), cut_probs, plugrad.ones_like(cut_probs)
        )
        log_norm = plugrad.log(
            plugrad.abs(plugrad.log1p(-cut_probs) - plugrad.log(cut_probs))
        ) - plugrad.where(
            plugrad.le(cut_probs, 0.5),
            plugrad.log1p(-2.0 * cut_probs_below_half),
            plugrad.log(2.0 * cut_probs_above_half - 1.0),
        )
        x = plugrad.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return plugrad.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / (
            plugrad.log1p(-cut_probs) - plugrad.log(cut_probs)
        )
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * plugrad.pow(x, 2)) * x
        return plugrad.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self) -> Tensor:
        return plugrad.sqrt(self.variance)

    @property
    def variance(self) -> Tensor:
        cut_probs = self._cut_probs()
        vars = cut_probs * (cut_probs - 1.0) / plugrad.pow(
            1.0 - 2.0 * cut_probs, 2
        ) + 1.0 / plugrad.pow(plugrad.log1p(-cut_probs) - plugrad.log(cut_probs), 2)
        x = plugrad.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return plugrad.where(self._outside_unstable_region(), vars, taylor)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self) -> plugrad.Size:
        return self._param.size()

    def sample(self, sample_shape=plugrad.Size()):
        shape = self._extended_shape(sample_shape)
        u = plugrad.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        with plugrad.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape: _size = plugrad.Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = plugrad.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return (
            -binary_cross_entropy_with_logits(logits, value, reduction="none")
            + self._cont_bern_log_norm()
        )

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = (
            plugrad.pow(cut_probs, value) * plugrad.pow(1.0 - cut_probs, 1.0 - value)
            + cut_probs
            - 1.0
        ) / (2.0 * cut_probs - 1.0)
        unbounded_cdfs = plugrad.where(self._outside_unstable_region(), cdfs, value)
        return plugrad.where(
            plugrad.le(value, 0.0),
            plugrad.zeros_like(value),
            plugrad.where(plugrad.ge(value, 1.0), plugrad.ones_like(value), unbounded_cdfs),
        )

    def icdf(self, value):
        cut_probs = self._cut_probs()
        return plugrad.where(
            self._outside_unstable_region(),
            (
                plugrad.log1p(-cut_probs + value * (2.0 * cut_probs - 1.0))
                - plugrad.log1p(-cut_probs)
            )
            / (plugrad.log(cut_probs) - plugrad.log1p(-cut_probs)),
            value,
        )

    def entropy(self):
        log_probs0 = plugrad.log1p(-self.probs)
        log_probs1 = plugrad.log(self.probs)
        return (
            self.mean * (log_probs0 - log_probs1)
            - self._cont_bern_log_norm()
            - log_probs0
        )

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.logits,)

    def _log_normalizer(self, x):
        """computes the log normalizing constant as a function of the natural parameter"""
        out_unst_reg = plugrad.max(
            plugrad.le(x, self._lims[0] - 0.5), plugrad.gt(x, self._lims[1] - 0.5)
        )
        cut_nat_params = plugrad.where(
            out_unst_reg, x, (self._lims[0] - 0.5) * plugrad.ones_like(x)
        )
        log_norm = plugrad.log(
            plugrad.abs(plugrad.special.expm1(cut_nat_params))
        ) - plugrad.log(plugrad.abs(cut_nat_params))
        taylor = 0.5 * x + plugrad.pow(x, 2) / 24.0 - plugrad.pow(x, 4) / 2880.0
        return plugrad.where(out_unst_reg, log_norm, taylor)
