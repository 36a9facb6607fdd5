"""plugrad.distributions: values, gradients, samples and errors, against closed forms and against PyTorch."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import plugrad
import pytest
from _devices import to_numpy

D = plugrad.distributions


def f64(values):
    return plugrad.tensor(values, dtype=plugrad.float64)


def test_distributions_load_lazily():
    code = "import sys, plugrad; assert 'plugrad.distributions' not in sys.modules; plugrad.distributions.Normal"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_normal_closed_forms_and_gradient():
    loc = f64([0.3, -1.0]).requires_grad_()
    scale = f64([1.5, 0.4]).requires_grad_()
    d = D.Normal(loc, scale)
    x = f64([0.2, 1.0])
    z = (to_numpy(x) - [0.3, -1.0]) / np.array([1.5, 0.4])
    want = -0.5 * z**2 - np.log([1.5, 0.4]) - 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(to_numpy(d.log_prob(x)), want, rtol=1e-13)
    np.testing.assert_allclose(to_numpy(d.entropy()), 0.5 + 0.5 * math.log(2 * math.pi) + np.log([1.5, 0.4]))
    near = f64([0.2, -0.5])  # within a few scales of loc, where the erf round trip is well conditioned
    np.testing.assert_allclose(to_numpy(d.icdf(d.cdf(near))), to_numpy(near), rtol=1e-12)
    d.log_prob(x).sum().backward()
    np.testing.assert_allclose(to_numpy(loc.grad), z / np.array([1.5, 0.4]), rtol=1e-13)
    np.testing.assert_allclose(to_numpy(scale.grad), (z**2 - 1) / np.array([1.5, 0.4]), rtol=1e-13)
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(D.Normal(f64([0.0, 1.0]), 1.0)) == "Normal(loc: torch.Size([2]), scale: torch.Size([2]))"


def test_shapes_expand_and_independent():
    d = D.Normal(plugrad.zeros(3, 2), 1.0)
    assert d.batch_shape == (3, 2) and d.event_shape == ()
    assert d.sample((4,)).shape == (4, 3, 2)
    assert d.expand((5, 3, 2)).sample().shape == (5, 3, 2)
    ind = D.Independent(d, 1)
    assert ind.batch_shape == (3,) and ind.event_shape == (2,)
    assert ind.log_prob(plugrad.zeros(3, 2)).shape == (3,)
    mvn = D.MultivariateNormal(plugrad.zeros(2), scale_tril=plugrad.eye(2).expand(4, 2, 2))
    assert mvn.batch_shape == (4,) and mvn.event_shape == (2,) and mvn.rsample((3,)).shape == (3, 4, 2)


def test_validation_errors():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(2,\)\) of distribution "
                                         r"Normal\(loc: torch.Size\(\[2\]\), scale: torch.Size\(\[2\]\)\) to satisfy "
                                         r"the constraint GreaterThan\(lower_bound=0.0\), but found invalid values"):
        D.Normal(plugrad.zeros(2), plugrad.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"Expected value argument .* to be within the support \(GreaterThanEq"):
        D.Exponential(plugrad.tensor(1.0)).log_prob(plugrad.tensor(-1.0))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.Bernoulli()
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        D.Dirichlet(plugrad.ones(3)).log_prob(plugrad.ones(2) / 2)
    D.Normal(0.0, -1.0, validate_args=False)  # no check when asked not to
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")  # type: ignore[arg-type]


def test_kl_normal_normal_closed_form_and_unregistered_pair():
    p, q = D.Normal(f64(0.5), f64(2.0)), D.Normal(f64(-1.0), f64(0.5))
    want = math.log(0.5 / 2.0) + (2.0**2 + 1.5**2) / (2 * 0.5**2) - 0.5
    np.testing.assert_allclose(to_numpy(D.kl_divergence(p, q)), want, rtol=1e-13)
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Laplace and q "
                                                  "type Poisson"):
        D.kl_divergence(D.Laplace(f64(0.0), f64(1.0)), D.Poisson(f64(1.0)))
    with pytest.raises(NotImplementedError, match="cross KL-divergence between different exponential families"):
        D.kl_divergence(D.Poisson(f64(1.0)), q)


def test_gamma_samples_have_the_gamma_distribution():
    plugrad.manual_seed(0)
    conc = f64([0.3, 1.0, 4.5, 20.0])
    x = to_numpy(D.Gamma(conc, f64(2.0)).sample((20000,)))
    mean, var = conc.tolist(), [c / 4 for c in conc.tolist()]
    np.testing.assert_allclose(x.mean(0), np.array(mean) / 2, rtol=0.05)
    np.testing.assert_allclose(x.var(0), var, rtol=0.1)
    assert (x > 0).all()
    # Dirichlet and Beta draws sit on the simplex with the right means
    dir_draws = to_numpy(D.Dirichlet(f64([0.5, 1.0, 2.5])).sample((20000,)))
    np.testing.assert_allclose(dir_draws.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(dir_draws.mean(0), np.array([0.5, 1.0, 2.5]) / 4, atol=0.01)
    np.testing.assert_allclose(to_numpy(D.Beta(f64(2.0), f64(3.0)).sample((20000,))).mean(), 0.4, atol=0.01)


def test_gamma_rsample_gradient_is_the_implicit_reparameterization():
    # For Gamma(a, 1), E[dx/da] = dE[x]/da = 1; and for x at the median, dx/da = -(dF/da) / f, checked by
    # finite differences of a numerically integrated CDF.
    plugrad.manual_seed(1)
    a = f64([0.5, 3.0, 12.0]).requires_grad_()
    x = D.Gamma(a, f64(1.0)).rsample((4000,))
    x.sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad) / 4000, 1.0, rtol=0.05)

    from plugrad.distributions._gamma_sampling import standard_gamma_grad

    def cdf(x0, alpha):
        t = np.linspace(0.0, x0, 200001)[1:]
        dens = np.exp((alpha - 1) * np.log(t) - t - math.lgamma(alpha))
        return np.trapezoid(dens, t) if hasattr(np, "trapezoid") else np.trapz(dens, t)

    for alpha, x0 in [(2.0, 0.5), (3.0, 2.7), (5.0, 4.0), (10.0, 9.5), (15.0, 12.0)]:
        h = 1e-4
        dfda = (cdf(x0, alpha + h) - cdf(x0, alpha - h)) / (2 * h)
        dens = math.exp((alpha - 1) * math.log(x0) - x0 - math.lgamma(alpha))
        got = float(standard_gamma_grad(f64(alpha), f64(x0)))
        np.testing.assert_allclose(got, -dfda / dens, rtol=2e-3)


def test_transformed_distribution_change_of_variables():
    base = D.Normal(f64(0.2), f64(0.7))
    d = D.TransformedDistribution(base, [D.AffineTransform(1.0, 2.0), D.ExpTransform()])
    y = f64(3.0)
    x = (math.log(3.0) - 1.0) / 2.0
    want = float(base.log_prob(f64(x))) - math.log(2.0) - math.log(3.0)
    np.testing.assert_allclose(float(d.log_prob(y)), want, rtol=1e-13)
    ln = D.LogNormal(f64(0.2), f64(0.7))
    np.testing.assert_allclose(float(ln.mean), math.exp(0.2 + 0.49 / 2), rtol=1e-13)
    t = D.TanhTransform()
    np.testing.assert_allclose(float(t.inv(t(f64(0.3)))), 0.3, rtol=1e-12)


# --- differential tests against PyTorch ------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")


CASES = {
    "Normal": (lambda m, X: m.Normal(X([0.3, -1.0]), X([1.5, 0.4])), [0.2, 1.0]),
    "Uniform": (lambda m, X: m.Uniform(X([0.0, -1.0]), X([2.0, 3.0])), [0.5, 0.1]),
    "Laplace": (lambda m, X: m.Laplace(X([0.3, -1.0]), X([1.5, 0.4])), [0.2, 1.0]),
    "Exponential": (lambda m, X: m.Exponential(X([0.3, 2.0])), [0.2, 1.0]),
    "Gamma": (lambda m, X: m.Gamma(X([0.3, 2.0]), X([1.5, 0.7])), [0.2, 1.0]),
    "Beta": (lambda m, X: m.Beta(X([0.3, 2.0]), X([1.5, 0.7])), [0.2, 0.6]),
    "Dirichlet": (lambda m, X: m.Dirichlet(X([[0.3, 2.0, 1.0]])), [[0.2, 0.5, 0.3]]),
    "Poisson": (lambda m, X: m.Poisson(X([0.3, 4.0])), [0.0, 3.0]),
    "Bernoulli": (lambda m, X: m.Bernoulli(X([0.3, 0.8])), [0.0, 1.0]),
    "BernoulliLogits": (lambda m, X: m.Bernoulli(logits=X([0.3, -2.0])), [0.0, 1.0]),
    "Binomial": (lambda m, X: m.Binomial(5, X([0.3, 0.8])), [2.0, 5.0]),
    "Categorical": (lambda m, X: m.Categorical(X([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])), [2.0, 0.0]),
    "OneHotCategorical": (lambda m, X: m.OneHotCategorical(logits=X([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])),
                          [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]),
    "MVNCovariance": (lambda m, X: m.MultivariateNormal(X([0.1, 0.2]), covariance_matrix=X([[2.0, 0.3], [0.3, 1.0]])),
                      [0.5, -0.2]),
    "MVNPrecision": (lambda m, X: m.MultivariateNormal(X([0.1, 0.2]), precision_matrix=X([[2.0, 0.3], [0.3, 1.0]])),
                     [0.5, -0.2]),
    "MVNScaleTril": (lambda m, X: m.MultivariateNormal(X([[0.1, 0.2]]), scale_tril=X([[2.0, 0.0], [0.3, 1.0]])),
                     [[0.5, -0.2], [1.0, 1.0]]),
    "LogNormal": (lambda m, X: m.LogNormal(X([0.3, -1.0]), X([1.5, 0.4])), [0.2, 1.0]),
    "Independent": (lambda m, X: m.Independent(m.Normal(X([[0.3, -1.0]]), X([[1.5, 0.4]])), 1), [[0.2, 1.0]]),
    "AffineTanh": (lambda m, X: m.TransformedDistribution(m.Normal(X([0.3, -1.0]), X([1.5, 0.4])),
                                                          [m.AffineTransform(0.5, 2.0), m.TanhTransform()]),
                   [0.2, -0.7]),
    "Sigmoid": (lambda m, X: m.TransformedDistribution(m.Normal(X([0.3, -1.0]), X([1.5, 0.4])),
                                                       [m.SigmoidTransform()]), [0.2, 0.7]),
}
# Gradients through digamma's derivative: PyTorch's trigamma is a truncated series good to about 5e-10
# relative (trigamma(2) is off pi**2 / 6 - 1 by 2.4e-10), plugrad's is exact to rounding, so these compare
# to that accuracy.
TRIGAMMA_RTOL = TRIGAMMA_ATOL = 1e-9
THROUGH_TRIGAMMA = {"Gamma", "Beta", "Dirichlet", ("Beta", "Gamma")}
SAME_SAMPLES = {"Normal", "Uniform", "Laplace", "Exponential", "Bernoulli", "BernoulliLogits", "Categorical",
                "OneHotCategorical", "MVNCovariance", "MVNPrecision", "MVNScaleTril", "LogNormal", "Independent",
                "AffineTanh", "Sigmoid", "Poisson"}


def _params(torch):
    made = {}

    def tx(values):
        t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        made.setdefault("torch", []).append(t)
        return t

    def px(values):
        t = plugrad.tensor(values, dtype=plugrad.float64, requires_grad=True)
        made.setdefault("plugrad", []).append(t)
        return t

    return made, tx, px


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch_values_gradients_and_samples(name):
    torch = _torch()
    import torch.distributions as TD

    make, value = CASES[name]
    made, tx, px = _params(torch)
    dt, dp = make(TD, tx), make(D, px)
    assert repr(dp) == repr(dt)
    assert tuple(dp.batch_shape) == tuple(dt.batch_shape) and tuple(dp.event_shape) == tuple(dt.event_shape)
    for attr in ("mean", "variance", "stddev", "mode"):
        try:
            want = getattr(dt, attr).detach().numpy()
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                getattr(dp, attr)
            continue
        np.testing.assert_allclose(to_numpy(getattr(dp, attr).detach()), want, rtol=1e-12, atol=1e-14, err_msg=attr)
    vt = torch.tensor(value, dtype=torch.float64)
    vp = plugrad.tensor(value, dtype=plugrad.float64)
    lt, lp = dt.log_prob(vt), dp.log_prob(vp)
    np.testing.assert_allclose(to_numpy(lp.detach()), lt.detach().numpy(), rtol=1e-11, atol=1e-13)
    try:
        et = dt.entropy()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            dp.entropy()
        et, ep = lt * 0, lp * 0
    else:
        ep = dp.entropy()
        np.testing.assert_allclose(to_numpy(ep.detach()), et.detach().numpy(), rtol=1e-11, atol=1e-13)
    (lt.sum() + et.sum()).backward()
    (lp.sum() + ep.sum()).backward()
    rtol = TRIGAMMA_RTOL if name in THROUGH_TRIGAMMA else 1e-10
    for a, b in zip(made["torch"], made["plugrad"]):
        atol = TRIGAMMA_ATOL if name in THROUGH_TRIGAMMA else 1e-12
        np.testing.assert_allclose(to_numpy(b.grad), a.grad.numpy(), rtol=rtol, atol=atol)
    if hasattr(type(dt), "cdf") and type(dt).cdf is not TD.Distribution.cdf and name != "Gamma":
        np.testing.assert_allclose(to_numpy(dp.cdf(vp).detach()), dt.cdf(vt).detach().numpy(), rtol=1e-11)
    if name in SAME_SAMPLES:
        for shape in ((), (3,), (20, 2)):
            torch.manual_seed(7)
            plugrad.manual_seed(7)
            st, sp = dt.sample(shape), dp.sample(shape)
            np.testing.assert_allclose(to_numpy(sp), st.numpy(), rtol=1e-12, atol=1e-15)
            if dt.has_rsample:
                np.testing.assert_allclose(to_numpy(dp.rsample(shape).detach()), dt.rsample(shape).detach().numpy(),
                                           rtol=1e-12, atol=1e-15)
    else:
        assert tuple(dp.sample((3,)).shape) == tuple(dt.sample((3,)).shape)


KL_PAIRS = [("Normal", "Normal"), ("Normal", "Laplace"), ("Laplace", "Laplace"), ("Exponential", "Exponential"),
            ("Gamma", "Gamma"), ("Beta", "Beta"), ("Dirichlet", "Dirichlet"), ("Poisson", "Poisson"),
            ("Bernoulli", "Bernoulli"), ("Binomial", "Binomial"), ("Categorical", "Categorical"),
            ("OneHotCategorical", "OneHotCategorical"), ("MVNCovariance", "MVNScaleTril"), ("Uniform", "Normal"),
            ("Gamma", "Normal"), ("Beta", "Gamma"), ("Exponential", "Gamma"), ("Independent", "Independent"),
            ("LogNormal", "LogNormal"), ("Normal", "Exponential"), ("Bernoulli", "Poisson")]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=["-".join(p) for p in KL_PAIRS])
def test_against_torch_kl_divergence(pair):
    torch = _torch()
    import torch.distributions as TD

    made, tx, px = _params(torch)
    p_t, q_t = (CASES[n][0](TD, tx) for n in pair)
    p_p, q_p = (CASES[n][0](D, px) for n in pair)
    kt, kp = TD.kl_divergence(p_t, q_t), D.kl_divergence(p_p, q_p)
    np.testing.assert_allclose(to_numpy(kp.detach()), kt.detach().numpy(), rtol=1e-11, atol=1e-13)
    if kt.requires_grad:
        kt.sum().backward()
        kp.sum().backward()
        rtol = TRIGAMMA_RTOL if pair in THROUGH_TRIGAMMA else 1e-10
        for a, b in zip(made["torch"], made["plugrad"]):
            if a.grad is not None:
                atol = TRIGAMMA_ATOL if pair in THROUGH_TRIGAMMA else 1e-12
                np.testing.assert_allclose(to_numpy(b.grad), a.grad.numpy(), rtol=rtol, atol=atol)


def test_against_torch_gamma_rsample_gradient_formula():
    torch = _torch()
    from plugrad.distributions._gamma_sampling import standard_gamma_grad

    alpha = np.array([0.05, 0.3, 0.9, 1.5, 3.0, 7.9, 8.5, 20.0, 50.0, 200.0])
    for x in (0.01, 0.3, 0.79, 0.81, 2.0, 9.0, 18.0, 45.0, 190.0, 230.0):
        want = torch._standard_gamma_grad(torch.tensor(alpha), torch.full((alpha.size,), x, dtype=torch.float64))
        got = standard_gamma_grad(f64(alpha.tolist()), f64([x] * alpha.size))
        np.testing.assert_allclose(to_numpy(got), want.numpy(), rtol=1e-12)


def test_against_torch_multinomial_and_exponential_draws():
    torch = _torch()
    for replacement, n in ((False, 1), (False, 3), (True, 1), (True, 7)):
        torch.manual_seed(5)
        plugrad.manual_seed(5)
        w_t, w_p = torch.rand(4, 6), plugrad.rand(4, 6)
        np.testing.assert_array_equal(to_numpy(plugrad.multinomial(w_p, n, replacement)),
                                      torch.multinomial(w_t, n, replacement).numpy())
    torch.manual_seed(2)
    plugrad.manual_seed(2)
    np.testing.assert_array_equal(to_numpy(plugrad.empty(40).exponential_(2.5)),
                                  torch.empty(40).exponential_(2.5).numpy())
    with pytest.raises(RuntimeError, match="invalid multinomial distribution \\(sum of probabilities <= 0\\)"):
        plugrad.multinomial(plugrad.zeros(3), 1)
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size\\(-1\\) samples without "
                                           "replacement"):
        plugrad.multinomial(plugrad.ones(2), 3)


def test_gamma_cdf_is_the_regularized_incomplete_gamma() -> None:
    g = plugrad.distributions.Gamma(plugrad.tensor([2.0, 3.5], dtype=plugrad.float64),
                                    plugrad.tensor([1.5, 0.7], dtype=plugrad.float64))
    v = plugrad.tensor([0.8, 4.0], dtype=plugrad.float64, requires_grad=True)
    c = g.cdf(v)
    # shape 2: 1 - exp(-x)(1 + x) at x = 1.2; the density gives the gradient
    np.testing.assert_allclose(to_numpy(c.detach())[0], 1 - np.exp(-1.2) * 2.2, rtol=1e-12)
    c.sum().backward()
    np.testing.assert_allclose(to_numpy(v.grad), to_numpy(g.log_prob(v.detach()).exp()), rtol=1e-10)
