"""``Adamax``: Adam with the infinity norm in place of the second moment (PyTorch's update rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import factories, ops
from .adam import _check
from .optimizer import Optimizer, check_not_differentiable


class Adamax(Optimizer):
    """Adamax: ``m = b1 m + (1 - b1) g``, ``u = max(b2 u, |g| + eps)``, ``p -= lr / (1 - b1^t) * m / u``."""

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check(lr, betas, eps, weight_decay)
        check_not_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        # PyTorch's single-tensor Adamax.
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for p, grad, state in self._gradients(group):
            if not state:
                state["step"] = factories.tensor(0.0, device=p._backend)
                state["exp_avg"] = ops.zeros_like(p)
                state["exp_inf"] = ops.zeros_like(p)
            step_t, exp_avg, exp_inf = state["step"], state["exp_avg"], state["exp_inf"]
            step_t.add_(1)
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_inf.copy_(ops.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps)))
            clr = lr / (1 - beta1 ** step_t.item())
            p.addcdiv_(exp_avg, exp_inf, value=-clr)


__all__ = ["Adamax"]
