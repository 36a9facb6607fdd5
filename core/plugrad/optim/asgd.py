"""``ASGD``: averaged stochastic gradient descent (PyTorch's update rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import factories, ops
from .optimizer import Optimizer, check_not_differentiable


class ASGD(Optimizer):
    """ASGD: ``p = p (1 - lambd eta) - eta g``; the average ``ax`` follows ``p`` with weight ``mu``;
    then ``eta = lr / (1 + lambd lr t)^alpha`` and ``mu = 1 / max(1, t - t0)``.

    ``eta`` and ``mu`` are float32 tensors in the state, as in PyTorch.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        check_not_differentiable(differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        # PyTorch's single-tensor ASGD.
        lr, lambd, alpha, t0, weight_decay = group["lr"], group["lambd"], group["alpha"], group["t0"], \
            group["weight_decay"]
        for p, grad, state in self._gradients(group):
            if not state:
                state["step"] = factories.tensor(0.0, device=p._backend)
                state["eta"] = factories.tensor(float(lr), device=p._backend)
                state["mu"] = factories.tensor(1.0, device=p._backend)
                state["ax"] = ops.zeros_like(p)
            step_t, eta, mu, ax = state["step"], state["eta"], state["mu"], state["ax"]
            step_t.add_(1)
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            eta_value = eta.item()
            p.mul_(1 - lambd * eta_value)
            p.add_(grad, alpha=-eta_value)
            if mu.item() != 1:
                ax.add_(p.sub(ax).mul_(mu))
            else:
                ax.copy_(p)
            step = step_t.item()
            # Note: fill_ rounds to float32 as PyTorch's torch.as_tensor(...) followed by copy_ does.
            eta.fill_(lr / ((1 + lambd * lr * step) ** alpha))
            mu.fill_(1 / max(1, step - t0))


__all__ = ["ASGD"]
