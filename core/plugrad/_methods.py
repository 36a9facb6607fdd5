"""Tensor methods and Python operators, bound to the op functions."""

from __future__ import annotations

import inspect
from typing import Any

from . import factories, ops
from .ops import __all__ as _op_names
from .ops._numpy_names import accepts_numpy_names, with_numpy_names
from .tensor import Tensor

# Methods that are the op function itself: x.exp() is exp(x).
for _name in _op_names:
    if _name not in ("zeros_like", "ones_like", "full_like", "where", "lu_unpack") and not hasattr(Tensor, _name):
        setattr(Tensor, _name, getattr(ops, _name))


def _where_method(self: Any, condition: Any, other: Any) -> Any:
    return ops.where(condition, self, other)


def _binary(fn: Any, reflected: bool = False) -> Any:
    if reflected:
        def op(self: Any, other: Any) -> Any:
            return fn(other, self)
    else:
        def op(self: Any, other: Any) -> Any:
            return fn(self, other)
    op.__name__ = fn.__name__
    return op


# Note: operators whose op takes (self, other) in that order are the op functions themselves (one call
# less per operator); add and mul also serve the reflected form, as `2 + x` is `add(x, 2)` (the op keeps the
# tensor first anyway, so the recorded node is the same).
_OPERATORS = {
    "__add__": ops.add, "__radd__": ops.add,
    "__sub__": ops.sub, "__rsub__": _binary(ops.sub, True),
    "__mul__": ops.mul, "__rmul__": ops.mul,
    "__truediv__": ops.div, "__rtruediv__": _binary(ops.div, True),
    "__floordiv__": ops.floor_divide, "__rfloordiv__": _binary(ops.floor_divide, True),
    "__pow__": ops.pow, "__rpow__": _binary(ops.pow, True),
    "__neg__": ops.neg, "__pos__": lambda self: self,
    "__eq__": ops.eq, "__ne__": ops.ne,
    "__lt__": ops.lt, "__le__": ops.le,
    "__gt__": ops.gt, "__ge__": ops.ge,
    "where": _where_method,
}
# Each op family may add methods whose signature differs from its functions (x.T, x.view(2, 3), x[0]).
for _family in ops.FAMILIES:
    _OPERATORS.update(getattr(_family, "TENSOR_METHODS", {}))
from .factories import TENSOR_RANDOM_METHODS as _RANDOM_METHODS  # noqa: E402

_OPERATORS.update(_RANDOM_METHODS)
_OPERATORS["bernoulli"] = lambda self, p=None, *, generator=None: factories.bernoulli(self, p, generator=generator)
_OPERATORS["multinomial"] = lambda self, num_samples, replacement=False, *, generator=None: factories.multinomial(
    self, num_samples, replacement, generator=generator)
for _name, _fn in _OPERATORS.items():
    setattr(Tensor, _name, _fn)
# Note: every method with a `dim` parameter also takes NumPy's `axis=` (and `keepdims=`), as in PyTorch.
for _name, _fn in list(vars(Tensor).items()):
    if not _name.startswith("__") and inspect.isfunction(_fn) and accepts_numpy_names(_fn):
        setattr(Tensor, _name, with_numpy_names(_fn))
Tensor.__hash__ = object.__hash__  # type: ignore[method-assign]

from . import _tensor_extras  # noqa: E402

for _name, _fn in _tensor_extras.METHODS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
for _name, _fn in _tensor_extras.PROPERTIES.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, property(_fn))
