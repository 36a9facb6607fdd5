"""Printing tensors the way PyTorch prints them (``torch/_tensor_str.py``, ported to plain arrays).

The values are copied to the host as one NumPy array (after cutting a large
tensor down to the edge items it will show, on its own backend), so every
backend prints alike. The print options are module state, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
from collections.abc import Iterator
from typing import Any


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES: dict[str, dict[str, float]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, as ``torch.set_printoptions`` does.

    ``precision`` digits after the point (4), ``threshold`` element count above
    which a tensor is summarized with ``...`` (1000), ``edgeitems`` items kept at
    each end of a summarized dimension (3), ``linewidth`` characters per line (80),
    ``profile`` one of ``"default"``, ``"short"``, ``"full"`` (applied first),
    ``sci_mode`` True/False to force scientific notation on or off, None (the
    default, and reset by every call) to choose it from the values.
    """
    if profile is not None:
        values = _PROFILES.get(profile)
        if values is None:
            raise ValueError(f"unknown print profile {profile!r}; use one of {', '.join(map(repr, _PROFILES))}")
        for key, value in values.items():
            setattr(PRINT_OPTS, key, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Use other print options inside a ``with`` block (same arguments as ``set_printoptions``)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# --- numbers -> strings ------------------------------------------------------------------
class _Formatter:
    """Chooses one number format (integer-valued, fixed or scientific) and one width for all elements."""

    def __init__(self, values: Any, floating: bool) -> None:
        import numpy as np

        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if values.size == 0:
            return
        if not floating:
            # len(str(v)) of integers and bools is largest at an end of the value range
            ends = {values.min().item(), values.max().item()}
            self.max_width = max(self.max_width, *(len(f"{v}") for v in ends))
            return
        flat = values.reshape(-1).astype(np.float64)  # exact for float16/float32
        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return
        magnitudes = np.abs(nonzero_finite)
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        precision = PRINT_OPTS.precision
        items = nonzero_finite.tolist()
        if self.sci_mode:
            widths = (len(f"{v:.{precision}e}") for v in items)
        elif self.int_mode:
            # the appended "." that marks a float counts in the width
            widths = (len(f"{v:.0f}") + 1 for v in items)
        else:
            widths = (len(f"{v:.{precision}f}") for v in items)
        self.max_width = max(self.max_width, max(widths))

    def format(self, value: Any) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            text = f"{value}"
        return text.rjust(self.max_width)


def _format_element(value: Any, real: _Formatter, imag: _Formatter | None) -> str:
    if imag is None:
        return real.format(value)
    real_str = real.format(value.real)
    imag_str = (imag.format(value.imag) + "j").lstrip()
    # a signed imaginary part (negative, or "+0.") joins directly; otherwise add the "+"
    if imag_str[0] == "+" or imag_str[0] == "-":
        return real_str + imag_str
    return real_str + "+" + imag_str


# --- arrays -> nested brackets -----------------------------------------------------------
def _vector_str(values: Any, cut: bool, indent: int, real: _Formatter, imag: _Formatter | None) -> str:
    element_length = real.max_width + 2  # the element plus ", "
    if imag is not None:
        element_length += imag.max_width + 1  # the imaginary part plus "j"
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems
    if cut:
        data = (
            [_format_element(v, real, imag) for v in values[:edge].tolist()]
            + [" ..."]
            + [_format_element(v, real, imag) for v in values[edge:].tolist()]
        )
    else:
        data = [_format_element(v, real, imag) for v in values.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(values: Any, cuts: tuple[bool, ...], indent: int, real: _Formatter, imag: _Formatter | None) -> str:
    """``values`` holds only what is shown: along each axis with ``cuts[axis]`` set, the first and last edge items."""
    ndim = values.ndim
    if ndim == 0:
        return _format_element(values.item(), real, imag)
    if ndim == 1:
        return _vector_str(values, cuts[0], indent, real, imag)
    edge = PRINT_OPTS.edgeitems
    inner = cuts[1:]
    if cuts[0]:
        slices = (
            [_array_str(values[i], inner, indent + 1, real, imag) for i in range(edge)]
            + ["..."]
            + [_array_str(values[i], inner, indent + 1, real, imag) for i in range(edge, 2 * edge)]
        )
    else:
        slices = [_array_str(values[i], inner, indent + 1, real, imag) for i in range(values.shape[0])]
    return "[" + ("," + "\n" * (ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _shown_values(t: Any, summarize: bool) -> tuple[Any, tuple[bool, ...]]:
    """The values a print shows, on the host, and which axes were cut to their edge items.

    A summarized tensor is cut on its own backend first, so that a large device
    tensor copies only its edges to the host.
    """
    import numpy as np

    data = t._data
    cuts = [False] * data.ndim
    edge = PRINT_OPTS.edgeitems
    if summarize:
        xp = None
        for axis, n in enumerate(data.shape):
            if n > 2 * edge:
                xp = xp or t._backend.namespace()
                keep = xp.asarray(list(range(edge)) + list(range(n - edge, n)))
                data = xp.take(data, keep, axis=axis)
                cuts[axis] = True
    return np.asarray(t._backend.to_numpy(data)), tuple(cuts)


def _tensor_str(t: Any, indent: int) -> str:
    if t.numel() == 0:
        return "[]"
    summarize = t.numel() > PRINT_OPTS.threshold
    if summarize and not PRINT_OPTS.edgeitems and t.ndim:
        return "[...]"  # no edge items: every dimension collapses to one ellipsis
    values, cuts = _shown_values(t, summarize)
    if values.dtype.kind == "c":
        real = _Formatter(values.real, floating=True)
        imag: _Formatter | None = _Formatter(values.imag, floating=True)
    else:
        real = _Formatter(values, floating=values.dtype.kind == "f")
        imag = None
    return _array_str(values, cuts, indent, real, imag)


def _add_suffixes(tensor_str: str, suffixes: list[str], indent: int) -> str:
    parts = [tensor_str]
    # PyTorch's measure: two more than the last line's length when the text has no newline
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _parameter_class() -> Any:
    nn = sys.modules.get("plugrad.nn")
    return getattr(nn, "Parameter", None) if nn is not None else None


def tensor_repr(t: Any, *, tensor_contents: str | None = None) -> str:
    """``repr(t)`` exactly as PyTorch writes it; ``tensor_contents`` replaces the bracketed values."""
    from . import dtypes as _dt
    from .tensor import Tensor

    cls = type(t)
    parameter = _parameter_class()
    is_plain = cls is Tensor or (parameter is not None and cls is parameter)
    prefix = "tensor(" if is_plain else f"{cls.__name__}("
    indent = len(prefix)
    suffixes = []

    backend = t._backend
    if backend.device_type != "cpu":
        suffixes.append(f"device='{backend.device_name()}'")

    dtype = t.dtype
    default_float = _dt.get_default_dtype()
    default_complex = _dt.complex128 if default_float is _dt.float64 else _dt.complex64
    if t.numel() == 0:
        # no values to tell an integer tensor from a float one, so the dtype shows unless it is the default float
        if t.ndim != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if dtype is not default_float:
            suffixes.append(f"dtype={dtype!r}")
        tensor_str = "[]" if tensor_contents is None else tensor_contents
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(t.shape)}")
        if dtype not in (default_float, default_complex, _dt.int64, _dt.bool_):
            suffixes.append(f"dtype={dtype!r}")
        tensor_str = _tensor_str(t, indent) if tensor_contents is None else tensor_contents

    grad_fn = t._grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(grad_fn).__name__}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")

    text = _add_suffixes(prefix + tensor_str, suffixes, indent)
    if parameter is not None and isinstance(t, parameter) and not is_plain:
        text = f"Parameter({text})"
    return text
