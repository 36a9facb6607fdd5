"""``Adagrad`` (PyTorch's update rule, with learning-rate decay and L2 weight decay)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import factories, ops
from .optimizer import Optimizer, check_not_differentiable


class Adagrad(Optimizer):
    """Adagrad: ``s += g²``; ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``.

    As in PyTorch, the state (``step`` and the accumulator ``sum``, filled with
    ``initial_accumulator_value``) exists for every parameter from construction on.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_not_differentiable(differentiable)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p: Any) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            state["step"] = factories.tensor(0.0, device=p._backend)
            # Note: PyTorch fills from the constructor's value, not the group's.
            state["sum"] = ops.full_like(p, self.defaults["initial_accumulator_value"])
        return state

    def _update_group(self, group: dict[str, Any]) -> None:
        # PyTorch's single-tensor Adagrad (dense gradients).
        lr, lr_decay, eps, weight_decay = group["lr"], group["lr_decay"], group["eps"], group["weight_decay"]
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            state = self._init_state(p)
            step_t, state_sum = state["step"], state["sum"]
            step_t.add_(1)
            step = step_t.item()
            if group["maximize"]:
                grad = -grad
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum.addcmul_(grad, grad, value=1)
            std = state_sum.sqrt().add_(eps)
            p.addcdiv_(grad, std, value=-clr)


__all__ = ["Adagrad"]
