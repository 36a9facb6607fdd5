"""``RAdam``: Adam with the variance of the adaptive rate rectified (PyTorch's update rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import factories, ops
from .adam import _check
from .optimizer import Optimizer, check_not_differentiable


class RAdam(Optimizer):
    """RAdam: while the length of the approximated simple moving average ``rho_t`` is at most 5, a plain
    bias-corrected momentum step; after that, Adam's step scaled by the rectification term.

    ``decoupled_weight_decay=True`` shrinks the parameter by ``1 - lr * wd`` instead of adding ``wd * p``
    to the gradient (RAdamW).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check(lr, betas, eps, weight_decay)
        check_not_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        # PyTorch's single-tensor RAdam.
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for p, grad, state in self._gradients(group):
            if not state:
                state["step"] = factories.tensor(0.0, device=p._backend)
                state["exp_avg"] = ops.zeros_like(p)
                state["exp_avg_sq"] = ops.zeros_like(p)
            step_t, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
            step_t.add_(1)
            step = step_t.item()
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(p, alpha=weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            bias_corrected_exp_avg = exp_avg / bias_correction1
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                # Note: PyTorch's ``number / tensor`` is ``tensor.reciprocal() * number``; the same here.
                adaptive_lr = exp_avg_sq.sqrt().add_(eps).reciprocal() * (bias_correction2**0.5)
                p.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
            else:
                p.add_(bias_corrected_exp_avg * lr, alpha=-1.0)


__all__ = ["RAdam"]
