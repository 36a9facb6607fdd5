"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells, with PyTorch's parameters and checks.

The layers are compositions of plugrad ops (matrix products, the gate nonlinearities, ``stack``): each layer
and direction projects the whole input sequence through ``weight_ih`` at once, then steps through time with
``weight_hh``. Parameter names, shapes, initialisation U(-1/sqrt(hidden), 1/sqrt(hidden)) and the order of
``parameters()`` follow PyTorch, so state dicts carry over.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ... import factories, ops
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _cell_step(mode: str, gi: Any, h: Any, c: Any, w_hh: Any, b_hh: Any, w_hr: Any = None) -> tuple[Any, Any]:
    """One time step: ``gi`` is the input's projection ``x W_ih^T + b_ih``; returns the new ``(h, c)``."""
    gh = ops.matmul(h, w_hh.t())
    if b_hh is not None:
        gh = gh + b_hh
    if mode == "LSTM":
        i, f, g, o = ops.chunk(gi + gh, 4, -1)
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        h = ops.sigmoid(o) * ops.tanh(c)
        if w_hr is not None:
            h = ops.matmul(h, w_hr.t())
        return h, c
    if mode == "GRU":
        ir, iz, in_ = ops.chunk(gi, 3, -1)
        hr, hz, hn = ops.chunk(gh, 3, -1)
        r = ops.sigmoid(ir + hr)
        z = ops.sigmoid(iz + hz)
        n = ops.tanh(in_ + r * hn)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (ops.tanh(pre) if mode == "RNN_TANH" else ops.relu(pre)), None


def _project(x: Any, w_ih: Any, b_ih: Any) -> Any:
    out = ops.matmul(x, w_ih.t())
    return out + b_ih if b_ih is not None else out


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                shapes: list[tuple[str, tuple[int, ...]]] = [("weight_ih_l{}{}", (gate_size, layer_input)),
                                                             ("weight_hh_l{}{}", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for pattern, shape in shapes:
                    name = pattern.format(layer, suffix)
                    setattr(self, name, Parameter(factories.empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch's API (there is no fused weight buffer to compact)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _expected_hidden(self, batch: int, size: int) -> tuple[int, int, int]:
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    def _check_input(self, input: Any) -> None:  # noqa: A002
        weight = self.weight_ih_l0
        if input.dtype is not weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). Convert "
                             f"input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")

    def _run(self, x: Any, h0: Any, c0: Any) -> tuple[Any, Any, Any]:
        """``x`` (L, N, H_in), ``h0`` / ``c0`` (layers * directions, N, H): output, h_n, c_n."""
        directions = 2 if self.bidirectional else 1
        hs, cs = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                p = [getattr(self, n) for n in self._all_weights[k]]
                w_ih, w_hh = p[0], p[1]
                b_ih, b_hh = (p[2], p[3]) if self.bias else (None, None)
                w_hr = p[-1] if self.proj_size > 0 else None
                gi_all = _project(layer_input, w_ih, b_ih)
                h, c = h0[k], (c0[k] if c0 is not None else None)
                steps = range(x.shape[0] - 1, -1, -1) if direction == 1 else range(x.shape[0])
                seq: list[Any] = [None] * x.shape[0]
                for t in steps:
                    h, c = _cell_step(self.mode, gi_all[t], h, c, w_hh, b_hh, w_hr)
                    seq[t] = h
                outs.append(ops.stack(seq) if seq else factories.zeros((0,) + tuple(h.shape), dtype=x.dtype,
                                                                        device=x._backend))
                hs.append(h)
                cs.append(c)
            layer_input = outs[0] if directions == 1 else ops.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, ops.stack(hs), (ops.stack(cs) if self.mode == "LSTM" else None)

    def _forward(self, input: Any, hx: Any) -> tuple[Any, Any, Any]:  # noqa: A002
        name = "LSTM" if self.mode == "LSTM" else "GRU" if self.mode == "GRU" else "RNN"
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        x = input if batched else ops.unsqueeze(input, 1)
        if batched and self.batch_first:
            x = ops.transpose(x, 0, 1)
        self._check_input(x)
        batch = x.shape[1]
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        h_expected = self._expected_hidden(batch, out_size)
        if self.mode == "LSTM":
            if hx is None:
                h0 = factories.zeros(h_expected, dtype=x.dtype, device=x._backend)
                c0 = factories.zeros(self._expected_hidden(batch, self.hidden_size), dtype=x.dtype, device=x._backend)
            else:
                h0, c0 = hx
                if not batched:
                    if h0.dim() != 2 or c0.dim() != 2:
                        raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be 2-D but got "
                                           f"({h0.dim()}-D, {c0.dim()}-D) tensors")
                    h0, c0 = ops.unsqueeze(h0, 1), ops.unsqueeze(c0, 1)
                elif h0.dim() != 3 or c0.dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but got "
                                       f"({h0.dim()}-D, {c0.dim()}-D) tensors")
                if tuple(h0.shape) != h_expected:
                    raise RuntimeError(f"Expected hidden[0] size {h_expected}, got {list(h0.shape)}")
                c_expected = self._expected_hidden(batch, self.hidden_size)
                if tuple(c0.shape) != c_expected:
                    raise RuntimeError(f"Expected hidden[1] size {c_expected}, got {list(c0.shape)}")
        else:
            c0 = None
            if hx is None:
                h0 = factories.zeros(h_expected, dtype=x.dtype, device=x._backend)
            else:
                h0 = hx
                if not batched:
                    if h0.dim() != 2:
                        raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {h0.dim()}-D "
                                           "tensor")
                    h0 = ops.unsqueeze(h0, 1)
                elif h0.dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {h0.dim()}-D tensor")
                if tuple(h0.shape) != h_expected:
                    raise RuntimeError(f"Expected hidden size {h_expected}, got {list(h0.shape)}")
        out, h_n, c_n = self._run(x, h0, c0)
        if batched and self.batch_first:
            out = ops.transpose(out, 0, 1)
        if not batched:
            out = ops.squeeze(out, 1)
            h_n = ops.squeeze(h_n, 1)
            c_n = ops.squeeze(c_n, 1) if c_n is not None else None
        return out, h_n, c_n


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), per layer."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        out, h_n, _ = self._forward(input, hx)
        return out, h_n


class LSTM(RNNBase):
    """Long short-term memory: input, forget, cell and output gates; returns ``output, (h_n, c_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, tuple[Any, Any]]:  # noqa: A002
        out, h_n, c_n = self._forward(input, hx)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit: reset and update gates; returns ``output, h_n``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        out, h_n, _ = self._forward(input, hx)
        return out, h_n


class RNNCellBase(Module):
    """One time step of a recurrence, on (N, H_in) or unbatched (H_in,) input."""

    _mode = ""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(factories.empty((num_chunks * hidden_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(factories.empty((num_chunks * hidden_size, hidden_size), device=device,
                                                   dtype=dtype))
        if bias:
            self.bias_ih = Parameter(factories.empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(factories.empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Any, hx: Any) -> tuple[Any, bool]:  # noqa: A002
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        hs = hx if isinstance(hx, tuple) else (hx,)
        for i, h in enumerate(hs):
            if h is not None and input.dim() != h.dim():
                name = f"hx[{i}]" if isinstance(hx, tuple) else "hx"
                raise ValueError(f"{type(self).__name__}: Expected {name} to be {input.dim()}D, got {h.dim()}D "
                                 "instead")
        batched = input.dim() == 2
        x = input if batched else ops.unsqueeze(input, 0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}")
        for h in hs:
            if h is not None and (h.shape[0] if batched else 1) != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden0 batch size {h.shape[0]}")
        return x, batched

    def _zeros(self, x: Any) -> Any:
        return factories.zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x._backend)

    def _step(self, x: Any, h: Any, c: Any = None) -> tuple[Any, Any]:
        gi = _project(x, self.weight_ih, self.bias_ih)
        return _cell_step(self._mode, gi, h, c, self.weight_hh, self.bias_hh)


def _batch_of(h: Any, batched: bool) -> Any:
    return h if batched else ops.unsqueeze(h, 0)


def _unbatch_of(h: Any, batched: bool) -> Any:
    return h if batched else ops.squeeze(h, 0)


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity
        if nonlinearity == "tanh":
            self._mode = "RNN_TANH"
        elif nonlinearity == "relu":
            self._mode = "RNN_RELU"
        else:
            raise RuntimeError(f"Unknown nonlinearity: {nonlinearity}")

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        x, batched = self._prepare(input, hx)
        h = self._zeros(x) if hx is None else _batch_of(hx, batched)
        return _unbatch_of(self._step(x, h)[0], batched)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns ``(h', c')``."""

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        x, batched = self._prepare(input, hx)
        if hx is None:
            h, c = self._zeros(x), self._zeros(x)
        else:
            h, c = _batch_of(hx[0], batched), _batch_of(hx[1], batched)
        h, c = self._step(x, h, c)
        return _unbatch_of(h, batched), _unbatch_of(c, batched)


class GRUCell(RNNCellBase):
    """One GRU step: returns ``h'``."""

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        x, batched = self._prepare(input, hx)
        h = self._zeros(x) if hx is None else _batch_of(hx, batched)
        return _unbatch_of(self._step(x, h)[0], batched)


__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]
