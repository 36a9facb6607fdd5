"""Convolution modules: ``Conv1d``, ``Conv2d`` (im2col and a matrix product), ``Conv3d`` (2-d convolutions
over the depth taps) and their transposed forms."""

from __future__ import annotations

import math
from typing import Any

from ... import factories
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module


def _single(v: Any) -> tuple[int]:
    return (int(v[0]),) if isinstance(v, (tuple, list)) else (int(v),)


def _check_conv_args(in_channels: int, out_channels: int, stride: Any, padding: Any, groups: int,
                     padding_mode: str) -> None:
    """PyTorch's constructor checks for every convolution module, in its order."""
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
        strides = stride if isinstance(stride, (tuple, list)) else (stride,)
        if padding == "same" and any(s != 1 for s in strides):
            raise ValueError("padding='same' is not supported for strided convolutions")
    valid = {"zeros", "reflect", "replicate", "circular"}
    if padding_mode not in valid:
        raise ValueError(f"padding_mode must be one of {valid}, but got padding_mode='{padding_mode}'")


def _reversed_padding_repeated_twice(padding: Any, kernel_size: tuple, dilation: tuple) -> tuple:
    """The amounts ``F.pad`` takes (last dim first) for a padding_mode other than zeros."""
    amounts: list[int] = []
    for i in reversed(range(len(kernel_size))):
        if padding == "valid":
            amounts += [0, 0]
        elif padding == "same":
            total = dilation[i] * (kernel_size[i] - 1)
            amounts += [total // 2, total - total // 2]
        else:
            amounts += [padding[i], padding[i]]
    return tuple(amounts)


def _reset_conv_parameters(self: Any) -> None:
    """kaiming_uniform(a=sqrt(5)) for the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
    init.kaiming_uniform_(self.weight, a=math.sqrt(5))
    if self.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
        if fan_in != 0:
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)


def _triple(v: Any) -> tuple[int, int, int]:
    if isinstance(v, (tuple, list)):
        return (int(v[0]),) * 3 if len(v) == 1 else (int(v[0]), int(v[1]), int(v[2]))
    return (int(v),) * 3


def _tuple_for(n: int) -> Any:
    return {1: _single, 2: _pair, 3: _triple}[n]


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        return (int(v[0]), int(v[0])) if len(v) == 1 else (int(v[0]), int(v[1]))
    return int(v), int(v)


class _ConvNd(Module):
    """A convolution over ``_n`` spatial dims; weight (out, in / groups, *kernel)."""

    _n = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_conv_args(in_channels, out_channels, stride, padding, groups, padding_mode)
        tup = _tuple_for(self._n)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = tup(kernel_size)
        self.stride = tup(stride)
        self.padding = padding if isinstance(padding, str) else tup(padding)
        self.dilation = tup(dilation)
        self.transposed = False
        self.output_padding = (0,) * self._n
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
        _reset_conv_parameters(self)

    def forward(self, input: Any) -> Any:  # noqa: A002
        conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[self._n]
        if self.padding_mode != "zeros":
            padded = F.pad(input, _reversed_padding_repeated_twice(self.padding, self.kernel_size, self.dilation),
                           mode=self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return _conv_repr(self, (0,) * self._n, (1,) * self._n)


class Conv2d(_ConvNd):
    """Applies a 2-d convolution over (N, C, H, W) input; weight (out, in / groups, kh, kw)."""

    _n = 2


class Conv3d(_ConvNd):
    """Applies a 3-d convolution over (N, C, D, H, W) input; weight (out, in / groups, kd, kh, kw)."""

    _n = 3


class Conv1d(_ConvNd):
    """Applies a 1-d convolution over (N, C, L) input; weight (out, in / groups, k)."""

    _n = 1


def _conv_repr(m: Any, zeros: tuple, ones: tuple) -> str:
    """PyTorch's ``_ConvNd.extra_repr``: the non-default settings after the channels, kernel and stride."""
    s = f"{m.in_channels}, {m.out_channels}, kernel_size={m.kernel_size}, stride={m.stride}"
    if m.padding != zeros:
        s += f", padding={m.padding}"
    if m.dilation != ones:
        s += f", dilation={m.dilation}"
    if m.output_padding != zeros:
        s += f", output_padding={m.output_padding}"
    if m.groups != 1:
        s += f", groups={m.groups}"
    if m.bias is None:
        s += ", bias=False"
    if m.padding_mode != "zeros":
        s += f", padding_mode={m.padding_mode}"
    return s


class _ConvTransposeNd(Module):
    """Transposed convolution (the gradient of a convolution with respect to its input); weight
    (in, out / groups, *kernel)."""

    _n = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        _check_conv_args(in_channels, out_channels, stride, padding, groups, padding_mode)
        tup = _tuple_for(self._n)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = tup(kernel_size)
        self.stride = tup(stride)
        self.padding = padding if isinstance(padding, str) else tup(padding)
        self.dilation = tup(dilation)
        self.transposed = True
        self.output_padding = tup(output_padding)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(factories.empty((in_channels, out_channels // groups, *self.kernel_size),
                                                device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """kaiming_uniform(a=sqrt(5)) for the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
        _reset_conv_parameters(self)

    def _output_padding(self, input: Any, output_size: Any) -> tuple:  # noqa: A002
        """The output padding that gives ``output_size`` (PyTorch's rule and error), else the module's."""
        n = self._n
        if output_size is None:
            return self.output_padding
        non_spatial = 2 if input.dim() == n + 2 else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + n:
            output_size = output_size[non_spatial:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or "
                             f"{non_spatial + n} elements (got {len(output_size)})")
        min_sizes = [(input.shape[d + non_spatial] - 1) * self.stride[d] - 2 * self.padding[d]
                     + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        max_sizes = [lo + self.stride[d] - 1 for d, lo in enumerate(min_sizes)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {min_sizes} "
                                 f"to {max_sizes} (for an input of {input.shape[2:]})")
        return tuple(size - lo for size, lo in zip(output_size, min_sizes))

    def forward(self, input: Any, output_size: Any = None) -> Any:  # noqa: A002
        if not isinstance(self.padding, tuple):
            raise AssertionError("self.padding must be a tuple")
        fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[self._n]
        return fn(input, self.weight, self.bias, self.stride, self.padding, self._output_padding(input, output_size),
                  self.groups, self.dilation)

    def extra_repr(self) -> str:
        return _conv_repr(self, (0,) * self._n, (1,) * self._n)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C, L) input."""

    _n = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution over (N, C, H, W) input."""

    _n = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution over (N, C, D, H, W) input."""

    _n = 3


class _LazyConvXdMixin(LazyModuleMixin):
    """What the lazy convolutions share: ``in_channels`` taken from the first input's channel dimension."""

    groups: int
    transposed: bool
    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]
    weight: Any  # an UninitializedParameter until materialized
    bias: Any
    _n: int

    def reset_parameters(self) -> None:
        """The convolution's initialization, once the parameters are materialized."""
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()  # type: ignore[misc]

    def initialize_parameters(self, input: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        """Take ``in_channels`` from ``input``, materialize the weight and bias and reset them."""
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if not isinstance(self.weight, UninitializedParameter):
                raise AssertionError("self.weight must be an UninitializedParameter")
            if self.transposed:
                self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
            else:
                self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
            if self.bias is not None:
                if not isinstance(self.bias, UninitializedParameter):
                    raise AssertionError("self.bias must be an UninitializedParameter")
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_in_channels(self, input: Any) -> int:  # noqa: A002
        num_spatial_dims = self._get_num_spatial_dims()
        num_dims_no_batch = num_spatial_dims + 1  # +1 for the channels
        num_dims_batch = num_dims_no_batch + 1
        if input.dim() not in (num_dims_no_batch, num_dims_batch):
            raise RuntimeError(f"Expected {num_dims_no_batch}D (unbatched) or {num_dims_batch}D (batched) input to "
                               f"{self.__class__.__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == num_dims_batch else input.shape[0]

    def _get_num_spatial_dims(self) -> int:
        return self._n


class _LazyConvNd(_LazyConvXdMixin, _ConvNd):
    """A convolution with lazy ``in_channels``; becomes its ``cls_to_become`` after the first forward."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        # bias=False here: no bias tensor to make only to replace it
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device=device,
                         dtype=dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)


class LazyConv1d(_LazyConvNd, Conv1d):
    """A :class:`Conv1d` whose ``in_channels`` is inferred from the first input's ``size(1)``."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvNd, Conv2d):
    """A :class:`Conv2d` whose ``in_channels`` is inferred from the first input's ``size(1)``."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvNd, Conv3d):
    """A :class:`Conv3d` whose ``in_channels`` is inferred from the first input's ``size(1)``."""

    cls_to_become = Conv3d


class _LazyConvTransposeNd(_LazyConvXdMixin, _ConvTransposeNd):
    """A transposed convolution with lazy ``in_channels``; becomes its ``cls_to_become`` after the first forward."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        # bias=False here: no bias tensor to make only to replace it
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode,
                         device=device, dtype=dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)


class LazyConvTranspose1d(_LazyConvTransposeNd, ConvTranspose1d):
    """A :class:`ConvTranspose1d` whose ``in_channels`` is inferred from the first input's ``size(1)``."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeNd, ConvTranspose2d):
    """A :class:`ConvTranspose2d` whose ``in_channels`` is inferred from the first input's ``size(1)``."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTransposeNd, ConvTranspose3d):
    """A :class:`ConvTranspose3d` whose ``in_channels`` is inferred from the first input's ``size(1)``."""

    cls_to_become = ConvTranspose3d


__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]
__all__ += ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
            "LazyConvTranspose3d"]
