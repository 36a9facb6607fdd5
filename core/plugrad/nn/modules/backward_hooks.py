"""Module backward hooks: ``register_full_backward_hook`` and ``register_full_backward_pre_hook``.

As in PyTorch, the module's tensor inputs and outputs pass through an identity Function on the way in and
out of ``forward``; the backward of the output one sees the gradients w.r.t. the outputs (the pre-hooks may
replace them), the backward of the input one sees the gradients w.r.t. the inputs (the hooks may replace
them), whatever ops ``forward`` ran in between.
"""

from __future__ import annotations

import warnings
from typing import Any

from ...autograd import grad_mode as _gm
from ...autograd.function import Function
from ...tensor import Tensor


class BackwardHookFunction(Function):
    """Identity on its tensor arguments; its backward hands the incoming gradients to the hook state."""

    @staticmethod
    def forward(ctx: Any, state: BackwardHookState, which: str, *tensors: Any) -> Any:
        ctx.set_materialize_grads(False)
        ctx.state = state
        ctx.which = which
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        return (None, None, *ctx.state.on_grads(ctx.which, grads))


class BackwardHookState:
    """One call of a module with backward hooks: where its tensor inputs and outputs are, and the gradients
    w.r.t. the outputs, kept for the hooks that run when the gradients w.r.t. the inputs arrive."""

    def __init__(self, module: Any, hooks: list, pre_hooks: list) -> None:
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_inputs = 0
        self.input_positions: list[int] | None = None
        self.grad_outputs: tuple | None = None

    def _wrap(self, values: tuple, which: str) -> tuple[tuple, list[int] | None]:
        positions = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        if not _gm.state.enabled or not any(values[i].requires_grad for i in positions):
            return values, None
        new = BackwardHookFunction.apply(self, which, *[values[i] for i in positions])
        out = list(values)
        for i, t in zip(positions, new):
            out[i] = t
        return tuple(out), positions

    def setup_input(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        args, self.input_positions = self._wrap(args, "input")
        return args

    def setup_output(self, out: Any) -> Any:
        single = not isinstance(out, (tuple, list))
        values = (out,) if single else tuple(out)
        values, positions = self._wrap(values, "output")
        if positions is None:
            return out
        if single:
            return values[0]
        return type(out)(values) if isinstance(out, list) else values

    def _run_hooks(self, grad_inputs: tuple) -> tuple:
        for hook in self.hooks:
            res = hook(self.module, grad_inputs, self.grad_outputs)
            if res is None:
                continue
            if self.input_positions is None:
                if not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
                continue
            res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
            if len(res) != len(grad_inputs):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(res)}, but "
                                   f"expected {len(grad_inputs)}")
            grad_inputs = res
        return grad_inputs

    def on_grads(self, which: str, grads: tuple) -> tuple:
        if which == "output":
            for hook in self.pre_hooks:
                res = hook(self.module, grads)
                if res is None:
                    continue
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grads):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                       f"{len(res)}, but expected {len(grads)}")
                grads = res
            self.grad_outputs = grads
            if self.input_positions is None:  # no input needs a gradient: the hooks run now, with Nones
                if self.hooks:
                    warnings.warn(
                        "Full backward hook is firing when gradients are computed with respect to module outputs "
                        "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                        "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                        stacklevel=5,
                    )
                self._run_hooks((None,) * self.n_inputs)
            return grads
        assert self.input_positions is not None
        packed: list[Any] = [None] * self.n_inputs
        for i, g in zip(self.input_positions, grads):
            packed[i] = g
        result = self._run_hooks(tuple(packed))
        return tuple(result[i] for i in self.input_positions)


__all__ = ["BackwardHookFunction", "BackwardHookState"]
