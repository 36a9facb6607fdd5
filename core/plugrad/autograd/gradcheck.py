"""``gradcheck`` and ``gradgradcheck``: analytical gradients against finite differences, as in PyTorch.

The numerical Jacobian comes from central differences: each input element is
perturbed in place through the tensor's backend array (no graph is recorded for
the perturbation) and ``func`` is evaluated twice. The analytical Jacobian comes
from one ``autograd.grad`` per output element (one row of the Jacobian each).
Both are backend arrays of shape ``(input numel, output numel)``, compared with
``allclose(analytical, numerical, rtol, atol)``. Everything runs on the inputs'
backend through its array namespace, so the checks work on every device.
"""

from __future__ import annotations

import itertools
import random
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` and :func:`gradgradcheck` when a check fails."""


FAST_FAIL_SLOW_OK_MSG = """
Fast gradcheck failed but element-wise differences are small. This means that the
test might've passed in slow_mode!

If you are adding a new operator, call gradcheck/gradgradcheck with `fast_mode=False`.
""".strip()

FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations, this failure might be expected:
call gradcheck/gradgradcheck with `nondet_tol=<tol>` as a keyword argument.
"""

_MAX_LISTED = 10  # mismatching Jacobian entries named in an error message


# --- small helpers ------------------------------------------------------------------------


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x: Any) -> bool:
    # Note: imported here, not at the top: plugrad.autograd loads this module while plugrad.tensor loads.
    from ..tensor import Tensor

    return isinstance(x, Tensor)


def _wrap(data: Any, backend: Any) -> Tensor:
    from ..tensor import _wrap as wrap

    return wrap(data, backend)


def _is_diff_dtype(t: Tensor) -> bool:
    d = t.dtype
    return d.is_floating_point or d.is_complex


def _differentiable_outputs(x: Any) -> tuple:
    # Note: only floating-point (or complex) tensors carry gradients, as in PyTorch.
    return tuple(o for o in _as_tuple(x) if _is_tensor(o) and o._requires_grad and _is_diff_dtype(o))


def _diff_inputs(tupled_inputs: tuple) -> list[tuple[int, Tensor]]:
    return [(i, t) for i, t in enumerate(tupled_inputs) if _is_tensor(t) and t._requires_grad]


def _copy(xp: Any, a: Any) -> Any:
    return xp.asarray(a, copy=True)


def _is_float_array(a: Any, xp: Any) -> bool:
    kind = getattr(a.dtype, "kind", None)
    if kind is not None:
        return kind in ("f", "c")
    return bool(xp.isdtype(a.dtype, ("real floating", "complex floating")))


def _float_dtype(a: Any, xp: Any) -> Any:
    """The dtype finite differences of ``a`` are taken in: its own when floating, else float64."""
    return a.dtype if _is_float_array(a, xp) else xp.float64


def _as_float(a: Any, xp: Any) -> Any:
    """``a`` itself when floating, else a float64 copy (finite differences of bool/int outputs)."""
    return a if _is_float_array(a, xp) else a.astype(xp.float64)


def _indices(shape: Sequence[int]) -> Any:
    """Every index of an array of ``shape`` in C order (``()`` once for a 0-d array)."""
    return itertools.product(*(range(s) for s in shape))


def _numel(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _unravel(k: int, shape: Sequence[int]) -> tuple[int, ...]:
    idx = []
    for s in reversed(shape):
        idx.append(k % s if s else 0)
        k = k // s if s else 0
    return tuple(reversed(idx))


def _allclose(xp: Any, a: Any, b: Any, rtol: float, atol: float) -> bool:
    """``torch.allclose(a, b, rtol, atol)`` on backend arrays: ``|a - b| <= atol + rtol * |b|``, NaN never close."""
    if _numel(a.shape) == 0:
        return True
    return bool(xp.all(xp.abs(a - b) <= atol + rtol * xp.abs(b)))


def _to_float(x: Any) -> float:
    return float(x)


# --- input and output checks -----------------------------------------------------------------


def _check_inputs(tupled_inputs: tuple) -> None:
    any_input_requiring_grad = False
    for idx, inp in enumerate(tupled_inputs):
        if _is_tensor(inp) and inp._requires_grad:
            d = inp.dtype
            if d.name not in ("float64", "complex128"):
                warnings.warn(
                    f"Input #{idx} requires gradient and "
                    "is not a double precision floating point or complex. "
                    "This check will likely fail if all the inputs are "
                    "not of double precision floating point or complex. ",
                    UserWarning,
                    stacklevel=4,
                )
            data = inp._data
            strides = getattr(data, "strides", None)
            if (strides is not None and _numel(data.shape)
                    and not all(st > 0 or sz <= 1 for st, sz in zip(strides, data.shape))):
                raise RuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only "
                    "supports inputs that are non-overlapping to be able to "
                    "compute the numerical gradients correctly. You should call "
                    ".contiguous on the input before passing it to gradcheck."
                )
            flags = getattr(data, "flags", None)
            if flags is not None and not getattr(flags, "writeable", True):
                raise RuntimeError(
                    f"The {idx}th input's memory is read-only (a broadcast view), so gradcheck cannot perturb it "
                    "to compute the numerical gradients. Pass a copy: input.clone().detach().requires_grad_()."
                )
            any_input_requiring_grad = True
    if not any_input_requiring_grad:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of them have requires_grad=True."
        )


def _as_real_problem(func: Callable[..., Any], inputs: tuple) -> tuple[Callable[..., Any], tuple]:
    """A function of complex tensors as one of real tensors, which the checks below handle.

    Each complex input requiring grad becomes a real leaf holding its ``view_as_real`` (a last dimension of
    2: real and imaginary parts), and each complex output is returned as its ``view_as_real``. The analytical
    gradients still run through ``func``'s own complex rules (the two views only move numbers), so this checks
    PyTorch's convention, as its gradcheck does part by part: a complex input's gradient is dL/dx + i dL/dy.
    """
    from ..ops.complex_numbers import resolve_conj, view_as_complex, view_as_real

    positions = [i for i, x in enumerate(inputs) if _is_tensor(x) and x._requires_grad and x.dtype.is_complex]
    real_inputs = list(inputs)
    for i in positions:
        x = inputs[i]
        data = _copy(x._backend.namespace(), view_as_real(x.detach().resolve_conj())._data)
        t = _wrap(data, x._backend)
        t._requires_grad = True
        real_inputs[i] = t

    def real_func(*args: Any) -> Any:
        args_list = list(args)
        for i in positions:
            args_list[i] = view_as_complex(args_list[i])
        out = func(*args_list)
        outs = _as_tuple(out)
        if not any(_is_tensor(o) and o.dtype.is_complex for o in outs):
            return out
        return tuple(view_as_real(resolve_conj(o)) if _is_tensor(o) and o.dtype.is_complex else o for o in outs)

    return real_func, tuple(real_inputs)


# --- the numerical Jacobian ------------------------------------------------------------------


def _eval_outputs(func: Callable[..., Any], inputs: tuple) -> list:
    """Copies of the data of every tensor ``func`` returns (an output may alias a perturbed input)."""
    out = []
    for o in _as_tuple(func(*inputs)):
        if _is_tensor(o):
            out.append(_copy(o._backend.namespace(), o._data))
    return out


def _numerical_jacobian(func: Callable[..., Any], inputs: tuple, func_out: tuple, eps: float) -> list[list]:
    """For each input requiring grad, for each tensor output: the Jacobian ``(input numel, output numel)``."""
    outs = [o for o in func_out if _is_tensor(o)]
    result = []
    for _, inp in _diff_inputs(inputs):
        data = inp._data
        xp = inp._backend.namespace()
        n_in = _numel(data.shape)
        jacobians = [xp.zeros((n_in, _numel(o._data.shape)), dtype=_float_dtype(o._data, xp)) for o in outs]
        for k, index in enumerate(_indices(data.shape)):
            orig = _copy(xp, data[index])
            data[index] = orig - eps
            outa = _eval_outputs(func, inputs)
            data[index] = orig + eps
            outb = _eval_outputs(func, inputs)
            data[index] = orig
            for jac, a, b in zip(jacobians, outa, outb):
                a, b = _as_float(a, xp), _as_float(b, xp)
                jac[k, :] = xp.reshape((b - a) / (2 * eps), (-1,))
        result.append(jacobians)
    return result


def _numerical_directional(func: Callable[..., Any], inputs: tuple, inp: Tensor, u: Any, eps: float) -> list:
    """``J u`` for every tensor output, by one central difference along ``u`` (flat, unit norm)."""
    data = inp._data
    xp = inp._backend.namespace()
    delta = xp.reshape(u * eps, data.shape)
    orig = _copy(xp, data)
    data[...] = orig - delta
    outa = _eval_outputs(func, inputs)
    data[...] = orig + delta
    outb = _eval_outputs(func, inputs)
    data[...] = orig
    return [xp.reshape((_as_float(b, xp) - _as_float(a, xp)) / (2 * eps), (-1,)) for a, b in zip(outa, outb)]


# --- the analytical Jacobian -----------------------------------------------------------------


def _vjp(output: Tensor, diff_inputs: list, grad_output: Any) -> tuple:
    from .engine import grad

    return grad(output, diff_inputs, _wrap(grad_output, output._backend), retain_graph=True, allow_unused=True)


def _check_grad_attributes(g: Tensor, inp: Tensor, idx: int, check_grad_dtypes: bool) -> None:
    if g._data.shape != inp._data.shape:
        raise GradcheckError(
            f"Analytical gradient has incorrect size: the gradient for input #{idx} has shape "
            f"{tuple(g._data.shape)} but the input has shape {tuple(inp._data.shape)}"
        )
    if check_grad_dtypes and g.dtype is not inp.dtype:
        raise GradcheckError(
            f"Gradient has dtype mismatch: the gradient for input #{idx} is {g.dtype} but the input is {inp.dtype}"
        )


def _analytical_jacobian_once(output: Tensor, diffs: list, check_grad_dtypes: bool) -> list:
    jacobians = []
    for _, inp in diffs:
        xp = inp._backend.namespace()
        jacobians.append(xp.zeros((_numel(inp._data.shape), _numel(output._data.shape)), dtype=inp._data.dtype))
    oxp = output._backend.namespace()
    diff_list = [t for _, t in diffs]
    for j, index in enumerate(_indices(output._data.shape)):
        go = oxp.zeros(output._data.shape, dtype=output._data.dtype)
        go[index] = 1
        grads = _vjp(output, diff_list, go)
        for jac, (idx, inp), g in zip(jacobians, diffs, grads):
            if g is None:
                continue
            _check_grad_attributes(g, inp, idx, check_grad_dtypes)
            xp = inp._backend.namespace()
            jac[:, j] = xp.reshape(g._data, (-1,))
    return jacobians


def _analytical_jacobian(output: Tensor, diffs: list, nondet_tol: float, check_grad_dtypes: bool) -> list:
    """For each input requiring grad: the Jacobian of ``output``, computed twice to check for nondeterminism."""
    first = _analytical_jacobian_once(output, diffs, check_grad_dtypes)
    second = _analytical_jacobian_once(output, diffs, check_grad_dtypes)
    for j1, j2, (_, inp) in zip(first, second, diffs):
        xp = inp._backend.namespace()
        if _numel(j1.shape) and float(xp.max(xp.abs(j1 - j2))) > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with "
                "same input and grad_output multiple times gives different values, "
                "although analytical gradient matches numerical gradient."
                f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG
            )
    return first


# --- messages --------------------------------------------------------------------------------


def _show(a: Any, backend: Any) -> str:
    return repr(_wrap(a, backend))


def _notallclose_msg(analytical: Any, numerical: Any, output_idx: int, input_idx: int, backend: Any) -> str:
    return (
        f"Jacobian mismatch for output {output_idx:d} with respect to input {input_idx:d},\n"
        f"numerical:{_show(numerical, backend)}\nanalytical:{_show(analytical, backend)}\n"
    )


def _where_they_differ(analytical: Any, numerical: Any, in_shape: tuple, out_shape: tuple,
                       rtol: float, atol: float, backend: Any) -> str:
    """Name the Jacobian entries outside tolerance: input element, output element, both values."""
    a = backend.to_numpy(analytical).tolist()
    n = backend.to_numpy(numerical).tolist()
    bad = []
    for r, (row_a, row_n) in enumerate(zip(a, n)):
        for c, (va, vn) in enumerate(zip(row_a, row_n)):
            if not abs(va - vn) <= atol + rtol * abs(vn):  # NaN counts as a mismatch
                bad.append((r, c, vn, va))
    if not bad:
        return ""
    total = len(a) * (len(a[0]) if a else 0)

    def diff(entry: tuple) -> float:
        d = abs(entry[3] - entry[2])
        return float("inf") if d != d else d

    worst = max(bad, key=diff)
    lines = [
        f"{len(bad)} of {total} Jacobian entries differ beyond atol={atol} + rtol={rtol} * |numerical|; "
        f"the largest difference is {diff(worst)!r} for input element {_unravel(worst[0], in_shape)} and "
        f"output element {_unravel(worst[1], out_shape)} (numerical {worst[2]!r}, analytical {worst[3]!r}).",
        "Mismatched entries (input element, output element): numerical vs analytical",
    ]
    for r, c, vn, va in bad[:_MAX_LISTED]:
        lines.append(f"  {_unravel(r, in_shape)}, {_unravel(c, out_shape)}: {vn!r} vs {va!r}")
    if len(bad) > _MAX_LISTED:
        lines.append(f"  ... and {len(bad) - _MAX_LISTED} more")
    return "\n".join(lines) + "\n"


# --- slow and fast mode ----------------------------------------------------------------------


def _check_no_differentiable_outputs(func: Callable[..., Any], inputs: tuple, func_out: tuple, eps: float) -> None:
    # With no differentiable outputs, the numerical gradient must be zero (a piecewise-constant function).
    for jacobians, (_, inp) in zip(_numerical_jacobian(func, inputs, func_out, eps), _diff_inputs(inputs)):
        xp = inp._backend.namespace()
        for jac in jacobians:
            if _numel(jac.shape) and bool(xp.any(jac != 0)):
                raise GradcheckError("Numerical gradient for function expected to be zero")


def _slow_gradcheck(func: Callable[..., Any], func_out: tuple, inputs: tuple, outputs: tuple, eps: float,
                    rtol: float, atol: float, check_grad_dtypes: bool, nondet_tol: float) -> None:
    if not outputs:
        _check_no_differentiable_outputs(func, inputs, func_out, eps)
        return
    diffs = _diff_inputs(inputs)
    tensor_out = [o for o in func_out if _is_tensor(o)]
    numerical = _numerical_jacobian(func, inputs, func_out, eps)
    # Keep the numerical Jacobians of the differentiable outputs only, indexed [output][input].
    positions = [next(k for k, t in enumerate(tensor_out) if t is o) for o in outputs]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobian(o, diffs, nondet_tol, check_grad_dtypes)
        for j, (a, (_, inp)) in enumerate(zip(analytical, diffs)):
            n = numerical[j][positions[i]]
            xp = inp._backend.namespace()
            if not _allclose(xp, a, n, rtol, atol):
                raise GradcheckError(
                    _notallclose_msg(a, n, i, j, inp._backend)
                    + _where_they_differ(a, n, tuple(inp._data.shape), tuple(o._data.shape), rtol, atol,
                                         inp._backend)
                )


def _random_unit_vector(t: Tensor, gen: random.Random) -> Any:
    """A random vector with ``t``'s number of elements, dtype and backend, values in [0, 1), norm 1."""
    n = _numel(t._data.shape)
    values = [gen.random() for _ in range(n)]
    norm = sum(v * v for v in values) ** 0.5
    if norm:
        values = [v / norm for v in values]
    xp = t._backend.namespace()
    return xp.asarray(values, dtype=t._data.dtype) if n else xp.zeros((0,), dtype=t._data.dtype)


def _fast_gradcheck(func: Callable[..., Any], func_out: tuple, inputs: tuple, outputs: tuple, eps: float,
                    rtol: float, atol: float, check_grad_dtypes: bool, nondet_tol: float) -> None:
    # Compare v^T (J u) from finite differences with (v^T J) u from one backward per output.
    diffs = _diff_inputs(inputs)
    gen = random.Random(0)  # Note: its own generator, so the user's random state is untouched
    all_u = [_random_unit_vector(t, gen) for _, t in diffs]
    all_v = [_random_unit_vector(o, gen) for o in outputs]
    tensor_out = [o for o in func_out if _is_tensor(o)]
    positions = [next(k for k, t in enumerate(tensor_out) if t is o) for o in outputs]
    numerical = []  # [input][output] scalars
    for (_, inp), u in zip(diffs, all_u):
        jus = _numerical_directional(func, inputs, inp, u, eps)
        if not outputs:
            xp = inp._backend.namespace()
            for ju in jus:
                if _numel(ju.shape) and float(xp.max(xp.abs(ju))) > nondet_tol:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
            continue
        numerical.append([jus[p] for p in positions])
    if not outputs:
        return
    for j, (o, v) in enumerate(zip(outputs, all_v)):
        oxp = o._backend.namespace()
        go = oxp.reshape(v, o._data.shape)
        rows = []
        for _ in range(2):  # twice, to check for nondeterminism
            grads = _vjp(o, [t for _, t in diffs], go)
            row = []
            for (idx, inp), g in zip(diffs, grads):
                xp = inp._backend.namespace()
                if g is None:
                    row.append(xp.zeros((_numel(inp._data.shape),), dtype=inp._data.dtype))
                    continue
                _check_grad_attributes(g, inp, idx, check_grad_dtypes)
                row.append(xp.reshape(g._data, (-1,)))
            rows.append(row)
        for i, ((_, inp), u) in enumerate(zip(diffs, all_u)):
            xp = inp._backend.namespace()
            if _numel(rows[0][i].shape) and float(xp.max(xp.abs(rows[0][i] - rows[1][i]))) > nondet_tol:
                raise GradcheckError(
                    "Backward is not reentrant, i.e., running backward with "
                    "same input and grad_output multiple times gives different values, "
                    "although analytical gradient matches numerical gradient."
                    f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG
                )
            a = xp.sum(rows[0][i] * u)
            n = xp.sum(v * numerical[i][j])
            # Elementwise |a - n| <= atol becomes |v^T (A - N) u| <= atol * sum(u) * sum(v).
            adjusted_atol = atol * _to_float(xp.sum(u)) * _to_float(oxp.sum(v))
            if not _allclose(xp, a, n, rtol, adjusted_atol):
                raise GradcheckError(
                    _notallclose_msg(a, n, j, i, inp._backend)
                    + _slow_mode_detail(func, func_out, inputs, i, j, positions[j], rtol, atol, eps)
                )


def _slow_mode_detail(func: Callable[..., Any], func_out: tuple, inputs: tuple, input_idx: int, output_idx: int,
                      position: int, rtol: float, atol: float, eps: float) -> str:
    diffs = _diff_inputs(inputs)
    inp = diffs[input_idx][1]
    xp = inp._backend.namespace()
    outputs = _differentiable_outputs(func_out)
    slow_numerical = _numerical_jacobian(func, inputs, func_out, eps)[input_idx][position]
    slow_analytical = _analytical_jacobian(outputs[output_idx], diffs, float("inf"), False)[input_idx]
    max_diff = float(xp.max(xp.abs(slow_numerical - slow_analytical))) if _numel(slow_numerical.shape) else 0.0
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {_show(slow_numerical, inp._backend)}\n"
        f"Analytical:\n{_show(slow_analytical, inp._backend)}\n\n"
        f"The max per-element difference (slow mode) is: {max_diff}.\n"
    )
    if _allclose(xp, slow_analytical, slow_numerical, rtol, atol):
        msg += FAST_FAIL_SLOW_OK_MSG
    else:
        msg += _where_they_differ(slow_analytical, slow_numerical, tuple(inp._data.shape),
                                  tuple(outputs[output_idx]._data.shape), rtol, atol, inp._backend)
    return msg


# --- the checks after the Jacobians ------------------------------------------------------------


def _zeros_like(t: Tensor) -> Tensor:
    return _wrap(t._backend.namespace().zeros(t._data.shape, dtype=t._data.dtype), t._backend)


def _all_zero(g: Tensor) -> bool:
    xp = g._backend.namespace()
    return not _numel(g._data.shape) or not bool(xp.any(g._data != 0))


def _test_backward_mul_by_grad_output(outputs: tuple, inputs: tuple) -> None:
    from .engine import grad

    diffs = [t for _, t in _diff_inputs(inputs)]
    if not diffs:
        raise GradcheckError("no Tensors requiring grad found in input")
    grads_input = grad(outputs, diffs, [_zeros_like(o) for o in outputs], allow_unused=True)
    for gi, di in zip(grads_input, diffs):
        if gi is None:
            continue
        if not _all_zero(gi):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi.dtype is not di.dtype:
            raise GradcheckError(f"grad is incorrect type ({gi.dtype} is not {di.dtype})")
        if gi._backend.device_type != di._backend.device_type:
            raise GradcheckError(f"grad is incorrect device ({gi.device} is not {di.device})")
        if gi._data.shape != di._data.shape:
            raise GradcheckError(
                f"grad is incorrect size ({tuple(gi._data.shape)} is not {tuple(di._data.shape)})"
            )


def _test_undefined_backward_mode(func: Callable[..., Any], inputs: tuple) -> None:
    """Backpropagating through one output alone (the others undefined) must work and give zero for zero."""
    from .engine import grad

    diffs = [t for _, t in _diff_inputs(inputs)]
    if not diffs:
        raise GradcheckError("no Tensors requiring grad found in input")
    n_out = len(_differentiable_outputs(func(*inputs)))
    if n_out < 2:
        return  # one output: its zero gradient was checked by the multiplication-by-grad_output test
    for k in range(n_out):
        output = _differentiable_outputs(func(*inputs))[k]
        try:
            grads_input = grad(output, diffs, _zeros_like(output), allow_unused=True)
        except RuntimeError as e:
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. "
                f"Backpropagating through output {k} alone (the other outputs' gradients undefined) raised "
                f"{type(e).__name__}: {e}. Outputs that receive no gradient reach the VJP rule as zeros."
            ) from e
        for gi in grads_input:
            if gi is not None and not _all_zero(gi):
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads are undefined "
                    f"or zero (output {k} was given a zero gradient, the others none)."
                )


def _no_forward_ad(argument: str) -> ValueError:
    return ValueError(
        f"{argument}=True: plugrad computes gradients in reverse mode only (it has no forward-mode AD or vmap), "
        f"so this check cannot run; leave {argument}=False"
    )


# --- public API ------------------------------------------------------------------------------


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences (PyTorch's ``gradcheck``).

    ``func`` takes the ``inputs`` (a tensor or a tuple; non-tensors are passed through) and returns a tensor
    or a tuple of tensors. Every input with ``requires_grad=True`` is checked against every differentiable
    output; the defaults are meant for float64 inputs. Returns True, or raises :class:`GradcheckError`
    naming the output, the input and the Jacobian entries that differ (False with ``raise_exception=False``).
    ``masked`` concerns sparse tensors, which plugrad does not have.
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    for name, flag in (("check_forward_ad", check_forward_ad), ("check_batched_grad", check_batched_grad),
                       ("check_batched_forward_grad", check_batched_forward_grad)):
        if flag:
            raise _no_forward_ad(name)
    try:
        return _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
                                 check_grad_dtypes, fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck_helper(func: Callable[..., Any], inputs: Any, eps: float, atol: float, rtol: float,
                      nondet_tol: float, check_undefined_grad: bool, check_grad_dtypes: bool,
                      fast_mode: bool) -> bool:
    tupled_inputs = _as_tuple(inputs)
    _check_inputs(tupled_inputs)
    func_out = _as_tuple(func(*tupled_inputs))
    if any(_is_tensor(x) and x.dtype.is_complex for x in (*tupled_inputs, *func_out)):
        func, tupled_inputs = _as_real_problem(func, tupled_inputs)
        func_out = _as_tuple(func(*tupled_inputs))
    outputs = _differentiable_outputs(func_out)
    check = _fast_gradcheck if fast_mode else _slow_gradcheck
    check(func, func_out, tupled_inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol)
    if outputs:
        _test_backward_mul_by_grad_output(outputs, tupled_inputs)
        if check_undefined_grad:
            _test_undefined_backward_mode(func, tupled_inputs)
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: :func:`gradcheck` of the map (inputs, grad_outputs) -> input gradients.

    ``grad_outputs`` default to random tensors in [-1, 1) shaped like the differentiable outputs, requiring
    grad. plugrad's arrays are always contiguous, so ``gen_non_contig_grad_outputs`` changes nothing.
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    if check_fwd_over_rev:
        raise _no_forward_ad("check_fwd_over_rev")
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grad_outputs = tuple(_random_grad_output(o) for o in outputs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grad_outputs)
    num_inputs = len(tupled_inputs)
    diff_input_args_indices = {i for i, x in enumerate(tupled_inputs) if _is_tensor(x) and x._requires_grad}
    diff_grad_output_indices = {i for i, x in enumerate(tupled_grad_outputs) if x._requires_grad}

    def new_func(*args: Any) -> tuple:
        from .engine import grad

        input_args = tuple(
            x.requires_grad_() if i in diff_input_args_indices else x for i, x in enumerate(args[:num_inputs])
        )
        outputs = _differentiable_outputs(func(*input_args))
        gouts = tuple(
            x.requires_grad_() if i in diff_grad_output_indices else x
            for i, x in enumerate(args[num_inputs:num_inputs + num_outputs])
        )
        diff_input_args = tuple(x for i, x in enumerate(input_args) if i in diff_input_args_indices)
        if not outputs:
            return ()
        grad_inputs = grad(outputs, diff_input_args, gouts, create_graph=True, allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(
        new_func,
        tupled_inputs + tupled_grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=False,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )


def _random_grad_output(o: Tensor) -> Tensor:
    """Like ``torch.testing.make_tensor(o.shape, dtype=o.dtype, low=-1, high=1, requires_grad=True)``."""
    from .. import dtypes as _dt

    backend = o._backend
    d = o.dtype if o.dtype.is_floating_point or o.dtype.is_complex else _dt.float64
    xp = backend.namespace()
    shape = tuple(o._data.shape)
    if d.is_complex:  # Note: both parts in [-1, 1), drawn as PyTorch draws a complex tensor (interleaved)
        from ..factories import _draw_complex

        data = xp.asarray(_draw_complex(backend, "rand", None, shape, d) * 2 - (1 + 1j))
    else:
        data = xp.asarray(backend.rand(shape, d) * 2 - 1)  # Note: NumPy makes 0-d results scalars
    t = _wrap(data, backend)
    t._requires_grad = True
    return t
