"""Recurrent layers, packed sequences, attention and the Transformer encoder: PyTorch's parameters, seeded
initial weights, shapes, values, gradients and error messages.

Comparisons against PyTorch skip with a reason when torch is not installed; the hand-computed values and
the error messages are checked without it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import plugrad
import plugrad.nn.functional as F
import pytest
from _devices import to_numpy
from plugrad import nn
from plugrad.nn.utils import rnn as rnn_utils

pytestmark = [
    pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN:UserWarning"),
    pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors:UserWarning"),
]


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these comparisons")


def _copy_weights(pmod, tmod) -> None:
    """PyTorch's parameters into the plugrad module, by name (the names must agree)."""
    pnames = [n for n, _ in pmod.named_parameters()]
    tnames = [n for n, _ in tmod.named_parameters()]
    assert pnames == tnames
    with plugrad.no_grad():
        for (_, p), (_, q) in zip(pmod.named_parameters(), tmod.named_parameters()):
            p.copy_(plugrad.tensor(q.detach().numpy()))


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    return [out]


def _assert_close(t_value, p_value, atol=1e-5) -> None:
    assert tuple(t_value.shape) == tuple(p_value.shape)
    np.testing.assert_allclose(to_numpy(p_value), t_value.detach().numpy(), atol=atol, rtol=1e-4)


def _assert_seeded_parameters_match(torch, tmod, pmod) -> None:
    tparams = list(tmod.named_parameters())
    pparams = list(pmod.named_parameters())
    assert [n for n, _ in pparams] == [n for n, _ in tparams]
    for (name, p), (_, q) in zip(pparams, tparams):
        assert tuple(p.shape) == tuple(q.shape), name
        np.testing.assert_allclose(to_numpy(p), q.detach().numpy(), atol=1e-7, err_msg=name)


# ---------------------------------------------------------------------------------------------------------
# recurrent layers

RNN_CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "batch_first": True, "bias": False}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"batch_first": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"proj_size": 3, "bias": False, "bidirectional": True}),
]


def test_lstm_parameter_names_and_shapes():
    m = nn.LSTM(4, 5, num_layers=2, bidirectional=True, proj_size=3)
    shapes = {n: tuple(p.shape) for n, p in m.named_parameters()}
    assert list(shapes) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
        "weight_hr_l0_reverse",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        "weight_hr_l1_reverse",
    ]
    assert shapes["weight_ih_l0"] == (20, 4)
    assert shapes["weight_hh_l0"] == (20, 3)
    assert shapes["weight_hr_l0"] == (3, 5)
    assert shapes["weight_ih_l1_reverse"] == (20, 6)
    assert [len(w) for w in m.all_weights] == [5, 5, 5, 5]
    assert list(m.state_dict()) == list(shapes)


def test_rnn_reset_parameters_bound_is_one_over_sqrt_hidden():
    m = nn.GRU(3, 16, num_layers=2)
    for p in m.parameters():
        assert float(p.abs().max()) <= 0.25


def test_rnn_reprs():
    assert repr(nn.RNN(10, 20, 2)) == "RNN(10, 20, num_layers=2)"
    assert (repr(nn.LSTM(10, 20, 2, bidirectional=True, proj_size=5, batch_first=True, dropout=0.5, bias=False))
            == "LSTM(10, 20, proj_size=5, num_layers=2, bias=False, batch_first=True, dropout=0.5, "
               "bidirectional=True)")
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"


def test_rnn_cell_hand_computed_value():
    cell = nn.RNNCell(1, 1)
    with plugrad.no_grad():
        for p in cell.parameters():
            p.fill_(0.5)
    h = cell(plugrad.tensor([[1.0]]), plugrad.tensor([[2.0]]))
    assert math.isclose(float(h), math.tanh(0.5 + 0.5 + 1.0 + 0.5), rel_tol=1e-6)
    assert type(h.grad_fn).__name__ == "TanhBackward0"


def _numpy_gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    def sig(v):
        return 1 / (1 + np.exp(-v))
    gi = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    H = h.shape[1]
    r = sig(gi[:, :H] + gh[:, :H])
    z = sig(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h


def _numpy_lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    def sig(v):
        return 1 / (1 + np.exp(-v))
    g = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    H = h.shape[1]
    i, f, gg, o = sig(g[:, :H]), sig(g[:, H:2 * H]), np.tanh(g[:, 2 * H:3 * H]), sig(g[:, 3 * H:])
    c = f * c + i * gg
    return o * np.tanh(c), c


def test_gru_follows_the_reset_after_equation_over_a_sequence():
    plugrad.manual_seed(3)
    m = nn.GRU(3, 4)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    out, h_n = m(plugrad.tensor(x))
    w = [to_numpy(p).astype(np.float64) for p in m.parameters()]
    h = np.zeros((2, 4))
    expected = []
    for t in range(5):
        h = _numpy_gru_step(x[t].astype(np.float64), h, *w)
        expected.append(h)
    np.testing.assert_allclose(to_numpy(out), np.stack(expected), atol=1e-5)
    np.testing.assert_allclose(to_numpy(h_n)[0], h, atol=1e-5)
    assert tuple(out.shape) == (5, 2, 4) and tuple(h_n.shape) == (1, 2, 4)


def test_lstm_follows_the_ifgo_gate_order():
    plugrad.manual_seed(4)
    cell = nn.LSTMCell(3, 2)
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    h0 = np.random.default_rng(2).standard_normal((4, 2)).astype(np.float32)
    c0 = np.random.default_rng(3).standard_normal((4, 2)).astype(np.float32)
    h, c = cell(plugrad.tensor(x), (plugrad.tensor(h0), plugrad.tensor(c0)))
    w = [to_numpy(p).astype(np.float64) for p in cell.parameters()]
    eh, ec = _numpy_lstm_step(x.astype(np.float64), h0, c0, *w)
    np.testing.assert_allclose(to_numpy(h), eh, atol=1e-5)
    np.testing.assert_allclose(to_numpy(c), ec, atol=1e-5)


@pytest.mark.parametrize(("name", "kwargs"), RNN_CONFIGS)
def test_seeded_rnn_parameters_equal_torch(torch, name, kwargs):
    torch.manual_seed(0)
    tmod = getattr(torch.nn, name)(4, 5, **kwargs)
    plugrad.manual_seed(0)
    pmod = getattr(nn, name)(4, 5, **kwargs)
    _assert_seeded_parameters_match(torch, tmod, pmod)
    assert repr(pmod) == repr(tmod)


@pytest.mark.parametrize(("name", "kwargs"), RNN_CONFIGS)
def test_rnn_outputs_and_gradients_match_torch(torch, name, kwargs):
    torch.manual_seed(0)
    tmod = getattr(torch.nn, name)(4, 5, **kwargs)
    pmod = getattr(nn, name)(4, 5, **kwargs)
    _copy_weights(pmod, tmod)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    px = plugrad.tensor(x, requires_grad=True)
    tout, pout = _flat(tmod(tx)), _flat(pmod(px))
    for a, b in zip(tout, pout):
        _assert_close(a, b)
    sum((o ** 2).sum() for o in tout).backward()
    sum((o ** 2).sum() for o in pout).backward()
    _assert_close(tx.grad, px.grad, atol=1e-4)
    for (n, p), (_, q) in zip(pmod.named_parameters(), tmod.named_parameters()):
        np.testing.assert_allclose(to_numpy(p.grad), q.grad.numpy(), atol=1e-4, err_msg=n)
    # an explicit initial state and an unbatched (2-D) input
    num_dirs = 2 if kwargs.get("bidirectional") else 1
    layers = kwargs.get("num_layers", 1) * num_dirs
    batch = 3 if kwargs.get("batch_first") else 2
    h0 = rng.standard_normal((layers, batch, kwargs.get("proj_size") or 5)).astype(np.float32)
    if name == "LSTM":
        c0 = rng.standard_normal((layers, batch, 5)).astype(np.float32)
        th, ph = (torch.tensor(h0), torch.tensor(c0)), (plugrad.tensor(h0), plugrad.tensor(c0))
        th1, ph1 = (th[0][:, 0], th[1][:, 0]), (ph[0][:, 0], ph[1][:, 0])
    else:
        th, ph = torch.tensor(h0), plugrad.tensor(h0)
        th1, ph1 = th[:, 0], ph[:, 0]
    for a, b in zip(_flat(tmod(tx, th)), _flat(pmod(px, ph))):
        _assert_close(a, b)
    tx1, px1 = (tx[0], px[0]) if kwargs.get("batch_first") else (tx[:, 0], px[:, 0])
    for a, b in zip(_flat(tmod(tx1.detach(), th1)), _flat(pmod(px1.detach(), ph1))):
        _assert_close(a, b)


def test_dropout_between_layers_draws_torchs_masks(torch):
    torch.manual_seed(0)
    tmod = torch.nn.GRU(3, 4, num_layers=3, dropout=0.5)
    plugrad.manual_seed(0)
    pmod = nn.GRU(3, 4, num_layers=3, dropout=0.5)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    torch.manual_seed(1)
    plugrad.manual_seed(1)
    _assert_close(tmod(torch.tensor(x))[0], pmod(plugrad.tensor(x))[0])
    pmod.eval()
    a, b = pmod(plugrad.tensor(x))[0], pmod(plugrad.tensor(x))[0]
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_rnn_dropout_warning_and_argument_errors():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.RNN(2, 3, dropout=0.2)
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        nn.LSTM(2, 3, dropout=1.5)
    with pytest.raises(ValueError, match="^hidden_size must be greater than zero$"):
        nn.GRU(2, 0)
    with pytest.raises(TypeError, match="^hidden_size should be of type int, got: float$"):
        nn.GRU(2, 3.0)
    with pytest.raises(ValueError, match="^proj_size has to be smaller than hidden_size$"):
        nn.LSTM(2, 3, proj_size=3)
    with pytest.raises(ValueError, match="^proj_size argument is only supported for LSTM, not RNN or GRU$"):
        nn.GRU(2, 3, proj_size=1)
    with pytest.raises(ValueError, match="^Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.$"):
        nn.RNN(2, 3, nonlinearity="sigmoid")


def test_rnn_forward_errors():
    m = nn.RNN(10, 20, 2)
    with pytest.raises(RuntimeError, match=r"^Expected hidden size \(2, 3, 20\), got \[2, 3, 4\]$"):
        m(plugrad.randn(5, 3, 10), plugrad.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match="^For batched 3-D input, hx should also be 3-D but got 2-D tensor$"):
        m(plugrad.randn(5, 3, 10), plugrad.randn(3, 4))
    with pytest.raises(RuntimeError, match="^input.size\\(-1\\) must be equal to input_size. Expected 10, got 7$"):
        m(plugrad.randn(5, 3, 7))
    with pytest.raises(ValueError, match="^RNN: Expected input to be 2D or 3D, got 4D tensor instead$"):
        m(plugrad.randn(5, 3, 10, 1))
    with pytest.raises(ValueError, match=r"^RNN input dtype \(torch.float64\) does not match weight dtype "
                                         r"\(torch.float32\)"):
        m(plugrad.randn(5, 3, 10, dtype=plugrad.float64))
    lstm = nn.LSTM(10, 20)
    with pytest.raises(RuntimeError, match=r"^Expected hidden\[1\] size \(1, 3, 20\), got \[1, 3, 5\]$"):
        lstm(plugrad.randn(5, 3, 10), (plugrad.zeros(1, 3, 20), plugrad.zeros(1, 3, 5)))
    with pytest.raises(RuntimeError, match=r"^For unbatched 2-D input, hx and cx should also be 2-D but got "
                                           r"\(3-D, 3-D\) tensors$"):
        lstm(plugrad.randn(5, 10), (plugrad.zeros(1, 1, 20), plugrad.zeros(1, 1, 20)))


def test_cell_forward_errors():
    cell = nn.RNNCell(10, 20)
    with pytest.raises(RuntimeError, match="^input has inconsistent input_size: got 5 expected 10$"):
        cell(plugrad.randn(3, 5))
    with pytest.raises(RuntimeError, match="^Input batch size 3 doesn't match hidden0 batch size 2$"):
        cell(plugrad.randn(3, 10), plugrad.randn(2, 20))
    with pytest.raises(RuntimeError, match="^hidden0 has inconsistent hidden_size: got 4, expected 20$"):
        cell(plugrad.randn(3, 10), plugrad.randn(3, 4))
    with pytest.raises(RuntimeError, match="^hidden1 has inconsistent hidden_size: got 4, expected 20$"):
        nn.LSTMCell(10, 20)(plugrad.randn(3, 10), (plugrad.randn(3, 20), plugrad.randn(3, 4)))
    with pytest.raises(ValueError, match="^GRUCell: Expected input to be 1D or 2D, got 3D instead$"):
        nn.GRUCell(10, 20)(plugrad.randn(1, 3, 10))


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch_batched_and_unbatched(torch, name):
    torch.manual_seed(0)
    tcell = getattr(torch.nn, name)(4, 5)
    plugrad.manual_seed(0)
    pcell = getattr(nn, name)(4, 5)
    _assert_seeded_parameters_match(torch, tcell, pcell)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    px = plugrad.tensor(x, requires_grad=True)
    tout, pout = _flat(tcell(tx)), _flat(pcell(px))
    for a, b in zip(tout, pout):
        _assert_close(a, b)
    sum(o.sum() for o in tout).backward()
    sum(o.sum() for o in pout).backward()
    _assert_close(tx.grad, px.grad)
    for a, b in zip(_flat(tcell(tx[0].detach())), _flat(pcell(px[0].detach()))):
        _assert_close(a, b)


def test_lstm_gradcheck_float64():
    plugrad.manual_seed(0)
    m = nn.LSTM(2, 3, bidirectional=True).double()
    x = plugrad.randn(3, 2, 2, dtype=plugrad.float64, requires_grad=True)
    assert plugrad.autograd.gradcheck(lambda v: m(v)[0], (x,))


# ---------------------------------------------------------------------------------------------------------
# padding and packing

def test_pad_sequence_hard_values():
    a, b = plugrad.tensor([1.0, 2.0, 3.0]), plugrad.tensor([4.0])
    np.testing.assert_array_equal(to_numpy(rnn_utils.pad_sequence([a, b])), [[1, 4], [2, 0], [3, 0]])
    np.testing.assert_array_equal(
        to_numpy(rnn_utils.pad_sequence([a, b], batch_first=True, padding_value=-1, padding_side="left")),
        [[1, 2, 3], [-1, -1, 4]])
    with pytest.raises(RuntimeError, match="^received an empty list of sequences$"):
        rnn_utils.pad_sequence([])
    with pytest.raises(RuntimeError, match="^Expected padding_side to be one of left or right, but got up.$"):
        rnn_utils.pad_sequence([a], padding_side="up")


def test_pack_padded_sequence_hard_values_and_round_trip():
    x = plugrad.arange(12.0).reshape(4, 3, 1)  # (T, B, 1)
    packed = rnn_utils.pack_padded_sequence(x, [1, 4, 2], enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 2, 0]
    assert packed.unsorted_indices.tolist() == [2, 0, 1]
    assert to_numpy(packed.data).ravel().tolist() == [1, 2, 0, 4, 5, 7, 10]
    padded, lengths = rnn_utils.pad_packed_sequence(packed, total_length=5)
    assert lengths.tolist() == [1, 4, 2]
    assert tuple(padded.shape) == (5, 3, 1)
    assert to_numpy(padded)[:, :, 0].tolist() == [[0, 1, 2], [0, 4, 5], [0, 7, 0], [0, 10, 0], [0, 0, 0]]
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, [1, 4, 2])
    with pytest.raises(RuntimeError, match=r"^Expected `len\(lengths\)` to be equal to batch_size, but got 2 "
                                           r"\(batch_size=3\)$"):
        rnn_utils.pack_padded_sequence(x, [4, 2])
    with pytest.raises(ValueError, match="^Expected total_length to be at least the length of the longest"):
        rnn_utils.pad_packed_sequence(packed, total_length=2)
    seqs = rnn_utils.unpack_sequence(rnn_utils.pack_sequence([plugrad.ones(2), plugrad.ones(3)],
                                                             enforce_sorted=False))
    assert [tuple(s.shape) for s in seqs] == [(2,), (3,)]


def test_packed_sequence_repr_matches_torch(torch):
    x = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    t = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), [3, 2])
    p = rnn_utils.pack_padded_sequence(plugrad.tensor(x), [3, 2])
    if plugrad.tensor(0.0).device.type == "cpu":
        assert repr(p) == repr(t)
    assert p.batch_sizes.device.type == "cpu"


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_rnn_on_packed_sequence_matches_torch(torch, name):
    torch.manual_seed(0)
    tmod = getattr(torch.nn, name)(4, 5, num_layers=2, bidirectional=True)
    pmod = getattr(nn, name)(4, 5, num_layers=2, bidirectional=True)
    _copy_weights(pmod, tmod)
    x = np.random.default_rng(0).standard_normal((4, 3, 4)).astype(np.float32)
    lengths = [2, 4, 1]
    tx = torch.tensor(x, requires_grad=True)
    px = plugrad.tensor(x, requires_grad=True)
    tout, th = tmod(torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, enforce_sorted=False))
    pout, ph = pmod(rnn_utils.pack_padded_sequence(px, lengths, enforce_sorted=False))
    assert isinstance(pout, rnn_utils.PackedSequence)
    ta, tl = torch.nn.utils.rnn.pad_packed_sequence(tout)
    pa, pl = rnn_utils.pad_packed_sequence(pout)
    _assert_close(ta, pa)
    assert pl.tolist() == tl.tolist()
    for a, b in zip(_flat(th), _flat(ph)):
        _assert_close(a, b)
    ((ta ** 2).sum() + sum(h.sum() for h in _flat(th))).backward()
    ((pa ** 2).sum() + sum(h.sum() for h in _flat(ph))).backward()
    _assert_close(tx.grad, px.grad, atol=1e-4)


# ---------------------------------------------------------------------------------------------------------
# attention

def test_sdpa_hard_values_and_fully_masked_rows():
    q = plugrad.tensor([[1.0, 0.0]])
    k = plugrad.tensor([[1.0, 0.0], [0.0, 1.0]])
    v = plugrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = 1 / (1 + math.exp(-1 / math.sqrt(2)))  # softmax weight of the first key
    out = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(to_numpy(out), [[w * 1 + (1 - w) * 3, w * 2 + (1 - w) * 4]], rtol=1e-6)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=plugrad.tensor([[False, True]]))
    np.testing.assert_allclose(to_numpy(out), [[3.0, 4.0]])
    q2 = plugrad.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    out = F.scaled_dot_product_attention(q2, k, v, attn_mask=plugrad.tensor([[True, True], [False, False]]))
    np.testing.assert_allclose(to_numpy(out)[1], [0.0, 0.0])
    out.sum().backward()
    assert np.isfinite(to_numpy(q2.grad)).all()
    causal = F.scaled_dot_product_attention(q2, k, v, is_causal=True)
    np.testing.assert_allclose(to_numpy(causal)[0], [1.0, 2.0])


def test_sdpa_errors():
    q = plugrad.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="^_scaled_dot_product_attention: Explicit attn_mask should not be set "
                                           "when is_causal=True$"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=plugrad.ones(3, 3, dtype=plugrad.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="^Expected attn_mask dtype to be bool or float or to match query dtype, "
                                           "but got attn_mask.dtype: long int and  query.dtype: float instead.$"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=plugrad.ones(3, 3, dtype=plugrad.int64))
    with pytest.raises(RuntimeError, match="^Expected query, key, and value to have the same dtype, but got "
                                           "query.dtype: float key.dtype: double and value.dtype: float instead.$"):
        F.scaled_dot_product_attention(q, q.double(), q)


@pytest.mark.parametrize("case", ["plain", "causal", "scale", "bool_mask", "float_mask"])
def test_sdpa_matches_torch(torch, case):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6))]
    bool_mask = rng.random((4, 5)) > 0.3
    bool_mask[1] = False
    float_mask = rng.standard_normal((2, 1, 4, 5)).astype(np.float32)
    kwargs = {"plain": {}, "causal": {"is_causal": True}, "scale": {"scale": 0.3},
              "bool_mask": {"attn_mask": bool_mask}, "float_mask": {"attn_mask": float_mask}}[case]
    tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    pk = {k: plugrad.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    tin = [torch.tensor(a, requires_grad=True) for a in arrays]
    pin = [plugrad.tensor(a, requires_grad=True) for a in arrays]
    tout = torch.nn.functional.scaled_dot_product_attention(*tin, **tk)
    pout = F.scaled_dot_product_attention(*pin, **pk)
    _assert_close(tout, pout)
    tg = torch.autograd.grad((tout ** 2).sum(), tin)
    pg = plugrad.autograd.grad((pout ** 2).sum(), pin)
    for a, b in zip(tg, pg):
        _assert_close(a, b, atol=1e-4)


MHA_CONFIGS = [{}, {"batch_first": True}, {"kdim": 3, "vdim": 5}, {"bias": False},
               {"add_bias_kv": True, "add_zero_attn": True}]


@pytest.mark.parametrize("kwargs", MHA_CONFIGS)
def test_seeded_multihead_attention_equals_torch(torch, kwargs):
    torch.manual_seed(0)
    tmod = torch.nn.MultiheadAttention(8, 2, **kwargs)
    plugrad.manual_seed(0)
    pmod = nn.MultiheadAttention(8, 2, **kwargs)
    _assert_seeded_parameters_match(torch, tmod, pmod)
    assert list(pmod.state_dict()) == list(tmod.state_dict())
    assert repr(pmod) == repr(tmod)


@pytest.mark.parametrize("kwargs", MHA_CONFIGS)
@pytest.mark.parametrize("call", ["weights", "no_weights", "per_head", "key_padding", "attn_mask", "both_masks"])
def test_multihead_attention_matches_torch(torch, kwargs, call):
    torch.manual_seed(0)
    tmod = torch.nn.MultiheadAttention(8, 2, **kwargs)
    pmod = nn.MultiheadAttention(8, 2, **kwargs)
    _copy_weights(pmod, tmod)
    rng = np.random.default_rng(1)
    kd, vd = kwargs.get("kdim", 8), kwargs.get("vdim", 8)
    shapes = [(4, 3, 8), (5, 3, kd), (5, 3, vd)]
    if kwargs.get("batch_first"):
        shapes = [(s[1], s[0], s[2]) for s in shapes]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    kpm = rng.random((3, 5)) > 0.7
    kpm[:, 0] = False
    am = rng.random((4, 5)) > 0.8
    am[:, 0] = False
    call_kwargs = {"weights": {}, "no_weights": {"need_weights": False}, "per_head": {"average_attn_weights": False},
                   "key_padding": {"key_padding_mask": kpm}, "attn_mask": {"attn_mask": am, "need_weights": False},
                   "both_masks": {"attn_mask": am, "key_padding_mask": kpm}}[call]
    tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call_kwargs.items()}
    pk = {k: plugrad.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call_kwargs.items()}
    tin = [torch.tensor(a, requires_grad=True) for a in arrays]
    pin = [plugrad.tensor(a, requires_grad=True) for a in arrays]
    tout, tw = tmod(*tin, **tk)
    pout, pw = pmod(*pin, **pk)
    _assert_close(tout, pout)
    if tw is None:
        assert pw is None
    else:
        _assert_close(tw, pw)
    tg = torch.autograd.grad((tout ** 2).sum(), tin + list(tmod.parameters()))
    pg = plugrad.autograd.grad((pout ** 2).sum(), pin + list(pmod.parameters()))
    for a, b in zip(tg, pg):
        _assert_close(a, b, atol=1e-4)
    # unbatched inputs
    un_t = [t.detach()[:, 0] if not kwargs.get("batch_first") else t.detach()[0] for t in tin]
    un_p = [p.detach()[:, 0] if not kwargs.get("batch_first") else p.detach()[0] for p in pin]
    for a, b in zip(tmod(*un_t), pmod(*un_p)):
        _assert_close(a, b)


def test_multihead_attention_self_attention_shapes():
    m = nn.MultiheadAttention(6, 3, batch_first=True)
    x = plugrad.randn(2, 4, 6)
    out, weights = m(x, x, x)
    assert tuple(out.shape) == (2, 4, 6)
    assert tuple(weights.shape) == (2, 4, 4)
    np.testing.assert_allclose(to_numpy(weights.sum(-1)), np.ones((2, 4)), rtol=1e-5)
    _, per_head = m(x, x, x, average_attn_weights=False)
    assert tuple(per_head.shape) == (2, 3, 4, 4)
    out, none = m(x, x, x, need_weights=False)
    assert none is None and tuple(out.shape) == (2, 4, 6)


def test_multihead_attention_errors():
    with pytest.raises(AssertionError, match="^embed_dim must be divisible by num_heads$"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="^embed_dim and num_heads must be greater than 0, got embed_dim=0 and "
                                         "num_heads=2 instead$"):
        nn.MultiheadAttention(0, 2)
    m = nn.MultiheadAttention(4, 2)
    x = plugrad.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"^The shape of the 2D attn_mask is torch.Size\(\[2, 2\]\), but should "
                                           r"be \(3, 3\).$"):
        m(x, x, x, attn_mask=plugrad.zeros(2, 2))
    with pytest.raises(AssertionError, match="^only bool and floating types of key_padding_mask are supported$"):
        m(x, x, x, key_padding_mask=plugrad.zeros(2, 3, dtype=plugrad.int64))
    with pytest.raises(AssertionError, match="^was expecting embedding dimension of 4, but got 5$"):
        m(plugrad.randn(3, 2, 5), x, x)
    with pytest.raises(RuntimeError, match="^Need attn_mask if specifying the is_causal hint."):
        m(x, x, x, is_causal=True)


# ---------------------------------------------------------------------------------------------------------
# Transformer encoder

ENCODER_CONFIGS = [{}, {"batch_first": True, "norm_first": True, "activation": "gelu"}, {"batch_first": True},
                   {"bias": False, "dim_feedforward": 16}]


@pytest.mark.parametrize("kwargs", ENCODER_CONFIGS)
def test_transformer_encoder_matches_torch(torch, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        tlayer = torch.nn.TransformerEncoderLayer(8, 2, **kwargs)
        tenc = torch.nn.TransformerEncoder(tlayer, 2, norm=torch.nn.LayerNorm(8))
        plugrad.manual_seed(0)
        player = nn.TransformerEncoderLayer(8, 2, **kwargs)
        penc = nn.TransformerEncoder(player, 2, norm=nn.LayerNorm(8))
    _assert_seeded_parameters_match(torch, tenc, penc)
    assert repr(player) == repr(tlayer)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 8)).astype(np.float32)
    batch_first = kwargs.get("batch_first", False)
    seq_len, batch = (4, 3) if batch_first else (3, 4)
    causal = np.triu(np.full((seq_len, seq_len), -np.inf, dtype=np.float32), 1)
    padding = np.zeros((batch, seq_len), dtype=bool)
    padding[0, -1] = True
    for tmod, pmod in ((tlayer, player), (tenc, penc)):
        tmod.eval()
        pmod.eval()
        _assert_close(tmod(torch.tensor(x)), pmod(plugrad.tensor(x)))
        _assert_close(tmod(torch.tensor(x), torch.tensor(causal)), pmod(plugrad.tensor(x), plugrad.tensor(causal)))
        tpad, ppad = {"src_key_padding_mask": torch.tensor(padding)}, {"src_key_padding_mask": plugrad.tensor(padding)}
        with torch.no_grad(), plugrad.no_grad():
            _assert_close(tmod(torch.tensor(x), **tpad), pmod(plugrad.tensor(x), **ppad))
        tx = torch.tensor(x, requires_grad=True)
        px = plugrad.tensor(x, requires_grad=True)
        tout, pout = tmod(tx, **tpad), pmod(px, **ppad)
        _assert_close(tout, pout)
        (tout ** 2).sum().backward()
        (pout ** 2).sum().backward()
        _assert_close(tx.grad, px.grad, atol=1e-4)


def test_transformer_encoder_warns_when_nested_tensors_cannot_be_used():
    layer = nn.TransformerEncoderLayer(8, 2)
    with pytest.warns(UserWarning, match="encoder_layer.self_attn.batch_first was not True"):
        enc = nn.TransformerEncoder(layer, 3)
    assert len(enc.layers) == 3 and enc.layers[0] is not layer
    assert enc.layers[0].self_attn.in_proj_weight is not enc.layers[1].self_attn.in_proj_weight
    with pytest.raises(RuntimeError, match="^activation should be relu/gelu, not tanh$"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
