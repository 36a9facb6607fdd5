"""Tensor: a backend array plus autograd metadata; operators and methods call ops.

The engine never looks inside ``_data``: it is whatever array the tensor's
backend makes. Methods that are plain ops (``x.exp()``) are the op functions
themselves, bound in ``plugrad._methods``; what is here is the
autograd surface (``grad``, ``backward``, hooks, in-place rules) and Python's
protocols.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import dtypes as _dt
from .autograd import grad_mode as _gm
from .autograd.node import AccumulateGrad, RemovableHandle
from .backend import Backend, Device, default_backend_obj, resolve
from .ops import registry as _registry

_grad_state = _gm.state
_new = object.__new__
_NO_DIRECT = object()
_SCALAR_CATEGORY = {bool: 0, int: 1, float: 2, complex: 3}
_SAME_DTYPE: Any = object()  # a leaf's grad_dtype when it was never set: the tensor's own dtype


# The C++ element-type names PyTorch's messages print for a dtype ('double', 'long int', 'c10::Half').
_C_TYPE_NAMES = {
    "bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
    "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double",
    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}

class Tensor:
    """An n-dimensional array that records the operations done on it when ``requires_grad`` is set."""

    _data: Any
    _backend: Backend
    _requires_grad: builtins.bool
    _grad_fn: Any
    _vc: list[builtins.int] | None
    _output_nr: builtins.int
    _view_of: tuple | None
    _origin: str  # "no_grad" or "detach": why it has no history; unset (read with getattr) on most tensors
    # Note: every tensor an op makes sets the slots above (but _origin); the attributes below belong to
    # leaves only (and users' retain_grad), so they are class-level defaults a leaf overrides in its __dict__.
    _grad: Tensor | None = None
    _acc: AccumulateGrad | None = None
    _retains_grad: builtins.bool = False
    _inference: builtins.bool = False  # made inside inference_mode() (or a view of such a tensor)
    _grad_dtype: Any = _SAME_DTYPE  # .grad takes the tensor's dtype unless grad_dtype names another (None: any)
    _fw: dict | None = None  # forward AD: level -> tangent (set by autograd.forward_ad on dual tensors only)
    _layout: tuple[builtins.int, ...] | None = None  # PyTorch's strides of a non-view made in a memory format
    _is_conj: builtins.bool = False  # PyTorch's conjugate bit: made by conj() (see ops.complex_numbers)
    _is_neg: builtins.bool = False  # PyTorch's negative bit: the imaginary part of a conj() result

    __slots__ = ("_data", "_backend", "_requires_grad", "_grad_fn", "_vc", "_output_nr", "_view_of", "_origin",
                 "__weakref__", "__dict__")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Legacy constructor: ``Tensor([1, 2])`` (float32 data) or ``Tensor(2, 3)`` (a 2x3 tensor of zeros)."""
        from .factories import _legacy_construct

        src = _legacy_construct(_dt.get_default_dtype(), args, kwargs)
        _init_from(self, src._data, src._backend)

    if TYPE_CHECKING:  # The op methods and operators are bound in plugrad._methods; declare them for type checkers.

        def __getattr__(self, name: str) -> Any: ...
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __eq__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __getitem__(self, index: Any) -> Tensor: ...

    # --- basic facts ------------------------------------------------------------------
    @property
    def shape(self) -> _dt.Size:
        return _dt.Size(self._data.shape)

    def size(self, dim: builtins.int | None = None) -> Any:
        if dim is None:
            return _dt.Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def ndim(self) -> builtins.int:
        return self._data.ndim

    def dim(self) -> builtins.int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> builtins.int:
        n = 1
        for s in self._data.shape:
            n *= s
        return n

    nelement = numel

    def __len__(self) -> builtins.int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def dtype(self) -> _dt.dtype:
        return self._backend.dtype_of(self._data)

    @property
    def device(self) -> Device:
        return Device(self._backend.device_name())

    @property
    def backend(self) -> str:
        """The name of the backend that holds this tensor's data (``"numpy"``, ``"numba"``, ``"cupy"``)."""
        return self._backend.name

    @property
    def is_cuda(self) -> builtins.bool:
        return self._backend.device_type == "cuda"

    def is_floating_point(self) -> builtins.bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> builtins.bool:
        return self.dtype.is_complex

    def element_size(self) -> builtins.int:
        return self.dtype.itemsize

    def stride(self, dim: builtins.int | None = None) -> Any:
        """The step in elements between neighbours along each dimension (see :meth:`is_contiguous`)."""
        strides = self._strides()
        if dim is None:
            return strides
        return strides[_wrap_dim(dim, self._data.ndim)]

    def _strides(self) -> tuple[builtins.int, ...]:
        """PyTorch's element strides, as far as plugrad can tell them.

        A view (``t()``, ``transpose``, slicing, ``expand``...) of a row-major tensor has the strides of its
        backend array, which the backend laid out as PyTorch lays out the view; a tensor made in a memory
        format (``clone``, ``contiguous(memory_format=...)``, ``empty_like``...) has the strides recorded in
        ``_layout``; every other tensor counts as row-major (contiguous), as the result of an op is in PyTorch
        (up to the layout of its inputs).
        """
        data = self._data
        link = self._view_of
        if link is not None:
            strides = getattr(data, "strides", None)
            root_flags = getattr(link[0]._data, "flags", None)
            if strides is not None and root_flags is not None and (root_flags.c_contiguous or
                                                                    link[0]._layout is not None):
                item = data.itemsize
                return tuple(st // item for st in strides)
        elif self._layout is not None:
            return self._layout
        else:
            flags = getattr(data, "flags", None)
            if flags is not None and not flags.c_contiguous and data.ndim > 1:
                # An op's result in its inputs' layout (NumPy keeps a transposed input's order, as PyTorch does)
                from .memory_formats import non_overlapping_and_dense

                strides = tuple(st // data.itemsize for st in data.strides)
                if all(st >= 0 for st in strides) and non_overlapping_and_dense(tuple(data.shape), strides):
                    return strides
        out = []
        step = 1
        for n in reversed(data.shape):
            out.append(step)
            step *= max(n, 1)
        return tuple(reversed(out))

    def is_contiguous(self, memory_format: Any = None) -> builtins.bool:
        """True when the elements are laid out row-major without gaps (views like ``t()`` are not), or in
        ``memory_format`` (``torch.channels_last``...) when given."""
        from . import memory_formats as _mf

        fmt = _mf.contiguous_format if memory_format is None else _mf.check_format(memory_format, "is_contiguous")
        if fmt is _mf.contiguous_format and self._view_of is None and self._layout is None:
            flags = getattr(self._data, "flags", None)
            if flags is None or flags.c_contiguous or self._data.ndim < 2:
                return True
        return _mf.is_contiguous_as(tuple(self._data.shape), self._strides(), fmt)

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor if it is contiguous (in ``memory_format``), else a copy laid out so (``CloneBackward0``)."""
        from . import memory_formats as _mf

        fmt = _mf.contiguous_format if memory_format is None else _mf.check_format(memory_format, "contiguous")
        if self.is_contiguous(fmt):
            return self
        if fmt is _mf.preserve_format:
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        from . import ops

        return ops.clone(self, memory_format=fmt)

    def get_device(self) -> builtins.int:
        return -1 if self._backend.device_type == "cpu" else 0

    @property
    def is_cpu(self) -> builtins.bool:
        return self._backend.device_type == "cpu"

    @property
    def layout(self) -> _dt.layout:
        return _dt.strided

    @property
    def itemsize(self) -> builtins.int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> builtins.int:
        return self.numel() * self.dtype.itemsize

    def data_ptr(self) -> builtins.int:
        """The address of the first element (views share their root's memory, at an offset)."""
        data = self._data
        iface = getattr(data, "__array_interface__", None) or getattr(data, "__cuda_array_interface__", None)
        if iface is None:
            raise RuntimeError(f"backend {self._backend.name!r} does not expose the address of its arrays")
        return iface["data"][0]

    def storage_offset(self) -> builtins.int:
        """How many elements into its root's memory this tensor starts (0 unless it is a view)."""
        link = self._view_of
        if link is None or not self._data.size:
            return 0
        return (self.data_ptr() - link[0].data_ptr()) // self._data.itemsize

    # --- new tensors like this one ----------------------------------------------------------
    def _new_kwargs(self, dtype: Any, device: Any) -> dict:
        return {"dtype": self.dtype if dtype is None else dtype, "device": self._backend if device is None else device}

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False,
                   **_: Any) -> Tensor:
        """A new leaf tensor holding ``data``, with this tensor's dtype and device unless given."""
        from .factories import tensor

        return tensor(data, requires_grad=requires_grad, **self._new_kwargs(dtype, device))

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False,
                  **_: Any) -> Tensor:
        from .factories import zeros

        return zeros(*size, requires_grad=requires_grad, **self._new_kwargs(dtype, device))

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False,
                 **_: Any) -> Tensor:
        from .factories import ones

        return ones(*size, requires_grad=requires_grad, **self._new_kwargs(dtype, device))

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False,
                  **_: Any) -> Tensor:
        from .factories import empty

        return empty(*size, requires_grad=requires_grad, **self._new_kwargs(dtype, device))

    def new_empty_strided(self, size: Any, stride: Any, *, dtype: Any = None, device: Any = None,
                          requires_grad: builtins.bool = False, **_: Any) -> Tensor:
        from .factories import empty_strided

        return empty_strided(size, stride, requires_grad=requires_grad, **self._new_kwargs(dtype, device))

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: builtins.bool = False, **_: Any) -> Tensor:
        from .factories import full

        return full(size, fill_value, requires_grad=requires_grad, **self._new_kwargs(dtype, device))

    # --- conversion -------------------------------------------------------------------
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number; on a device (CUDA) this copies it to the host."""
        if self.numel() != 1:
            raise RuntimeError(
                f"a Tensor with {self.numel()} elements cannot be converted to Scalar"
            )
        return self._backend.to_numpy(self._data).reshape(()).item()

    def tolist(self) -> Any:
        """The values as nested Python lists; on a device (CUDA) this copies them to the host."""
        return self._backend.to_numpy(self._data).tolist()

    def numpy(self, *, force: builtins.bool = False) -> Any:
        """The data as a NumPy array sharing memory with this tensor (CPU backends).

        A tensor on another device raises, as in PyTorch: copy it with ``cpu()`` first (or pass
        ``force=True``, which copies it and ignores ``requires_grad``).
        """
        if not force:
            if self._backend.device_type != "cpu":
                raise self._not_on_cpu()
            if self._requires_grad and _grad_state.enabled:
                raise RuntimeError(
                    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._backend.to_numpy(self._data)

    def _not_on_cpu(self) -> TypeError:
        return TypeError(
            f"can't convert {self._backend.device_name()} device type tensor to numpy. "
            "Use Tensor.cpu() to copy the tensor to host memory first."
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        # Note: no implicit transfer: np.asarray of a device tensor raises, as in PyTorch.
        if self._backend.device_type != "cpu":
            raise self._not_on_cpu()
        arr = self._backend.to_numpy(self._data)
        return arr.astype(dtype) if dtype is not None else arr

    def __float__(self) -> builtins.float:
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self) -> builtins.int:
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> builtins.int:
        if self.dtype.category > 1 or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> builtins.bool:
        n = self.numel()
        if n != 1:
            what = "no values" if n == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return bool(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __iter__(self) -> Iterator[Tensor]:
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __contains__(self, element: Any) -> builtins.bool:
        """``element in t``: whether any entry equals ``element`` (a number, or a tensor broadcast against ``t``)."""
        if not isinstance(element, (Tensor, builtins.bool, builtins.int, builtins.float, complex)):
            raise RuntimeError(
                f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}.")
        from . import ops

        return builtins.bool(ops.any(element == self if isinstance(element, Tensor) else ops.eq(self, element)).item())

    def __hash__(self) -> builtins.int:
        return id(self)

    def __reversed__(self) -> Tensor:
        from . import ops

        return ops.flip(self, 0)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device_or_backend)``, ``to(other_tensor)`` or ``to(device, dtype)``; returns self when nothing changes."""
        from . import memory_formats as _mf
        from .factories import _parse_to

        fmt = _mf.check_format(kwargs.pop("memory_format", None), "to")
        target, dtype, copy = _parse_to(self, args, kwargs)
        out = self
        if target is not None and target is not self._backend:
            out = _move(out, target)
        if dtype is not None and dtype is not out.dtype:
            from . import ops

            out = ops._to_dtype(out, dtype)
        shape = tuple(self._data.shape)
        if out is self and not copy and (fmt is _mf.preserve_format or
                                         _mf.suggest_format(shape, self._strides()) is fmt):
            return self
        # Note: a copy keeps dense strides (or takes the format they suggest), as PyTorch's _to_copy does.
        strides = _mf.preserved_strides(self, fmt, dense_only=True)
        if out is self:
            from . import ops

            return ops.clone(self, memory_format=fmt) if fmt is not _mf.preserve_format else \
                _mf.lay_out(ops.clone(self, memory_format=_mf.contiguous_format), strides)
        if out._view_of is None and strides != out._strides():
            out = _mf.lay_out(out, strides)
        return out

    def cpu(self) -> Tensor:
        if self._backend.device_type == "cpu":
            return self
        return _move(self, resolve("cpu"))

    def cuda(self, device: Any = None) -> Tensor:
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"torch.{self.dtype.legacy}"
        if isinstance(dtype, str) and dtype.startswith("torch.") and dtype.endswith("Tensor"):
            legacy = dtype[6:]
            for d in _dt.ALL_DTYPES:
                if d.legacy == legacy:
                    return self.to(d)
        if isinstance(dtype, type) and issubclass(dtype, Tensor) and hasattr(dtype, "_legacy_dtype"):
            return self.to(dtype._legacy_dtype)
        return self.to(_dt.as_dtype(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor converted to ``other``'s dtype and device (itself when they already match)."""
        return self.to(other)

    def float(self) -> Tensor:
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        return self.to(_dt.float64)

    def half(self) -> Tensor:
        return self.to(_dt.float16)

    def cfloat(self) -> Tensor:
        return self.to(_dt.complex64)

    def cdouble(self) -> Tensor:
        return self.to(_dt.complex128)

    @property
    def real(self) -> Tensor:
        """The real part: a view sharing this tensor's memory (this tensor itself when it is real)."""
        from .ops.complex_numbers import real

        return real(self)

    @real.setter
    def real(self, value: Any) -> None:
        self.real.copy_(value)

    @property
    def imag(self) -> Tensor:
        """The imaginary part of a complex tensor: a view sharing its memory."""
        from .ops.complex_numbers import imag

        return imag(self)

    @imag.setter
    def imag(self, value: Any) -> None:
        self.imag.copy_(value)

    def long(self) -> Tensor:
        return self.to(_dt.int64)

    def int(self) -> Tensor:
        return self.to(_dt.int32)

    def short(self) -> Tensor:
        return self.to(_dt.int16)

    def bool(self) -> Tensor:
        return self.to(_dt.bool_)

    def byte(self) -> Tensor:
        return self.to(_dt.uint8)

    def char(self) -> Tensor:
        return self.to(_dt.int8)

    # --- autograd surface -------------------------------------------------------------
    @property
    def requires_grad(self) -> builtins.bool:
        """Whether operations on this tensor are recorded so that gradients can flow back to it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: builtins.bool) -> None:
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can require gradients")

    def _set_requires_grad(self, value: builtins.bool, dtype_error: str) -> None:
        # PyTorch words the dtype error differently for the setter, requires_grad_() and factories.
        if self._grad_fn is not None:
            if value:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if value and not self.dtype.is_floating_point and not self.dtype.is_complex:
            raise RuntimeError(dtype_error)
        if value and self._inference and not _grad_state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        """Set ``requires_grad`` in place (on leaves) and return this tensor."""
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")
        return self

    def _factory_requires_grad(self) -> Tensor:
        """``requires_grad=True`` given to a factory (``tensor(..., requires_grad=True)``)."""
        self._set_requires_grad(True, "Only Tensors of floating point and complex dtype can require gradients")
        return self

    def is_inference(self) -> builtins.bool:
        """True for an inference tensor: made inside ``inference_mode()``, or a view of one."""
        return self._inference

    @property
    def is_leaf(self) -> builtins.bool:
        """True for tensors created by the user (or that do not require grad); only leaves get ``.grad`` in backward."""
        return self._grad_fn is None

    @property
    def grad_fn(self) -> Any:
        """The backward node of the op that produced this tensor (``AddBackward0``...), None for leaves."""
        return self._grad_fn

    @property
    def output_nr(self) -> builtins.int:
        return self._output_nr

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward() for a leaf (None until then); non-leaves need retain_grad()."""
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
                "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access "
                "the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
            allowed = self.dtype if self._grad_dtype is _SAME_DTYPE else self._grad_dtype
            if allowed is not None and value.dtype is not allowed:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_TYPE_NAMES[value.dtype.name]}' to a tensor "
                    f"with grad_dtype '{allowed.legacy[:-len('Tensor')]}'. The gradient must match the tensor's grad_dtype "
                    "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific "
                    "dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor "
                    "and its gradient may break downstream systems that assume they match."
                )
            if value._backend.device_type != self._backend.device_type:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def grad_dtype(self) -> _dt.dtype | None:
        """The dtype the engine gives this leaf's ``.grad`` (its own dtype unless set; None: any dtype)."""
        if self._grad_fn is not None:
            raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
        return self.dtype if self._grad_dtype is _SAME_DTYPE else self._grad_dtype

    @grad_dtype.setter
    def grad_dtype(self, value: Any) -> None:
        if self._grad_fn is not None:
            raise RuntimeError("grad_dtype can only be set on leaf tensors.")
        if value is not None and not isinstance(value, _dt.dtype):
            raise TypeError(f"grad_dtype must be a torch.dtype or None, but got {type(value).__name__}")
        g = self._grad
        if g is not None and value is not None and g.dtype is not value:
            raise RuntimeError(
                f"Cannot set grad_dtype to '{value.legacy[:-len('Tensor')]}' because there is already a gradient with "
                f"dtype '{_C_TYPE_NAMES[g.dtype.name]}'. Please clear the gradient (.grad = None) before changing "
                "grad_dtype, or ensure the new grad_dtype matches the existing gradient's dtype."
            )
        self._grad_dtype = _SAME_DTYPE if value is self.dtype else value

    @property
    def retains_grad(self) -> builtins.bool:
        """Whether this non-leaf keeps its ``.grad`` during backward (see :meth:`retain_grad`)."""
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor during backward (a no-op on leaves)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        self._grad_fn._set_retain_grad(self._output_nr, self)
        self._retains_grad = True

    def _accumulator(self) -> AccumulateGrad:
        acc = self._acc
        if acc is None:
            acc = self._acc = AccumulateGrad(self)
        return acc

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """``hook(grad)`` runs when this tensor's gradient is computed; a returned tensor replaces the gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self._grad_fn if self._grad_fn is not None else self._accumulator()
        return node._register_tensor_hook(self._output_nr, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """``hook(tensor)`` runs after a leaf's ``.grad`` has been accumulated."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .autograd.node import HookDict

        acc = self._accumulator()
        if acc._post_acc_hooks is None:
            acc._post_acc_hooks = HookDict()
        h = RemovableHandle(acc._post_acc_hooks)
        acc._post_acc_hooks[h.id] = hook
        return h

    def backward(self, gradient: Tensor | None = None, retain_graph: builtins.bool | None = None,
                 create_graph: builtins.bool = False, inputs: Any = None) -> None:
        """Compute the gradient of this tensor with respect to the graph leaves and accumulate it in ``.grad``."""
        from .autograd import engine

        if gradient is None and inputs is None and not create_graph and self._grad_fn is not None:
            engine.backward_scalar(self, retain_graph)  # loss.backward(): the common call, checked in fewer steps
        else:
            engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A new tensor sharing this one's data and version counter, outside the graph."""
        t = _wrap(self._data, self._backend)
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        t._vc = vc
        if self._view_of is not None or self._layout is not None:
            strides = self._strides()
            if strides != t._strides():
                t._layout = strides
        if self._requires_grad:
            t._origin = "detach"
        if self._inference:
            t._inference = True
        return t

    def detach_(self) -> Tensor:
        """Detach this tensor from the graph in place; views must use ``detach()`` (their base stays tracked)."""
        if self._view_of is not None or (self._grad_fn is not None and self._output_nr):
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) "
                "for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and "
                "hence detach_() cannot be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's data, outside the graph; changes to it are not tracked."""
        t = _wrap(self._data, self._backend)
        if self._requires_grad:
            t._origin = "detach"
        if self._inference:
            t._inference = True
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._backend = value._backend
        self._layout = value._strides() if value._view_of is not None or value._layout is not None else None

    @property
    def _version(self) -> builtins.int:
        if self._inference:
            raise RuntimeError("Inference tensors do not track version counter.")
        vc = self._vc
        return 0 if vc is None else vc[0]

    def explain_grad(self) -> str:
        """Say in plain words why ``.grad`` of this tensor is None (or will be), and what to do about it."""
        from .autograd.engine import last_backward

        d = self.dtype
        if not (d.is_floating_point or d.is_complex):
            return (
                f"This tensor has dtype {d}; only floating point and complex tensors can have gradients, so its .grad "
                "stays None. Make it floating before asking for gradients: x = x.float().requires_grad_()."
            )
        if not self._requires_grad:
            origin = getattr(self, "_origin", None)  # a slot set only by no_grad results and detach()
            if origin == "no_grad":
                return (
                    "This tensor was computed from tensors that require grad while grad mode was off (inside "
                    "plugrad.no_grad(), inference_mode() or set_grad_enabled(False)), so no graph was recorded and it "
                    "has no .grad. Compute it outside that block."
                )
            if origin == "detach":
                return (
                    "This tensor came from detach() (or .data), which cuts it out of the graph: it does not require "
                    "grad, so backward() never reaches it. Use the original tensor, or call .requires_grad_() on "
                    "this one to make it a new leaf."
                )
            return (
                "This tensor does not require grad (requires_grad=False), so backward() computes no gradient for it. "
                "Create it with requires_grad=True or call x.requires_grad_() before using it."
            )
        if self._grad_fn is not None and not self._retains_grad:
            return (
                f"This tensor is not a leaf: it was computed by {self._grad_fn.name()}. backward() fills .grad only "
                "for leaves (tensors you created with requires_grad=True). Call x.retain_grad() before backward(), "
                "or get the gradient with plugrad.autograd.grad(output, x)."
            )
        if self._grad is not None:
            return (
                f"This tensor's .grad is set (shape {tuple(self._grad.shape)}). Gradients accumulate across "
                "backward() calls: reset with x.grad = None (or optimizer.zero_grad()) between steps."
            )
        if self._grad_fn is not None:
            return (
                "This non-leaf tensor retains its gradient, but no backward() pass has reached it yet: call "
                "backward() on an output computed from it."
            )
        if last_backward.runs == 0:
            return "No backward() has run yet: call backward() on an output computed from this tensor."
        if self._acc is None or self._acc._reached_in != last_backward.runs:
            return (
                "This leaf requires grad, but it was never used in the graph of the last backward() call (or that "
                "call passed inputs=[...] without it), so its .grad is still None. Check that the output you called "
                "backward() on was computed from this tensor."
            )
        return "This leaf received a gradient of None in the last backward pass."

    # --- in-place machinery -----------------------------------------------------------
    def _check_inplace(self) -> None:
        if self._requires_grad and self._grad_fn is None and _grad_state.enabled:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )

    def _bump_version(self) -> None:
        if self._inference and not _grad_state.inference:
            # Note: PyTorch raises here too, after the in-place kernel has written
            raise RuntimeError(
                "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to "
                "get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for "
                "more details."
            )
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    def _inplace(self, fn: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
        """Run ``fn(self, *args)`` out of place, write the result into self, and take over its grad_fn."""
        self._check_inplace()
        recording = _grad_state.enabled and (
            self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)
        )
        src = self
        if recording:
            # The rule may need self's old value: give it a snapshot, since self is about to change.
            src = _wrap(self._backend.namespace().asarray(self._data, copy=True), self._backend)
            src._requires_grad = self._requires_grad
            src._grad_fn = self._grad_fn
            src._output_nr = self._output_nr
            src._acc = self._acc
        res = fn(src, *args, **kwargs)
        if recording and self._view_of is not None:
            self._rebase_view(res)
            return self
        self._assign_result(res)
        if recording and res._grad_fn is not None:
            self._grad_fn = res._grad_fn
            self._output_nr = res._output_nr
            self._requires_grad = True
        return self

    def _rebase_view(self, res: Tensor) -> None:
        """An in-place op on a view: the view's root gets the history ``root + V^T (res - V root)``.

        ``V`` is the chain of view ops from the root (linear, and V V^T = I for the views marked as such), so
        the root's new value is the old one with the view's region replaced by ``res``; its gradient is the
        incoming one with that region zeroed for the old root, and the region itself for ``res``. The data was
        already written exactly through the shared memory; only the graph is built here.
        """
        from .autograd.engine import grad as _autograd_grad
        from .ops import zeros_like
        from .ops.conversion import REBASE_VIEW
        from .ops.registry import replay_view

        assert self._view_of is not None
        root, chain = self._view_of
        if root._requires_grad and root._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        old_view = replay_view(root, chain)
        probe = zeros_like(root)._factory_requires_grad()
        delta = res - old_view
        (spread,) = _autograd_grad(replay_view(probe, chain), probe, delta, create_graph=True)
        new_root = REBASE_VIEW.dispatch((root, spread))
        self._assign_result(res)  # writes through to the root's memory and bumps the shared version
        root._grad_fn = new_root._grad_fn
        root._output_nr = new_root._output_nr
        root._requires_grad = True
        fresh = replay_view(root, chain)
        self._grad_fn = fresh._grad_fn
        self._output_nr = fresh._output_nr
        self._requires_grad = True

    def _assign_result(self, res: Tensor) -> None:
        data = res._data
        if data.dtype != self._data.dtype:
            mine = self.dtype
            theirs = res.dtype
            if theirs.category > mine.category:
                raise RuntimeError(
                    f"result type {_short(theirs)} can't be cast to the desired output type {_short(mine)}"
                )
            data = data.astype(self._data.dtype)
        if data.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape {list(data.shape)}"
            )
        if self._data.ndim == 0 and not hasattr(self._data, "__setitem__"):
            self._data = data
        else:
            self._data[...] = data
        self._bump_version()

    def _direct_operand(self, other: Any) -> Any:
        """The operand for an in-place op that can write straight into this tensor's array, else ``_NO_DIRECT``.

        That is when nothing is recorded, the array is writable, and ``other`` is a Python number this dtype
        holds or a tensor of the same dtype and shape on the same device; every other case takes the general
        path, which applies type promotion and broadcasting rules and records the op.
        """
        if _grad_state.enabled and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
            return _NO_DIRECT
        if not hasattr(self._data, "__setitem__"):
            return _NO_DIRECT
        if isinstance(other, Tensor):
            od = other._data
            if (other._backend.device_type == self._backend.device_type and od.dtype == self._data.dtype
                    and od.shape == self._data.shape):
                return od
            return _NO_DIRECT
        cat = _SCALAR_CATEGORY.get(type(other))
        if cat is not None:
            tcat = self._backend.dtype_of(self._data).category
            if cat == 1 and tcat == 1:
                from .ops._promote import _wrap_int

                return _wrap_int(other, self._data.dtype, self)
            if cat <= tcat:
                return other
        return _NO_DIRECT

    def _direct_alpha_ok(self, alpha: Any) -> builtins.bool:
        """``alpha`` scales the operand without changing the result's dtype (a number this dtype holds)."""
        if alpha == 1:
            return True
        cat = _SCALAR_CATEGORY.get(type(alpha))
        return cat is not None and cat <= self._backend.dtype_of(self._data).category

    def _direct_done(self) -> Tensor:
        self._bump_version()
        return self

    def zero_(self) -> Tensor:
        if self._direct_operand(0) is not _NO_DIRECT:
            self._data[...] = 0
            return self._direct_done()
        from . import ops

        return self._inplace(ops.zeros_like_)

    def fill_(self, value: Any) -> Tensor:
        from . import ops

        return self._inplace(ops.full_like_, value)

    def copy_(self, src: Tensor, non_blocking: builtins.bool = False) -> Tensor:
        from . import ops

        return self._inplace(ops._copy_from, src)

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        d = self._direct_operand(other)
        if d is not _NO_DIRECT and self._direct_alpha_ok(alpha):
            data = self._data
            data += d if alpha == 1 else d * alpha
            return self._direct_done()
        from . import ops

        return self._inplace(ops.add, other, alpha=alpha)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        d = self._direct_operand(other)
        if d is not _NO_DIRECT and self._direct_alpha_ok(alpha):
            data = self._data
            data -= d if alpha == 1 else d * alpha
            return self._direct_done()
        from . import ops

        return self._inplace(ops.sub, other, alpha=alpha)

    def mul_(self, other: Any) -> Tensor:
        d = self._direct_operand(other)
        if d is not _NO_DIRECT:
            data = self._data
            data *= d
            return self._direct_done()
        from . import ops

        return self._inplace(ops.mul, other)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        if rounding_mode is None and self.dtype.is_floating_point:
            d = self._direct_operand(other)
            if d is not _NO_DIRECT:
                data = self._data
                data /= d
                return self._direct_done()
        from . import ops

        return self._inplace(ops.div, other, rounding_mode=rounding_mode)

    # PyTorch's NumPy-style names of the in-place arithmetic methods.
    subtract_ = sub_
    multiply_ = mul_
    divide_ = true_divide_ = div_

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """In-place :func:`addcmul`: ``self += value * tensor1 * tensor2``."""
        if self._direct_value_ok(value):
            d1 = self._direct_operand(tensor1)
            d2 = self._direct_operand(tensor2)
            if d1 is not _NO_DIRECT and d2 is not _NO_DIRECT and isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor):
                # Note: (tensor1 * value) * tensor2, then + self: the generic kernel's order, so the same bits.
                if value == 1:
                    term = d1 * d2
                else:
                    term = d1 * value
                    term *= d2
                data = self._data
                data += term
                return self._direct_done()
        from . import ops
        from .ops.elementwise import _require_tensors

        _require_tensors("addcmul_", (tensor1, tensor2))
        return self._inplace(ops.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """In-place :func:`addcdiv`: ``self += value * tensor1 / tensor2``."""
        if self._direct_value_ok(value):
            d1 = self._direct_operand(tensor1)
            d2 = self._direct_operand(tensor2)
            if d1 is not _NO_DIRECT and d2 is not _NO_DIRECT and isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor):
                # Note: (tensor1 * value) / tensor2, then + self: the generic kernel's order, so the same bits.
                if value == 1:
                    term = d1 / d2
                else:
                    term = d1 * value
                    term /= d2
                data = self._data
                data += term
                return self._direct_done()
        from . import ops
        from .ops.elementwise import _require_tensors

        _require_tensors("addcdiv_", (tensor1, tensor2))
        return self._inplace(ops.addcdiv, tensor1, tensor2, value=value)

    def lerp_(self, end: Any, weight: Any) -> Tensor:
        """In-place :func:`lerp`: ``self += weight * (end - self)``."""
        if type(weight) in (float, builtins.int) and isinstance(end, Tensor) and self.dtype.is_floating_point:
            d = self._direct_operand(end)
            if d is not _NO_DIRECT:
                # Note: the lerp kernel's two formulas, each exact at its own end, in the same order.
                data = self._data
                diff = d - data
                if -0.5 < weight < 0.5:
                    diff *= weight
                    data += diff
                else:
                    diff *= 1 - weight
                    data[...] = d
                    data -= diff
                return self._direct_done()
        from . import ops

        return self._inplace(ops.lerp, end, weight)

    def sqrt_(self) -> Tensor:
        """In-place :func:`sqrt`."""
        if self.dtype.is_floating_point and self._direct_operand(0) is not _NO_DIRECT:
            return self._direct_write("sqrt", self._data)
        from . import ops

        return self._inplace(ops.sqrt)

    def _direct_value_ok(self, value: Any) -> builtins.bool:
        """``value`` scales an addcmul_/addcdiv_ term without changing the dtype or overflowing it (floats only)."""
        cat = _SCALAR_CATEGORY.get(type(value))
        return (cat is not None and cat <= 2 and -3.4028234663852886e38 <= value <= 3.4028234663852886e38
                and self._backend.dtype_of(self._data).category == 2)

    def _direct_write(self, fn_name: str, *arrays: Any) -> Tensor:
        """Write ``xp.<fn_name>(*arrays)`` into this tensor's array (through ``out=`` where the namespace takes it)
        and bump the version once."""
        fn = getattr(self._backend.namespace(), fn_name)
        data = self._data
        try:
            fn(*arrays, out=data)
        except TypeError:  # a namespace whose functions take no out=
            data[...] = fn(*arrays)
        return self._direct_done()

    def pow_(self, exponent: Any) -> Tensor:
        from . import ops

        return self._inplace(ops.pow, exponent)

    def neg_(self) -> Tensor:
        from . import ops

        return self._inplace(ops.neg)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
        from . import ops

        return self._inplace(ops.clamp, min, max)

    clip_ = clamp_

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def __ipow__(self, other: Any) -> Tensor:
        return self.pow_(other)

    def __setitem__(self, index: Any, value: Any) -> None:
        from .ops import indexing

        indexing.setitem(self, index, value)

    # --- printing ---------------------------------------------------------------------
    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from .formatting import tensor_repr

        return tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment."
            )
        t = type(self).__new__(type(self))
        _init_from(t, self._backend.namespace().asarray(self._data, copy=True), self._backend)
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t


def _short(d: _dt.dtype) -> str:
    return d.legacy[:-6] if d.legacy.endswith("Tensor") else d.name


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _init_from(t: Tensor, data: Any, backend: Backend) -> None:
    """Initialise a fresh tensor object (the rare attributes keep their class-level defaults)."""
    t._data = data
    t._backend = backend
    t._requires_grad = False
    t._grad_fn = None
    t._vc = None
    t._output_nr = 0
    t._view_of = None


def _wrap(data: Any, backend: Backend) -> Tensor:
    t = _new(Tensor)
    t._data = data
    t._backend = backend
    t._requires_grad = False
    t._grad_fn = None
    t._vc = None
    t._output_nr = 0
    t._view_of = None
    return t


def _move(t: Tensor, target: Backend) -> Tensor:
    """Copy or re-home ``t`` on ``target``; recorded in the graph so gradients flow back to the source device."""
    from . import ops

    return ops._to_backend(t, target)


_registry._bind_tensor(Tensor, _wrap)

__all__ = ["Tensor", "default_backend_obj"]
