"""RelaxedBernoulli and RelaxedOneHotCategorical (with LogitRelaxedBernoulli and ExpRelaxedCategorical): closed
forms of their densities and samples, and PyTorch's samples, densities and gradients after the same seed."""

from __future__ import annotations

import math

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad import distributions as D
from plugrad.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
from plugrad.distributions.relaxed_categorical import ExpRelaxedCategorical


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def _f64(values, requires_grad=False):
    return plugrad.tensor(values, dtype=plugrad.float64, requires_grad=requires_grad)


def test_logit_relaxed_bernoulli_density_closed_form():
    temperature, logit = 0.5, 0.3
    d = LogitRelaxedBernoulli(_f64(temperature), logits=_f64([logit]))
    y = 0.8
    diff = logit - temperature * y
    expected = math.log(temperature) + diff - 2 * math.log1p(math.exp(diff))
    assert d.log_prob(_f64([y])).item() == pytest.approx(expected, rel=1e-12)
    assert float(d.probs.item()) == pytest.approx(1 / (1 + math.exp(-logit)))


def test_relaxed_bernoulli_samples_lie_in_the_unit_interval_and_tend_to_bernoulli():
    plugrad.manual_seed(0)
    cold = D.RelaxedBernoulli(_f64(0.01), probs=_f64([0.3] * 2000))
    s = to_numpy(cold.rsample())
    assert ((s > 0) & (s < 1)).all() and D.RelaxedBernoulli.has_rsample
    assert np.mean(s > 0.5) == pytest.approx(0.3, abs=0.04)
    assert np.mean((s < 0.01) | (s > 0.99)) > 0.9
    assert tuple(cold.expand((3, 2000)).batch_shape) == (3, 2000)
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.RelaxedBernoulli(_f64(1.0))


def test_relaxed_one_hot_samples_lie_on_the_simplex_and_the_density_integrates_the_log_space_one():
    plugrad.manual_seed(1)
    d = D.RelaxedOneHotCategorical(_f64(0.7), logits=_f64([[0.1, 0.5, -0.3], [1.0, 0.0, -1.0]]))
    s = d.rsample((4,))
    assert tuple(s.shape) == (4, 2, 3) and tuple(d.event_shape) == (3,)
    np.testing.assert_allclose(to_numpy(s.sum(-1)), np.ones((4, 2)), rtol=1e-12)
    base = ExpRelaxedCategorical(_f64(0.7), logits=d.logits)
    # the change of variables y = exp(x) subtracts sum(x) from the log-space density
    np.testing.assert_allclose(to_numpy(d.log_prob(s)), to_numpy(base.log_prob(s.log()) - s.log().sum(-1)),
                               rtol=1e-12)


def test_relaxed_distributions_match_torch(torch):
    out = []
    for lib in (torch, plugrad):
        lib.manual_seed(3)
        temp = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        probs = lib.tensor([0.2, 0.7], dtype=lib.float64, requires_grad=True)
        rb = lib.distributions.RelaxedBernoulli(temp, probs=probs)
        s1 = rb.rsample((3,))
        lrb = lib.distributions.relaxed_bernoulli.LogitRelaxedBernoulli(temp, logits=lib.tensor([0.3, -1.0],
                                                                                                dtype=lib.float64))
        s2 = lrb.sample((2,))
        logits = lib.tensor([[0.1, 0.5, -0.3], [1.0, 0.0, -1.0]], dtype=lib.float64, requires_grad=True)
        rc = lib.distributions.RelaxedOneHotCategorical(lib.tensor(0.7, dtype=lib.float64), logits=logits)
        s3 = rc.rsample((4,))
        ec = lib.distributions.relaxed_categorical.ExpRelaxedCategorical(
            lib.tensor(0.7, dtype=lib.float64), probs=lib.tensor([0.2, 0.3, 0.5], dtype=lib.float64))
        s4 = ec.rsample()
        lps = [rb.log_prob(s1), lrb.log_prob(s2), rc.log_prob(s3), ec.log_prob(s4)]
        (s1.sum() + lps[0].sum() + s3.sum() + lps[2].sum()).backward()
        out.append([s1, s2, s3, s4, *lps, temp.grad, probs.grad, logits.grad])
        out[-1].append(repr(lrb))
    for got, expected in zip(out[1][:-1], out[0][:-1]):
        np.testing.assert_allclose(to_numpy(got), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert out[1][-1] == out[0][-1]
