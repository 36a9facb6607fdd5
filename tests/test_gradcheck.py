"""gradcheck / gradgradcheck: PyTorch's semantics, arguments and messages."""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable
from typing import Any

import plugrad
import pytest
from plugrad.autograd import GradcheckError, gradcheck, gradgradcheck
from plugrad.ops.registry import Op


def _double(*shape: int) -> plugrad.Tensor:
    plugrad.manual_seed(0)
    return plugrad.randn(*shape, dtype=plugrad.float64).requires_grad_()


def _op(name: str, nin: int, kernel: Callable[[Any], Callable[..., Any]], vjp: Any, saves: Any, **kw: Any) -> Op:
    """An unregistered op whose kernel is bound on the default backend (the registry stays untouched)."""
    op = Op(name, nin, vjp, saves=saves, **kw)
    backend = plugrad.ones(1)._backend
    op._cache[backend] = kernel(backend.namespace())
    return op


def _mul_op(vjp: Any) -> Op:
    return _op("test_mul", 2, lambda xp: xp.multiply, vjp, ((0, 1), (0, 1)))


def _wrong_mul_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    return g * y * 1.5, g * x


def _detached_mul_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    return g * y.detach(), g * x.detach()


# --- passing checks ---------------------------------------------------------------------------


def test_gradcheck_passes_for_correct_gradients_and_broadcasting() -> None:
    x, y = _double(3, 4), _double(4)
    assert gradcheck(lambda a, b: a * b + b.exp(), (x, y)) is True


def test_gradcheck_accepts_a_single_tensor_input() -> None:
    assert gradcheck(lambda a: a.sin(), _double(2, 3)) is True


def test_gradcheck_checks_every_output_of_a_tuple() -> None:
    assert gradcheck(lambda a: (a.exp(), a * 2, a.sum()), _double(3)) is True


def test_gradcheck_passes_non_tensor_inputs_through() -> None:
    assert gradcheck(lambda a, k, name: a * k if name == "scale" else a, (_double(3), 2.5, "scale")) is True


def test_gradcheck_only_checks_inputs_that_require_grad() -> None:
    fixed = plugrad.ones(3, dtype=plugrad.float64)
    assert gradcheck(lambda a, b: a * b, (_double(3), fixed)) is True


def test_gradcheck_of_a_function_without_differentiable_outputs_needs_a_zero_numerical_gradient() -> None:
    assert gradcheck(lambda a: a > 0, _double(4)) is True
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
        gradcheck(lambda a: a.detach() * 2, _double(4))


def test_fast_mode_passes_for_correct_gradients() -> None:
    x, y = _double(3, 4), _double(4)
    assert gradcheck(lambda a, b: (a * b).tanh(), (x, y), fast_mode=True) is True


def test_gradcheck_handles_empty_and_zero_dim_inputs() -> None:
    assert gradcheck(lambda a: a * 2, _double(0, 3)) is True
    assert gradcheck(lambda a: a.exp(), _double()) is True


# --- failures and their messages ---------------------------------------------------------------


def test_jacobian_mismatch_raises_gradcheck_error_with_pytorchs_message_and_the_entries() -> None:
    op = _mul_op(_wrong_mul_vjp)
    x = plugrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=plugrad.float64, requires_grad=True)
    y = plugrad.tensor([1.0, 2.0, 4.0], dtype=plugrad.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: op.dispatch((a, b)), (x, y))
    msg = str(info.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor(")
    assert "\nanalytical:tensor(" in msg
    # Where they differ: how many entries, the worst one by input and output element, then each one.
    assert "6 of 36 Jacobian entries differ beyond atol=1e-05 + rtol=0.001 * |numerical|" in msg
    assert re.search(r"the largest difference is 2\.0\d* for input element \(0, 2\) and output element \(0, 2\) "
                     r"\(numerical 3\.99\d*|4\.0\d*, analytical 6\.0\)", msg)
    assert re.search(r"\n  \(1, 1\), \(1, 1\): (1\.99\d*|2\.0\d*) vs 3\.0\n", msg)


def test_gradcheck_error_is_a_runtime_error_exported_from_autograd() -> None:
    assert issubclass(GradcheckError, RuntimeError)
    assert plugrad.autograd.GradcheckError is GradcheckError
    assert plugrad.autograd.gradcheck is gradcheck


def test_raise_exception_false_returns_false() -> None:
    op = _mul_op(_wrong_mul_vjp)
    assert gradcheck(lambda a, b: op.dispatch((a, b)), (_double(3), _double(3)), raise_exception=False) is False


def test_fast_mode_detects_the_mismatch_and_recomputes_in_slow_mode() -> None:
    op = _mul_op(_wrong_mul_vjp)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: op.dispatch((a, b)), (_double(2, 3), _double(3)), fast_mode=True)
    msg = str(info.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor(")
    assert "we recompute numerical and analytical jacobians in slow mode" in msg
    assert "The max per-element difference (slow mode) is:" in msg


def test_inputs_that_are_not_double_warn_like_pytorch() -> None:
    x = plugrad.randn(3).requires_grad_()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gradcheck(lambda a: a * 2, x, eps=1e-3, atol=1e-2, rtol=1e-2)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert messages == [
        "Input #0 requires gradient and is not a double precision floating point or complex. This check will "
        "likely fail if all the inputs are not of double precision floating point or complex. "
    ]
    assert caught[0].filename == __file__


def test_no_input_requiring_grad_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to require gradient, but "
                                         "none of them have requires_grad=True."):
        gradcheck(lambda a: a * 2, plugrad.ones(3, dtype=plugrad.float64))


def test_backward_not_multiplied_by_grad_output_is_caught() -> None:
    # Right for a gradient of 1 (every row of a scalar output's Jacobian), wrong for 0.
    op = _op("test_square_sum", 1, lambda xp: lambda x: xp.sum(x * x),
             lambda ctx, g: (2 * ctx.inputs[0] * g + (1 - g),), ((0,),))
    with pytest.raises(GradcheckError, match="^backward not multiplied by grad_output$"):
        gradcheck(lambda a: op.dispatch((a,)), _double(3))


def test_nondeterministic_backward_is_caught_unless_nondet_tol_allows_it() -> None:
    calls = [0]

    def noisy(ctx: Any, g: Any) -> tuple:
        calls[0] += 1
        return (g * (2 + calls[0] * 1e-9),)

    op = _op("test_noisy", 1, lambda xp: lambda x: x * 2, noisy, ((),))
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(lambda a: op.dispatch((a,)), _double(3))
    assert gradcheck(lambda a: op.dispatch((a,)), _double(3), nondet_tol=1e-6) is True


def test_check_grad_dtypes_passes_because_the_engine_casts_gradients_to_the_input_dtype() -> None:
    op = _op("test_float_grad", 1, lambda xp: lambda x: x * 2, lambda ctx, g: ((g * 2).float(),), ((),))
    assert gradcheck(lambda a: op.dispatch((a,)), _double(3), check_grad_dtypes=True) is True


def test_forward_mode_checks_are_refused_with_an_explanation() -> None:
    with pytest.raises(ValueError, match="reverse mode only"):
        gradcheck(lambda a: a * 2, _double(3), check_forward_ad=True)
    with pytest.raises(ValueError, match="reverse mode only"):
        gradgradcheck(lambda a: a * 2, _double(3), check_fwd_over_rev=True)


def test_multi_output_op_with_one_output_used_alone() -> None:
    def two_vjp(ctx: Any, grads: tuple) -> tuple:
        ga, gb = grads
        return (ga * 2 + gb * 3,)

    op = _op("test_two", 1, lambda xp: lambda x: (x * 2, x * 3), two_vjp, ((),), nout=2)
    assert gradcheck(lambda a: op.dispatch((a,)), _double(4)) is True


def test_multi_output_op_whose_rule_breaks_on_zero_gradients_is_caught() -> None:
    def fragile_vjp(ctx: Any, grads: tuple) -> tuple:
        ga, gb = grads
        xp = ga._backend.namespace()
        if not bool(xp.any(ga._data != 0)) and not bool(xp.any(gb._data != 0)):
            raise RuntimeError("rule cannot handle all-zero gradients")
        return (ga * 2 + gb * 3,)

    op = _op("test_fragile", 1, lambda xp: lambda x: (x * 2, x * 3), fragile_vjp, ((),), nout=2)
    with pytest.raises(RuntimeError, match="rule cannot handle all-zero gradients"):
        gradcheck(lambda a: op.dispatch((a,)), _double(4))


# --- gradgradcheck -----------------------------------------------------------------------------


def test_gradgradcheck_passes_for_rules_written_in_plugrad_ops() -> None:
    x, y = _double(3, 4), _double(4)
    assert gradgradcheck(lambda a, b: (a * b).sin() / b.exp(), (x, y)) is True
    assert gradgradcheck(lambda a: a.tanh(), _double(5), fast_mode=True) is True


def test_gradgradcheck_accepts_explicit_grad_outputs() -> None:
    x = _double(3)
    go = plugrad.ones(3, dtype=plugrad.float64).requires_grad_()
    assert gradgradcheck(lambda a: a * a * a, (x,), (go,)) is True


def test_gradgradcheck_catches_a_rule_that_is_not_differentiable() -> None:
    op = _mul_op(_detached_mul_vjp)
    x, y = _double(3), _double(3)
    assert gradcheck(lambda a, b: op.dispatch((a, b)), (x, y)) is True
    with pytest.raises(GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 1,"):
        gradgradcheck(lambda a, b: op.dispatch((a, b)), (x, y))
    assert gradgradcheck(lambda a, b: op.dispatch((a, b)), (x, y), raise_exception=False) is False


def test_gradgradcheck_of_zero_dim_output_makes_a_writable_grad_output() -> None:
    assert gradgradcheck(lambda a: (a * a).sum(), _double(3)) is True


# --- against PyTorch ---------------------------------------------------------------------------


def test_mismatch_message_starts_like_pytorchs() -> None:
    torch = pytest.importorskip("torch")

    class WrongExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * x.exp() * 1.5

    tx = torch.randn(3, dtype=torch.float64, requires_grad=True)
    torch_gradcheck_error = importlib.import_module("torch.autograd.gradcheck").GradcheckError
    with pytest.raises(torch_gradcheck_error) as tinfo:
        torch.autograd.gradcheck(WrongExp.apply, (tx,))

    op = _op("test_wrong_exp", 1, lambda xp: xp.exp, lambda ctx, g: (g * ctx.inputs[0].exp() * 1.5,), ((0,),))
    with pytest.raises(GradcheckError) as pinfo:
        gradcheck(lambda a: op.dispatch((a,)), plugrad.tensor(tx.tolist(), dtype=plugrad.float64,
                                                                 requires_grad=True))
    first = "Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor("
    assert str(tinfo.value).startswith(first)
    assert str(pinfo.value).startswith(first)


def test_same_verdicts_as_pytorch_on_ordinary_functions() -> None:
    torch = pytest.importorskip("torch")
    tx = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    px = plugrad.tensor(tx.tolist(), dtype=plugrad.float64, requires_grad=True)
    for fn in (lambda a: a.sin() * a, lambda a: (a.exp(), a.sum()), lambda a: a.tanh().sum()):
        assert gradcheck(fn, px) == torch.autograd.gradcheck(fn, (tx,))
        assert gradgradcheck(fn, px) == torch.autograd.gradgradcheck(fn, (tx,))
