"""Named tuples returned by ops with several outputs, as ``torch.return_types`` has them.

``x.max(dim)`` returns ``max(values=..., indices=...)``: a tuple (it unpacks and
indexes) whose fields are also attributes, printed as PyTorch prints it.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any


class _ReturnType(tuple):
    """Base of the named result tuples; subclasses set ``_fields``."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __new__(cls, values: Iterable[Any]) -> _ReturnType:
        values = tuple(values)
        if len(values) != len(cls._fields):
            raise TypeError(
                f"torch.return_types.{cls.__name__} takes a sequence of {len(cls._fields)} values "
                f"({', '.join(cls._fields)}), got {len(values)}"
            )
        return tuple.__new__(cls, values)

    def __repr__(self) -> str:
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    def __reduce__(self) -> tuple:
        return (type(self), (tuple(self),))


def make(name: str, fields: tuple[str, ...]) -> type:
    """A new result type ``name`` with the given field names (each also an attribute)."""
    namespace: dict[str, Any] = {"__slots__": (), "_fields": fields, "__module__": __name__}
    for i, field in enumerate(fields):
        namespace[field] = property(operator.itemgetter(i), doc=f"Field {i} of the result, ``{field}``.")
    return type(name, (_ReturnType,), namespace)


max = make("max", ("values", "indices"))  # noqa: A001 - PyTorch's names
min = make("min", ("values", "indices"))  # noqa: A001
aminmax = make("aminmax", ("min", "max"))
sort = make("sort", ("values", "indices"))
topk = make("topk", ("values", "indices"))
kthvalue = make("kthvalue", ("values", "indices"))
median = make("median", ("values", "indices"))
mode = make("mode", ("values", "indices"))
cummax = make("cummax", ("values", "indices"))
cummin = make("cummin", ("values", "indices"))
nanmedian = make("nanmedian", ("values", "indices"))
frexp = make("frexp", ("mantissa", "exponent"))
histogram = make("histogram", ("hist", "bin_edges"))
histogramdd = make("histogramdd", ("hist", "bin_edges"))

__all__ = ["make", "max", "min", "aminmax", "sort", "topk", "kthvalue", "median", "mode", "cummax", "cummin", "nanmedian", "frexp",
           "histogram", "histogramdd"]
