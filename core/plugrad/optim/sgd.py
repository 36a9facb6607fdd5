"""``SGD`` with momentum, dampening, Nesterov momentum and weight decay (PyTorch's update rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import ops
from .optimizer import Optimizer, check_not_differentiable


class SGD(Optimizer):
    """Stochastic gradient descent.

    With momentum ``mu``, dampening ``tau`` and weight decay ``wd``, each step does:
    ``g = grad + wd * p``; ``b = g`` on the first step, else ``b = mu * b + (1 - tau) * g``;
    ``g = g + mu * b`` if Nesterov else ``g = b``; ``p -= lr * g``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        check_not_differentiable(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
                    "fused": fused}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        # PyTorch's single-tensor SGD: the momentum buffer and the parameter are updated in place.
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = ops.clone(grad).detach()
                else:
                    buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                grad = grad.add(buf, alpha=momentum) if nesterov else buf
            p.add_(grad, alpha=-lr)


__all__ = ["SGD"]
