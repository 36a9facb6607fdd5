"""Standard Gamma draws and their reparameterized gradient, written with plugrad ops so they run on every
backend.

Draws: Marsaglia and Tsang's squeeze-rejection method (as PyTorch's CPU sampler uses), vectorized: every
element still rejected draws a fresh normal and uniform until all are accepted; concentrations below 1 are
boosted by ``Gamma(a) = Gamma(a + 1) * U ** (1 / a)``. PyTorch draws per element in C++, so the numbers
differ from PyTorch's; their distribution is the same.

Gradient: ``dx/dalpha = -(dF(x; alpha)/dalpha) / f(x; alpha)`` for the Gamma CDF F and density f, by the
approximations PyTorch's ``_standard_gamma_grad`` uses: a series for small x, Rice's saddle-point expansion
for large alpha, and a bivariate rational fit elsewhere.
"""

from __future__ import annotations

import math
from typing import Any

import plugrad
from plugrad import Tensor
from plugrad.autograd import Function


def sample_standard_gamma(alpha: Tensor) -> Tensor:
    """One Gamma(alpha, 1) draw per element of ``alpha`` (detached), in ``alpha``'s dtype."""
    with plugrad.no_grad():
        a = alpha.detach().to(plugrad.float64)
        shape, device = tuple(a.shape), a.device
        small = a < 1
        a1 = plugrad.where(small, a + 1, a)
        d = a1 - 1.0 / 3.0
        c = 1.0 / plugrad.sqrt(9.0 * d)
        result = plugrad.zeros(shape, dtype=plugrad.float64, device=device)
        pending = a > 0  # a concentration of 0 gives 0 (clamped to the smallest normal below)
        while bool(pending.any()):
            x = plugrad.randn(shape, dtype=plugrad.float64, device=device)
            u = plugrad.rand(shape, dtype=plugrad.float64, device=device)
            v = (1 + c * x) ** 3
            v_pos = v.clamp(min=plugrad.finfo(plugrad.float64).tiny)
            ok = (v > 0) & (u.log() < 0.5 * x * x + d - d * v_pos + d * v_pos.log())
            result = plugrad.where(pending & ok, d * v_pos, result)
            pending = pending & ~ok
        if bool(small.any()):
            u = plugrad.rand(shape, dtype=plugrad.float64, device=device)
            boost = u.pow(1.0 / plugrad.where(small, a, plugrad.ones_like(a)))
            result = plugrad.where(small, result * boost, result)
        out = result.to(alpha.dtype)
        return out.clamp(min=plugrad.finfo(alpha.dtype).tiny)


_COEF_UV = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
    (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
    (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326, 0.00085092367,
     -1.5247877e-07),
)


def standard_gamma_grad(alpha: Tensor, x: Tensor) -> Tensor:
    """``dx/dalpha`` at a Gamma(alpha, 1) draw ``x`` (elementwise, computed in float64, ``x``'s dtype out)."""
    with plugrad.no_grad():
        a = alpha.detach().to(plugrad.float64)
        z = x.detach().to(plugrad.float64)
        a, z = plugrad.broadcast_tensors(a, z)
        one = plugrad.ones_like(a)
        # Series for small x: F = x^a * sum_k (-x)^k / (k! (a + k)).
        use_series = z < 0.8
        zs = plugrad.where(use_series, z, 0.5 * one)
        numer, denom = one, a
        series1, series2 = numer / denom, numer / (denom * denom)
        for i in range(1, 6):
            numer = numer * (-zs / i)
            denom = denom + 1
            series1 = series1 + numer / denom
            series2 = series2 + numer / (denom * denom)
        pow_x_alpha = zs.pow(a)
        gamma_pdf = zs.pow(a - 1) * (-zs).exp()
        gamma_cdf = pow_x_alpha * series1
        gamma_cdf_alpha = (zs.log() - plugrad.digamma(a)) * gamma_cdf - pow_x_alpha * series2
        # Note: where both underflow to 0 PyTorch's 0/0 gives NaN, which it returns as 0
        underflow = gamma_pdf == 0
        small = -gamma_cdf_alpha / plugrad.where(underflow, one, gamma_pdf)
        overflow = plugrad.where(gamma_cdf_alpha > 0, -math.inf * one, math.inf * one)
        small = plugrad.where(underflow, plugrad.where(gamma_cdf_alpha == 0, 0 * one, overflow), small)
        small = plugrad.where(small.isnan(), plugrad.zeros_like(small), small)
        # Rice saddle-point expansion for large alpha.
        use_rice = ~use_series & (a > 8.0)
        ar = plugrad.where(use_rice, a, 10.0 * one)
        zr = plugrad.where(use_rice, z, 5.0 * one)
        near = (0.9 * ar <= zr) & (zr <= 1.1 * ar)
        numer_1 = 1 + 24 * ar * (1 + 12 * ar)
        numer_2 = 1440 * (ar * ar) + 6 * zr * (53 - 120 * zr) - 65 * zr * zr / ar + ar * (107 + 3600 * zr)
        rice_near = numer_1 * numer_2 / (1244160 * (ar * ar) * (ar * ar))
        zf = plugrad.where(near, 0.5 * ar, zr)  # away from the singularity at x = alpha
        sq = plugrad.sqrt(8 * ar)
        term2 = sq / (ar - zf)
        term3 = (zf - ar - ar * (zf / ar).log()).pow(-1.5)
        term23 = plugrad.where(zf < ar, term2 - term3, term2 + term3)
        term1 = (zf / ar).log() * term23 - plugrad.sqrt(2 / ar) * (ar + zf) / ((ar - zf) * (ar - zf))
        stirling = 1 + 1 / (12 * ar) * (1 + 1 / (24 * ar))
        rice_far = -stirling * (zf * term1) / sq
        rice = plugrad.where(near, rice_near, rice_far)
        # Bivariate rational approximation elsewhere.
        zm = plugrad.where(use_series, one, z)
        u = (zm / a).log()
        v = a.log()
        coef = [_COEF_UV[0][i] + u * (_COEF_UV[1][i] + u * _COEF_UV[2][i]) for i in range(8)]
        p = coef[0] + v * (coef[1] + v * (coef[2] + v * coef[3]))
        q = coef[4] + v * (coef[5] + v * (coef[6] + v * coef[7]))
        rational = (p / q).exp()
        grad = plugrad.where(use_series, small, plugrad.where(use_rice, rice, rational))
        return grad.to(x.dtype)


class _StandardGamma(Function):
    """A Gamma(alpha, 1) draw whose gradient with respect to alpha is the implicit reparameterization one."""

    @staticmethod
    def forward(ctx: Any, alpha: Tensor) -> Tensor:
        x = sample_standard_gamma(alpha)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> Tensor:
        alpha, x = ctx.saved_tensors
        return grad_output * standard_gamma_grad(alpha, x)


def standard_gamma(alpha: Tensor) -> Tensor:
    """Gamma(alpha, 1) draws, differentiable with respect to ``alpha`` (PyTorch's ``torch._standard_gamma``)."""
    return _StandardGamma.apply(alpha)
