"""``assert_close``: PyTorch's ``torch.testing.assert_close``, its checks, default tolerances and messages.

The comparison follows PyTorch's design (torch/testing/_comparison.py, BSD-licensed): the inputs are
walked as nested sequences and mappings into pairs (None, bool, number or tensor-like), each pair is
compared, and the first failure is raised with PyTorch's message, naming the item it occurred for.
"""

from __future__ import annotations

import abc
import cmath
import collections.abc
import contextlib
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from .. import dtypes as _dt

# {dtype: (rtol, atol)}: PyTorch's defaults; every other dtype compares exactly.
_DTYPE_PRECISIONS = {
    _dt.float16: (0.001, 1e-5),
    _dt.float32: (1.3e-6, 1e-5),
    _dt.float64: (1e-7, 1e-7),
    _dt.complex64: (1.3e-6, 1e-5),
    _dt.complex128: (1e-7, 1e-7),
}


class ErrorMeta(Exception):
    """A comparison failure: the exception type, its message and the item of the inputs it belongs to."""

    def __init__(self, type: type[Exception], msg: str, *, id: tuple[Any, ...] = ()) -> None:  # noqa: A002
        super().__init__(msg)
        self.type = type
        self.msg = msg
        self.id = id

    def to_error(self, msg: str | Callable[[str], str] | None = None) -> Exception:
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                generated += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class UnsupportedInputs(Exception):
    """Raised by a pair type that cannot handle the inputs: the next pair type is tried."""


def default_tolerances(*inputs: Any, dtype_precisions: dict | None = None) -> tuple[float, float]:
    """The loosest default (rtol, atol) of the inputs' dtypes (tensors or dtypes)."""
    from ..tensor import Tensor

    dtypes = []
    for x in inputs:
        if isinstance(x, Tensor):
            dtypes.append(x.dtype)
        elif isinstance(x, _dt.dtype):
            dtypes.append(x)
        else:
            raise TypeError(f"Expected a torch.Tensor or a torch.dtype, but got {type(x)} instead.")
    precisions = dtype_precisions or _DTYPE_PRECISIONS
    rtols, atols = zip(*[precisions.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def get_tolerances(*inputs: Any, rtol: float | None, atol: float | None, id: tuple = ()) -> tuple[float, float]:  # noqa: A002
    if (rtol is None) ^ (atol is None):
        raise ErrorMeta(ValueError, f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                                    f"{'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None and atol is not None:
        return rtol, atol
    return default_tolerances(*inputs)


def _make_mismatch_msg(*, default_identifier: str, identifier: str | Callable[[str], str] | None = None,
                       extra: str | None = None, abs_diff: float, abs_diff_idx: Any = None, atol: float,
                       rel_diff: float, rel_diff_idx: Any = None, rtol: float) -> str:
    equality = rtol == 0 and atol == 0

    def diff_msg(kind: str, diff: float, idx: Any, tol: float) -> str:
        msg = f"{kind.title()} difference: {diff}" if idx is None else f"Greatest {kind} difference: {diff} at index {idx}"
        if not equality:
            msg += f" (up to {tol} allowed)"
        return msg + "\n"

    if identifier is None:
        identifier = default_identifier
    elif callable(identifier):
        identifier = identifier(default_identifier)
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += diff_msg("absolute", abs_diff, abs_diff_idx, atol)
    msg += diff_msg("relative", rel_diff, rel_diff_idx, rtol)
    return msg.strip()


def make_scalar_mismatch_msg(actual: Any, expected: Any, *, rtol: float, atol: float,
                             identifier: str | Callable[[str], str] | None = None) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _make_mismatch_msg(default_identifier="Scalars", identifier=identifier,
                              extra=f"Expected {expected} but got {actual}.", abs_diff=abs_diff, atol=atol,
                              rel_diff=rel_diff, rtol=rtol)


def make_tensor_mismatch_msg(actual: Any, expected: Any, matches: Any, *, rtol: float, atol: float,
                             identifier: str | Callable[[str], str] | None = None) -> str:
    """The message for tensors: how many elements mismatch, and the greatest differences among them."""
    m = _numpy(matches).astype(bool)
    a, e = _numpy(actual), _numpy(expected)
    if a.dtype.kind not in "fc":
        a, e = a.astype(np.int64), e.astype(np.int64)
    n = m.size
    mismatches = n - int(m.sum())
    extra = f"Mismatched elements: {mismatches} / {n} ({mismatches / n:.1%})"
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e).reshape(-1)
        abs_diff[m.reshape(-1)] = 0
        rel_diff = abs_diff / np.abs(e).reshape(-1)
    rel_diff[m.reshape(-1)] = 0

    def greatest(d: Any) -> tuple[Any, tuple]:
        # torch.max's choice: the first maximum, NaN counting as the greatest
        nan = np.isnan(d) if d.dtype.kind == "f" else np.zeros(d.shape, bool)
        flat = int(np.argmax(nan)) if nan.any() else int(np.argmax(d))
        return d[flat].item(), (tuple(int(i) for i in np.unravel_index(flat, m.shape)) if m.shape else ())

    max_abs, abs_idx = greatest(abs_diff)
    max_rel, rel_idx = greatest(rel_diff)
    return _make_mismatch_msg(default_identifier="Tensor-likes", identifier=identifier, extra=extra,
                              abs_diff=max_abs, abs_diff_idx=abs_idx, atol=atol, rel_diff=max_rel,
                              rel_diff_idx=rel_idx, rtol=rtol)


def _numpy(t: Any) -> Any:
    return np.asarray(t._backend.to_numpy(t._data))


class Pair(abc.ABC):
    """Two inputs to compare; a pair type's constructor raises UnsupportedInputs for inputs it does not handle."""

    def __init__(self, actual: Any, expected: Any, *, id: tuple[Any, ...] = (), **unknown: Any) -> None:  # noqa: A002
        self.actual = actual
        self.expected = expected
        self.id = id

    @staticmethod
    def _inputs_not_supported() -> NoReturn:
        raise UnsupportedInputs

    @staticmethod
    def _check_inputs_isinstance(*inputs: Any, cls: Any) -> None:
        if not all(isinstance(x, cls) for x in inputs):
            Pair._inputs_not_supported()

    def _fail(self, type: type[Exception], msg: str) -> NoReturn:  # noqa: A002
        raise ErrorMeta(type, msg, id=self.id)

    @abc.abstractmethod
    def compare(self) -> None:
        """Raise ErrorMeta when the inputs do not match."""


class NonePair(Pair):
    def __init__(self, actual: Any, expected: Any, **options: Any) -> None:
        if not (actual is None or expected is None):
            self._inputs_not_supported()
        super().__init__(actual, expected, **options)

    def compare(self) -> None:
        if not (self.actual is None and self.expected is None):
            self._fail(AssertionError, f"None mismatch: {self.actual} is not {self.expected}")


class BooleanPair(Pair):
    def __init__(self, actual: Any, expected: Any, **options: Any) -> None:
        self._check_inputs_isinstance(actual, expected, cls=(bool, np.bool_))
        super().__init__(bool(actual), bool(expected), **options)

    def compare(self) -> None:
        if self.actual is not self.expected:
            self._fail(AssertionError, f"Booleans mismatch: {self.actual} is not {self.expected}")


class NumberPair(Pair):
    """Python (and NumPy) numbers: int as int64, float as float64, complex as complex128 for the tolerances."""

    _TYPE_TO_DTYPE = {int: _dt.int64, float: _dt.float64, complex: _dt.complex128}

    def __init__(self, actual: Any, expected: Any, *, id: tuple = (), rtol: float | None = None,  # noqa: A002
                 atol: float | None = None, equal_nan: bool = False, check_dtype: bool = False, **options: Any) -> None:
        self._check_inputs_isinstance(actual, expected, cls=(int, float, complex, np.number))
        if isinstance(actual, bool) or isinstance(expected, bool):
            self._inputs_not_supported()
        actual, expected = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
        super().__init__(actual, expected, id=id)
        self.rtol, self.atol = get_tolerances(*[self._TYPE_TO_DTYPE[type(x)] for x in (actual, expected)],
                                              rtol=rtol, atol=atol, id=id)
        self.equal_nan = equal_nan
        self.check_dtype = check_dtype

    def compare(self) -> None:
        if self.check_dtype and type(self.actual) is not type(self.expected):
            self._fail(AssertionError, f"The (d)types do not match: {type(self.actual)} != {type(self.expected)}.")
        if self.actual == self.expected:
            return
        if self.equal_nan and cmath.isnan(self.actual) and cmath.isnan(self.expected):
            return
        abs_diff = abs(self.actual - self.expected)
        tolerance = self.atol + self.rtol * abs(self.expected)
        if cmath.isfinite(abs_diff) and abs_diff <= tolerance:
            return
        self._fail(AssertionError, make_scalar_mismatch_msg(self.actual, self.expected, rtol=self.rtol, atol=self.atol))


class TensorLikePair(Pair):
    """Tensors (or a tensor and something ``as_tensor`` takes, of a directly related type)."""

    def __init__(self, actual: Any, expected: Any, *, id: tuple = (), allow_subclasses: bool = True,  # noqa: A002
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, **options: Any) -> None:
        from .. import factories
        from ..tensor import Tensor

        related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
        if not related or (not allow_subclasses and type(actual) is not type(expected)):
            self._inputs_not_supported()
        converted = []
        for x in (actual, expected):
            if isinstance(x, Tensor):
                converted.append(x)
                continue
            try:
                converted.append(factories.as_tensor(x))
            except Exception:
                self._inputs_not_supported()
        super().__init__(converted[0], converted[1], id=id)
        self.rtol, self.atol = get_tolerances(*converted, rtol=rtol, atol=atol, id=id)
        self.equal_nan = equal_nan
        self.check_device = check_device
        self.check_dtype = check_dtype
        self.check_layout = check_layout
        self.check_stride = check_stride

    def compare(self) -> None:
        actual, expected = self.actual, self.expected
        self._compare_attributes(actual, expected)
        actual, expected = self._equalize_attributes(actual, expected)
        self._compare_values(actual, expected)

    def _mismatch(self, name: str, a: Any, e: Any) -> NoReturn:
        self._fail(AssertionError, f"The values for attribute '{name}' do not match: {a} != {e}.")

    def _compare_attributes(self, actual: Any, expected: Any) -> None:
        if actual.shape != expected.shape:
            self._mismatch("shape", actual.shape, expected.shape)
        if self.check_stride and actual.stride() != expected.stride():
            self._mismatch("stride()", actual.stride(), expected.stride())
        if self.check_device and actual.device != expected.device:
            self._mismatch("device", actual.device, expected.device)
        if self.check_dtype and actual.dtype != expected.dtype:
            self._mismatch("dtype", actual.dtype, expected.dtype)

    def _equalize_attributes(self, actual: Any, expected: Any) -> tuple[Any, Any]:
        if actual.device != expected.device:
            actual, expected = actual.cpu(), expected.cpu()
        if actual.dtype != expected.dtype:
            common = _dt.promote_types(actual.dtype, expected.dtype)
            actual, expected = actual.to(common), expected.to(common)
        return actual, expected

    def _compare_values(self, actual: Any, expected: Any) -> None:
        from ..ops import comparison

        actual, expected = actual.detach(), expected.detach()
        matches = comparison.isclose(actual, expected, rtol=self.rtol, atol=self.atol, equal_nan=self.equal_nan)
        if bool(matches.all().item()):
            return
        if actual.shape == ():
            msg = make_scalar_mismatch_msg(actual.item(), expected.item(), rtol=self.rtol, atol=self.atol)
        else:
            msg = make_tensor_mismatch_msg(actual, expected, matches, rtol=self.rtol, atol=self.atol)
        self._fail(AssertionError, msg)


def originate_pairs(actual: Any, expected: Any, *, pair_types: Sequence[type[Pair]],
                    sequence_types: tuple = (collections.abc.Sequence,),
                    mapping_types: tuple = (collections.abc.Mapping,), id: tuple = (), **options: Any) -> list[Pair]:  # noqa: A002
    """The pairs to compare, found by walking nested sequences and mappings of ``actual`` and ``expected``."""
    if (isinstance(actual, sequence_types) and not isinstance(actual, str)
            and isinstance(expected, sequence_types) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise ErrorMeta(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                            id=id)
        pairs = []
        for i in range(len(actual)):
            pairs.extend(originate_pairs(actual[i], expected[i], pair_types=pair_types, sequence_types=sequence_types,
                                         mapping_types=mapping_types, id=(*id, i), **options))
        return pairs
    if isinstance(actual, mapping_types) and isinstance(expected, mapping_types):
        actual_keys, expected_keys = set(actual.keys()), set(expected.keys())
        if actual_keys != expected_keys:
            raise ErrorMeta(AssertionError, "The keys of the mappings do not match:\n"
                                            f"Missing keys in the actual mapping: {sorted(expected_keys - actual_keys)}\n"
                                            f"Additional keys in the actual mapping: {sorted(actual_keys - expected_keys)}",
                            id=id)
        keys: Any = actual_keys
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        pairs = []
        for key in keys:
            pairs.extend(originate_pairs(actual[key], expected[key], pair_types=pair_types,
                                         sequence_types=sequence_types, mapping_types=mapping_types, id=(*id, key),
                                         **options))
        return pairs
    for pair_type in pair_types:
        try:
            return [pair_type(actual, expected, id=id, **options)]
        except UnsupportedInputs:
            continue
    raise ErrorMeta(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                               f"{type(expected)}.", id=id)


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Assert that ``actual`` and ``expected`` are close: ``|actual - expected| <= atol + rtol * |expected|``
    elementwise, with the same shape (and device, dtype, stride when checked).

    Inputs may be tensors, Python numbers, None, booleans, or sequences and mappings of them (compared item by
    item). Without ``rtol`` and ``atol`` the defaults of the dtype apply: float16 (1e-3, 1e-5), float32
    (1.3e-6, 1e-5), float64 (1e-7, 1e-7), the complex types as their real parts, exact for the others.
    ``msg`` replaces the message (a string) or edits it (a callable).
    """
    __tracebackhide__ = True
    try:
        pairs = originate_pairs(actual, expected, pair_types=(NonePair, BooleanPair, NumberPair, TensorLikePair),
                                allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                                check_device=check_device, check_dtype=check_dtype, check_layout=check_layout,
                                check_stride=check_stride)
    except ErrorMeta as meta:
        raise meta.to_error(msg) from None
    for pair in pairs:
        try:
            pair.compare()
        except ErrorMeta as meta:
            raise meta.to_error(msg) from None


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated: :func:`assert_close` with the older defaults (and no dtype check), as in PyTorch."""
    import warnings

    from .. import factories
    from ..tensor import Tensor

    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future release. Please "
        "use `torch.testing.assert_close()` instead. You can find detailed upgrade instructions in "
        "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning, stacklevel=2,
    )
    if not isinstance(actual, Tensor):
        actual = factories.tensor(actual)
    if not isinstance(expected, Tensor):
        expected = factories.tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = default_tolerances(actual, expected, dtype_precisions={
            _dt.float16: (1e-3, 1e-3), _dt.float32: (1e-4, 1e-5), _dt.float64: (1e-5, 1e-8)})
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True, check_dtype=False,
                 check_stride=False, msg=msg or None)
