"""Factories: ``tensor``, ``ones``, ``zeros``, ``rand``... and the legacy typed constructors.

Factories make tensors on the default backend unless ``device`` names another.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from . import dtypes as _dt
from .autograd.grad_mode import no_grad as _no_grad
from .autograd.grad_mode import state as _grad_state
from .backend import Backend, Device, default_backend_obj, resolve
from .tensor import Tensor, _wrap


def _made(data: Any, backend: Backend) -> Tensor:
    """A factory's new tensor: an inference tensor when made inside ``inference_mode()``, as in PyTorch.

    An array in another dense layout (a column-major NumPy array given to ``from_numpy``/``tensor``) keeps it:
    the tensor reports its strides, as PyTorch's does.
    """
    t = _wrap(data, backend)
    if _grad_state.inference:
        t._inference = True
    flags = getattr(data, "flags", None)
    if flags is not None and not flags.c_contiguous and data.ndim > 1:
        from .memory_formats import non_overlapping_and_dense

        strides = tuple(st // data.itemsize for st in data.strides)
        if all(st >= 0 for st in strides) and non_overlapping_and_dense(tuple(data.shape), strides):
            t._layout = strides
    return t


def _backend_for(device: Any) -> Backend:
    if device is None:
        return default_backend_obj()
    return resolve(device)


def _sizes(size: Sequence[Any]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list, _dt.Size)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, int) and not hasattr(s, "__index__"):
            raise TypeError(
                f"size must be a sequence of ints, like (2, 3) or 2, 3; got an element of type {type(s).__name__}: {s!r}"
            )
        s = int(s)
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(s)
    return tuple(out)


def _python_dtype(data: Any) -> _dt.dtype | None:
    """The dtype PyTorch infers for nested Python data (None if it holds arrays or NumPy scalars)."""
    cat = -1
    stack = [data]
    while stack:
        x = stack.pop()
        t = type(x)
        if t is list or t is tuple:
            stack.extend(x)
        elif t is bool:
            cat = max(cat, 0)
        elif t is int:
            cat = max(cat, 1)
        elif t is float:
            cat = max(cat, 2)
        elif t is complex:
            cat = max(cat, 3)
        else:
            return None
    return _dt.default_dtype_for_category(cat) if cat >= 0 else _dt.get_default_dtype()


def _unwrap_nested(data: Any) -> Any:
    if isinstance(data, Tensor):
        if data.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(x) for x in data]
    return data


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (nested lists, numbers, arrays or a tensor)."""
    backend = _backend_for(device)
    d = _dt.as_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        src = data.detach()
        if src._backend is not backend:
            src = src.to(backend)
        arr = backend.namespace().asarray(src._data, copy=True)
        if d is not None and d is not src.dtype:
            arr = arr.astype(backend.native_dtype(d))
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat_first(data)):
            data = _unwrap_nested(data)
        inferred = _python_dtype(data) if type(data) in _PYTHON_DATA else None
        target = d or inferred
        if target is None:
            if data is None or isinstance(data, (str, list, tuple)):
                _check_python_data(data)
            arr = _from_array_like(data, backend)
            if getattr(arr, "dtype", None) is not None and getattr(arr.dtype, "name", "") not in _dt.BY_NAME:
                _check_python_data(data)
                raise TypeError(f"can't make a tensor from data of type {type(data).__name__} (array dtype {arr.dtype})")
        else:
            try:
                if d is not None and inferred is not None and d.category < inferred.category and d.category <= 1:
                    raise OverflowError  # floats (or ints) into an integer or bool dtype: checked one by one
                arr = backend.asarray(data, target)
            except OverflowError:
                arr = backend.asarray(_checked_integers(data, target), target)
            except (ValueError, TypeError) as exc:
                _check_python_data(data)
                raise ValueError(f"could not make a tensor from {type(data).__name__} data: {exc}") from None
            if type(data) not in _PYTHON_DATA:
                arr = backend.namespace().asarray(arr, copy=True)
    t = _made(arr, backend)
    if requires_grad:
        t._factory_requires_grad()
    return t


_PYTHON_DATA = (list, tuple, int, float, bool, complex)


def _checked_integers(data: Any, target: _dt.dtype) -> Any:
    """Python numbers as ``target`` (an integer or bool dtype) converts them, with PyTorch's overflow check.

    Floats truncate toward zero; a negative number wraps into an unsigned dtype when its magnitude fits
    (``-1`` is 255 in uint8); anything else out of range, NaN or infinite raises PyTorch's error.
    """
    import math

    if target.is_floating_point or target.is_complex:
        return data
    if target.name == "bool":
        return data
    bits = 8 * target.itemsize
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if target.is_signed else (0, (1 << bits) - 1)

    def convert(x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return [convert(v) for v in x]
        if isinstance(x, complex) or (isinstance(x, float) and not math.isfinite(x)):
            raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")
        v = int(x)
        if lo <= v <= hi:
            return v
        if not target.is_signed and v < 0 and -v <= hi:
            return v + hi + 1
        raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")

    return convert(data)


def _check_python_data(data: Any) -> None:
    """Raise PyTorch's error for nested data that is not a rectangular array of numbers.

    The expected shape follows the first element at each depth, as in PyTorch, so ``[[1, 2], [3]]`` reports
    the length it expected at the dimension where the data differs.
    """
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    bad = _first_non_number(data)
    if bad:
        raise RuntimeError(f"Could not infer dtype of {type(bad[0]).__name__}")
    dims = []
    seq = data
    while isinstance(seq, (list, tuple)):
        dims.append(len(seq))
        if not seq:
            break
        seq = seq[0]
        if isinstance(seq, str):
            raise ValueError("too many dimensions 'str'")

    def walk(x: Any, dim: int) -> None:
        if dim == len(dims):
            if isinstance(x, str):
                raise TypeError("new(): invalid data type 'str'")
            if isinstance(x, (list, tuple)):
                raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
            return
        if not isinstance(x, (list, tuple)):
            raise TypeError("not a sequence")
        if len(x) != dims[dim]:
            raise ValueError(f"expected sequence of length {dims[dim]} at dim {dim} (got {len(x)})")
        for item in x:
            walk(item, dim + 1)

    walk(data, 0)


def _first_non_number(data: Any) -> tuple:
    """``(leaf,)`` for the first leaf of nested data that is neither a number, a string, nor array-like; else ``()``."""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif not isinstance(x, (bool, int, float, complex, str, Tensor)) and not hasattr(x, "__array__") \
                and not hasattr(x, "__index__") and not hasattr(x, "__float__"):
            return (x,)
    return ()


def _flat_first(data: Any) -> list:
    out: list = []
    stack = [data]
    while stack and len(out) < 64:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            out.append(x)
    return out


def _from_array_like(data: Any, backend: Backend) -> Any:
    """Arrays from NumPy or another backend keep their dtype; everything else goes through ``asarray``."""
    xp = backend.namespace()
    if hasattr(data, "__array__") or hasattr(data, "__array_interface__") or hasattr(data, "__cuda_array_interface__"):
        mod = type(data).__module__.split(".")[0]
        if mod == "numpy" and backend.device_type != "cpu":
            return backend.from_numpy(data).copy()
        return xp.asarray(data, copy=True)
    return xp.asarray(data)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but shares memory with ``data`` when it is already a suitable array or tensor."""
    if isinstance(data, Tensor):  # the tensor itself, or (differentiably) converted as .to() converts it
        if dtype is None and device is None:
            return data
        kwargs: dict[str, Any] = {}
        if device is not None:
            kwargs["device"] = device
        if dtype is not None:
            kwargs["dtype"] = dtype
        return data.to(**kwargs)
    backend = _backend_for(device)
    if hasattr(data, "__array_interface__") and dtype is None and backend.device_type == "cpu":
        return _made(backend.from_numpy(data), backend)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: Any) -> Tensor:
    """A CPU tensor sharing memory with a NumPy array (changes to one show in the other)."""
    if not hasattr(ndarray, "__array_interface__"):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    backend = default_backend_obj()
    if backend.device_type != "cpu":
        backend = resolve("cpu")
    return _made(backend.from_numpy(ndarray), backend)


def _fill(size: Sequence[Any], value: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    backend = _backend_for(device)
    shape = _sizes(size)
    d = _dt.as_dtype(dtype) if dtype is not None else (
        _dt.get_default_dtype() if isinstance(value, float) or value in (0, 1) and not isinstance(value, bool)
        else _python_dtype(value) or _dt.get_default_dtype())
    arr = backend.namespace().full(shape, value, dtype=backend.native_dtype(d))
    t = _made(arr, backend)
    if requires_grad:
        t._factory_requires_grad()
    return t


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None, **_: Any) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    try:
        return _fill(size, 0, dtype, device, requires_grad)
    except RuntimeError as exc:
        if str(exc).startswith("Trying to create tensor with negative dimension"):
            raise RuntimeError("zeros: Dimension size must be non-negative.") from None  # PyTorch's wording here
        raise


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None, **_: Any) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _fill(size, 1, dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          memory_format: Any = None, **_: Any) -> Tensor:
    """A tensor of the given size (laid out in ``memory_format``); plugrad fills it with zeros rather than
    leaving memory uninitialised."""
    if memory_format is None:
        return _fill(size, 0, dtype, device, requires_grad)
    from . import memory_formats as _mf

    fmt = _mf.check_format(memory_format, "empty")
    if fmt is _mf.preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    t = _fill(size, 0, dtype, device, False)
    _mf.lay_out(t, _mf.format_strides(tuple(t.shape), fmt))
    if requires_grad:
        t._factory_requires_grad()
    return t


def full(size: Sequence[Any], fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value, as in PyTorch)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, complex)) and not hasattr(fill_value, "__index__"):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    if dtype is None:
        dtype = _python_dtype(fill_value)
    return _fill((tuple(size),) if not isinstance(size, int) else (size,), fill_value, dtype, device, requires_grad)


def _like_args(input: Tensor, dtype: Any, device: Any) -> tuple[Any, Any]:  # noqa: A002
    return (dtype if dtype is not None else input.dtype), (device if device is not None else input._backend)


def _made_like(function: str, input: Tensor, t: Tensor, memory_format: Any,  # noqa: A002
               requires_grad: bool) -> Tensor:
    from .memory_formats import like

    like(input, t, memory_format, function)
    if requires_grad:
        t._factory_requires_grad()
    return t


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
               memory_format: Any = None, **_: Any) -> Tensor:
    d, dev = _like_args(input, dtype, device)
    return _made_like("empty_like", input, _fill(input.shape, 0, d, dev, False), memory_format, requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
              memory_format: Any = None, **_: Any) -> Tensor:
    d, dev = _like_args(input, dtype, device)
    return _made_like("rand_like", input, rand(input.shape, dtype=d, device=dev), memory_format, requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
               memory_format: Any = None, **_: Any) -> Tensor:
    d, dev = _like_args(input, dtype, device)
    return _made_like("randn_like", input, randn(input.shape, dtype=d, device=dev), memory_format, requires_grad)


def randint_like(input: Tensor, low: int, high: Any = None, *, dtype: Any = None, device: Any = None,  # noqa: A002
                 requires_grad: bool = False, memory_format: Any = None, **_: Any) -> Tensor:
    """Random integers in [low, high) (``randint_like(x, high)``: [0, high)) with ``input``'s shape, dtype and
    device."""
    if high is None:
        low, high = 0, low
    d, dev = _like_args(input, dtype, device)
    return _made_like("randint_like", input, randint(low, high, tuple(input.shape), dtype=d, device=dev), memory_format,
                      requires_grad)


def _random(kind: str, size: Sequence[Any], dtype: Any, device: Any, requires_grad: bool, generator: Any = None) -> Tensor:
    backend = _backend_for(device)
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    if d.is_complex:
        arr = _draw_complex(backend, kind, generator, _sizes(size), d)
    elif not d.is_floating_point:
        raise RuntimeError(f'"{kind}" not implemented for \'{d.legacy[:-6]}\'; use a floating dtype')
    else:
        arr = _draw(backend, kind, generator, _sizes(size), d)
    t = _made(arr, backend)
    if requires_grad:
        t._factory_requires_grad()
    return t


def _draw_complex(backend: Backend, kind: str, generator: Any, shape: tuple, d: _dt.dtype) -> Any:
    """A complex draw as PyTorch makes it: the real and imaginary parts interleaved, drawn as one real tensor
    with a last dimension of 2; ``randn``'s parts have variance 1/2, so that E|z|^2 = 1."""
    from .ops.registry import kernel_for

    parts = (*shape, 2)
    if kind == "randn":
        arr = _draw(backend, "normal", generator, parts, d.to_real(), 0.0, 1 / math.sqrt(2))
    else:
        arr = _draw(backend, kind, generator, parts, d.to_real())
    return kernel_for("view_as_complex", backend)(arr)


def _draw(backend: Backend, kind: str, generator: Any, *args: Any) -> Any:
    """``backend.<kind>(*args)`` from ``generator``'s stream, or from the backend's default stream."""
    if generator is None or generator is default_generator:
        return getattr(backend, kind)(*args)
    if not isinstance(generator, Generator):
        raise TypeError(f"{kind}(): argument 'generator' must be torch.Generator, not {type(generator).__name__}")
    if generator.device.type != backend.device_type:
        raise RuntimeError(
            f"Expected a '{backend.device_type}' device type for generator but found '{generator.device.type}'"
        )
    return getattr(backend, kind)(*args, generator=generator._stream(backend))


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, generator: Any = None, **_: Any) -> Tensor:
    """Uniform random numbers in [0, 1), drawn as PyTorch's CPU generator draws them after :func:`manual_seed`."""
    return _random("rand", size, dtype, device, requires_grad, generator)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, generator: Any = None, **_: Any) -> Tensor:
    """Standard normal random numbers, drawn as PyTorch's CPU generator draws them after :func:`manual_seed`."""
    return _random("randn", size, dtype, device, requires_grad, generator)


def randint(low: int = 0, high: Any = None, size: Any = None, *, dtype: Any = None, device: Any = None,
            requires_grad: bool = False, generator: Any = None) -> Tensor:
    """Random integers in [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    backend = _backend_for(device)
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.int64
    t = _made(_draw(backend, "randint", generator, int(low), int(high), _sizes((size,)), d), backend)
    if requires_grad:
        t._factory_requires_grad()
    return t


def randperm(n: int, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, generator: Any = None) -> Tensor:
    """A random permutation of 0..n-1 (PyTorch's Fisher-Yates shuffle on the CPU)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    backend = _backend_for(device)
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.int64
    t = _made(_draw(backend, "randperm", generator, int(n), d), backend)
    if requires_grad:
        t._factory_requires_grad()
    return t


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None,
           device: Any = None, requires_grad: bool = False, out: Any = None) -> Tensor:
    """Normal random numbers with the given mean and standard deviation (numbers or tensors that broadcast).

    As in PyTorch, tensor arguments are drawn as standard normals then scaled: ``z * std + mean``.
    """
    from .ops.elementwise import _broadcast_shape
    from .typeinfo import result_type as _result_type

    m_t, s_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (m_t or s_t):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: with float mean and std, "
                            "pass size, e.g. normal(0.0, 1.0, size=(2, 3))")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        backend = _backend_for(device)
        d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
        result = _made(_draw(backend, "normal", generator, _sizes((size,)), d, float(mean), float(std)), backend)
    else:
        if s_t and bool((std < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        ref = mean if m_t else std
        shape = _broadcast_shape(tuple(mean.shape) if m_t else (), tuple(std.shape) if s_t else ())
        backend = ref._backend
        d = _result_type(mean, std) if m_t and s_t else ref.dtype
        scale = 1.0 if s_t else float(std)
        z = _made(_draw(backend, "normal", generator, tuple(shape), d, 0.0, scale), backend)
        result = (z * std if s_t else z) + mean
        result = result.detach()
    if out is not None:
        with _no_grad():
            out.copy_(result)
        return out
    if requires_grad:
        result._factory_requires_grad()
    return result


def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None, out: Any = None) -> Tensor:  # noqa: A002
    """0 or 1 with probability ``input`` (elementwise), or ``p`` for every element when given."""
    backend = input._backend
    if p is None:
        probs = input.detach()
        if bool(((probs < 0) | (probs > 1)).any()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        # PyTorch draws one uniform per element in float64 for float64 probabilities, else in float32
        uniform_dtype = _dt.float64 if probs.dtype is _dt.float64 else _dt.float32
        draws = _made(_draw(backend, "rand", generator, tuple(input.shape), uniform_dtype), backend)
        result = (draws < probs).to(input.dtype)
    else:
        result = _bernoulli_scalar(input, float(p), generator)
    if out is not None:
        out.copy_(result)
        return out
    return result


def _bernoulli_scalar(like: Tensor, p: float, generator: Any) -> Tensor:
    """A tensor shaped like ``like``: 1 where a float64 uniform draw is below ``p`` (PyTorch's CPU kernel)."""
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    backend = like._backend
    draws = _made(_draw(backend, "rand", generator, tuple(like.shape), _dt.float64), backend)
    return (draws < p).to(like.dtype)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Any = None, out: Any = None) -> Tensor:
    """Indices drawn from the categorical distributions in the rows of ``input`` (weights, not necessarily
    normalized), with PyTorch's CPU algorithm and draws, so the samples match after the same seed.

    With ``replacement`` and more than one sample, each sample is a float64 uniform draw looked up in the
    row's normalized cumulative weights (PyTorch's binary search); otherwise each weight is divided by an
    exponential draw (``-log1p(-u)``) and the ``num_samples`` largest ratios are taken (the Gumbel-max trick).
    Note: when zero weights must be drawn without replacement, PyTorch orders those ties as its partial sort
    leaves them; here they come in index order.
    """
    from . import ops

    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype.legacy[:-6]}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_categories = input.shape[-1]
    if not replacement and num_samples > n_categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if n_categories > 2**24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    backend = input._backend
    probs = input.detach()
    rows = probs.reshape(1, n_categories) if probs.dim() == 1 else probs
    if rows.numel() == 0:
        result = zeros(*(tuple(input.shape[:-1]) + (num_samples,)), dtype=_dt.int64, device=backend)
    elif not replacement or num_samples == 1:
        if not bool(((probs.max() < math.inf) & (probs.min() >= 0)).item()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if bool((rows.sum(1) == 0).any().item()):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        ratios = rows / _exponential_draws(rows, 1.0, generator)  # each weight over an exponential(1) draw
        if num_samples == 1:
            result = ops.argmax(ratios, -1, keepdim=True)
        else:
            result = ops.sort(ratios, 1, descending=True, stable=True)[1][:, :num_samples]
    else:
        result = _multinomial_with_replacement(rows, num_samples, generator)
    if input.dim() == 1 and result.dim() == 2:
        result = result.reshape(num_samples)
    if out is not None:
        if tuple(out.shape) != tuple(result.shape):
            out.resize_(tuple(result.shape))
        out.copy_(result)
        return out
    return result


def _multinomial_with_replacement(rows: Tensor, num_samples: int, generator: Any) -> Tensor:
    """PyTorch's ``multinomial_with_replacement`` CPU kernel: per row, the running sum of the weights in their
    dtype (float for half types), divided by the total, its last entry forced to 1, then one float64 uniform
    per sample, row by row, placed at the first cumulative weight that is not below it."""
    from . import ops

    backend = rows._backend
    acc = rows if rows.dtype in (_dt.float32, _dt.float64) else rows.to(_dt.float32)
    if bool((acc < 0).any().item()):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
    if not bool(ops.isfinite(acc).all().item()):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
    cum = ops.cumsum(acc, 1)
    total = cum[:, -1:]
    if bool((total <= 0).any().item()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cum = (cum / total).to(_dt.float64)
    cum[:, -1] = 1.0
    u = _made(_draw(backend, "rand", generator, (rows.shape[0], num_samples), _dt.float64), backend)
    return ops.searchsorted(cum.contiguous(), u.contiguous())


def _poisson_count(rate: float, uniform: Any) -> int:
    """One Poisson draw as PyTorch's CPU sampler makes it: Hoermann's transformed rejection (PTRS) for rates of
    10 and more, the product of uniforms below (``uniform()`` gives the next float64 uniform in [0, 1))."""
    if rate >= 10:
        slam, loglam = math.sqrt(rate), math.log(rate)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + rate + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= -rate + k * loglam - \
                    math.lgamma(k + 1.0):
                return k
    if rate == 0:
        return 0
    enlam = math.exp(-rate)
    count, prod = 0, 1.0
    while True:
        prod *= uniform()
        if prod > enlam:
            count += 1
        else:
            return count


def poisson(input: Tensor, generator: Any = None) -> Tensor:  # noqa: A002
    """Counts drawn from Poisson distributions of rates ``input`` (same shape and dtype), element by element in
    memory order from the shared stream, with PyTorch's CPU algorithm, so the draws match after the same
    ``manual_seed``. Not differentiable (the gradient is zero, as in PyTorch)."""
    backend = input._backend
    rates = input.detach()
    if not rates.dtype.is_floating_point:
        raise RuntimeError(f'"poisson_cpu" not implemented for \'{rates.dtype.legacy[:-6]}\'')
    flat = [float(r) for r in rates.reshape(-1).tolist()]
    if any(r < 0 or math.isnan(r) for r in flat):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")

    def uniform() -> float:
        return float(_draw(backend, "rand", generator, (1,), _dt.float64)[0])

    counts = [float(_poisson_count(r, uniform)) for r in flat]
    return tensor(counts, dtype=rates.dtype, device=backend).reshape(tuple(input.shape))


# --- in-place random fills: Tensor.uniform_, normal_, bernoulli_, random_ ------------------------------------


def _fill_random(self: Tensor, data: Any) -> Tensor:
    """Write freshly drawn ``data`` into ``self`` as an in-place op (version bump, leaf checks, history)."""
    return self.copy_(_wrap(data, self._backend))


def _check_floating(self: Tensor, method: str) -> None:
    if not self.dtype.is_floating_point:
        raise RuntimeError(f'"{method}" not implemented for \'{self.dtype.legacy[:-6]}\'')


def uniform_(self: Tensor, from_: float = 0, to: float = 1, *, generator: Any = None, **kwargs: Any) -> Tensor:
    """Fill ``self`` with uniform numbers in [from, to), as PyTorch draws them."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"uniform_() got an unexpected keyword argument {next(iter(kwargs))!r}")
    _check_floating(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    return _fill_random(self, _draw(self._backend, "uniform", generator, tuple(self.shape), self.dtype,
                                    float(from_), float(to)))


def normal_(self: Tensor, mean: float = 0, std: float = 1, *, generator: Any = None) -> Tensor:
    """Fill ``self`` with normal numbers of the given mean and standard deviation, as PyTorch draws them."""
    _check_floating(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _fill_random(self, _draw(self._backend, "normal", generator, tuple(self.shape), self.dtype,
                                    float(mean), float(std)))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill ``self`` with 0 or 1, each 1 with probability ``p`` (a number, or a tensor that broadcasts)."""
    if isinstance(p, Tensor):
        from .ops.shape import expand

        probs = expand(p.detach(), tuple(self.shape)).to(self.dtype) if p.dtype.is_floating_point else p
        drawn = bernoulli(probs, generator=generator)
        return self.copy_(drawn.to(self.dtype))
    return self.copy_(_bernoulli_scalar(self, float(p), generator))


def random_(self: Tensor, from_: Any = None, to: Any = None, *, generator: Any = None, **kwargs: Any) -> Tensor:
    """Fill ``self`` with integers in [from, to), in [0, from) with one bound, or over the dtype's range."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument {next(iter(kwargs))!r}")
    if from_ is None and to is None:
        d = self.dtype
        if d.is_floating_point:
            low, high = 0, 2 ** {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}.get(d.name, 24) + 1
        elif d is _dt.bool_:
            low, high = 0, 2
        else:
            low, high = 0, int(__import__("plugrad").iinfo(d).max) + 1
    elif to is None:
        low, high = 0, int(from_)
    else:
        low, high = int(from_), int(to)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return self.copy_(_made(_draw(self._backend, "randint", generator, low, high, tuple(self.shape), _dt.int64),
                            self._backend).to(self.dtype))


def _exponential_draws(like: Tensor, lambd: float, generator: Any) -> Tensor:
    """Exponential numbers of rate ``lambd`` shaped like ``like``, as PyTorch's CPU kernel makes them: one
    float64 uniform ``u`` per element, then ``-1 / lambd * log1p(-u)`` rounded to ``like``'s dtype."""
    backend = like._backend
    u = _made(_draw(backend, "rand", generator, tuple(like.shape), _dt.float64), backend)
    return ((-1.0 / lambd) * (-u).log1p()).to(like.dtype)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill ``self`` with numbers drawn from the exponential distribution of rate ``lambd``, as PyTorch draws them."""
    _check_floating(self, "exponential_cpu")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return self.copy_(_exponential_draws(self, float(lambd), generator))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill ``self`` with numbers drawn from the Cauchy distribution, as PyTorch's CPU kernel makes them: one
    float64 uniform ``u`` per element, then ``median + sigma * tan(pi * (u - 0.5))`` rounded to ``self``'s dtype."""
    _check_floating(self, "cauchy_cpu")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    backend = self._backend
    u = _made(_draw(backend, "rand", generator, tuple(self.shape), _dt.float64), backend)
    return self.copy_((float(median) + float(sigma) * (math.pi * (u - 0.5)).tan()).to(self.dtype))


TENSOR_RANDOM_METHODS = {"uniform_": uniform_, "normal_": normal_, "bernoulli_": bernoulli_, "random_": random_,
                         "exponential_": exponential_, "cauchy_": cauchy_}


def manual_seed(seed: int) -> Generator:
    """Seed the default generator of every available backend; returns ``default_generator``."""
    from .backend import known_backends

    seed = _check_seed(seed)
    for b in known_backends().values():
        if b.available()[0]:
            b.manual_seed(seed)
    default_generator._seed = seed
    return default_generator


def _check_seed(seed: Any) -> int:
    if isinstance(seed, Tensor):
        seed = seed.item()
    value = int(seed)
    if value < -(2**63) or value >= 2**64:
        raise RuntimeError(f"Overflow when unpacking long long: seed {value} does not fit in 64 bits")
    return value & 0xFFFFFFFFFFFFFFFF


def seed() -> int:
    """Seed every backend with a non-deterministic number, and return it."""
    import random as _random_mod

    s = _random_mod.randrange(2**63)
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed the default generator was last seeded with (PyTorch's default, 67280421310721, if never)."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default CPU generator's state, as a uint8 tensor for :func:`set_rng_state`."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default CPU generator's state from :func:`get_rng_state`."""
    default_generator.set_state(new_state)


_DEFAULT_SEED = 67280421310721


class Generator:
    """A random generator with its own stream (PyTorch's ``torch.Generator``); pass it as ``generator=``.

    On the NumPy and Numba backends it draws PyTorch's CPU numbers: ``Generator().manual_seed(s)`` followed by
    ``rand(3, generator=g)`` prints what PyTorch prints.
    """

    _default = False  # True for plugrad.default_generator: its stream on each backend is the backend's own

    def __init__(self, device: Any = "cpu") -> None:
        self.device = Device(device) if not isinstance(device, Device) else device
        self._seed = _DEFAULT_SEED
        self._streams: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<plugrad.Generator object at {id(self):#x}>"

    def _stream(self, backend: Backend) -> Any:
        if self._default:
            return backend.rng()
        stream = self._streams.get(backend.name)
        if stream is None:
            stream = self._streams[backend.name] = backend.new_generator(self._seed)
        return stream

    def _state_backend(self) -> Backend:
        """The backend whose stream ``get_state``/``set_state`` read: the default one, if on this device."""
        b = default_backend_obj()
        return b if b.device_type == self.device.type else resolve(self.device)

    def manual_seed(self, seed: int) -> Generator:
        if self._default:
            return manual_seed(seed)
        self._seed = _check_seed(seed)
        for stream in self._streams.values():
            stream.manual_seed(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        import random as _random_mod

        s = _random_mod.randrange(2**63)
        self.manual_seed(s)
        return s

    def get_state(self) -> Tensor:
        backend = self._state_backend()
        return _made(backend.asarray(self._stream(backend).get_state()), backend)

    def set_state(self, new_state: Tensor) -> Generator:
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dt.uint8:
            got = type(new_state).__name__ if not isinstance(new_state, Tensor) else str(new_state.dtype)
            raise TypeError(f"expected a torch.ByteTensor, but got {got}")
        stream = self._stream(self._state_backend())
        stream.set_state(new_state._backend.to_numpy(new_state._data))
        self._seed = stream.initial_seed
        return self


default_generator = Generator()
default_generator._default = True


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, **_: Any) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer arguments, else float32."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    backend = _backend_for(device)
    if dtype is not None:
        d = _dt.as_dtype(dtype)
    elif all(isinstance(v, int) for v in vals):
        d = _dt.int64
    else:
        d = _dt.get_default_dtype()
    xp = backend.namespace()
    arr = xp.arange(vals[0], vals[1], vals[2], dtype=backend.native_dtype(_dt.float64 if d.is_floating_point else d))
    if d.is_floating_point:
        arr = arr.astype(backend.native_dtype(d))
    t = _made(arr, backend)
    if requires_grad:
        t._factory_requires_grad()
    return t


# Note: this module's `range` is PyTorch's deprecated factory; the builtin is `builtins.range` here.
def range(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,  # noqa: A001
          requires_grad: bool = False, **_: Any) -> Tensor:
    """Deprecated: values from ``start`` to ``end`` *inclusive* by ``step``, in the default float dtype unless
    ``dtype`` is given. Use :func:`arange`, whose end is exclusive."""
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its behavior is inconsistent "
        "with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).",
        UserWarning, stacklevel=2,
    )
    if end is None:
        start, end = 0, start
    lo, hi, by = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if by == 0:
        raise RuntimeError("step must be nonzero")
    if (hi - lo) * by < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    n = int(math.floor((hi - lo) / by)) + 1
    t = (arange(n, dtype=_dt.float64, device=device) * by + lo).to(d)
    if requires_grad:
        t._factory_requires_grad()
    return t


def empty_strided(size: Sequence[Any], stride: Sequence[Any], *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False, **_: Any) -> Tensor:
    """A tensor of ``size`` whose elements lie ``stride`` apart (zeros, as :func:`empty`)."""
    from .memory_formats import lay_out

    size, stride = tuple(int(n) for n in size), tuple(int(st) for st in stride)
    if len(stride) != len(size):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(st < 0 for st in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    t = lay_out(empty(size, dtype=dtype, device=device), stride)
    if requires_grad:
        t._factory_requires_grad()
    return t


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    backend = _backend_for(device)
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    xp = backend.namespace()
    arr = xp.linspace(float(start), float(end), int(steps), dtype=backend.native_dtype(_dt.float64)).astype(
        backend.native_dtype(d))
    t = _made(arr, backend)
    if requires_grad:
        t._factory_requires_grad()
    return t


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` values ``base ** e`` for exponents ``e`` evenly spaced from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    backend = _backend_for(device)
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    xp = backend.namespace()
    f64 = backend.native_dtype(_dt.float64)
    exponents = xp.linspace(float(start), float(end), int(steps), dtype=f64)
    arr = xp.pow(xp.asarray(float(base), dtype=f64), exponents)
    if not d.is_floating_point and not d.is_complex:
        arr = xp.round(arr)  # integer dtypes get the nearest power (PyTorch computes these in double)
    t = _made(arr.astype(backend.native_dtype(d)), backend)
    if requires_grad:
        t._factory_requires_grad()
    return t


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix, n x m."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    backend = _backend_for(device)
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    arr = backend.namespace().eye(n, m if m is not None else n, dtype=backend.native_dtype(d))
    t = _made(arr, backend)
    if requires_grad:
        t._factory_requires_grad()
    return t


def _legacy_construct(d: _dt.dtype, args: tuple, kwargs: dict) -> Tensor:
    """``FloatTensor([1, 2])`` copies data; ``FloatTensor(2, 3)`` makes a 2x3 tensor (of zeros)."""
    device = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
    if not args:
        return zeros(0, dtype=d, device=device)
    if len(args) == 1 and not isinstance(args[0], int):
        src = args[0]
        if isinstance(src, _dt.Size):
            return zeros(tuple(src), dtype=d, device=device)
        return tensor(src, dtype=d, device=device)
    return zeros(*args, dtype=d, device=device)


class _LegacyTensorMeta(type):
    """``isinstance(x, plugrad.FloatTensor)`` is true for float32 tensors, as in PyTorch.

    Only the legacy classes use this metaclass, so ``isinstance(x, Tensor)`` on the hot path stays a plain check.
    """

    _legacy_dtype: _dt.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls._legacy_dtype


def _legacy_class(name: str, d: _dt.dtype) -> type:
    def __new__(cls: type, *args: Any, **kwargs: Any) -> Tensor:  # noqa: N807
        return _legacy_construct(d, args, dict(kwargs))

    return _LegacyTensorMeta(name, (Tensor,), {"__new__": __new__, "__slots__": (), "_legacy_dtype": d,
                                               "__doc__": f"Legacy constructor of {d!r} tensors."})


FloatTensor = _legacy_class("FloatTensor", _dt.float32)
DoubleTensor = _legacy_class("DoubleTensor", _dt.float64)
HalfTensor = _legacy_class("HalfTensor", _dt.float16)
LongTensor = _legacy_class("LongTensor", _dt.int64)
IntTensor = _legacy_class("IntTensor", _dt.int32)
ShortTensor = _legacy_class("ShortTensor", _dt.int16)
CharTensor = _legacy_class("CharTensor", _dt.int8)
ByteTensor = _legacy_class("ByteTensor", _dt.uint8)
BoolTensor = _legacy_class("BoolTensor", _dt.bool_)
_LEGACY_CLASSES = {c.__name__: c for c in (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor,
                                           CharTensor, ByteTensor, BoolTensor)}


def set_default_tensor_type(t: Any) -> None:
    """Deprecated: make ``t`` (``plugrad.DoubleTensor`` or its name ``"torch.DoubleTensor"``) the default
    floating point type; that is :func:`set_default_dtype` of its dtype."""
    warnings.warn(
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use torch.set_default_dtype() and "
        "torch.set_default_device() as alternatives.", UserWarning, stacklevel=2,
    )
    if isinstance(t, str):
        name = t.rsplit(".", 1)[-1]
        cls = _LEGACY_CLASSES.get(name)
        if cls is None:
            raise TypeError(f"invalid type: '{t}'")
        t = cls
    d = getattr(t, "_legacy_dtype", None)
    if d is None:
        raise TypeError(f"invalid type: '{t!r}'")
    if not d.is_floating_point or d is _dt.float16:
        raise TypeError("only floating-point types are supported as the default type")
    _dt.set_default_dtype(d)


def _parse_to(t: Tensor | None, args: tuple, kwargs: dict) -> tuple[Backend | None, _dt.dtype | None, bool]:
    """Arguments of ``Tensor.to``: a device/backend, a dtype, another tensor, in PyTorch's accepted orders."""
    target = None
    dtype = None
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    for a in list(args) + [kwargs.pop("device", None), kwargs.pop("dtype", None)]:
        if a is None:
            continue
        if isinstance(a, Tensor):
            target, dtype = a._backend, a.dtype
        elif isinstance(a, _dt.dtype):
            dtype = a
        elif isinstance(a, (str, Device, Backend)):
            if isinstance(a, str) and (a in _dt.BY_NAME or a in _dt.ALIASES or a.startswith("torch.")):
                dtype = _dt.as_dtype(a)
            else:
                target = resolve(a)
        elif a in (float, int, bool):
            dtype = _dt.as_dtype(a)
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    return target, dtype, copy


__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "empty_like", "rand_like", "randn_like",
    "randint_like", "rand", "randn", "randint", "randperm", "normal", "bernoulli", "manual_seed", "seed", "initial_seed",
    "get_rng_state", "set_rng_state", "Generator", "default_generator", "arange", "linspace", "logspace", "eye",
    "FloatTensor",
    "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
    "range", "empty_strided", "set_default_tensor_type", "poisson", "multinomial",
]
