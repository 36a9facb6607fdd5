"""``parameters_to_vector`` and ``vector_to_parameters``: all parameters as one flat vector, and back."""

from __future__ import annotations

from collections.abc import Iterable

from ... import ops
from ...tensor import Tensor


def _typename(obj: object) -> str:
    """PyTorch's ``torch.typename``: the class's qualified name, without the module for builtins."""
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", "__builtin__", None) else f"{module}.{name}"


def _check_param_device(param: Tensor, old_device: object) -> object:
    """The device of ``param``; raises if it differs from ``old_device`` (None for the first parameter)."""
    if old_device is not None and param.device != old_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return param.device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated in order (CatBackward0 over their views)."""
    device = None
    vec = []
    for param in parameters:
        device = _check_param_device(param, device)
        vec.append(param.view(-1))
    return ops.cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' data, in order (the inverse of
    :func:`parameters_to_vector`)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_param_device(param, device)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param


__all__ = ["parameters_to_vector", "vector_to_parameters"]
