"""Group, instance and RMS normalisation, composed of existing ops so their gradients come for free.

``group_norm`` and ``instance_norm`` normalise a reshaped view with the ``native_layer_norm`` op (the
statistics over its last dim), then apply the per-channel affine; ``instance_norm`` without input
statistics is ``batch_norm`` with the running ones, as every instance shares them. ``rms_norm`` is
PyTorch's composite ``x * rsqrt(mean(x**2) + eps) * weight`` (MulBackward0).
"""

from __future__ import annotations

from typing import Any

from .nn import LAYER_NORM, batch_norm


def _channel_view(t: Any, ndim: int) -> Any:
    """A per-channel vector (C,) shaped to broadcast against (N, C, *) input."""
    return t.reshape((1, t.shape[0]) + (1,) * (ndim - 2))


def _affine(y: Any, weight: Any, bias: Any) -> Any:
    if weight is not None:
        y = y * _channel_view(weight, y.dim())
    if bias is not None:
        y = y + _channel_view(bias, y.dim())
    return y


def _normalize_last(x3: Any, eps: float) -> Any:
    """(A, B, M) normalised over M with the biased variance (NativeLayerNormBackward0)."""
    return LAYER_NORM.dispatch((x3, None, None), (1, float(eps)))


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-5) -> Any:
    """Normalise each of ``num_groups`` groups of channels of ``(N, C, *)`` input by its own mean and variance,
    then scale and shift each channel by ``weight`` and ``bias``."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[0], input.shape[1]
    spatial = list(input.shape[2:])
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    per_group = [n * c // num_groups, num_groups, *spatial]
    size = per_group[0]
    for s in spatial:
        size *= s
    if size == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {per_group}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.shape[0] != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(input.shape)}")
    y = _normalize_last(input.reshape((n, num_groups, -1)), eps).reshape(tuple(input.shape))
    return _affine(y, weight, bias)


def instance_norm(input: Any, running_mean: Any = None, running_var: Any = None, weight: Any = None,  # noqa: A002
                  bias: Any = None, use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Any:
    """Normalise each channel of each sample of ``(N, C, *)`` input by its own statistics (``use_input_stats``;
    the running estimates, if given, move towards the batch's average of them, the variance unbiased), or by
    ``running_mean`` and ``running_var``."""
    from ..autograd.grad_mode import no_grad

    if input.dim() < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{max(input.dim(), 1)}, "
                         f"{max(input.dim(), 1) - 1}], but got 1)")
    n, c = input.shape[0], input.shape[1]
    if use_input_stats:
        spatial = 1
        for s in input.shape[2:]:
            spatial *= s
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape!r}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    # Note: PyTorch checks these against the (1, N * C, *) view it normalises, so the counts are times N.
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {n * t.numel()}")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    y = _normalize_last(input.reshape((n, c, -1)), eps).reshape(tuple(input.shape))
    if running_mean is not None or running_var is not None:
        with no_grad():
            x = input.detach().reshape((n, c, -1))
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(x.mean(2).mean(0).to(running_mean.dtype), alpha=momentum)
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(x.var(2, correction=1).mean(0).to(running_var.dtype),
                                                    alpha=momentum)
    return _affine(y, weight, bias)


def rms_norm(input: Any, normalized_shape: Any, weight: Any = None, eps: float | None = None) -> Any:  # noqa: A002
    """``input * rsqrt(mean(input**2) + eps) * weight`` over the last ``len(normalized_shape)`` dims; ``eps``
    None is the machine epsilon of the input's dtype."""
    from ..typeinfo import finfo

    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.dim() < k or tuple(input.shape[input.dim() - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(shape)}")
    if eps is None:
        eps = finfo(input.dtype).eps
    dims = tuple(range(input.dim() - k, input.dim()))
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


__all__ = ["group_norm", "instance_norm", "rms_norm"]
