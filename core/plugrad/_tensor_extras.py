"""Tensor methods PyTorch has beyond the op functions: in-place forms of out-of-place ops, the Python-callable
maps (``apply_``, ``map_``, ``map2_``), the legacy ``new`` constructor, aliases and layout predicates.

Bound to :class:`~plugrad.tensor.Tensor` by ``plugrad._methods`` (``METHODS`` and ``PROPERTIES``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from . import dtypes as _dt
from . import ops
from .tensor import Tensor, _wrap


def _in_place(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return self._inplace(fn, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place :func:`{fn.__name__}`."
    return method


def _float_power_(self: Tensor, exponent: Any) -> Tensor:
    """In-place :func:`float_power`: the result is float64 (complex128), so ``self`` must be already."""
    exp_complex = isinstance(exponent, complex) or (isinstance(exponent, Tensor) and exponent.dtype.is_complex)
    target = _dt.complex128 if self.dtype.is_complex or exp_complex else _dt.float64
    if self.dtype is not target:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.legacy[:-len('Tensor')]} but the "
                           f"operation's result requires dtype {target.legacy[:-len('Tensor')]}")
    return self._inplace(ops.float_power, exponent)


# --- maps of a Python callable over the elements (CPU tensors without gradients) -------------------------


def _check_map(self: Tensor, name: str, others: tuple) -> None:
    if self._requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")
    for t in (self, *others):
        if t._backend.device_type != "cpu":
            raise TypeError(f"{name} is only implemented on CPU tensors")


def _write_values(self: Tensor, values: Any) -> Tensor:
    """Write a NumPy array of Python results into ``self``, cast to its dtype as PyTorch casts them."""
    import numpy as np

    native = np.dtype(self.dtype.name) if self.dtype is not _dt.bool_ else np.dtype(bool)
    arr = np.asarray(values, dtype=object).astype(native) if values.size else np.empty(values.shape, native)
    self.copy_(_wrap(self._backend.from_numpy(arr), self._backend))
    return self


def _as_python(t: Tensor) -> Any:
    import numpy as np

    return np.asarray(t._backend.to_numpy(t._data)).astype(object)


def _apply_(self: Tensor, callable: Callable[[Any], Any]) -> Tensor:  # noqa: A002 - PyTorch's name
    """Replace each element ``x`` by ``callable(x)`` (a Python number in, a number out; slow, CPU only)."""
    import numpy as np

    _check_map(self, "apply_", ())
    vals = _as_python(self)
    out = np.empty(vals.shape, dtype=object)
    for i, v in np.ndenumerate(vals):
        out[i] = _number(callable(v))
    return _write_values(self, out)


def _map_(self: Tensor, tensor: Tensor, callable: Callable[[Any, Any], Any]) -> Tensor:  # noqa: A002
    """Replace each element ``a`` by ``callable(a, b)``, ``b`` the matching element of ``tensor`` (broadcast)."""
    return _map_n(self, "map_", (tensor,), callable)


def _map2_(self: Tensor, x: Tensor, y: Tensor, callable: Callable[[Any, Any, Any], Any]) -> Tensor:  # noqa: A002
    """Replace each element ``a`` by ``callable(a, b, c)`` with the matching elements of ``x`` and ``y``."""
    return _map_n(self, "map2_", (x, y), callable)


def _map_n(self: Tensor, name: str, others: tuple, fn: Callable[..., Any]) -> Tensor:
    import numpy as np

    for o in others:
        if not isinstance(o, Tensor):
            raise TypeError(f"{name}(): argument 'tensor' must be Tensor, not {type(o).__name__}")
    _check_map(self, name, others)
    shape = tuple(self._data.shape)
    for o in others:
        if o.dtype is not self.dtype:
            raise TypeError(f"{name}: expected torch.{self.dtype.legacy} for 'other' (got torch.{o.dtype.legacy})")
        ops.expand(o, shape)  # PyTorch's broadcasting errors, in its words
    vals = _as_python(self)
    args = [np.broadcast_to(_as_python(o), shape) for o in others]
    out = np.empty(shape, dtype=object)
    for i, v in np.ndenumerate(vals):
        out[i] = _number(fn(v, *(a[i] for a in args)))
    return _write_values(self, out)


def _number(v: Any) -> Any:
    if isinstance(v, (bool, int, float, complex)):
        return v
    if hasattr(v, "item") and not isinstance(v, Tensor):  # a NumPy scalar
        return v.item()
    raise TypeError(f"must be real number, not {type(v).__name__}")


# --- the legacy constructor ------------------------------------------------------------------------------


def _new(self: Tensor, *args: Any, device: Any = None, **kwargs: Any) -> Tensor:
    """The legacy constructor ``x.new(...)``: this tensor's dtype and device (or ``device``) with no data,
    a size (``x.new(2, 3)``, uninitialized), data (``x.new([1, 2])``, cast to this dtype) or a tensor of
    the same dtype (returned, sharing its memory)."""
    from . import factories

    if kwargs:
        raise TypeError(f"new() got unexpected keyword arguments {sorted(kwargs)}: x.new() takes a size, data or a "
                        "tensor, and device=; use x.new_empty(size, dtype=...) or x.new_tensor(data, dtype=...)")
    target = self._backend if device is None else device
    if not args:
        return factories.empty(0, dtype=self.dtype, device=target)
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other.dtype is not self.dtype:
            raise TypeError(f"new(): expected a tensor of dtype {self.dtype} (got {other.dtype})")
        return _wrap(other._data, other._backend)
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args) or (
            len(args) == 1 and isinstance(args[0], _dt.Size)):
        return factories.empty(*args, dtype=self.dtype, device=target)
    if len(args) == 1:
        return factories.tensor(args[0], dtype=self.dtype, device=target)
    raise TypeError(f"new() received an invalid combination of arguments: {args!r}; expected a size, data or a "
                    "tensor")


# --- aliases and predicates ------------------------------------------------------------------------------


def narrow_copy(input: Any, dim: int, start: int, length: int) -> Any:  # noqa: A002
    """A contiguous copy of ``input.narrow(dim, start, length)``."""
    return ops.clone(ops.narrow(input, dim, start, length))


def _conj_transpose(t: Any, what: str) -> Any:
    n = t._data.ndim
    if n < 2:
        raise RuntimeError(f"tensor.{what} is only supported on matrices or batches of matrices. Got {n}-D tensor.")
    out = ops.transpose(t, -2, -1)
    return ops.conj(out) if t.dtype.is_complex else out


def adjoint(input: Any) -> Any:  # noqa: A002
    """The conjugate transpose of the last two dimensions (a view; the transpose for real tensors)."""
    return _conj_transpose(input, "adjoint()")


def _mH(self: Tensor) -> Any:  # noqa: N802 - PyTorch's name
    return _conj_transpose(self, "mH")


def _H(self: Tensor) -> Any:  # noqa: N802 - PyTorch's name
    n = self._data.ndim
    if n == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, stacklevel=2)
        return ops.conj(self)
    if n != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if n > 2 else ""))
    return _conj_transpose(self, "H")


def _volatile(self: Tensor) -> bool:
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
    return False


def _false(self: Tensor) -> bool:
    return False


METHODS: dict[str, Any] = {
    **{f"{name}_": _in_place(f"{name}_", getattr(ops, name))
       for name in ("tril", "triu", "absolute", "arctan2", "renorm", "addmm")},
    "float_power_": _float_power_,
    "apply_": _apply_,
    "map_": _map_,
    "map2_": _map2_,
    "new": _new,
    "adjoint": adjoint,
    "narrow_copy": narrow_copy,
    "unsafe_chunk": ops.chunk,
    "unsafe_split": ops.split,
    "unsafe_split_with_sizes": ops.split_with_sizes,
    "to_dense": lambda self, dtype=None, *, masked_grad=None: self if dtype is None else self.to(dtype),
    "is_pinned": lambda self, device=None: False,
    "is_shared": _false,
    "share_memory_": lambda self: self,
    "is_distributed": _false,
}
PROPERTIES: dict[str, Any] = {
    "mH": _mH,
    "H": _H,
    "volatile": _volatile,
    "name": lambda self: None,
    **{name: _false for name in ("is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn", "is_nested",
                                 "is_xpu", "is_mps", "is_ipu", "is_vulkan", "is_xla", "is_mtia", "is_maia")},
}
FUNCTIONS: dict[str, Any] = {
    "adjoint": adjoint,
    "narrow_copy": narrow_copy,
    "unsafe_chunk": ops.chunk,
    "unsafe_split": ops.split,
    "unsafe_split_with_sizes": ops.split_with_sizes,
}
