"""Sample inputs for the op database, described without any array library.

A :class:`Sample` lists an op's inputs as :class:`T` specs (a shape and a value
range: random float tensors are made from them on each backend under test) or
Python numbers, plus the op's non-tensor attributes. The conformance kit turns
every sample of every op into forward, gradient, broadcasting and dtype tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class T:
    """A tensor input: ``shape``, values drawn uniformly from ``[low, high)``.

    ``dtype`` None means the float dtype under test; give e.g. ``"int64"`` for index inputs.
    ``grad`` False marks an input that is not differentiated (indices, masks).
    ``values`` fixes the values (nested lists) instead of drawing them.
    """

    shape: tuple[int, ...]
    low: float = -1.0
    high: float = 1.0
    dtype: str | None = None
    grad: bool = True
    values: Any = None


@dataclass(frozen=True)
class A:
    """An attribute that is an array (index arrays for advanced indexing): made on the backend under test."""

    values: Any
    dtype: str = "int64"


@dataclass(frozen=True)
class Mask:
    """An attribute that is a random bool mask of ``shape`` (``where``'s condition): made on the backend under test."""

    shape: tuple[int, ...]


@dataclass
class Sample:
    """One call of an op: ``args`` (T specs or numbers), ``attrs`` (non-tensor arguments), a ``name``.

    ``gradcheck`` / ``gradgradcheck`` False leave out those checks for this sample (a point where the op
    is not differentiable, or an empty input). ``atol`` / ``rtol`` are the tolerances of the float32
    forward comparison against the reference (float64 compares at 1e-7). ``extra`` may set
    ``gradcheck_eps``, ``gradcheck_atol``, ``gradcheck_rtol`` (PyTorch's gradcheck defaults otherwise), and
    ``output_dtype`` for ops whose result dtype does not follow the input's (casts).
    """

    args: tuple
    attrs: tuple = ()
    name: str = ""
    gradcheck: bool = True
    gradgradcheck: bool = True
    atol: float = 1e-5
    rtol: float = 1e-5
    extra: dict = field(default_factory=dict)

    def describe(self) -> str:
        parts = []
        for a in self.args:
            parts.append(f"T{list(a.shape)}" if isinstance(a, T) else repr(a))
        attrs = f" attrs={self.attrs!r}" if self.attrs else ""
        return f"{self.name or 'sample'}({', '.join(parts)}){attrs}"


SampleFn = Callable[[], Iterable[Sample]]


def unary_samples(attrs: tuple = (), low: float = -1.0, high: float = 1.0) -> SampleFn:
    """Samples for a one-input elementwise op: a scalar, a vector, a matrix, a 3-d and an empty tensor."""

    def gen() -> Iterable[Sample]:
        for shape in ((), (5,), (3, 4), (2, 3, 2)):
            yield Sample((T(shape, low, high),), attrs, name=f"shape{list(shape)}")
        yield Sample((T((0, 3), low, high),), attrs, name="empty", gradgradcheck=False)

    return gen


def binary_samples(low: float = -1.0, high: float = 1.0, scalars: bool = True) -> SampleFn:
    """Samples for a two-input elementwise op: equal shapes, broadcasting both ways, 0-d, empty, scalars."""

    def gen() -> Iterable[Sample]:
        pairs = [
            ((3, 4), (3, 4), "same"),
            ((3, 4), (4,), "broadcast_rhs"),
            ((4,), (3, 4), "broadcast_lhs"),
            ((2, 1, 3), (4, 1), "broadcast_both"),
            ((), (3,), "zero_dim_lhs"),
            ((2, 3), (), "zero_dim_rhs"),
            ((0, 3), (3,), "empty"),
        ]
        for a, b, name in pairs:
            yield Sample((T(a, low, high), T(b, low, high)), name=name, gradgradcheck=name != "empty")
        if scalars:
            mid = (low + high) / 2 if low > 0 else 1.5
            yield Sample((T((3, 2), low, high), mid), name="python_scalar_rhs")

    return gen
