"""``plugrad.special``: PyTorch's ``torch.special`` namespace, names for functions that live in plugrad's ops."""

from __future__ import annotations

import math
from typing import Any

from .ops import digamma, erf, erfc, erfinv, exp2, expm1, i0, lgamma, log1p, logit, logsumexp, mvlgamma, polygamma, sigmoid, sinc, xlogy
from .ops import round as _round
from .ops.bessel import (
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    special_i0e,
    special_i1e,
    spherical_bessel_j0,
)
from .ops.orthogonal_polynomials import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from .ops.special import entr, special_i1
from .ops.special_functions import erfcx, gammainc, gammaincc, log_ndtr, ndtri, xlog1py, zeta

_SQRT_HALF = math.sqrt(0.5)

expit = sigmoid
gammaln = lgamma
psi = digamma
multigammaln = mvlgamma
i1 = special_i1
i0e = special_i0e
i1e = special_i1e
round = _round  # noqa: A001 - PyTorch's name


def ndtr(input: Any) -> Any:  # noqa: A002
    """The standard normal distribution function, ``(1 + erf(x / sqrt(2))) / 2`` (via erfc: exact in the tail)."""
    return erfc(input * -_SQRT_HALF) * 0.5


def softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """``exp(x) / exp(x).sum(dim)`` (``dim`` is required here, as in ``torch.special.softmax``)."""
    from .nn.functional import softmax as _softmax

    return _softmax(input, dim, dtype=dtype)


def log_softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """``log(softmax(x, dim))`` computed stably."""
    from .nn.functional import log_softmax as _log_softmax

    return _log_softmax(input, dim, dtype=dtype)


__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "i0e", "i1e", "modified_bessel_i0",
    "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1", "spherical_bessel_j0",
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc",
    "gammaln", "i0", "i1", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
    "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta",
]
