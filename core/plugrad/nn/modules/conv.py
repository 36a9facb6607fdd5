"""``Conv1d`` and ``Conv2d``: convolutions computed as im2col and a matrix product."""

from __future__ import annotations

import math
from typing import Any

from ... import factories
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        return (int(v[0]), int(v[0])) if len(v) == 1 else (int(v[0]), int(v[1]))
    return int(v), int(v)


def _single(v: Any) -> tuple[int]:
    if isinstance(v, (tuple, list)):
        return (int(v[0]),)
    return (int(v),)


class _ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, checks, parameters, initialisation and repr."""

    _tuple: Any = staticmethod(_pair)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in type(self)._tuple(stride)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode != "zeros":
            valid = {"zeros", "reflect", "replicate", "circular"}
            if padding_mode not in valid:
                raise ValueError(f"padding_mode must be one of {valid}, but got padding_mode='{padding_mode}'")
            raise ValueError(
                f"padding_mode={padding_mode!r} is not available in plugrad: {type(self).__name__} pads with zeros "
                "only; pad the input yourself (F.pad) and use padding=0"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        to_tuple = type(self)._tuple
        self.kernel_size = to_tuple(kernel_size)
        self.stride = to_tuple(stride)
        self.padding = padding if isinstance(padding, str) else to_tuple(padding)
        self.dilation = to_tuple(dilation)
        self.transposed = False
        self.output_padding = to_tuple(0)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(factories.empty((out_channels, in_channels // groups, *self.kernel_size),
                                                device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """kaiming_uniform(a=sqrt(5)) for the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.kernel_size):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """Applies a 1-d convolution over (N, C, L) input; weight (out, in / groups, k)."""

    _tuple = staticmethod(_single)

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """Applies a 2-d convolution over (N, C, H, W) input; weight (out, in / groups, kh, kw)."""

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


__all__ = ["Conv1d", "Conv2d"]
