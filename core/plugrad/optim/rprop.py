"""``Rprop``: resilient backpropagation, steps of per-element size adapted by the gradient's sign."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import factories, ops
from .optimizer import Optimizer, check_not_differentiable


class Rprop(Optimizer):
    """Rprop: where the gradient keeps its sign the step size grows by ``etas[1]``, where it flips the step
    size shrinks by ``etas[0]`` (and that element skips this step); sizes stay within ``step_sizes``, and
    each element moves by its step size against the gradient's sign."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        check_not_differentiable(differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        # PyTorch's single-tensor Rprop.
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for p, grad, state in self._gradients(group):
            if not state:
                state["step"] = factories.tensor(0.0, device=p._backend)
                state["prev"] = ops.zeros_like(p)
                state["step_size"] = ops.full_like(grad, group["lr"])
            prev, step_size = state["prev"], state["step_size"]
            state["step"].add_(1)
            sign = grad.mul(prev).sign()
            sign[sign.gt(0)] = etaplus
            sign[sign.lt(0)] = etaminus
            sign[sign.eq(0)] = 1
            step_size.mul_(sign).clamp_(step_size_min, step_size_max)
            grad = grad.clone()
            grad[sign.eq(etaminus)] = 0
            p.addcmul_(grad.sign(), step_size, value=-1)
            prev.copy_(grad)


__all__ = ["Rprop"]
