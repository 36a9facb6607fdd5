"""The op database: test cases generated from every registered op's samples, on one backend.

For each op in ``plugrad.ops.registry.OPS`` and each of its samples (``op.samples()`` plus those plugins
add in ``registry.SAMPLES``), :func:`cases` yields :class:`OpCase` objects, one per check:

``forward``
    the op's output equals ``op.reference(np, *arrays, *attrs)`` (NumPy, float64), at the sample's
    ``atol``/``rtol`` for float32 and 1e-7 for float64; shapes must match exactly.
``dtype``
    float inputs keep their dtype (float32 in, float32 out) wherever the reference's result is floating;
    otherwise the output has the reference's dtype (bool for comparisons).
``backend``
    every output lives on the backend under test.
``native``
    where the backend has its own kernel for the op, it agrees with the generic array-API kernel.
``gradcheck`` / ``gradgradcheck``
    float64 :func:`plugrad.autograd.gradcheck` (and ``gradgradcheck`` where ``op.supports_gradgrad`` and
    the sample allow it) of ``op.dispatch`` with respect to the inputs whose spec has ``grad=True``.

The values of a sample are drawn from a seed derived from the op and sample names, so a failure
reproduces. NumPy is the reference the kit compares against; it is needed here, never by ``import plugrad``.
The pytest plugin :mod:`plugrad.testing.conformance` and the suite's ``tests/test_opdb.py`` run these cases.
"""

from __future__ import annotations

import traceback
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .samples import A, Mask, Sample, T, binary_samples, unary_samples

__all__ = [
    "A", "CHECKS", "FLOAT_DTYPES", "Mask", "Materialized", "OpCase", "OpCheckError", "Sample", "T",
    "binary_elementwise_ops", "binary_samples", "cases", "check_binary_broadcast", "check_reduction",
    "materialize", "op_samples", "ops_without_reference", "ops_without_samples", "reduction_ops", "select_ops",
    "unary_samples",
]

FLOAT_DTYPES = ("float32", "float64")
CHECKS = ("forward", "dtype", "backend", "native", "gradcheck", "gradgradcheck")
FLOAT64_TOL = 1e-7  # atol and rtol of the float64 forward comparison


class OpCheckError(AssertionError):
    """One op-database check failed; the message names the op, backend, dtype, sample and check."""


def _np() -> Any:
    import numpy

    return numpy


# --- which ops, which samples ------------------------------------------------------------------


def _registry() -> Any:
    from .. import plugins
    from ..ops import registry

    plugins.ensure_loaded()
    return registry


def select_ops(ops: Sequence[str] | None = None, plugin: str | None = None) -> list[str]:
    """Names of the ops to test: all registered ones, the ``ops`` named, or those a plugin contributes.

    A plugin contributes the ops it registers, those it registers kernels for, and those its sample
    functions (by module) extend. Unknown names raise ``ValueError`` listing what there is.
    """
    registry = _registry()
    if ops:
        unknown = [n for n in ops if n not in registry.OPS]
        if unknown:
            raise ValueError(f"unknown op(s) {unknown}; registered ops: {', '.join(sorted(registry.OPS))}")
        return list(dict.fromkeys(ops))
    if plugin:
        return _plugin_ops(plugin, registry)
    return sorted(registry.OPS)


def _plugin_ops(plugin: str, registry: Any) -> list[str]:
    from .. import plugins

    record = next((r for r in plugins.records() if r.name == plugin), None)
    if record is None:
        installed = ", ".join(sorted(r.name for r in plugins.records())) or "none"
        raise ValueError(f"no plugrad plugin named {plugin!r} is installed; plugins: {installed}")
    if record.status != "loaded":
        raise ValueError(f"plugrad plugin {plugin!r} is {record.status}: {record.error}")
    names = set(record.ops)
    names.update(n for n, op in registry.OPS.items() if op.owner == plugin)
    names.update(n for (n, _b), (_fn, owner) in registry.NATIVE_KERNELS.items() if owner == plugin)
    names.update(n for n, (_f, owner) in registry.GENERIC_KERNELS.items() if owner == plugin)
    root = (getattr(record.module, "__name__", "") or "\0").split(".")[0]
    for n, fns in registry.SAMPLES.items():
        if any((getattr(fn, "__module__", "") or "").split(".")[0] == root for fn in fns):
            names.add(n)
    return sorted(n for n in names if n in registry.OPS)


def op_samples(op_name: str) -> list[tuple[str, Sample]]:
    """``(sample id, sample)`` for every sample of ``op_name``: its own, then those plugins added.

    Ids are the sample names without spaces, made unique within the op (``name#2`` for a second sample of
    one name).
    A sample function that raises propagates its error.
    """
    registry = _registry()
    op = registry.OPS[op_name]
    found: list[Sample] = []
    sources = ([op.samples] if op.samples is not None else []) + list(registry.SAMPLES.get(op_name, ()))
    for fn in sources:
        for s in fn():
            if not isinstance(s, Sample):
                raise TypeError(f"a sample function of op {op_name!r} yielded {type(s).__name__}, not a Sample")
            found.append(s)
    out = []
    seen: dict[str, int] = {}
    for i, s in enumerate(found):
        base = (s.name or f"sample{i}").replace(" ", "")  # Note: ids without spaces select well on a command line
        k = seen.get(base, 0) + 1
        seen[base] = k
        out.append((base if k == 1 else f"{base}#{k}", s))
    return out


def ops_without_samples(ops: Iterable[str] | None = None) -> list[str]:
    """The ops (of ``ops``, default all) that have no sample at all: the op database cannot test them."""
    registry = _registry()
    missing = []
    for name in sorted(ops if ops is not None else registry.OPS):
        try:
            if not op_samples(name):
                missing.append(name)
        except Exception:  # noqa: BLE001 - a broken sample function is reported by its own case
            continue
    return missing


def ops_without_reference(ops: Iterable[str] | None = None) -> list[str]:
    """The ops (of ``ops``, default all) declared without ``reference=``: their forward cannot be checked."""
    registry = _registry()
    return [n for n in sorted(ops if ops is not None else registry.OPS) if registry.OPS[n].reference is None]


# --- making a sample's inputs ------------------------------------------------------------------


@dataclass
class Materialized:
    """A sample made on a backend: ``args``/``attrs`` for ``op.dispatch``, and NumPy float64 twins for the reference."""

    args: tuple
    attrs: tuple
    np_args: tuple
    np_attrs: tuple


def _is_float_name(name: str) -> bool:
    return name.startswith("float") or name.startswith("complex")


def _seed(op_name: str, sample_id: str) -> int:
    return zlib.crc32(f"{op_name}/{sample_id}".encode())


class _Array:
    """A NumPy array the op must receive as an array of the backend under test (from ``A``, ``Mask``, ``T``)."""

    __slots__ = ("array",)

    def __init__(self, array: Any) -> None:
        self.array = array


def _draw(sample: Sample, dtype: str, seed: int) -> tuple[list, tuple, tuple]:
    """The sample's values in NumPy: ``[(value, twin, wants_grad)]`` per arg (value an ``_Array`` for tensors),
    then the attrs with ``_Array`` leaves, then the attrs' NumPy twins (float64 for float tensors)."""
    np = _np()
    rng = np.random.default_rng(seed)

    def tensor(spec: T) -> tuple[Any, Any]:
        name = spec.dtype or dtype
        if spec.values is not None:
            arr = np.asarray(spec.values, dtype=name).reshape(spec.shape)
        elif name == "bool":
            arr = rng.random(spec.shape) < 0.5
        elif _is_float_name(name):
            arr = rng.uniform(spec.low, spec.high, size=spec.shape).astype(name)
        else:
            arr = rng.integers(int(spec.low), int(spec.high), size=spec.shape).astype(name)
        arr = np.array(arr, order="C")  # Note: not ascontiguousarray, which makes 0-d arrays 1-d
        return arr, arr.astype(np.float64) if name.startswith("float") else arr.copy()

    def attr(a: Any) -> tuple[Any, Any]:
        if isinstance(a, A):
            arr = np.asarray(a.values, dtype=a.dtype)
            return _Array(arr), arr
        if isinstance(a, Mask):
            arr = rng.random(a.shape) < 0.5
            return _Array(arr), arr
        if isinstance(a, T):
            arr, twin = tensor(a)
            return _Array(arr), twin
        if isinstance(a, (tuple, list)):
            made = [attr(x) for x in a]
            return type(a)(m[0] for m in made), type(a)(m[1] for m in made)
        return a, a

    args = []
    for a in sample.args:
        if isinstance(a, T):
            arr, twin = tensor(a)
            args.append((_Array(arr), twin, a.grad and _is_float_name(a.dtype or dtype)))
        else:
            args.append((a, a, False))
    made = [attr(a) for a in sample.attrs]
    return args, tuple(m[0] for m in made), tuple(m[1] for m in made)


def materialize(sample: Sample, backend: Any, dtype: str, seed: int, requires_grad: bool = False) -> Materialized:
    """Make ``sample``'s inputs on ``backend``: ``T`` specs in ``dtype`` (unless they name their own),
    ``A``/``Mask`` attributes as backend arrays; with ``requires_grad`` the float inputs marked ``grad``
    require grad. The NumPy twins hold the same values in float64, for the reference."""
    from ..tensor import _wrap

    def on_backend(a: Any) -> Any:
        if isinstance(a, _Array):
            return backend.from_numpy(a.array)
        if isinstance(a, (tuple, list)):
            return type(a)(on_backend(x) for x in a)
        return a

    drawn, attrs, np_attrs = _draw(sample, dtype, seed)
    args = []
    for value, _twin, wants_grad in drawn:
        if isinstance(value, _Array):
            value = _wrap(backend.from_numpy(value.array), backend)
            if requires_grad and wants_grad:
                value.requires_grad_(True)
        args.append(value)
    return Materialized(tuple(args), on_backend(attrs), tuple(t for _v, t, _g in drawn), np_attrs)


def _has_grad_input(sample: Sample) -> bool:
    return any(isinstance(a, T) and a.grad and (a.dtype is None or _is_float_name(a.dtype)) for a in sample.args)


def _reference(op: Any, m: Materialized) -> tuple:
    np = _np()
    ref = op.reference(np, *m.np_args, *m.np_attrs)
    refs = tuple(ref) if isinstance(ref, (tuple, list)) and op.nout != 1 else (ref,)
    return tuple(np.asarray(r) for r in refs)


def _reference_is_differentiable(op: Any, sample: Sample) -> bool:
    """Whether the reference's result (float64 inputs) is floating: comparisons give bool and have no gradient."""
    if op.reference is None:
        return True
    try:
        drawn, _attrs, np_attrs = _draw(sample, "float64", 0)
        refs = _reference(op, Materialized((), (), tuple(t for _v, t, _g in drawn), np_attrs))
    except Exception:  # noqa: BLE001 - the forward case reports a failing reference
        return True
    return any(r.dtype.kind in "fc" for r in refs)


# --- one case ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpCase:
    """One check of one sample of one op, on one backend and dtype. ``run()`` raises :class:`OpCheckError`."""

    op_name: str
    sample_id: str
    sample: Sample | None
    backend_name: str
    dtype: str
    check: str
    error: str = ""  # set when the op's samples could not be listed: the case reports it

    @property
    def id(self) -> str:
        if self.check == "samples":
            return f"{self.op_name}-{self.backend_name}-samples"
        return f"{self.op_name}-{self.backend_name}-{self.dtype}-{self.sample_id}-{self.check}"

    def describe(self) -> str:
        what = self.sample.describe() if self.sample is not None else self.sample_id
        return (f"op {self.op_name!r} on backend {self.backend_name!r}, {self.dtype}, sample {what}, "
                f"check {self.check}")

    def fail(self, message: str) -> OpCheckError:
        return OpCheckError(f"{self.describe()}: {message}")

    def run(self) -> None:
        """Run the check; raises :class:`OpCheckError` naming the op, backend, dtype and sample on failure."""
        if self.check == "samples":
            raise self.fail(f"listing the op's samples raised:\n{self.error}")
        from ..backend import get_backend

        backend = get_backend(self.backend_name)
        registry = _registry()
        op = registry.OPS.get(self.op_name)
        if op is None:
            raise self.fail("the op is no longer registered")
        runner = getattr(self, f"_check_{self.check}")
        try:
            runner(op, backend, registry)
        except OpCheckError:
            raise
        except Exception as exc:
            raise self.fail(f"raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}") from exc

    # -- the checks --

    def _made(self, backend: Any, requires_grad: bool = False) -> Materialized:
        assert self.sample is not None
        return materialize(self.sample, backend, self.dtype, _seed(self.op_name, self.sample_id), requires_grad)

    def _outputs(self, op: Any, m: Materialized) -> tuple:
        out = op.dispatch(m.args, m.attrs)
        return tuple(out) if op.nout != 1 else (out,)

    def _check_forward(self, op: Any, backend: Any, registry: Any) -> None:
        m = self._made(backend)
        outs = self._outputs(op, m)
        refs = _reference(op, m)
        if len(outs) != len(refs):
            raise self.fail(f"the op gave {len(outs)} outputs but the reference {len(refs)}")
        atol, rtol = self._tolerances()
        for i, (o, r) in enumerate(zip(outs, refs)):
            got = backend.to_numpy(o._data)
            self._compare(got, r, atol, rtol, f"output {i}")

    def _compare(self, got: Any, want: Any, atol: float, rtol: float, what: str) -> None:
        np = _np()
        got = np.asarray(got)
        if tuple(got.shape) != tuple(want.shape):
            raise self.fail(f"{what} has shape {tuple(got.shape)} but the reference has {tuple(want.shape)}")
        if want.dtype.kind in "fc" or got.dtype.kind in "fc":
            g, w = got.astype(np.complex128 if "c" in (got.dtype.kind, want.dtype.kind) else np.float64), want
            close = np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
        else:
            close = got == want
        if not np.all(close):
            bad = np.argwhere(~np.asarray(close))
            lines = [f"{what} differs from the reference at {len(bad)} of {close.size} elements "
                     f"(atol={atol}, rtol={rtol}):"]
            for idx in bad[:10]:
                idx = tuple(int(i) for i in idx)
                lines.append(f"  index {idx}: got {got[idx]!r}, expected {want[idx]!r}")
            if len(bad) > 10:
                lines.append(f"  ... and {len(bad) - 10} more")
            raise self.fail("\n".join(lines))

    def _tolerances(self) -> tuple[float, float]:
        """Forward tolerances: the sample's for float32, :data:`FLOAT64_TOL` for float64."""
        assert self.sample is not None
        if self.dtype == "float32":
            return self.sample.atol, self.sample.rtol
        return FLOAT64_TOL, FLOAT64_TOL

    def _check_dtype(self, op: Any, backend: Any, registry: Any) -> None:
        m = self._made(backend)
        outs = self._outputs(op, m)
        refs = _reference(op, m)
        for i, (o, r) in enumerate(zip(outs, refs)):
            want = self.dtype if r.dtype.kind == "f" and self._has_float_input() else r.dtype.name
            if self.dtype == "float32" and r.dtype.kind == "c" and self._has_float_input():
                want = "complex64"
            assert self.sample is not None
            want = self.sample.extra.get("output_dtype", want)
            got = o.dtype.name
            if got != want:
                raise self.fail(f"output {i} is {got}, expected {want} (the reference gives {r.dtype.name} "
                                f"for float64 inputs)")

    def _has_float_input(self) -> bool:
        assert self.sample is not None
        return any(isinstance(a, T) and (a.dtype is None or a.dtype == self.dtype) for a in self.sample.args)

    def _check_backend(self, op: Any, backend: Any, registry: Any) -> None:
        from ..tensor import Tensor

        m = self._made(backend)
        for i, o in enumerate(self._outputs(op, m)):
            if not isinstance(o, Tensor):
                raise self.fail(f"output {i} is a {type(o).__name__}, not a plugrad Tensor")
            if o._backend is not backend:
                raise self.fail(f"output {i} lives on backend {o._backend.name!r}, not {backend.name!r}")

    def _check_native(self, op: Any, backend: Any, registry: Any) -> None:
        m = self._made(backend)
        datas = [a._data if hasattr(a, "_data") else a for a in m.args]
        native = registry.kernel_for(self.op_name, backend)
        generic = registry.kernel_for(self.op_name, backend, generic=True)
        got = native(*datas, *m.attrs)
        m2 = self._made(backend)  # fresh inputs, in case a kernel writes into them
        datas2 = [a._data if hasattr(a, "_data") else a for a in m2.args]
        want = generic(*datas2, *m2.attrs)
        gots = tuple(got) if op.nout != 1 else (got,)
        wants = tuple(want) if op.nout != 1 else (want,)
        atol, rtol = self._tolerances()
        np = _np()
        for i, (g, w) in enumerate(zip(gots, wants)):
            g_np, w_np = np.asarray(backend.to_numpy(g)), np.asarray(backend.to_numpy(w))
            if g_np.dtype != w_np.dtype:
                raise self.fail(f"the native kernel's output {i} is {g_np.dtype}, the generic kernel's {w_np.dtype}")
            self._compare(g_np, w_np, atol, rtol, f"the native kernel's output {i} (vs the generic kernel's)")

    def _gradcheck_args(self, op: Any, backend: Any) -> tuple[Any, tuple, dict]:
        assert self.sample is not None
        m = self._made(backend, requires_grad=True)
        attrs = m.attrs

        def fn(*args: Any) -> Any:
            return op.dispatch(args, attrs)

        extra = self.sample.extra
        kwargs = {"eps": extra.get("gradcheck_eps", 1e-6), "atol": extra.get("gradcheck_atol", 1e-5),
                  "rtol": extra.get("gradcheck_rtol", 1e-3)}
        return fn, m.args, kwargs

    def _check_gradcheck(self, op: Any, backend: Any, registry: Any) -> None:
        from ..autograd import GradcheckError, gradcheck

        fn, args, kwargs = self._gradcheck_args(op, backend)
        try:
            gradcheck(fn, args, **kwargs)
        except GradcheckError as exc:
            raise self.fail(f"gradcheck failed: {exc}") from None

    def _check_gradgradcheck(self, op: Any, backend: Any, registry: Any) -> None:
        from ..autograd import GradcheckError, gradgradcheck

        fn, args, kwargs = self._gradcheck_args(op, backend)
        try:
            gradgradcheck(fn, args, **kwargs)
        except GradcheckError as exc:
            raise self.fail(f"gradgradcheck failed: {exc}") from None


# --- all the cases -------------------------------------------------------------------------------


def cases(backend_name: str, *, ops: Sequence[str] | None = None, plugin: str | None = None,
          dtypes: Sequence[str] = FLOAT_DTYPES) -> list[OpCase]:
    """Every check of every sample of the selected ops on ``backend_name``, in a stable order.

    Forward and dtype checks run in each of ``dtypes`` for ops with a reference, backend checks always;
    gradient checks in float64 for ops with a VJP rule (``vjp=None`` declares an op not differentiable)
    and samples with an input of ``grad=True`` (gradgradcheck also needs a floating result); the native
    check where the backend has its own kernel for the op and a generic one exists to compare with.
    """
    registry = _registry()
    names = select_ops(ops, plugin)
    has_native = {n for (n, b) in registry.NATIVE_KERNELS if b == backend_name}
    out: list[OpCase] = []
    for name in names:
        op = registry.OPS[name]
        try:
            samples = op_samples(name)
        except Exception:  # noqa: BLE001 - reported by the case below
            out.append(OpCase(name, "samples", None, backend_name, "-", "samples", traceback.format_exc()))
            continue
        native = name in has_native and name in registry.GENERIC_KERNELS
        for sid, s in samples:
            for dtype in dtypes:
                if op.reference is not None:
                    out.append(OpCase(name, sid, s, backend_name, dtype, "forward"))
                    out.append(OpCase(name, sid, s, backend_name, dtype, "dtype"))
                out.append(OpCase(name, sid, s, backend_name, dtype, "backend"))
                if native:
                    out.append(OpCase(name, sid, s, backend_name, dtype, "native"))
            if "float64" not in dtypes or op.vjp is None or not s.gradcheck or not _has_grad_input(s):
                continue
            differentiable = _reference_is_differentiable(op, s)
            out.append(OpCase(name, sid, s, backend_name, "float64", "gradcheck"))
            if op.supports_gradgrad and s.gradgradcheck and differentiable:
                out.append(OpCase(name, sid, s, backend_name, "float64", "gradgradcheck"))
    return out


# --- property checks over random shapes ------------------------------------------------------------


def _sample_named(op_name: str, name: str) -> Sample | None:
    try:
        for _sid, s in op_samples(op_name):
            if s.name == name:
                return s
    except Exception:  # noqa: BLE001 - the op's own cases report broken samples
        return None
    return None


def binary_elementwise_ops() -> list[str]:
    """Two-input broadcasting ops: those with a ``broadcast_both`` sample of two tensors (``binary_samples``)."""
    registry = _registry()
    out = []
    for name in sorted(registry.OPS):
        op = registry.OPS[name]
        if op.nin != 2 or op.nout != 1 or op.reference is None:
            continue
        s = _sample_named(name, "broadcast_both")
        if s is not None and len(s.args) == 2 and all(isinstance(a, T) for a in s.args) and not s.attrs:
            out.append(name)
    return out


def reduction_ops() -> list[str]:
    """Reductions taking ``(dims, keepdim)`` attributes: ops with a ``dims_keepdim`` or ``all`` sample of that form."""
    registry = _registry()
    out = []
    for name in sorted(registry.OPS):
        op = registry.OPS[name]
        if op.nin != 1 or op.nout != 1 or op.reference is None:
            continue
        for sample_name in ("dims_keepdim", "all"):
            s = _sample_named(name, sample_name)
            if (s is not None and len(s.args) == 1 and isinstance(s.args[0], T) and len(s.attrs) == 2
                    and (s.attrs[0] is None or isinstance(s.attrs[0], tuple)) and isinstance(s.attrs[1], bool)):
                out.append(name)
                break
    return out


def reduction_takes_dims(op_name: str) -> bool:
    """Whether a reduction from :func:`reduction_ops` reduces over given dims (else over everything)."""
    return _sample_named(op_name, "dims_keepdim") is not None


def _grad_shapes_match(out: Any, inputs: Sequence[Any]) -> list[str]:
    from ..autograd import grad
    from ..tensor import _wrap

    xp = out._backend.namespace()
    go = _wrap(xp.ones(out._data.shape, dtype=out._data.dtype), out._backend)
    grads = grad(out, list(inputs), go, allow_unused=True)
    problems = []
    for i, (g, t) in enumerate(zip(grads, inputs)):
        if g is None:
            problems.append(f"input {i} got no gradient")
        elif tuple(g._data.shape) != tuple(t._data.shape):
            problems.append(f"the gradient of input {i} has shape {tuple(g._data.shape)}, the input "
                            f"{tuple(t._data.shape)}")
        elif g._backend is not t._backend:
            problems.append(f"the gradient of input {i} lives on backend {g._backend.name!r}")
    return problems


def _random_input(backend: Any, shape: tuple, spec: T, rng: Any) -> tuple[Any, Any]:
    from ..tensor import _wrap

    np = _np()
    arr = rng.uniform(spec.low, spec.high, size=shape)
    t = _wrap(backend.from_numpy(np.array(arr, dtype=np.float64, order="C")), backend)
    t.requires_grad_(True)
    return t, arr


def check_binary_broadcast(op_name: str, backend: Any, shape_a: tuple, shape_b: tuple, seed: int = 0) -> None:
    """``op`` on float64 inputs of two broadcastable shapes: values equal the reference, and each
    input's gradient has that input's shape. Raises :class:`OpCheckError`."""
    np = _np()
    registry = _registry()
    op = registry.OPS[op_name]
    spec = _sample_named(op_name, "broadcast_both")
    specs = spec.args if spec is not None else (T(()), T(()))
    rng = np.random.default_rng(seed)
    x, xa = _random_input(backend, shape_a, specs[0], rng)
    y, ya = _random_input(backend, shape_b, specs[1], rng)
    where = f"op {op_name!r} on backend {backend.name!r}, shapes {shape_a} and {shape_b}"
    out = op.dispatch((x, y))
    want = np.asarray(op.reference(np, xa, ya))
    got = np.asarray(backend.to_numpy(out._data))
    if got.shape != want.shape:
        raise OpCheckError(f"{where}: output shape {got.shape}, the reference's {want.shape}")
    if not np.allclose(got, want, rtol=FLOAT64_TOL, atol=FLOAT64_TOL, equal_nan=True):
        raise OpCheckError(f"{where}: values differ from the reference by up to "
                           f"{np.nanmax(np.abs(got.astype(np.float64) - want.astype(np.float64)))}")
    if want.dtype.kind == "f":
        problems = _grad_shapes_match(out, (x, y))
        if problems:
            raise OpCheckError(f"{where}: " + "; ".join(problems))


def check_reduction(op_name: str, backend: Any, shape: tuple, dims: tuple | None, keepdim: bool,
                    seed: int = 0) -> None:
    """Reduction ``op`` over ``dims`` of a float64 input of ``shape``: values and shape equal the reference,
    and the gradient has the input's shape. Raises :class:`OpCheckError`."""
    np = _np()
    registry = _registry()
    op = registry.OPS[op_name]
    spec = _sample_named(op_name, "dims_keepdim") or _sample_named(op_name, "all")
    rng = np.random.default_rng(seed)
    x, xa = _random_input(backend, shape, spec.args[0] if spec is not None else T(()), rng)
    where = f"op {op_name!r} on backend {backend.name!r}, shape {shape}, dims {dims}, keepdim {keepdim}"
    out = op.dispatch((x,), (dims, keepdim))
    want = np.asarray(op.reference(np, xa, dims, keepdim))
    got = np.asarray(backend.to_numpy(out._data))
    if got.shape != want.shape:
        raise OpCheckError(f"{where}: output shape {got.shape}, the reference's {want.shape}")
    if not np.allclose(got, want, rtol=FLOAT64_TOL, atol=FLOAT64_TOL, equal_nan=True):
        raise OpCheckError(f"{where}: values differ from the reference")
    if want.dtype.kind == "f":
        problems = _grad_shapes_match(out, (x,))
        if problems:
            raise OpCheckError(f"{where}: " + "; ".join(problems))
