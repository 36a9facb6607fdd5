"""Memory formats and the strides of new tensors: channels_last, clone/contiguous/to/empty_like with a
memory_format, empty_strided, empty_permuted, dim_order; ops on such tensors give the row-major values."""

from __future__ import annotations

import numpy as np
import plugrad
import pytest
from _devices import to_numpy

NCHW = (2, 3, 4, 5)


def _cl(t: plugrad.Tensor) -> plugrad.Tensor:
    return t.contiguous(memory_format=plugrad.channels_last)


def test_memory_formats_print_as_pytorchs() -> None:
    assert repr(plugrad.channels_last) == "torch.channels_last"
    assert str(plugrad.contiguous_format) == "torch.contiguous_format"
    assert repr(plugrad.channels_last_3d) == "torch.channels_last_3d"
    assert repr(plugrad.preserve_format) == "torch.preserve_format"
    assert isinstance(plugrad.channels_last, plugrad.memory_format)


def test_channels_last_strides_and_contiguity() -> None:
    x = _cl(plugrad.arange(120.0).reshape(NCHW))
    assert x.stride() == (60, 1, 15, 3)
    assert not x.is_contiguous()
    assert x.is_contiguous(memory_format=plugrad.channels_last)
    assert x.dim_order() == (0, 2, 3, 1)
    y = plugrad.zeros(2, 3, 4, 5, 6).contiguous(memory_format=plugrad.channels_last_3d)
    assert y.stride() == (360, 1, 90, 18, 3)
    assert y.is_contiguous(memory_format=plugrad.channels_last_3d)


def test_channels_last_keeps_values_through_ops() -> None:
    ref = np.arange(120.0, dtype=np.float32).reshape(NCHW) / 10
    x = _cl(plugrad.tensor(ref))
    np.testing.assert_array_equal(to_numpy(x), ref)
    np.testing.assert_allclose(to_numpy((x * 2 + 1).exp().sum(1)), np.exp(ref * 2 + 1).sum(1), rtol=1e-6)
    np.testing.assert_array_equal(to_numpy(x.permute(0, 2, 3, 1).reshape(-1, 3)),
                                  ref.transpose(0, 2, 3, 1).reshape(-1, 3))
    np.testing.assert_array_equal(to_numpy(x[1, 2]), ref[1, 2])
    assert x[1, 2].storage_offset() == 62
    np.testing.assert_array_equal(to_numpy(x.as_strided((4,), (2,))), ref.transpose(0, 2, 3, 1).reshape(-1)[:8:2])
    x.add_(1)
    assert x.stride() == (60, 1, 15, 3)
    np.testing.assert_allclose(to_numpy(x), ref + 1, rtol=1e-6)


def test_view_of_channels_last_raises_and_reshape_copies() -> None:
    x = _cl(plugrad.zeros(NCHW))
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.view(2, -1)
    assert x.reshape(2, -1).stride() == (60, 1)


def test_contiguous_memory_format_records_clone_and_passes_gradients() -> None:
    a = plugrad.randn(*NCHW, requires_grad=True)
    y = _cl(a)
    assert type(y.grad_fn).__name__ == "CloneBackward0"
    w = np.arange(120.0, dtype=np.float32).reshape(NCHW)
    (y * plugrad.tensor(w)).sum().backward()
    np.testing.assert_array_equal(to_numpy(a.grad), w)


def test_memory_format_errors() -> None:
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        plugrad.zeros(2, 3).contiguous(memory_format=plugrad.channels_last)
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d format"):
        plugrad.zeros(NCHW).clone(memory_format=plugrad.channels_last_3d)
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported by the contiguous operator"):
        plugrad.zeros(2, 3).t().contiguous(memory_format=plugrad.preserve_format)
    with pytest.raises(RuntimeError, match="unsupported memory format Preserve"):
        plugrad.empty(2, 3, memory_format=plugrad.preserve_format)
    with pytest.raises(TypeError, match="argument 'memory_format' must be torch.memory_format, not str"):
        plugrad.zeros(2, 3).is_contiguous(memory_format="channels_last")
    assert not plugrad.zeros(2, 3).is_contiguous(memory_format=plugrad.channels_last)


def test_preserve_format_copies_dense_strides_else_their_order() -> None:
    t = plugrad.zeros(2, 3, 4).transpose(0, 2)
    for made in (t.clone(), plugrad.empty_like(t), plugrad.zeros_like(t), plugrad.ones_like(t),
                 plugrad.full_like(t, 2.0), plugrad.rand_like(t), plugrad.randn_like(t), plugrad.randint_like(t, 5)):
        assert made.stride() == (1, 4, 12)
    assert plugrad.zeros(4, 6).t()[::2].clone().stride() == (1, 3)
    assert plugrad.zeros(3, 1).expand(3, 4).clone().stride() == (4, 1)
    assert plugrad.ones_like(t, memory_format=plugrad.contiguous_format).stride() == (6, 2, 1)
    assert plugrad.zeros_like(plugrad.zeros(NCHW), memory_format=plugrad.channels_last).stride() == (60, 1, 15, 3)
    np.testing.assert_array_equal(to_numpy(plugrad.full_like(t, 2.0)), np.full((4, 3, 2), 2.0))


def test_to_keeps_dense_strides_and_takes_a_memory_format() -> None:
    t = plugrad.arange(6.0).reshape(2, 3).t()
    assert t.to(plugrad.float64).stride() == (1, 3)
    assert t.to(memory_format=plugrad.contiguous_format) is t  # 2-d strides suggest no other format
    x = plugrad.zeros(NCHW)
    assert x.to(memory_format=plugrad.channels_last).stride() == (60, 1, 15, 3)
    assert x.to(plugrad.float64, memory_format=plugrad.channels_last).stride() == (60, 1, 15, 3)
    np.testing.assert_array_equal(to_numpy(t.to(plugrad.float64)), np.arange(6.0).reshape(2, 3).T)


def test_empty_strided_empty_permuted_and_detach_keep_strides() -> None:
    assert plugrad.empty_strided((2, 3), (1, 2)).stride() == (1, 2)
    assert plugrad.empty_strided((2, 3), (4, 1)).stride() == (4, 1)
    assert plugrad.empty(2, 3, 4, 5, memory_format=plugrad.channels_last).stride() == (60, 1, 15, 3)
    p = plugrad.empty_permuted((2, 3, 5), (0, 2, 1), requires_grad=True)
    assert p.stride() == (15, 1, 3) and p.is_leaf and p.requires_grad
    assert plugrad.zeros(2, 3).t().detach().stride() == (1, 3)
    assert _cl(plugrad.zeros(NCHW)).detach().stride() == (60, 1, 15, 3)


def test_dim_order_ambiguity_check() -> None:
    x = plugrad.zeros(1, 3, 4, 5)
    assert x.dim_order() == (0, 1, 2, 3)
    with pytest.raises(RuntimeError, match="does not have unique dim order, or cannot map"):
        x.dim_order(ambiguity_check=True)
    assert x.dim_order(ambiguity_check=[plugrad.contiguous_format, plugrad.channels_last]) == (0, 1, 2, 3)
    with pytest.raises(TypeError, match="must be a bool or a list of memory formats"):
        x.dim_order(ambiguity_check="ILLEGAL")
    assert plugrad.zeros(2, 3, 4, 5).permute(3, 0, 2, 1).dim_order(ambiguity_check=True) == (1, 3, 2, 0)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


CASES = [
    lambda m: m.zeros(2, 3, 4).transpose(0, 2).stride(),
    lambda m: m.zeros(2, 3, 4).permute(2, 0, 1).stride(),
    lambda m: m.zeros(3, 1).expand(3, 4).stride(),
    lambda m: m.zeros(2, 3, 4).transpose(0, 2).contiguous().stride(),
    lambda m: m.zeros(2, 3, 4).transpose(0, 2).clone().stride(),
    lambda m: m.empty_like(m.zeros(4, 6).t()[::2]).stride(),
    lambda m: m.zeros(2, 1, 4, 1).contiguous(memory_format=m.channels_last).stride(),
    lambda m: m.zeros(2, 3, 4, 5).contiguous(memory_format=m.channels_last).clone().stride(),
    lambda m: m.zeros(2, 3, 4, 5).contiguous(memory_format=m.channels_last)[0].stride(),
    lambda m: m.zeros(2, 3, 4, 5).contiguous(memory_format=m.channels_last).clone(
        memory_format=m.contiguous_format).stride(),
    lambda m: m.zeros(2, 3, 4, 5).contiguous(memory_format=m.channels_last).is_contiguous(
        memory_format=m.preserve_format),
    lambda m: m.zeros(2, 3, 4, 5, 6).permute(0, 2, 3, 4, 1).clone().dim_order(),
    lambda m: m.zeros(2, 3, 4, 5).permute(0, 2, 3, 1).clone(memory_format=m.channels_last).stride(),
    lambda m: m.zeros(2, 1).expand(2, 3).dim_order(),
    lambda m: m.empty_strided((2, 3), (1, 2)).t().stride(),
    lambda m: m.zeros(2, 3, 4, 5).to(memory_format=m.channels_last).dim_order(ambiguity_check=True),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_strides_match_torch(torch, case: int) -> None:
    assert CASES[case](plugrad) == CASES[case](torch)


def test_results_report_their_inputs_layout_and_grads_their_parameters() -> None:
    x = plugrad.arange(6.0).reshape(2, 3)
    y = x.t() + 1  # an elementwise result keeps its input's (transposed) layout, as in PyTorch
    assert y.stride() == (1, 3) and not y.is_contiguous()
    assert y.contiguous().stride() == (2, 1) and y.contiguous().is_contiguous()
    w = plugrad.randn(3, 4, requires_grad=True)
    (w.t() * 2).sum().backward()  # the gradient arrives transposed; .grad takes the parameter's layout
    assert w.grad.stride() == (4, 1) and w.grad.is_contiguous()
