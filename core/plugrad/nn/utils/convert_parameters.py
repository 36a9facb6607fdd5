"""``parameters_to_vector`` and ``vector_to_parameters``: parameters as one flat vector and back."""

from __future__ import annotations

from collections.abc import Iterable

from ... import ops
from ...tensor import Tensor


def _check_device(param: Tensor, device: str | None) -> str:
    here = str(param.device)
    if device is not None and here != device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return here


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated into one 1-d tensor (in the graph, like ``p.view(-1)``)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    device = None
    vec = []
    for param in parameters:
        device = _check_device(param, device)
        vec.append(param.view(-1))
    return ops.cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-d ``vec`` into the parameters' data, in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    device = None
    pointer = 0
    for param in parameters:
        device = _check_device(param, device)
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n


__all__ = ["parameters_to_vector", "vector_to_parameters"]
