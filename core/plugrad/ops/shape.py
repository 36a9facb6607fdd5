"""Shape ops: views and rearrangements of a tensor's elements.

reshape/view, expand, squeeze/unsqueeze, transpose/t/permute/movedim, select,
narrow and slicing, cat/stack, split/chunk/unbind, flip, roll and repeat/tile.
Each records the node PyTorch records (``ViewBackward0``, ``PermuteBackward0``...);
the in-place variants (``squeeze_``...) record PyTorch's in-place node names.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from .. import dtypes as _dt
from ..autograd import grad_mode as _gm
from ..kernels.array_api import direct, generic
from ..testing.samples import Sample, T
from . import registry as _reg
from .registry import defop

_grad_state = _gm.state

# --- helpers ------------------------------------------------------------------------------


def wrap_dim(dim: Any, ndim: int) -> int:
    """``dim`` as a non-negative axis of a tensor with ``ndim`` dimensions (a 0-d tensor accepts -1 and 0)."""
    n = max(ndim, 1)
    d = int(dim)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


def _dim_list(dims: Any, ndim: int) -> tuple[int, ...]:
    """Normalize an int or a sequence of dims; a dim given twice is an error, as in PyTorch."""
    if isinstance(dims, int) or hasattr(dims, "__index__"):
        dims = (dims,)
    out = tuple(wrap_dim(d, ndim) for d in dims)
    seen: set[int] = set()
    for d in out:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return out


def _sizes(size: tuple) -> tuple:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike, as PyTorch does."""
    if len(size) == 1 and not isinstance(size[0], int) and not hasattr(size[0], "__index__"):
        return tuple(int(s) for s in size[0])
    if len(size) == 1 and hasattr(size[0], "__iter__"):
        return tuple(int(s) for s in size[0])
    return tuple(int(s) for s in size)


def _prod(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


_CTYPES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
           "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
           "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _ctype(d: Any) -> str:
    """PyTorch's C++ name of a dtype, as some of its errors print it (``float``, ``long int``)."""
    return _CTYPES.get(d.name, d.name)


def _scalar_name(d: Any) -> str:
    """PyTorch's scalar type name (``Float``, ``Double``)."""
    return d.legacy[:-6] if d.legacy.endswith("Tensor") else d.name


def _concat_fn(xp: Any) -> Any:
    return getattr(xp, "concat", None) or xp.concatenate


def _permute_fn(xp: Any) -> Any:
    return getattr(xp, "permute_dims", None) or xp.transpose


def _promote_all(tensors: Sequence[Any], opname: str) -> list:
    """Cast a list of tensors to their common dtype (cat and stack promote like binary ops)."""
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return list(tensors)
    from .conversion import _to_dtype

    target = _dt.result_type(tuple((t.dtype, t.ndim) for t in tensors))
    return [t if t.dtype is target else _to_dtype(t, target) for t in tensors]


def _check_tensor_list(tensors: Any, fname: str, empty_msg: str, empty_exc: type) -> list:
    if isinstance(tensors, _reg.Tensor) or not hasattr(tensors, "__iter__"):
        raise TypeError(f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise empty_exc(empty_msg)
    for i, t in enumerate(tensors):
        if not isinstance(t, _reg.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tensors


def write_out(fname: str, out: Any, inputs: Sequence[Any], compute: Any) -> Any:
    """Run ``compute()`` and put its result into ``out`` (PyTorch's ``out=``), resized when its shape differs."""
    if _grad_state.enabled and any(isinstance(t, _reg.Tensor) and t._requires_grad for t in inputs):
        raise RuntimeError(f"{fname}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if not isinstance(out, _reg.Tensor):
        raise TypeError(f"{fname}(): argument 'out' must be Tensor, not {type(out).__name__}")
    res = compute()
    data = res._data
    if data.dtype != out._data.dtype:
        if res.dtype.category > out.dtype.category:
            raise RuntimeError(f"result type {res.dtype.legacy[:-6]} can't be cast to the desired output type "
                               f"{out.dtype.legacy[:-6]}")
        data = data.astype(out._data.dtype)
    if data.shape != out._data.shape:
        if out.numel():
            warnings.warn(
                f"An output with one or more elements was resized since it had shape {list(out._data.shape)}, which "
                f"does not match the required output shape {list(data.shape)}. This behavior is deprecated, and in a "
                "future PyTorch release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
                UserWarning, stacklevel=3,
            )
        out._data = out._backend.namespace().asarray(data, copy=True) if data is res._data else data
    else:
        out._data[...] = data
    out._bump_version()
    return out


# --- reshape / view -----------------------------------------------------------------------


def _infer_shape(shape: tuple, numel: int, in_shape: tuple) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _reshape_vjp(ctx: Any, g: Any) -> tuple:
    return (reshape(g, ctx.input_shape(0)),)


RESHAPE = defop("reshape", 1, vjp=_reshape_vjp, node="ViewBackward0", saves=((),),
                samples=lambda: [Sample((T((3, 4)),), ((4, 3),), name="2d"),
                                 Sample((T((2, 3, 4)),), ((6, 4),), name="merge"),
                                 Sample((T(()),), ((1, 1),), name="from_scalar"),
                                 Sample((T((1,)),), ((),), name="to_scalar"),
                                 Sample((T((0, 3)),), ((3, 0),), name="empty", gradgradcheck=False)],
                reference=lambda np, x, shape: np.reshape(x, shape))
UNSAFE_VIEW = defop("unsafe_view", 1, vjp=_reshape_vjp, node="UnsafeViewBackward0", saves=((),),
                    samples=lambda: [Sample((T((2, 3, 4)),), ((6, 4),), name="merge")],
                    reference=lambda np, x, shape: np.reshape(x, shape))


direct("reshape")
direct("unsafe_view", "reshape")


def reshape(input: Any, *shape: Any) -> Any:  # noqa: A002
    """``input`` with a new shape of the same number of elements; one dimension may be -1."""
    s = _infer_shape(_sizes(shape), input.numel(), input.shape)
    if s == input._data.shape:
        return _alias_view(input)
    return RESHAPE.dispatch((input,), (s,))


def _alias_view(t: Any) -> Any:
    return RESHAPE.dispatch((t,), (t._data.shape,))


def _unsafe_view(t: Any, shape: tuple) -> Any:
    """A reshape recorded as ``UnsafeViewBackward0``, as PyTorch's matmul records its final reshape."""
    return UNSAFE_VIEW.dispatch((t,), (tuple(shape),))


def view(input: Any, *shape: Any) -> Any:  # noqa: A002
    """``input`` with a new shape, sharing its data; a non-contiguous view that cannot be reshaped without a copy
    (``x.t().view(-1)``) raises, as in PyTorch: use :func:`reshape` there. ``view(dtype)`` reinterprets the bits."""
    if len(shape) == 1 and isinstance(shape[0], _dt.dtype):
        return _view_dtype(input, shape[0])
    if (input._view_of is not None or input._layout is not None) and not input.is_contiguous():
        s = _infer_shape(_sizes(shape), input.numel(), input.shape)
        if not _viewable(tuple(input._data.shape), input._strides(), s):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                "across two contiguous subspaces). Use .reshape(...) instead."
            )
    return reshape(input, *shape)


def _view_dtype(input: Any, dtype: Any) -> Any:  # noqa: A002
    """The same bytes read as ``dtype`` (PyTorch's ``Tensor.view(dtype)``): the last dimension is scaled by the
    ratio of the item sizes. Outside the graph, as in PyTorch."""
    mine, theirs = input.dtype, dtype
    if mine.itemsize != theirs.itemsize:
        what = f"to view {_scalar_name(mine)} as {_scalar_name(theirs)} (different element sizes)"
        if input.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if input.shape[-1] != 1 and input._strides()[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {input._strides()[-1]}")
        if theirs.itemsize > mine.itemsize and input.shape[-1] % (theirs.itemsize // mine.itemsize):
            raise RuntimeError(f"self.size(-1) must be divisible by {theirs.itemsize // mine.itemsize} {what}, "
                               f"but got {input.shape[-1]}")
    backend = input._backend
    data = input._data
    native = backend.native_dtype(theirs)
    if hasattr(data, "view"):
        if data.ndim and data.shape[-1] == 1 and mine.itemsize != theirs.itemsize:
            data = backend.namespace().asarray(data, copy=True)  # a unit last dimension: any stride will do
        out = data.view(native)
    else:
        out = backend.from_numpy(backend.to_numpy(data).view(native))
    return _reg._wrap(out, backend)


def _viewable(old_shape: tuple, old_strides: tuple, new_shape: tuple) -> bool:
    """Whether ``new_shape`` can index the same memory as ``old_shape``/``old_strides`` (PyTorch's stride rule).

    Walk the old dimensions from the last, grouping those that are contiguous with each other into chunks;
    each chunk must be covered exactly by consecutive new dimensions.
    """
    if not old_shape or 0 in old_shape:
        return True
    view_d = len(new_shape) - 1
    chunk_base = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and old_strides[tensor_d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if tensor_d > 0:
                chunk_base = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    return view_d == -1


def view_as(input: Any, other: Any) -> Any:  # noqa: A002
    """``input`` viewed with ``other``'s shape (ViewBackward0)."""
    return view(input, tuple(other._data.shape))


def reshape_as(input: Any, other: Any) -> Any:  # noqa: A002
    """``input`` reshaped to ``other``'s shape (ViewBackward0)."""
    return reshape(input, tuple(other._data.shape))


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:  # noqa: A002
    """Merge dimensions ``start_dim`` to ``end_dim`` into one; a 0-d tensor becomes 1-d."""
    shape = tuple(input._data.shape)
    if not shape:
        return reshape(input, (1,))
    s = wrap_dim(start_dim, len(shape))
    e = wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


def unflatten(input: Any, dim: int, sizes: Any) -> Any:  # noqa: A002
    """Split dimension ``dim`` into ``sizes`` (one of them may be -1)."""
    shape = tuple(input._data.shape)
    d = wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten: only one dimension can be inferred")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if -1 in sizes:
        if known == 0 or shape[d] % known:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                               f"({shape[d]}) in the input tensor")
        sizes = tuple(shape[d] // known if s == -1 else s for s in sizes)
    elif known != shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({shape[d]}) in the input tensor")
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


# --- expand -------------------------------------------------------------------------------


def _expand_vjp(ctx: Any, g: Any) -> tuple:
    from .reduction import sum_to_size

    return (sum_to_size(g, ctx.input_shape(0)),)


EXPAND = defop("expand", 1, vjp=_expand_vjp, saves=((),),
               samples=lambda: [Sample((T((3, 1)),), ((3, 4),), name="2d"),
                                Sample((T((4,)),), ((2, 3, 4),), name="new_dims"),
                                Sample((T(()),), ((2, 2),), name="scalar")],
               reference=lambda np, x, shape: np.broadcast_to(x, shape))


direct("expand", "broadcast_to")


def expand(input: Any, *sizes: Any) -> Any:  # noqa: A002
    """A broadcast view of ``input`` with the given sizes (-1 keeps a dimension)."""
    shape = _sizes(sizes)
    in_shape = input._data.shape
    if len(shape) < len(in_shape):
        raise RuntimeError(
            f"expand(torch.{input.dtype.legacy}{{{list(in_shape)}}}, size={list(shape)}): the number of sizes provided "
            f"({len(shape)}) must be greater or equal to the number of dimensions in the tensor ({len(in_shape)})"
        )
    lead = len(shape) - len(in_shape)
    out = []
    for i, s in enumerate(shape):
        if s == -1:
            if i < lead:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = in_shape[i - lead]
        elif i >= lead and in_shape[i - lead] not in (1, s):
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({in_shape[i - lead]}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(shape)}.  Tensor sizes: {list(in_shape)}"
            )
        out.append(s)
    return EXPAND.dispatch((input,), (tuple(out),))


def broadcast_to(input: Any, size: Any) -> Any:  # noqa: A002
    """``input`` broadcast to ``size`` (ExpandBackward0)."""
    return expand(input, tuple(size))


def expand_as(input: Any, other: Any) -> Any:  # noqa: A002
    """``input`` broadcast to ``other``'s shape (ExpandBackward0)."""
    return expand(input, tuple(other._data.shape))


# --- alias --------------------------------------------------------------------------------


def _identity_vjp(ctx: Any, g: Any) -> tuple:
    return (g,)


ALIAS = defop("alias", 1, vjp=_identity_vjp, saves=((),),
              samples=lambda: [Sample((T((2, 3)),), name="2d"), Sample((T(()),), name="scalar")],
              reference=lambda np, x: x)


@generic("alias")
def _alias_kernel(xp: Any) -> Any:
    def alias(x: Any) -> Any:
        return x

    return alias


def _alias(t: Any) -> Any:
    """The same data under a new node (AliasBackward0): what ``x[...]`` and ``x.movedim(0, 0)`` give."""
    return ALIAS.dispatch((t,))


# --- squeeze / unsqueeze ------------------------------------------------------------------


def _squeeze_vjp(ctx: Any, g: Any) -> tuple:
    return (reshape(g, ctx.input_shape(0)),)


def _squeeze_samples(kind: str) -> Any:
    def gen() -> list:
        if kind == "all":
            return [Sample((T((2, 1, 3, 1)),), ((1, 3),), name="some"), Sample((T((1, 1)),), ((0, 1),), name="all"),
                    Sample((T((2, 3)),), ((),), name="none")]
        if kind == "dim":
            return [Sample((T((2, 1, 3)),), ((1,),), name="dim1"), Sample((T((2, 3)),), ((),), name="not_one"),
                    Sample((T(()),), ((),), name="scalar")]
        return [Sample((T((1, 2, 1)),), ((0, 2),), name="dims")]

    return gen


_SQUEEZE_REF = lambda np, x, dims: np.squeeze(x, axis=dims)  # noqa: E731
SQUEEZE = defop("squeeze", 1, vjp=_squeeze_vjp, node="SqueezeBackward0", saves=((),),
                samples=_squeeze_samples("all"), reference=_SQUEEZE_REF)
SQUEEZE_DIM = defop("squeeze_dim", 1, vjp=_squeeze_vjp, node="SqueezeBackward1", saves=((),),
                    samples=_squeeze_samples("dim"), reference=_SQUEEZE_REF)
SQUEEZE_DIMS = defop("squeeze_dims", 1, vjp=_squeeze_vjp, node="SqueezeBackward2", saves=((),),
                     samples=_squeeze_samples("dims"), reference=_SQUEEZE_REF)
# The in-place variants: same kernel, PyTorch's in-place node names.
SQUEEZE_INPLACE = defop("squeeze_inplace", 1, vjp=_squeeze_vjp, node="SqueezeBackward3", saves=((),),
                        samples=_squeeze_samples("all"), reference=_SQUEEZE_REF)
SQUEEZE_DIM_INPLACE = defop("squeeze_dim_inplace", 1, vjp=_squeeze_vjp, node="SqueezeBackward4", saves=((),),
                            samples=_squeeze_samples("dim"), reference=_SQUEEZE_REF)
SQUEEZE_DIMS_INPLACE = defop("squeeze_dims_inplace", 1, vjp=_squeeze_vjp, node="SqueezeBackward5", saves=((),),
                             samples=_squeeze_samples("dims"), reference=_SQUEEZE_REF)


@generic("squeeze")
@generic("squeeze_dim")
@generic("squeeze_dims")
@generic("squeeze_inplace")
@generic("squeeze_dim_inplace")
@generic("squeeze_dims_inplace")
def _squeeze_kernel(xp: Any) -> Any:
    def squeeze_(x: Any, dims: tuple) -> Any:
        return xp.squeeze(x, axis=dims) if dims else x

    return squeeze_


def _squeeze_args(input: Any, dim: Any, inplace: bool) -> tuple:  # noqa: A002
    """The op (SqueezeBackward0/1/2, or 3/4/5 in place) and the size-1 dims it removes."""
    shape = input._data.shape
    if dim is None:
        return (SQUEEZE_INPLACE if inplace else SQUEEZE), tuple(i for i, s in enumerate(shape) if s == 1)
    if isinstance(dim, (tuple, list)):
        dims = _dim_list(dim, len(shape))
        op = SQUEEZE_DIMS_INPLACE if inplace else SQUEEZE_DIMS
    else:
        dims = (wrap_dim(dim, len(shape)),)
        op = SQUEEZE_DIM_INPLACE if inplace else SQUEEZE_DIM
    return op, tuple(sorted(d for d in dims if shape and shape[d] == 1))


def squeeze(input: Any, dim: Any = None) -> Any:  # noqa: A002
    """``input`` without its size-1 dimensions (all, or those among ``dim``: an int or a tuple)."""
    op, dims = _squeeze_args(input, dim, False)
    return op.dispatch((input,), (dims,))


def _unsqueeze_vjp(ctx: Any, g: Any) -> tuple:
    return (SQUEEZE_DIM.dispatch((g,), ((ctx.attrs[0],),)),)


_UNSQUEEZE_SAMPLES = lambda: [Sample((T((2, 3)),), (0,), name="front"),  # noqa: E731
                              Sample((T((2, 3)),), (2,), name="back"),
                              Sample((T(()),), (0,), name="scalar")]
UNSQUEEZE = defop("unsqueeze", 1, vjp=_unsqueeze_vjp, saves=((),), samples=_UNSQUEEZE_SAMPLES,
                  reference=lambda np, x, dim: np.expand_dims(x, dim))
UNSQUEEZE_INPLACE = defop("unsqueeze_inplace", 1, vjp=_unsqueeze_vjp, node="UnsqueezeBackward1", saves=((),),
                          samples=_UNSQUEEZE_SAMPLES, reference=lambda np, x, dim: np.expand_dims(x, dim))


@generic("unsqueeze")
@generic("unsqueeze_inplace")
def _unsqueeze_kernel(xp: Any) -> Any:
    def unsqueeze_(x: Any, dim: int) -> Any:
        return xp.expand_dims(x, axis=dim)

    return unsqueeze_


def unsqueeze(input: Any, dim: int) -> Any:  # noqa: A002
    """``input`` with a new size-1 dimension at ``dim``."""
    return UNSQUEEZE.dispatch((input,), (wrap_dim(dim, input._data.ndim + 1),))


# --- transpose / t / permute / movedim ----------------------------------------------------


def _transpose_vjp(ctx: Any, g: Any) -> tuple:
    return (TRANSPOSE.dispatch((g,), ctx.attrs),)


_TRANSPOSE_SAMPLES = lambda: [Sample((T((2, 3)),), (0, 1), name="2d"),  # noqa: E731
                              Sample((T((2, 3, 4)),), (0, 2), name="3d"),
                              Sample((T((2, 3)),), (1, 1), name="same")]
TRANSPOSE = defop("transpose", 1, vjp=_transpose_vjp, saves=((),), samples=_TRANSPOSE_SAMPLES,
                  reference=lambda np, x, a, b: np.swapaxes(x, a, b))
TRANSPOSE_INPLACE = defop("transpose_inplace", 1, vjp=_transpose_vjp, node="TransposeBackward1", saves=((),),
                          samples=_TRANSPOSE_SAMPLES, reference=lambda np, x, a, b: np.swapaxes(x, a, b))


@generic("transpose")
@generic("transpose_inplace")
def _transpose_kernel(xp: Any) -> Any:
    permute_dims = _permute_fn(xp)

    def transpose_(x: Any, dim0: int, dim1: int) -> Any:
        if dim0 == dim1:
            return x
        perm = list(range(x.ndim))
        perm[dim0], perm[dim1] = dim1, dim0
        return permute_dims(x, tuple(perm))

    return transpose_


def transpose(input: Any, dim0: int, dim1: int) -> Any:  # noqa: A002
    """``input`` with dimensions ``dim0`` and ``dim1`` swapped."""
    n = input._data.ndim
    return TRANSPOSE.dispatch((input,), (wrap_dim(dim0, n), wrap_dim(dim1, n)))


swapaxes = swapdims = transpose


def _t_vjp(ctx: Any, g: Any) -> tuple:
    return (T_OP.dispatch((g,)),)


_T_SAMPLES = lambda: [Sample((T((2, 3)),), name="2d"), Sample((T((3,)),), name="1d"),  # noqa: E731
                      Sample((T(()),), name="scalar")]
T_OP = defop("t", 1, vjp=_t_vjp, node="TBackward0", saves=((),), samples=_T_SAMPLES,
             reference=lambda np, x: x.T)
T_INPLACE = defop("t_inplace", 1, vjp=_t_vjp, node="TBackward1", saves=((),), samples=_T_SAMPLES,
                  reference=lambda np, x: x.T)


@generic("t")
@generic("t_inplace")
def _t_kernel(xp: Any) -> Any:
    permute_dims = _permute_fn(xp)

    def t_(x: Any) -> Any:
        return permute_dims(x, (1, 0)) if x.ndim == 2 else x

    return t_


def _check_t(input: Any) -> None:  # noqa: A002
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")


def t(input: Any) -> Any:  # noqa: A002
    """The transpose of a matrix; vectors and 0-d tensors come back unchanged (TBackward0)."""
    _check_t(input)
    return T_OP.dispatch((input,))


def _permute_vjp(ctx: Any, g: Any) -> tuple:
    dims = ctx.attrs[0]
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return (PERMUTE.dispatch((g,), (tuple(inverse),)),)


PERMUTE = defop("permute", 1, vjp=_permute_vjp, saves=((),),
                samples=lambda: [Sample((T((2, 3, 4)),), ((2, 0, 1),), name="3d"),
                                 Sample((T((2, 3)),), ((1, 0),), name="2d"),
                                 Sample((T(()),), ((),), name="scalar")],
                reference=lambda np, x, dims: np.transpose(x, dims))


@generic("permute")
def _permute_kernel(xp: Any) -> Any:
    permute_dims = _permute_fn(xp)

    def permute_(x: Any, dims: tuple) -> Any:
        return permute_dims(x, dims)

    return permute_


def permute(input: Any, *dims: Any) -> Any:  # noqa: A002
    """``input`` with its dimensions reordered: ``x.permute(2, 0, 1)`` or ``permute(x, (2, 0, 1))``."""
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    d = _sizes(dims)
    n = input._data.ndim
    if len(d) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {len(d)}"
        )
    d = tuple(wrap_dim(i, n) for i in d)
    if len(set(d)) != len(d):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return PERMUTE.dispatch((input,), (d,))


def movedim(input: Any, source: Any, destination: Any) -> Any:  # noqa: A002
    """Move dimensions ``source`` to positions ``destination``; the others keep their order (PermuteBackward0)."""
    n = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same number of "
            f"dims as destination ({dst} dims)"
        )
    src = [wrap_dim(s, n) for s in src]
    dst = [wrap_dim(s, n) for s in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    if n == 0 or src == dst:
        return _alias(input)
    perm = [-1] * n
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(i for i in range(n) if i not in src)
    perm = [next(rest) if p == -1 else p for p in perm]
    return PERMUTE.dispatch((input,), (tuple(perm),))


moveaxis = movedim


def _T_property(self: Any) -> Any:
    n = self._data.ndim
    if n == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                      UserWarning, stacklevel=2)
    elif n != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
            "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
            "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
            UserWarning, stacklevel=2,
        )
    return PERMUTE.dispatch((self,), (tuple(range(n - 1, -1, -1)),))


def _mT_property(self: Any) -> Any:
    n = self._data.ndim
    if n < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {n}-D tensor.")
    return TRANSPOSE.dispatch((self,), (n - 2, n - 1))


# --- select / slice / narrow --------------------------------------------------------------


def _select_index(ndim: int, dim: int, index: int) -> tuple:
    # Note: the trailing Ellipsis keeps a 0-d result an array (NumPy returns a scalar for a full integer index).
    return (slice(None),) * dim + (index, Ellipsis)


def _select_vjp(ctx: Any, g: Any) -> tuple:
    dim, index = ctx.attrs
    return (SELECT_BACKWARD.dispatch((g,), (tuple(ctx.input_shape(0)), dim, index)),)


SELECT = defop("select", 1, vjp=_select_vjp, saves=((),),
               samples=lambda: [Sample((T((3, 4)),), (0, 1), name="row"), Sample((T((3, 4)),), (1, 3), name="col"),
                                Sample((T((4,)),), (0, 2), name="to_scalar")],
               reference=lambda np, x, dim, index: np.take(x, index, axis=dim))


@generic("select")
def _select_kernel(xp: Any) -> Any:
    def select_(x: Any, dim: int, index: int) -> Any:
        return x[_select_index(x.ndim, dim, index)]

    return select_


def _select_backward_vjp(ctx: Any, g: Any) -> tuple:
    _, dim, index = ctx.attrs
    return (SELECT.dispatch((g,), (dim, index)),)


SELECT_BACKWARD = defop("select_backward", 1, vjp=_select_backward_vjp, node="SelectBackwardBackward0",
                        saves=((),),
                        samples=lambda: [Sample((T((4,)),), ((3, 4), 0, 1), name="row"),
                                         Sample((T(()),), ((4,), 0, 2), name="scalar")],
                        reference=lambda np, g, shape, dim, index: _np_embed(np, g, shape,
                                                                             _select_index(0, dim, index)))


def _np_embed(np: Any, g: Any, shape: tuple, index: tuple) -> Any:
    out = np.zeros(shape, dtype=g.dtype)
    out[index] = g
    return out


@generic("select_backward")
def _select_backward_kernel(xp: Any) -> Any:
    def select_backward(g: Any, shape: tuple, dim: int, index: int) -> Any:
        out = xp.zeros(shape, dtype=g.dtype)
        out[_select_index(len(shape), dim, index)] = g
        return out

    return select_backward


def select(input: Any, dim: int, index: int) -> Any:  # noqa: A002
    """The slice of ``input`` at ``index`` along ``dim``, which disappears (SelectBackward0)."""
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    i = int(index)
    if not -shape[d] <= i < shape[d]:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(shape)} at dimension {d}")
    return SELECT.dispatch((input,), (d, i % shape[d]))


def _slice_index(dim: int, start: int, stop: int, step: int) -> tuple:
    return (slice(None),) * dim + (slice(start, stop, step), Ellipsis)


def _slice_vjp(ctx: Any, g: Any) -> tuple:
    return (SLICE_BACKWARD.dispatch((g,), (tuple(ctx.input_shape(0)), *ctx.attrs)),)


SLICE = defop("slice", 1, vjp=_slice_vjp, saves=((),),
              samples=lambda: [Sample((T((5, 3)),), (0, 1, 4, 1), name="rows"),
                               Sample((T((3, 6)),), (1, 0, 6, 2), name="step"),
                               Sample((T((3, 2)),), (0, 3, 3, 1), name="empty", gradgradcheck=False)],
              reference=lambda np, x, dim, start, stop, step: x[_slice_index(dim, start, stop, step)])


@generic("slice")
def _slice_kernel(xp: Any) -> Any:
    def slice_(x: Any, dim: int, start: int, stop: int, step: int) -> Any:
        return x[_slice_index(dim, start, stop, step)]

    return slice_


def _slice_backward_vjp(ctx: Any, g: Any) -> tuple:
    _, dim, start, stop, step = ctx.attrs
    return (SLICE.dispatch((g,), (dim, start, stop, step)),)


SLICE_BACKWARD = defop("slice_backward", 1, vjp=_slice_backward_vjp, node="SliceBackwardBackward0", saves=((),),
                       samples=lambda: [Sample((T((3, 3)),), ((5, 3), 0, 1, 4, 1), name="rows"),
                                        Sample((T((3, 3)),), ((3, 6), 1, 0, 6, 2), name="step")],
                       reference=lambda np, g, shape, dim, start, stop, step: _np_embed(
                           np, g, shape, _slice_index(dim, start, stop, step)))


@generic("slice_backward")
def _slice_backward_kernel(xp: Any) -> Any:
    def slice_backward(g: Any, shape: tuple, dim: int, start: int, stop: int, step: int) -> Any:
        out = xp.zeros(shape, dtype=g.dtype)
        out[_slice_index(dim, start, stop, step)] = g
        return out

    return slice_backward


def _slice(input: Any, dim: int, start: int, stop: int, step: int = 1) -> Any:  # noqa: A002
    """``input[..., start:stop:step, ...]`` along ``dim`` with bounds already clamped (SliceBackward0)."""
    return SLICE.dispatch((input,), (dim, start, stop, step))


def _clamp_slice(s: slice, size: int) -> tuple[int, int, int]:
    """PyTorch's slice bounds: Python's clamping, and a step that must be positive."""
    step = 1 if s.step is None else int(s.step)
    if step <= 0:
        raise ValueError("step must be greater than zero")
    start = 0 if s.start is None else int(s.start)
    stop = size if s.stop is None else int(s.stop)
    if start < 0:
        start = max(start + size, 0)
    if stop < 0:
        stop = max(stop + size, 0)
    start = min(start, size)
    stop = min(max(stop, start), size)
    return start, stop, step


def narrow(input: Any, dim: int, start: Any, length: int) -> Any:  # noqa: A002
    """``length`` elements of ``input`` along ``dim`` from ``start`` (SliceBackward0)."""
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    start = int(start)
    length = int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice(input, d, start, start + length, 1)


# --- cat / stack --------------------------------------------------------------------------


def _is_legacy_empty(shape: tuple) -> bool:
    return len(shape) == 1 and shape[0] == 0


def _cat_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import _zeros_native

    (dim,) = ctx.attrs
    grads = []
    offset = 0
    for i, need in enumerate(ctx.needs_input_grad):
        shape = ctx.input_shape(i)
        if _is_legacy_empty(shape) and g._data.ndim != 1:
            grads.append(_zeros_native(shape, g._data.dtype, g._backend) if need else None)
            continue
        size = shape[dim]
        grads.append(_slice(g, dim, offset, offset + size) if need else None)
        offset += size
    return tuple(grads)


CAT = defop("cat", -1, vjp=_cat_vjp, saves=(),
            samples=lambda: [Sample((T((2, 3)), T((4, 3))), (0,), name="rows"),
                             Sample((T((2, 3)), T((2, 1)), T((2, 2))), (1,), name="three"),
                             Sample((T((2, 3)),), (0,), name="one"),
                             Sample((T((0, 3)), T((2, 3))), (0,), name="empty_part")],
            reference=lambda np, *a: np.concatenate(a[:-1], axis=a[-1]))


@generic("cat")
def _cat_kernel(xp: Any) -> Any:
    concat = _concat_fn(xp)

    def cat_(*arrays_and_dim: Any) -> Any:
        *arrays, dim = arrays_and_dim
        kept = [a for a in arrays if not _is_legacy_empty(a.shape)]
        if kept and len(kept) != len(arrays) and kept[0].ndim != 1:
            arrays = kept  # PyTorch skips 1-d empty tensors when concatenating higher-dimensional ones
        return concat(arrays, axis=dim)

    return cat_


def cat(tensors: Any, dim: int = 0, *, out: Any = None) -> Any:
    """Join ``tensors`` along the existing dimension ``dim``; dtypes promote (CatBackward0)."""
    if out is not None:
        return write_out("cat", out, list(tensors), lambda: cat(tensors, dim))
    tensors = _check_tensor_list(tensors, "cat", "torch.cat(): expected a non-empty list of Tensors", ValueError)
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    real = [(i, t) for i, t in enumerate(tensors) if not _is_legacy_empty(t._data.shape)]
    ref = real[0][1] if real else tensors[0]
    d = wrap_dim(dim, ref._data.ndim)
    ref_shape = ref._data.shape
    for i, t in real:
        shape = t._data.shape
        if len(shape) != len(ref_shape):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref_shape)} and {len(shape)}")
        for k, (a, b) in enumerate(zip(ref_shape, shape)):
            if k != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} but got size {b} "
                    f"for tensor number {i} in the list."
                )
    tensors = _promote_all(tensors, "cat")
    return CAT.dispatch(tuple(tensors), (d,))


concat = cat


def concatenate(tensors: Any, axis: int = 0, out: Any = None) -> Any:
    """NumPy's name for :func:`cat` (``axis`` is ``dim``)."""
    return cat(tensors, axis, out=out)


def _stack_vjp(ctx: Any, g: Any) -> tuple:
    (dim,) = ctx.attrs
    return tuple(SELECT.dispatch((g,), (dim, i)) if need else None for i, need in enumerate(ctx.needs_input_grad))


STACK = defop("stack", -1, vjp=_stack_vjp, saves=(),
              samples=lambda: [Sample((T((2, 3)), T((2, 3))), (0,), name="front"),
                               Sample((T((2, 3)), T((2, 3)), T((2, 3))), (2,), name="back"),
                               Sample((T(()), T(())), (0,), name="scalars")],
              reference=lambda np, *a: np.stack(a[:-1], axis=a[-1]))


@generic("stack")
def _stack_kernel(xp: Any) -> Any:
    def stack_(*arrays_and_dim: Any) -> Any:
        *arrays, dim = arrays_and_dim
        return xp.stack(arrays, axis=dim)

    return stack_


def stack(tensors: Any, dim: int = 0, *, out: Any = None) -> Any:
    """Join equally shaped ``tensors`` along a new dimension ``dim`` (StackBackward0)."""
    if out is not None:
        return write_out("stack", out, list(tensors), lambda: stack(tensors, dim))
    tensors = _check_tensor_list(tensors, "stack", "stack expects a non-empty TensorList", RuntimeError)
    shape0 = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape0)} at entry 0 and "
                               f"{list(t._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape0) + 1)
    tensors = _promote_all(tensors, "stack")
    return STACK.dispatch(tuple(tensors), (d,))


def hstack(tensors: Any, *, out: Any = None) -> Any:
    """Concatenate along the second dimension (the first for 1-d tensors)."""
    if out is not None:
        return write_out("hstack", out, list(tensors), lambda: hstack(tensors))
    tensors = [_atleast_1d(t) for t in _check_tensor_list(tensors, "hstack", "hstack expects a non-empty TensorList",
                                                         RuntimeError)]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors: Any, *, out: Any = None) -> Any:
    """Concatenate along the first dimension, treating 1-d tensors as rows."""
    if out is not None:
        return write_out("vstack", out, list(tensors), lambda: vstack(tensors))
    tensors = [_atleast_2d(t) for t in _check_tensor_list(tensors, "vstack", "vstack expects a non-empty TensorList",
                                                         RuntimeError)]
    return cat(tensors, 0)


row_stack = vstack


def _atleast(one: Any, tensors: tuple) -> Any:
    """``one`` applied to a single tensor, or to each of several (given apart or as one sequence) as a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], _reg.Tensor):
        return one(tensors[0])
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return tuple(one(t) for t in tensors)


def _atleast_1d(t: Any) -> Any:
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def _atleast_2d(t: Any) -> Any:
    n = t._data.ndim
    if n == 0:
        return reshape(t, (1, 1))
    return unsqueeze(t, 0) if n == 1 else t


def _atleast_3d(t: Any) -> Any:
    n = t._data.ndim
    if n == 0:
        return reshape(t, (1, 1, 1))
    if n == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if n == 2 else t


def atleast_1d(*tensors: Any) -> Any:
    """``input`` itself, or a 0-d tensor as a 1-element vector (several tensors: a tuple of them)."""
    return _atleast(_atleast_1d, tensors)


def atleast_2d(*tensors: Any) -> Any:
    """``input`` itself, or with a leading size-1 dimension added until it has two (several: a tuple)."""
    return _atleast(_atleast_2d, tensors)


def atleast_3d(*tensors: Any) -> Any:
    """``input`` with size-1 dimensions added until it has three: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _atleast(_atleast_3d, tensors)


def dstack(tensors: Any, *, out: Any = None) -> Any:
    """Concatenate along the third dimension, after making each tensor at least 3-d (CatBackward0)."""
    if out is not None:
        return write_out("dstack", out, list(tensors), lambda: dstack(tensors))
    tensors = _check_tensor_list(tensors, "dstack", "dstack expects a non-empty TensorList", RuntimeError)
    return cat([_atleast_3d(t) for t in tensors], 2)


def column_stack(tensors: Any, *, out: Any = None) -> Any:
    """Stack vectors (and 0-d tensors) as columns, and concatenate matrices along the columns (CatBackward0)."""
    if out is not None:
        return write_out("column_stack", out, list(tensors), lambda: column_stack(tensors))
    tensors = _check_tensor_list(tensors, "column_stack", "column_stack expects a non-empty TensorList",
                                 RuntimeError)
    return hstack([reshape(t, (t.numel(), 1)) if t._data.ndim <= 1 else t for t in tensors])


# --- split / chunk / unbind ---------------------------------------------------------------


def _split_vjp(ctx: Any, g: Any) -> tuple:
    return (CAT.dispatch(tuple(g), (ctx.attrs[0],)),)


def _split_samples() -> list:
    return [Sample((T((5, 3)),), (0, (2, 2, 1)), name="uneven"), Sample((T((2, 6)),), (1, (3, 3)), name="even")]


def _np_split(np: Any, x: Any, dim: int, sizes: tuple) -> tuple:
    bounds = [sum(sizes[:i + 1]) for i in range(len(sizes) - 1)]
    return tuple(np.split(x, bounds, axis=dim))


SPLIT = defop("split", 1, vjp=_split_vjp, nout=-1, saves=((),), samples=_split_samples, reference=_np_split)
SPLIT_WITH_SIZES = defop("split_with_sizes", 1, vjp=_split_vjp, nout=-1, saves=((),), samples=_split_samples,
                         reference=_np_split)


@generic("split")
@generic("split_with_sizes")
def _split_kernel(xp: Any) -> Any:
    def split_(x: Any, dim: int, sizes: tuple) -> tuple:
        out = []
        start = 0
        for s in sizes:
            out.append(x[_slice_index(dim, start, start + s, 1)])
            start += s
        return tuple(out)

    return split_


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``tensor`` along ``dim``: of ``split_size`` each (the last may be shorter), or of the given sizes."""
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    if isinstance(split_size_or_sections, int) or hasattr(split_size_or_sections, "__index__"):
        n = int(split_size_or_sections)
        if n < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={n}")
        if n == 0 and size != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = (size,) if n == 0 else tuple(min(n, size - o) for o in range(0, size, n)) or (0,)
        return SPLIT.dispatch((tensor,), (d, sizes))
    sizes = tuple(int(s) for s in split_size_or_sections)
    if sum(sizes) != size or any(s < 0 for s in sizes):
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension {d}), "
            f"but got split_sizes={list(sizes)}"
        )
    return SPLIT_WITH_SIZES.dispatch((tensor,), (d, sizes))


def split_with_sizes(input: Any, split_sizes: Sequence[int], dim: int = 0) -> tuple:  # noqa: A002
    """Pieces of ``input`` along ``dim`` with the given sizes (SplitWithSizesBackward0)."""
    return split(input, list(split_sizes), dim)


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple:  # noqa: A002
    """At most ``chunks`` pieces of (nearly) equal size along ``dim``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    shape = input._data.shape
    if not shape:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    step = (size + chunks - 1) // chunks
    if step == 0 and size == 0:
        return SPLIT_WITH_SIZES.dispatch((input,), (d, (0,) * chunks))
    return split(input, step, d)


def _split_by_dims(name: str, input: Any, spec: Any, min_dims: int, dim: int) -> tuple:  # noqa: A002
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {input.ndim} dimensions!")
    if isinstance(spec, int) and spec > 0 and input.shape[dim] % spec:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                           f"{input.shape[dim]} is not divisible by the split_size {spec}!")
    return tensor_split(input, spec, dim)


def hsplit(input: Any, indices_or_sections: Any) -> tuple:  # noqa: A002
    """``tensor_split`` along the columns: dimension 1, or 0 for a 1-D tensor; a number of sections must divide it."""
    return _split_by_dims("hsplit", input, indices_or_sections, 1, 1 if input.ndim > 1 else 0)


def vsplit(input: Any, indices_or_sections: Any) -> tuple:  # noqa: A002
    """``tensor_split`` along dimension 0 of a tensor of at least 2 dimensions."""
    return _split_by_dims("vsplit", input, indices_or_sections, 2, 0)


def dsplit(input: Any, indices_or_sections: Any) -> tuple:  # noqa: A002
    """``tensor_split`` along dimension 2 of a tensor of at least 3 dimensions."""
    return _split_by_dims("dsplit", input, indices_or_sections, 3, 2)


def _resize_(self: Any, *size: Any) -> Any:
    """Give ``self`` the shape ``size`` in place, keeping its elements in row-major order; new ones are zero."""
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = _sizes(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    xp = self._backend.namespace()
    n = 1
    for s in shape:
        n *= s
    flat = xp.reshape(self._data, (-1,))
    if n <= flat.shape[0]:
        flat = flat[:n]
    else:
        flat = xp.concat([flat, xp.zeros((n - flat.shape[0],), dtype=self._data.dtype)])
    self._data = xp.reshape(xp.asarray(flat, copy=True), shape)
    self._view_of = None
    self._bump_version()
    return self


def _resize_as_(self: Any, the_template: Any) -> Any:
    return _resize_(self, tuple(the_template.shape))


def tensor_split(input: Any, indices_or_sections: Any = None, dim: int = 0, *, sections: Any = None,  # noqa: A002
                 indices: Any = None, tensor_indices_or_sections: Any = None) -> tuple:
    """Views of ``input`` along ``dim``: ``sections`` pieces of near-equal size (the first ones one longer), or
    the pieces between the positions in ``indices`` (Python slice rules: clamped, negatives from the end)."""
    given = [a for a in (indices_or_sections, sections, indices, tensor_indices_or_sections) if a is not None]
    if len(given) != 1:
        raise TypeError("tensor_split() missing required argument 'indices_or_sections'" if not given else
                        "tensor_split() received an invalid combination of arguments")
    spec = given[0]
    shape = input._data.shape
    if not shape:
        raise RuntimeError(f"tensor_split expected at least a 1-dimensional tensor, but got a tensor with "
                           f"{len(shape)} dims")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    if isinstance(spec, _reg.Tensor):
        if spec.dtype is not _dt.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{_scalar_name(spec.dtype)}")
        if spec._data.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {spec._data.ndim} dims")
        spec = int(spec.item()) if spec._data.ndim == 0 else [int(v) for v in spec.tolist()]
    if isinstance(spec, int) or hasattr(spec, "__index__"):
        n = int(spec)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        small, extra = divmod(size, n)
        bounds, start = [], 0
        for i in range(n):
            stop = start + small + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
    else:
        cuts = [int(i) for i in spec]
        bounds = list(zip([0, *cuts], [*cuts, size]))
    pieces = []
    for a, b in bounds:
        start, stop, _ = _clamp_slice(slice(a, b), size)
        pieces.append(_slice(input, d, start, max(start, stop)))
    return tuple(pieces)


def _unbind_vjp(ctx: Any, g: Any) -> tuple:
    return (STACK.dispatch(tuple(g), (ctx.attrs[0],)),)


UNBIND = defop("unbind", 1, vjp=_unbind_vjp, nout=-1, saves=((),),
               samples=lambda: [Sample((T((3, 2)),), (0,), name="rows"), Sample((T((2, 3)),), (1,), name="cols")],
               reference=lambda np, x, dim: tuple(np.moveaxis(x, dim, 0)))


@generic("unbind")
def _unbind_kernel(xp: Any) -> Any:
    def unbind_(x: Any, dim: int) -> tuple:
        return tuple(x[_select_index(x.ndim, dim, i)] for i in range(x.shape[dim]))

    return unbind_


def unbind(input: Any, dim: int = 0) -> tuple:  # noqa: A002
    """The slices of ``input`` along ``dim``, as a tuple (UnbindBackward0)."""
    shape = input._data.shape
    if not shape:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return UNBIND.dispatch((input,), (wrap_dim(dim, len(shape)),))


# --- flip / roll / repeat -----------------------------------------------------------------


def _flip_vjp(ctx: Any, g: Any) -> tuple:
    return (FLIP.dispatch((g,), ctx.attrs),)


FLIP = defop("flip", 1, vjp=_flip_vjp, saves=((),),
             samples=lambda: [Sample((T((3, 4)),), ((0,),), name="rows"),
                              Sample((T((2, 3, 4)),), ((0, 2),), name="two"),
                              Sample((T(()),), ((),), name="scalar")],
             reference=lambda np, x, dims: np.flip(x, axis=dims) if dims else x)


@generic("flip")
def _flip_kernel(xp: Any) -> Any:
    # Note: PyTorch's flip copies; NumPy's is a view, which an in-place op on the result would write through.
    def flip_(x: Any, dims: tuple) -> Any:
        return xp.asarray(xp.flip(x, axis=dims) if dims else x, copy=True)

    return flip_


def flip(input: Any, *dims: Any) -> Any:  # noqa: A002
    """``input`` with the order of elements reversed along ``dims`` (FlipBackward0)."""
    d = _dim_list(_sizes(dims) if dims else (), input._data.ndim)
    return FLIP.dispatch((input,), (d if input._data.ndim else (),))


def fliplr(input: Any) -> Any:  # noqa: A002
    """Flip the second dimension."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Any) -> Any:  # noqa: A002
    """Flip the first dimension."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


# --- rot90 / unfold --------------------------------------------------------------------------


def _rot90_vjp(ctx: Any, g: Any) -> tuple:
    k, d0, d1 = ctx.attrs
    return (ROT90.dispatch((g,), ((-k) % 4, d0, d1)),)


ROT90 = defop("rot90", 1, vjp=_rot90_vjp, saves=((),),
              samples=lambda: [Sample((T((3, 4)),), (k, 0, 1), name=f"k{k}") for k in range(4)]
              + [Sample((T((2, 3, 4)),), (1, 2, 0), name="dims_2_0")],
              reference=lambda np, x, k, d0, d1: np.rot90(x, k, axes=(d0, d1)).copy())


@generic("rot90")
def _rot90_kernel(xp: Any) -> Any:
    permute_dims = _permute_fn(xp)

    def rot90(x: Any, k: int, d0: int, d1: int) -> Any:
        perm = list(range(x.ndim))
        perm[d0], perm[d1] = d1, d0
        if k == 0:
            return xp.asarray(x, copy=True)
        if k == 2:
            out = xp.flip(x, axis=(d0, d1))
        elif k == 1:
            out = permute_dims(xp.flip(x, axis=d1), tuple(perm))
        else:
            out = xp.flip(permute_dims(x, tuple(perm)), axis=d1)
        return xp.asarray(out, copy=True)  # a copy, as PyTorch's rot90 (the flips above are views)

    return rot90


def rot90(input: Any, k: int = 1, dims: Sequence[int] = (0, 1)) -> Any:  # noqa: A002
    """``input`` rotated by ``k`` quarter turns in the plane of ``dims``, from the first towards the second
    (NumPy's rot90; Rot90Backward0)."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    return ROT90.dispatch((input,), (int(k) % 4, d0, d1))


def _unfold_windows(xp: Any, length: int, size: int, step: int) -> Any:
    """The flat positions the windows cover, window by window: ``[0..size), [step..step+size), ...``."""
    n = (length - size) // step + 1
    starts = xp.reshape(xp.arange(n, dtype=xp.int64) * step, (n, 1))
    return xp.reshape(starts + xp.reshape(xp.arange(size, dtype=xp.int64), (1, size)), (n * size,))


def _unfold_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import _zeros_native
    from .indexing import INDEX_ADD

    dim, size, step = ctx.attrs
    shape = tuple(ctx.input_shape(0))
    if not shape:
        return (reshape(g, ()),)
    xp = g._backend.namespace()
    n = g._data.shape[dim]
    # Put each window's elements next to its index, merge both, and add every window back where it came from.
    last = g._data.ndim - 1
    perm = tuple(range(dim + 1)) + (last,) + tuple(range(dim + 1, last))
    merged = reshape(PERMUTE.dispatch((g,), (perm,)), shape[:dim] + (n * size,) + shape[dim + 1:])
    zeros = _zeros_native(shape, g._data.dtype, g._backend)
    return (INDEX_ADD.dispatch((zeros, merged), (dim, _unfold_windows(xp, shape[dim], size, step), 1)),)


def _np_unfold(np: Any, x: Any, dim: int, size: int, step: int) -> Any:
    if x.ndim == 0:
        return x.reshape(1)
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)
    return np.take(windows, np.arange(0, windows.shape[dim], step), axis=dim)


UNFOLD = defop("tensor_unfold", 1, vjp=_unfold_vjp, node="UnfoldBackward0", saves=((),),
               samples=lambda: [Sample((T((3, 7)),), (1, 3, 2), name="strided"),
                                Sample((T((5, 2)),), (0, 2, 1), name="overlapping"),
                                Sample((T((2, 6, 2)),), (1, 2, 3), name="gaps"),
                                Sample((T((3, 4)),), (1, 4, 1), name="whole"),
                                Sample((T(()),), (0, 1, 1), name="scalar")],
               reference=_np_unfold)


@generic("tensor_unfold")
def _unfold_kernel(xp: Any) -> Any:
    permute_dims = _permute_fn(xp)

    def unfold(x: Any, dim: int, size: int, step: int) -> Any:
        if x.ndim == 0:
            return xp.reshape(xp.asarray(x, copy=True), (1,))
        length = x.shape[dim]
        n = (length - size) // step + 1
        taken = xp.take(x, _unfold_windows(xp, length, size, step), axis=dim)
        split = xp.reshape(taken, x.shape[:dim] + (n, size) + x.shape[dim + 1:])
        perm = tuple(i for i in range(split.ndim) if i != dim + 1) + (dim + 1,)
        return permute_dims(split, perm)

    return unfold


def unfold(input: Any, dimension: int, size: int, step: int) -> Any:  # noqa: A002
    """``Tensor.unfold``: the windows of ``size`` elements, ``step`` apart, along ``dimension``, as a new last
    dimension (UnfoldBackward0)."""
    shape = tuple(input._data.shape)
    d = wrap_dim(dimension, len(shape))
    length = shape[d] if shape else 1
    size, step = int(size), int(step)
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return UNFOLD.dispatch((input,), (d, size, step))


def _roll_vjp(ctx: Any, g: Any) -> tuple:
    shifts, dims = ctx.attrs
    neg = -shifts if isinstance(shifts, int) else tuple(-s for s in shifts)
    return (ROLL.dispatch((g,), (neg, dims)),)


ROLL = defop("roll", 1, vjp=_roll_vjp, saves=((),),
             samples=lambda: [Sample((T((3, 4)),), (1, None), name="flat"),
                              Sample((T((3, 4)),), ((1, -2), (0, 1)), name="two"),
                              Sample((T((5,)),), ((7,), (0,)), name="wrap")],
             reference=lambda np, x, shifts, dims: np.roll(x, shifts, axis=dims))


@generic("roll")
def _roll_kernel(xp: Any) -> Any:
    def roll_(x: Any, shifts: Any, dims: Any) -> Any:
        return xp.roll(x, shifts, axis=dims) if x.ndim else x

    return roll_


def roll(input: Any, shifts: Any, dims: Any = None) -> Any:  # noqa: A002
    """Rotate ``input`` by ``shifts`` along ``dims`` (over the flattened tensor without ``dims``)."""
    n = input._data.ndim
    s = (int(shifts),) if isinstance(shifts, int) or hasattr(shifts, "__index__") else tuple(int(v) for v in shifts)
    if dims is None:
        if len(s) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(s)}, dims:0")
        return ROLL.dispatch((input,), (s[0], None))
    d = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(s) != len(d):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(s)}, dims:{len(d)}")
    return ROLL.dispatch((input,), (s, tuple(wrap_dim(v, n) for v in d)))


def _repeat_vjp(ctx: Any, g: Any) -> tuple:
    from .reduction import sum as _sum

    (reps,) = ctx.attrs
    in_shape = tuple(ctx.input_shape(0))
    padded = (1,) * (len(reps) - len(in_shape)) + in_shape
    split_shape: list[int] = []
    for r, s in zip(reps, padded):
        split_shape += [r, s]
    g = _sum(reshape(g, tuple(split_shape)), tuple(range(0, 2 * len(reps), 2)))
    return (reshape(g, in_shape),)


REPEAT = defop("repeat", 1, vjp=_repeat_vjp, saves=((),),
               samples=lambda: [Sample((T((2, 3)),), ((2, 1),), name="rows"),
                                Sample((T((2, 3)),), ((2, 1, 3),), name="new_dim"),
                                Sample((T(()),), ((3,),), name="scalar"),
                                Sample((T((2,)),), ((0,),), name="zero", gradgradcheck=False)],
               reference=lambda np, x, reps: np.tile(x, reps))


direct("repeat", "tile")


def repeat(input: Any, *sizes: Any) -> Any:  # noqa: A002
    """``input`` tiled ``sizes`` times along each dimension; extra leading sizes add dimensions (RepeatBackward0)."""
    reps = _sizes(sizes)
    shape = tuple(input._data.shape)
    if len(reps) < len(shape):
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    padded = (1,) * (len(reps) - len(shape)) + shape
    target = [r * s for r, s in zip(reps, padded)]
    for i, r in enumerate(reps):
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {target[i]}: {target}")
    return REPEAT.dispatch((input,), (reps,))


def tile(input: Any, *dims: Any) -> Any:  # noqa: A002
    """Like :meth:`repeat`, with ones prepended to ``dims`` when it has fewer entries than ``input`` has dimensions."""
    reps = _sizes(dims)
    n = input._data.ndim
    if len(reps) < n:
        reps = (1,) * (n - len(reps)) + reps
    return repeat(input, reps)


def ravel(input: Any) -> Any:  # noqa: A002
    """``input`` as one dimension (a view when it can be one, as :func:`reshape`)."""
    return reshape(input, (-1,))


def repeat_interleave(input: Any, repeats: Any = None, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> Any:
    """Each element repeated ``repeats`` times (an int, or a tensor of counts, one per element along ``dim``);
    with no ``dim`` the input is flattened first. ``repeat_interleave(counts)`` gives ``[0]*counts[0] + ...``."""
    from ..tensor import Tensor, _wrap

    if repeats is None:  # repeat_interleave(counts): the indices, each repeated its count
        counts = input
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        xp = counts._backend.namespace()
        return _wrap(xp.repeat(xp.arange(counts.shape[0], dtype=counts._data.dtype), counts._data), counts._backend)
    if dim is None:
        input = flatten(input)
        dim = 0
    d = wrap_dim(dim, input._data.ndim)
    n = input.shape[d] if input.ndim else 1
    if isinstance(repeats, Tensor) and repeats.ndim:
        if repeats.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if repeats.shape[0] != n:
            raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{repeats.shape[0]} and input.size({d}) = {n}")
        from .indexing import index_select

        return index_select(input, d, repeat_interleave(repeats))
    r = int(repeats.item() if isinstance(repeats, Tensor) else repeats)
    if r < 0:
        raise RuntimeError("repeats can not be negative")
    if not input.ndim:
        return expand(reshape(input, (1,)), (r,))
    shape = tuple(input._data.shape)
    spread = expand(unsqueeze(input, d + 1), shape[:d + 1] + (r,) + shape[d + 1:])
    return reshape(spread, shape[:d] + (shape[d] * r,) + shape[d + 1:])


def broadcast_shapes(*shapes: Any) -> _dt.Size:
    """The shape that tensors of ``shapes`` broadcast to together (PyTorch's error when they do not)."""
    out: tuple = ()
    for k, shape in enumerate(shapes):
        shape = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
        for i in range(1, min(len(out), len(shape)) + 1):
            if out[-i] != shape[-i] and 1 not in (out[-i], shape[-i]):
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[-i]} at -{i}! Mismatching argument at "
                    f"index {k} had {shape}; but expected shape should be broadcastable to {list(out)}")
        n = max(len(out), len(shape))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(shape)) + shape
        out = tuple(y if x == 1 else x for x, y in zip(a, b))
    return _dt.Size(out)


def broadcast_tensors(*tensors: Any) -> tuple:
    """Each tensor expanded to the shape they broadcast to together."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    from ._promote import check_broadcast

    shape: tuple = ()
    for t in tensors:
        check_broadcast(shape, tuple(t._data.shape))
        shape = tuple(broadcast_shapes(shape, tuple(t._data.shape)))
    return tuple(t if tuple(t._data.shape) == shape else expand(t, shape) for t in tensors)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-d tensors: with ``indexing='ij'`` (the default) the i-th output varies along
    dimension i; ``'xy'`` swaps the first two dimensions (as NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    n = len(tensors)
    axes = list(range(n))
    if indexing == "xy" and n >= 2:
        axes[0], axes[1] = 1, 0  # the first tensor varies along columns, the second along rows
    sizes = [0] * n
    for axis, t in zip(axes, tensors):
        sizes[axis] = t.numel()
    return tuple(expand(reshape(t, (1,) * axis + (-1,) + (1,) * (n - axis - 1)), tuple(sizes))
                 for axis, t in zip(axes, tensors))


# --- in-place shape changes ---------------------------------------------------------------


def _shape_inplace(self: Any, op: Any, attrs: tuple) -> Any:
    """Give ``self`` the result of a shape op and take over its node; the version bumps as in PyTorch."""
    self._check_inplace()
    res = op.dispatch((self,), attrs)
    self._data = res._data
    self._bump_version()
    if res._grad_fn is not None:
        self._grad_fn = res._grad_fn
        self._output_nr = 0
        self._requires_grad = True
    return self


def _squeeze_inplace(self: Any, dim: Any = None) -> Any:
    op, dims = _squeeze_args(self, dim, True)
    return _shape_inplace(self, op, (dims,))


def _unsqueeze_inplace(self: Any, dim: int) -> Any:
    return _shape_inplace(self, UNSQUEEZE_INPLACE, (wrap_dim(dim, self._data.ndim + 1),))


def _t_inplace(self: Any) -> Any:
    _check_t(self)
    return _shape_inplace(self, T_INPLACE, ())


def _transpose_inplace(self: Any, dim0: int, dim1: int) -> Any:
    n = self._data.ndim
    return _shape_inplace(self, TRANSPOSE_INPLACE, (wrap_dim(dim0, n), wrap_dim(dim1, n)))


TENSOR_METHODS: dict = {
    "T": property(_T_property),
    "mT": property(_mT_property),
    "view_as": view_as,
    "reshape_as": reshape_as,
    "expand_as": expand_as,
    "repeat": repeat,
    "squeeze_": _squeeze_inplace,
    "unsqueeze_": _unsqueeze_inplace,
    "t_": _t_inplace,
    "transpose_": _transpose_inplace,
    "unfold": unfold,
    "swapaxes_": _transpose_inplace,
    "swapdims_": _transpose_inplace,
    "resize_": _resize_,
    "resize_as_": _resize_as_,
}

__all__ = [
    "reshape", "view", "expand", "broadcast_to", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose",
    "swapaxes", "swapdims", "t", "permute", "movedim", "moveaxis", "select", "narrow", "cat", "concat",
    "concatenate", "stack", "hstack", "vstack", "row_stack", "atleast_1d", "atleast_2d", "atleast_3d",
    "dstack", "column_stack", "tensor_split", "rot90", "split", "split_with_sizes", "chunk",
    "unbind", "flip", "fliplr", "flipud", "roll", "tile", "ravel", "repeat_interleave", "broadcast_shapes",
    "broadcast_tensors", "meshgrid", "hsplit", "vsplit", "dsplit",
]
