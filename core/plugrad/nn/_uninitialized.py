"""``UninitializedParameter`` and ``UninitializedBuffer``: the shapeless tensors of lazy modules.

An uninitialized tensor keeps a zero-element stand-in array (so that its dtype, device and conversions work) in
the ``_data`` slot of :class:`Tensor`, but its class shadows that slot with a property that raises PyTorch's
"Attempted to use an uninitialized parameter" error. Every op reads ``_data`` of its tensor inputs, so an op
given one raises with no check on the normal path. ``materialize`` gives it real data and switches its class
to ``cls_to_become`` (``Parameter`` or ``Tensor``), in place, so modules and optimizers keep the same object.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from ..tensor import Tensor, _init_from, _wrap
from .parameter import Parameter

_SLOT_DATA = Tensor.__dict__["_data"]  # the slot descriptor: where the stand-in array lives

# Note: PyTorch lets through only some methods on an uninitialized tensor (its _allowed_methods: size, copy_,
# dtype conversions, to, cpu, cuda...); the other Tensor methods read _data (and raise), or check something
# else first and so are made to raise here.
_FORBIDDEN = ("bool", "byte", "bfloat16", "cfloat", "cdouble", "type", "type_as", "fill_", "zero_", "uniform_",
              "normal_", "numpy")


def _takes(frame: Any, t: Any) -> bool:
    """Whether ``t`` is one of the arguments of the call running in ``frame`` (directly or in ``*args``)."""
    code = frame.f_code
    n = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
    values = frame.f_locals
    for name in code.co_varnames[:n]:
        v = values.get(name)
        if v is t or (type(v) in (tuple, list) and any(x is t for x in v)):
            return True
    return False


def _function_of(frame: Any) -> str:
    """The function running in ``frame``, as ``repr`` shows it (the op, for the registry's dispatch)."""
    from ..ops import registry

    code = frame.f_code
    if frame.f_globals is registry.__dict__ and isinstance(frame.f_locals.get("self"), registry.Op):
        return repr(frame.f_locals["self"])
    qualname = getattr(code, "co_qualname", code.co_name)
    obj: Any = frame.f_globals.get(qualname.split(".", 1)[0])
    for part in qualname.split(".")[1:]:
        obj = getattr(obj, "__dict__", {}).get(part)
    if getattr(obj, "__code__", None) is code:
        return repr(obj)
    for name in code.co_freevars:  # a decorator's wrapper: name the function it wraps
        wrapped = frame.f_locals.get(name)
        if isinstance(wrapped, types.FunctionType):
            return repr(wrapped)
    return f"<function {qualname}>"


def _describe_caller(t: Any, frame: Any) -> str:
    """What PyTorch's message names as the function ``t`` was passed to: the outermost plugrad function of
    the calls that handed ``t`` down as an argument (``<function linear at 0x...>``)."""
    found = frame
    frame = frame.f_back
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "plugrad" \
            and _takes(frame, t):
        found = frame
        frame = frame.f_back
    return _function_of(found)


def _use_error(t: Any, func: Any = None) -> ValueError:
    """PyTorch's error for an uninitialized tensor used in ``func`` (by default: found from the caller)."""
    where = repr(func) if func is not None else _describe_caller(t, sys._getframe(2))
    return ValueError(
        f"Attempted to use an uninitialized parameter in {where}. "
        "This error happens when you are using a `LazyModule` or explicitly manipulating "
        f"`torch.nn.parameter.{type(t).__name__}` objects. When using LazyModules Call `forward` with a dummy "
        "batch to initialize the parameters before calling torch functions"
    )


def _read_data(self: Any) -> Any:
    raise _use_error(self)


def _write_data(self: Any, value: Any) -> None:
    _SLOT_DATA.__set__(self, value)


def _forbidden(name: str) -> Any:
    """A method that raises the use error naming ``Tensor.<name>`` (PyTorch does not let it through)."""
    func = getattr(Tensor, name)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise _use_error(self, func)

    method.__name__ = method.__qualname__ = name
    return method


class UninitializedTensorMixin:
    """The behaviour the two uninitialized classes share: errors on use, conversions of the stand-in data,
    and :meth:`materialize`."""

    __slots__ = ()
    cls_to_become: type
    _is_uninitialized = True  # what Module.load_state_dict looks for (see nn.modules.module._is_lazy)
    _backend: Any
    _requires_grad: bool

    _data = property(_read_data, _write_data)

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give this tensor uninitialized data of ``shape`` (on its device, in its dtype, unless given) and
        turn it into a regular ``cls_to_become`` in place."""
        from ..factories import empty

        if device is None:
            device = self._backend
        if dtype is None:
            dtype = self.dtype
        self.data = empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    def _stand_in(self) -> Tensor:
        """A plain tensor over the zero-element stand-in data (with this tensor's ``requires_grad``)."""
        alias = _wrap(_SLOT_DATA.__get__(self), self._backend)
        alias._requires_grad = self._requires_grad
        return alias

    def _from_stand_in(self, out: Any, alias: Tensor) -> Any:
        """The result of a method run on the stand-in, as PyTorch returns it for this class."""
        if out is alias:
            return self
        return out

    def _on_stand_in(self, name: str, *args: Any, **kwargs: Any) -> Any:
        alias = self._stand_in()
        out = getattr(Tensor, name)(alias, *args, **kwargs)
        return self._from_stand_in(out, alias)

    @property
    def shape(self) -> Any:
        caller = sys._getframe(1)
        if caller.f_globals.get("__name__", "").partition(".")[0] == "plugrad" and _takes(caller, self):
            raise _use_error(self)  # a plugrad function given this tensor, as PyTorch's refuse it
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes."
        )

    @property
    def dtype(self) -> Any:
        return self._backend.dtype_of(_SLOT_DATA.__get__(self))

    @property
    def ndim(self) -> int:
        return _SLOT_DATA.__get__(self).ndim

    @property
    def data(self) -> Tensor:
        return Tensor.data.fget(self._stand_in())  # type: ignore[attr-defined]

    @data.setter
    def data(self, value: Tensor) -> None:
        Tensor.data.fset(self, value)  # type: ignore[attr-defined]

    def size(self, dim: int | None = None) -> Any:
        return self._on_stand_in("size", dim)

    def to(self, *args: Any, **kwargs: Any) -> Any:
        return self._on_stand_in("to", *args, **kwargs)

    def cpu(self) -> Any:
        return self._on_stand_in("cpu")

    def cuda(self, device: Any = None) -> Any:
        return self._on_stand_in("cuda", device)

    def copy_(self, src: Any, non_blocking: bool = False) -> Any:
        alias = self._stand_in()
        if isinstance(src, UninitializedTensorMixin):
            src = src._stand_in()
        Tensor.copy_(alias, src, non_blocking)
        _SLOT_DATA.__set__(self, _SLOT_DATA.__get__(alias))
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Any:
        raise _use_error(self, Tensor.requires_grad_)

    def share_memory_(self) -> Any:
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize the "
            "parameters before calling `module.share_memory()`."
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto: Any) -> Any:
        return (type(self), (self._requires_grad,))


for _name in _FORBIDDEN:
    if hasattr(Tensor, _name):
        setattr(UninitializedTensorMixin, _name, _forbidden(_name))


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


def _stand_in_data(device: Any, dtype: Any) -> Tensor:
    from ..factories import empty

    return empty(0, device=device, dtype=dtype)


class UninitializedParameter(UninitializedTensorMixin, Parameter):  # type: ignore[misc]
    """A parameter whose shape is not known yet (a lazy module's, until its first forward).

    It holds no data: its shape and most operations raise. It can change dtype or device and be turned into a
    regular :class:`Parameter` with :meth:`materialize`; ``device`` and ``dtype`` here are those it will have.
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None,  # type: ignore[misc]
                dtype: Any = None) -> UninitializedParameter:
        data = _stand_in_data(device, dtype)
        p = object.__new__(cls)
        _init_from(p, data._data, data._backend)
        if data._inference:
            p._inference = True
        if requires_grad:
            if not (data.dtype.is_floating_point or data.dtype.is_complex):
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            p._requires_grad = True
        return p

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        pass  # everything happens in __new__

    def __deepcopy__(self, memo: dict) -> UninitializedParameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self._requires_grad, self._backend, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Tensor):  # type: ignore[misc]
    """A buffer whose shape is not known yet (a lazy module's, until its first forward).

    It holds no data: its shape and most operations raise. It can change dtype or device (staying an
    uninitialized buffer) and be turned into a regular Tensor with :meth:`materialize`.
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                persistent: bool = True) -> UninitializedBuffer:
        data = _stand_in_data(device, dtype)
        b = object.__new__(cls)
        _init_from(b, data._data, data._backend)
        if data._inference:
            b._inference = True
        if requires_grad:
            b._factory_requires_grad()
        b.persistent = persistent  # type: ignore[attr-defined]
        b._is_buffer = True  # type: ignore[attr-defined]
        return b

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                 persistent: bool = True) -> None:
        pass  # everything happens in __new__ (Tensor.__init__ is the legacy constructor)

    def _from_stand_in(self, out: Any, alias: Tensor) -> Any:
        # Conversions of a buffer stay uninitialized buffers (PyTorch converts results to the subclass).
        if out is alias:
            return self
        if not isinstance(out, Tensor):
            return out
        b = object.__new__(type(self))
        _init_from(b, _SLOT_DATA.__get__(out), out._backend)
        b._requires_grad = out._requires_grad
        b._grad_fn = out._grad_fn
        b._output_nr = out._output_nr
        return b


__all__ = ["UninitializedBuffer", "UninitializedParameter", "UninitializedTensorMixin", "is_lazy"]
