"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells, as in ``torch.nn``.

Everything is composed from plugrad ops, so gradients (and double backward) come for free. The
equations, gate order (LSTM ``i, f, g, o``; GRU ``r, z, n``) and parameter layout are PyTorch's, so
weights copy across unchanged. A layer projects its whole input sequence at once
(``x @ W_ih.T + b_ih``) and then steps through time, as PyTorch's CPU kernels do.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ... import factories
from ...ops.activation import relu
from ...ops.elementwise import sigmoid, tanh
from ...ops.shape import cat, stack
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _check_cell_input(input: Any, input_size: int) -> None:  # noqa: A002
    if input.shape[1] != input_size:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {input_size}")


def _check_cell_hidden(input: Any, hx: Any, hidden_size: int, label: int) -> None:  # noqa: A002
    if input.shape[0] != hx.shape[0]:
        raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{label} batch size {hx.shape[0]}")
    if hx.shape[1] != hidden_size:
        raise RuntimeError(f"hidden{label} has inconsistent hidden_size: got {hx.shape[1]}, expected {hidden_size}")


# One step of each cell. ``gi`` is the input's projection ``x @ W_ih.T + b_ih`` (computed for the whole
# sequence at once by the layers); ``w_hh`` / ``b_hh`` project the previous hidden state.

def _rnn_tanh_step(gi: Any, h: Any, w_hh: Any, b_hh: Any) -> Any:
    return tanh(F.linear(h, w_hh, b_hh) + gi)


def _rnn_relu_step(gi: Any, h: Any, w_hh: Any, b_hh: Any) -> Any:
    return relu(F.linear(h, w_hh, b_hh) + gi)


def _lstm_step(gi: Any, h: Any, c: Any, w_hh: Any, b_hh: Any, w_hr: Any = None) -> tuple[Any, Any]:
    gates = F.linear(h, w_hh, b_hh) + gi
    i, f, g, o = gates.chunk(4, 1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h = sigmoid(o) * tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(gi: Any, h: Any, w_hh: Any, b_hh: Any) -> Any:
    # Note: PyTorch's GRU applies the reset gate after the hidden projection: n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
    r = sigmoid(h_r + i_r)
    z = sigmoid(h_z + i_z)
    n = tanh(i_n + h_n * r)
    return (h - n) * z + n


def _run_direction(mode: str, steps: list, state: tuple, weights: list, bias: bool, reverse: bool,
                   batch_sizes: list[int] | None) -> tuple[list, tuple]:
    """Run one direction of one layer over the projected inputs ``steps`` (one tensor per time step).

    With ``batch_sizes`` (a packed sequence) step ``t`` holds only the first ``batch_sizes[t]`` sequences;
    each sequence's final state is the one after its own last step. Returns the per-step outputs (in time
    order) and the final state (``(h,)`` or ``(h, c)``).
    """
    w_hh = weights[1]
    b_hh = weights[3] if bias else None
    w_hr = weights[-1] if mode == "LSTM" and len(weights) in (3, 5) else None
    full = tuple(state)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    outputs: list = [None] * len(steps)
    if batch_sizes is None:
        cur = full
    elif reverse:
        cur = tuple(s[:batch_sizes[-1]] for s in full)
    else:
        cur = full
    finished: list = []  # forward packed: states of sequences that ended, last-ended first
    for t in order:
        gi = steps[t]
        n = gi.shape[0]
        if batch_sizes is not None:
            have = cur[0].shape[0]
            if n > have:  # reverse: sequences whose last step is t start here from the initial state
                cur = tuple(cat([c, s[have:n]]) for c, s in zip(cur, full))
            elif n < have:  # forward: sequences that ended at t - 1 keep their state
                finished.append(tuple(c[n:] for c in cur))
                cur = tuple(c[:n] for c in cur)
        if mode == "LSTM":
            cur = _lstm_step(gi, cur[0], cur[1], w_hh, b_hh, w_hr)
        elif mode == "GRU":
            cur = (_gru_step(gi, cur[0], w_hh, b_hh),)
        elif mode == "RNN_TANH":
            cur = (_rnn_tanh_step(gi, cur[0], w_hh, b_hh),)
        else:
            cur = (_rnn_relu_step(gi, cur[0], w_hh, b_hh),)
        outputs[t] = cur[0]
    if finished:
        cur = tuple(cat([c, *(f[k] for f in reversed(finished))]) for k, c in enumerate(cur))
    return outputs, cur


class RNNBase(Module):
    """The layers' shared machinery: parameters ``weight_ih_l{k}[_reverse]`` ... in PyTorch's order, checks,
    and the multi-layer, optionally bidirectional loop over time."""

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
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=3)
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
        real_hidden_size = proj_size if proj_size > 0 else hidden_size

        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                shapes: list[tuple[int, ...]] = [(gate_size, layer_input_size), (gate_size, real_hidden_size)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(factories.empty(shape, device=device, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters per layer and direction, in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Nothing to do: plugrad has no fused (cuDNN) weight buffer; the parameters are used as they are."""

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in registration order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def check_input(self, input: Any, batch_sizes: Any) -> None:  # noqa: A002
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                             f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. "
                               f"Expected {self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Any, batch_sizes: Any) -> tuple[int, int, int]:  # noqa: A002
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx: Any, expected_hidden_size: tuple[int, int, int],
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Any, hidden: Any, batch_sizes: Any) -> None:  # noqa: A002
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx: Any, permutation: Any) -> Any:
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _run(self, input: Any, hx: tuple, batch_sizes: Any) -> tuple[Any, tuple]:  # noqa: A002
        """All layers over ``input`` (time-major, or packed data with ``batch_sizes``) from the initial states
        ``hx`` (each ``(num_layers * num_directions, batch, *)``); returns the output and the final states."""
        num_directions = 2 if self.bidirectional else 1
        sizes = None if batch_sizes is None else [int(b) for b in batch_sizes.tolist()]
        if batch_sizes is None and self.batch_first:
            input = input.transpose(0, 1)
        finals: list[list] = [[] for _ in hx]
        layer_input = input
        for layer in range(self.num_layers):
            direction_outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                weights = self.all_weights[index]
                gi = F.linear(layer_input, weights[0], weights[2] if self.bias else None)
                steps = list(gi.unbind(0)) if sizes is None else list(gi.split(sizes))
                outs, state = _run_direction(self.mode, steps, tuple(h[index] for h in hx), weights, self.bias,
                                             direction == 1, sizes)
                for k, s in enumerate(state):
                    finals[k].append(s)
                direction_outputs.append(outs)
            if num_directions == 1:
                per_step = direction_outputs[0]
            else:
                per_step = [cat([f, b], 1) for f, b in zip(*direction_outputs)]
            layer_output = stack(per_step) if sizes is None else cat(per_step)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                layer_output = F.dropout(layer_output, self.dropout, True)
            layer_input = layer_output
        output = layer_input
        if batch_sizes is None and self.batch_first:
            output = output.transpose(0, 1)
        return output, tuple(stack(f) for f in finals)

    def _forward_tensor_hidden(self, name: str, input: Any, hx: Any) -> tuple[Any, Any]:  # noqa: A002
        """RNN and GRU: one hidden-state tensor."""
        num_directions = 2 if self.bidirectional else 1
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                hx = factories.zeros(self.num_layers * num_directions, int(batch_sizes[0]), self.hidden_size,
                                     dtype=data.dtype, device=data.device)
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(data, hx, batch_sizes)
            output, (hidden,) = self._run(data, (hx,), batch_sizes)
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        if input.dim() not in (2, 3):
            tensor = " tensor" if name == "RNN" else ""
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        if hx is None:
            max_batch_size = input.size(0) if self.batch_first else input.size(1)
            hx = factories.zeros(self.num_layers * num_directions, max_batch_size, self.hidden_size,
                                 dtype=input.dtype, device=input.device)
        self.check_forward_args(input, hx, None)
        output, (hidden,) = self._run(input, (hx,), None)
        if not is_batched:
            output = output.squeeze(batch_dim)
            hidden = hidden.squeeze(1)
        return output, hidden


class RNN(RNNBase):
    """An Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ``relu``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        return self._forward_tensor_hidden("RNN", input, hx)


class GRU(RNNBase):
    """A gated recurrent unit layer (gates ``r, z, n`` as in PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        return self._forward_tensor_hidden("GRU", input, hx)


class LSTM(RNNBase):
    """A long short-term memory layer (gates ``i, f, g, o``), optionally projecting ``h`` to ``proj_size``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Any, batch_sizes: Any) -> tuple[int, int, int]:  # noqa: A002
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input: Any, hidden: Any, batch_sizes: Any) -> None:  # noqa: A002
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx: Any, permutation: Any) -> Any:
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _zero_state(self, batch: int, like: Any) -> tuple[Any, Any]:
        num_directions = 2 if self.bidirectional else 1
        real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        h = factories.zeros(self.num_layers * num_directions, batch, real_hidden_size, dtype=like.dtype,
                            device=like.device)
        c = factories.zeros(self.num_layers * num_directions, batch, self.hidden_size, dtype=like.dtype,
                            device=like.device)
        return h, c

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, tuple[Any, Any]]:  # noqa: A002
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                hx = self._zero_state(int(batch_sizes[0]), data)
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(data, hx, batch_sizes)
            output, hidden = self._run(data, tuple(hx), batch_sizes)
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            hx = self._zero_state(input.size(0) if self.batch_first else input.size(1), input)
        elif is_batched:
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        else:
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx, None)
        output, (h, c) = self._run(input, tuple(hx), None)
        if not is_batched:
            output = output.squeeze(batch_dim)
            h, c = h.squeeze(1), c.squeeze(1)
        return output, (h, c)


class RNNCellBase(Module):
    """The cells' shared parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` and their init."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(factories.empty((num_chunks * hidden_size, input_size), device=device,
                                                   dtype=dtype))
        self.weight_hh = Parameter(factories.empty((num_chunks * hidden_size, hidden_size), device=device,
                                                   dtype=dtype))
        if bias:
            self.bias_ih = Parameter(factories.empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(factories.empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in registration order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, name: str, input: Any, hx: Any) -> tuple[Any, Any, bool]:  # noqa: A002
        """Check the ranks of ``input`` and ``hx`` (a tensor or, for LSTMCell, a pair) and add the batch dim."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            if isinstance(hx, (tuple, list)):
                for idx, value in enumerate(hx):
                    if value.dim() not in (1, 2):
                        raise ValueError(f"{name}: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
            elif hx.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = factories.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (zeros, zeros) if name == "LSTMCell" else zeros
        elif not is_batched:
            hx = tuple(h.unsqueeze(0) for h in hx) if isinstance(hx, (tuple, list)) else hx.unsqueeze(0)
        _check_cell_input(input, self.input_size)
        for label, h in enumerate(hx if isinstance(hx, (tuple, list)) else (hx,)):
            _check_cell_hidden(input, h, self.hidden_size, label)
        return input, hx, is_batched


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ``relu``)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        input, hx, is_batched = self._batched("RNNCell", input, hx)
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        if self.nonlinearity == "tanh":
            ret = _rnn_tanh_step(gi, hx, self.weight_hh, self.bias_hh)
        elif self.nonlinearity == "relu":
            ret = _rnn_relu_step(gi, hx, self.weight_hh, self.bias_hh)
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        input, hx, is_batched = self._batched("LSTMCell", input, hx)
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(gi, hx[0], hx[1], self.weight_hh, self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        input, hx, is_batched = self._batched("GRUCell", input, hx)
        ret = _gru_step(F.linear(input, self.weight_ih, self.bias_ih), hx, self.weight_hh, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)


__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]
