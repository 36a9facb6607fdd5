"""Losses, activations, distances and containers of ``plugrad.nn``: values, gradients, reprs and errors as PyTorch's.

Hard expected values pin the semantics on every backend; the differential tests (skipped with a reason when
torch is not installed) run the same call in both libraries on the same inputs and compare values and gradients.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict

import numpy as np
import plugrad
import plugrad.nn as nn
import plugrad.nn.functional as F
import pytest
from _devices import to_numpy
from plugrad.autograd import gradcheck


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these comparisons")


def t(values, **kw):
    return plugrad.tensor(values, **kw)


def close(a, b, atol=1e-5, rtol=1e-4):
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=atol, rtol=rtol)


# --- hard values ---------------------------------------------------------------------------------------------


def test_binary_cross_entropy_clamps_the_log_at_minus_100():
    loss = F.binary_cross_entropy(t([0.0, 1.0, 0.5]), t([1.0, 0.0, 1.0]), reduction="none")
    close(loss, [100.0, 100.0, math.log(2)])
    assert loss.dtype is plugrad.float32
    x = t([0.2, 0.9], requires_grad=True)
    out = F.binary_cross_entropy(x, t([0.0, 1.0]), weight=t([2.0, 1.0]))
    assert type(out.grad_fn).__name__ == "BinaryCrossEntropyBackward0"
    close(out, (2 * -math.log(0.8) - math.log(0.9)) / 2)
    out.backward()
    close(x.grad, [2 * 0.2 / (0.8 * 0.2) / 2, (0.9 - 1) / (0.1 * 0.9) / 2])


def test_binary_cross_entropy_passes_float64_gradcheck():
    x = t([[0.2, 0.7, 0.4], [0.9, 0.1, 0.5]], dtype=plugrad.float64, requires_grad=True)
    y = t([[0.0, 1.0, 0.3], [1.0, 0.2, 0.5]], dtype=plugrad.float64, requires_grad=True)
    w = t([1.0, 2.0, 0.5], dtype=plugrad.float64)
    for reduction in ("none", "mean", "sum"):
        assert gradcheck(lambda a, b, r=reduction: F.binary_cross_entropy(a, b, w, reduction=r), (x, y))


def test_binary_cross_entropy_errors_are_pytorchs():
    x, y = t([0.2, 0.7]), t([0.0, 1.0])
    with pytest.raises(ValueError, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is different to the "
                                         r"input size \(torch.Size\(\[2\]\)\) is deprecated"):
        F.binary_cross_entropy(x, t([0.0, 1.0, 1.0]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(x * 2, y)
    with pytest.raises(RuntimeError, match="Found dtype Long but expected Float"):
        F.binary_cross_entropy(x, t([0, 1]))
    with pytest.raises(RuntimeError, match="Attempting to broadcast a dimension of length 3 at -1!"):
        F.binary_cross_entropy(x, y, weight=t([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        nn.BCELoss(reduction="foo")(x, y)


def test_smooth_l1_and_huber_switch_at_beta_and_delta():
    close(F.smooth_l1_loss(t([0.0, 2.0]), t([0.5, 0.0]), reduction="none"), [0.125, 1.5])
    close(F.smooth_l1_loss(t([0.0, 2.0]), t([0.5, 0.0]), beta=0.0), 1.25)  # beta 0 is the L1 loss
    close(F.huber_loss(t([0.0, 3.0]), t([0.5, 0.0]), delta=2.0, reduction="none"), [0.125, 4.0])
    close(nn.HuberLoss(reduction="sum", delta=2.0)(t([0.0, 3.0]), t([0.5, 0.0])), 4.125)
    x = t([0.0, 3.0], requires_grad=True)
    nn.SmoothL1Loss(reduction="sum", beta=0.5)(x, t([0.2, 0.0])).backward()
    close(x.grad, [-0.4, 1.0])
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta."):
        F.smooth_l1_loss(x, x, beta=-1)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta."):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.huber_loss(x, x, weight=t([1.0]))
    with pytest.warns(UserWarning, match="Using a target size"):
        F.smooth_l1_loss(t([[1.0, 2.0]]), t([1.0]))


def test_kl_div_reductions_and_the_mean_warning():
    logp = t([[0.5, 0.5], [0.9, 0.1]]).log()
    target = t([[0.25, 0.75], [0.0, 1.0]])
    row0 = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    row1 = math.log(1 / 0.1)
    close(F.kl_div(logp, target, reduction="sum"), row0 + row1)
    close(nn.KLDivLoss(reduction="batchmean")(logp, target), (row0 + row1) / 2)
    close(F.kl_div(logp[:1], target[:1].log(), reduction="batchmean", log_target=True), row0)
    close(F.kl_div(logp, target, reduction="none")[1, 0], 0.0)  # 0 * log 0 is 0
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        close(F.kl_div(logp, target), (row0 + row1) / 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(logp, target, reduction="sum")


def test_margin_and_likelihood_losses_values():
    close(F.multi_margin_loss(t([[0.1, 0.2, 0.4, 0.8]]), t([3])), 0.325)  # PyTorch's documented example
    close(nn.MarginRankingLoss(margin=0.5)(t([1.0, 2.0]), t([2.0, 1.0]), t([1.0, 1.0])), (1.5 + 0.0) / 2)
    close(F.hinge_embedding_loss(t([0.3, 0.4]), t([1.0, -1.0]), reduction="none"), [0.3, 0.6])
    close(F.soft_margin_loss(t([0.0]), t([1.0])), math.log(2))
    close(F.cosine_embedding_loss(t([[1.0, 0.0], [1.0, 0.0]]), t([[1.0, 1.0], [1.0, 1.0]]), t([1.0, -1.0]),
                                  margin=0.5, reduction="none"), [1 - math.sqrt(0.5), math.sqrt(0.5) - 0.5])
    close(F.triplet_margin_loss(t([[0.0, 0.0]]), t([[3.0, 4.0]]), t([[0.0, 1.0]]), eps=0.0), 5.0)
    close(F.poisson_nll_loss(t([0.0, 1.0]), t([1.0, 2.0]), reduction="none"), [1.0, math.e - 2.0])
    close(F.gaussian_nll_loss(t([0.0]), t([1.0]), t([2.0])), 0.5 * (math.log(2.0) + 0.5))
    close(F.multilabel_soft_margin_loss(t([[0.0, 0.0]]), t([[1.0, 0.0]])), math.log(2))


def test_margin_loss_errors_are_pytorchs():
    x = t([[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(RuntimeError, match="inconsistent target size|Expected target size \\[2\\], but got \\[3\\]"):
        F.multi_margin_loss(x, t([0, 1, 1]))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x, t([0, 2]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input tensors"):
        F.cosine_embedding_loss(x, x, t(1.0))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_loss(x, x, x, margin=0)
    with pytest.raises(RuntimeError, match="The anchor, positive, and negative tensors are expected to have the "
                                           "same number of dimensions, but got: anchor 2D, positive 2D, and "
                                           "negative 1D inputs"):
        F.triplet_margin_loss(x, x, x[0])
    with pytest.raises(RuntimeError, match="margin_ranking_loss : All input tensors should have same dimension"):
        F.margin_ranking_loss(x, x, t([1.0, 1.0]))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, t([1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, x, -1.0)


def test_activation_values_and_inplace_forms():
    x = t([-1.0, 0.2, 1.0])
    close(F.softshrink(x, 0.5), [-0.5, 0.0, 0.5])
    close(nn.Hardshrink()(x), [-1.0, 0.0, 1.0])
    close(nn.PReLU()(t([-2.0, 3.0])), [-0.5, 3.0])
    close(F.rrelu(t([-1.0, 2.0])), [-(1 / 8 + 1 / 3) / 2, 2.0])
    close(nn.GLU()(t([1.0, 0.0])), [0.5])
    close(nn.Threshold(0.5, 20.0)(x), [20.0, 20.0, 1.0])
    close(nn.Hardtanh(-0.5, 0.5)(x), [-0.5, 0.2, 0.5])
    close(nn.ReLU6()(t([-1.0, 7.0])), [0.0, 6.0])
    close(nn.Softmin(dim=0)(t([0.0, 0.0])), [0.5, 0.5])
    for fn, args in ((F.relu_, ()), (F.leaky_relu_, (0.1,)), (F.hardtanh_, ()), (F.elu_, ()), (F.selu_, ()),
                     (F.celu_, (2.0,)), (F.threshold_, (0.1, 5.0)), (F.rrelu_, ())):
        y = x.clone()
        out = fn(y, *args)
        assert out is y
        close(y, getattr(F, fn.__name__[:-1])(x, *args))
    y = x.clone()
    assert nn.Hardtanh(inplace=True)(y) is y
    assert F.elu(y, inplace=True) is y


def test_activation_errors_are_pytorchs():
    x = t([[1.0, 2.0, 3.0]])
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(x, 1)
    with pytest.raises(RuntimeError, match="glu does not support scalars because halving size must be even"):
        F.glu(t(1.0))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 2 and channel size = 3."):
        F.prelu(x, t([0.25, 0.1]))
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(x, 0.5, 0.1, training=True)
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, "
                                           r"but found -1"):
        F.softshrink(x, -1.0)
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        nn.Hardtanh(2, 1)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: alpha cannot be 0 for CELU"):
        F.celu(x, 0.0)


def test_one_hot_infers_classes_and_gives_int64():
    out = F.one_hot(t([[0, 2], [1, 1]]))
    assert out.dtype is plugrad.int64 and tuple(out.shape) == (2, 2, 3)
    np.testing.assert_array_equal(to_numpy(out), [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 1, 0]]])
    assert tuple(F.one_hot(t([1]), 4).shape) == (1, 4)
    assert tuple(F.one_hot(t([], dtype=plugrad.int64), 3).shape) == (0, 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor."):
        F.one_hot(t([1.0]))
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(t([-1, 2]))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(t([1, 5]), 3)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor."):
        F.one_hot(t([], dtype=plugrad.int64))


def test_distances_and_similarities_values():
    close(F.cosine_similarity(t([1.0, 0.0]), t([1.0, 1.0]), dim=0), math.sqrt(0.5))
    close(nn.CosineSimilarity(dim=1)(t([[3.0, 4.0]]), t([[3.0, 4.0]])), [1.0])
    close(nn.PairwiseDistance(eps=0.0)(t([[0.0, 0.0]]), t([[3.0, 4.0]])), [5.0])
    close(plugrad.cdist(t([[0.0, 0.0]]), t([[3.0, 4.0], [0.0, 1.0]])), [[5.0, 1.0]])
    close(plugrad.cdist(t([[0.0, 0.0]]), t([[3.0, 4.0]]), p=1), [[7.0]])
    close(plugrad.pdist(t([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])), [5.0, 1.0, math.sqrt(18)])
    close(F.normalize(t([[3.0, 4.0]])), [[0.6, 0.8]])
    close(F.normalize(t([[0.0, 0.0]])), [[0.0, 0.0]])
    x = t([[0.0, 0.0], [1.0, 1.0]], requires_grad=True)
    plugrad.cdist(x, x).sum().backward()  # the distance of a point to itself contributes no gradient
    assert np.isfinite(to_numpy(x.grad)).all()
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns. X1: 2 X2: 3"):
        plugrad.cdist(t([[1.0, 2.0]]), t([[1.0, 2.0, 3.0]]))
    with pytest.raises(RuntimeError, match="cdist only supports at least 2D tensors, X1 got: 1D"):
        plugrad.cdist(t([1.0]), t([[1.0]]))
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet common dtype is Long"):
        F.cosine_similarity(t([1, 2]), t([3, 4]), dim=0)


def test_prelu_parameters_and_gradient():
    m = nn.PReLU(3, init=0.1)
    assert list(m.state_dict()) == ["weight"] and m.num_parameters == 3 and m.init == 0.1
    close(m.weight, [0.1, 0.1, 0.1])
    x = t([[[-1.0], [2.0], [-3.0]]])
    m(x).sum().backward()
    close(m.weight.grad, [-1.0, 0.0, -3.0])
    assert repr(m) == "PReLU(num_parameters=3)"


def test_rrelu_train_mode_draws_one_slope_per_non_positive_element():
    m = nn.RReLU()
    x = t([-1.0, 2.0, -3.0, -4.0, 5.0])
    plugrad.manual_seed(0)
    out = to_numpy(m(x))
    slopes = out[[0, 2, 3]] / to_numpy(x)[[0, 2, 3]]
    assert ((slopes >= 1 / 8) & (slopes <= 1 / 3)).all() and len(set(slopes.tolist())) == 3
    np.testing.assert_array_equal(out[[1, 4]], [2.0, 5.0])
    m.eval()
    close(m(x)[0], -(1 / 8 + 1 / 3) / 2)


# --- containers ----------------------------------------------------------------------------------------------


def test_parameter_list_registers_wraps_and_slices():
    pl = nn.ParameterList([nn.Parameter(plugrad.ones(2, 3)), plugrad.zeros(3), "note"])
    assert len(pl) == 3 and isinstance(pl[1], nn.Parameter) and pl[2] == "note"
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(plugrad.ones(1))
    pl += [plugrad.ones(2, 2)]
    assert list(pl.state_dict()) == ["0", "1", "3", "4"]
    assert isinstance(pl[1:3], nn.ParameterList) and len(pl[::2]) == 3
    assert pl[-1] is pl[4]
    with pytest.raises(IndexError, match="index 10 is out of range"):
        pl[10]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable, but got Tensor"):
        pl.extend(plugrad.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl()


def test_parameter_dict_is_an_ordered_dict_of_parameters():
    pd = nn.ParameterDict({"b": plugrad.ones(2), "a": nn.Parameter(plugrad.zeros(3, 1))})
    assert list(pd) == ["a", "b"]  # a plain dict is taken in sorted order, as PyTorch does
    assert list(nn.ParameterDict(OrderedDict([("b", plugrad.ones(1)), ("a", plugrad.ones(1))]))) == ["b", "a"]
    pd["c"] = plugrad.ones(1)
    assert "c" in pd and isinstance(pd["c"], nn.Parameter) and len(pd) == 3
    assert tuple(pd.pop("c").shape) == (1,) and "c" not in pd
    assert pd.get("missing", 3) == 3 and pd.setdefault("d", None) is None
    assert pd.popitem()[0] == "d"
    merged = pd | nn.ParameterDict({"z": plugrad.ones(1)})
    assert list(merged) == ["a", "b", "z"] and list(pd) == ["a", "b"]
    assert list(pd.state_dict()) == ["a", "b"]
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key as it is not a string"):
        pd[1]
    with pytest.raises(ValueError, match="ParameterDict update sequence element #0 has length 1; 2 is required"):
        pd.update([("a",)])


def test_unflatten_splits_a_dim():
    m = nn.Sequential(nn.Linear(2, 6), nn.Unflatten(1, (2, 3)))
    assert tuple(m(plugrad.ones(4, 2)).shape) == (4, 2, 3)
    assert repr(m[1]) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 3)
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found element of type str at "
                                        "pos 1"):
        nn.Unflatten(1, (3, "a"))


def test_parameters_to_vector_round_trip():
    m = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert tuple(vec.shape) == (8,)
    close(vec[:6], m.weight.reshape(-1))
    nn.utils.vector_to_parameters(plugrad.arange(8.0), m.parameters())
    close(m.weight, [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    close(m.bias, [6.0, 7.0])
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], m.parameters())


# --- against PyTorch -----------------------------------------------------------------------------------------

_RNG = np.random.default_rng(0)
_PROB = _RNG.uniform(0.01, 0.99, (3, 4)).astype(np.float32)
_TGT = _RNG.uniform(0, 1, (3, 4)).astype(np.float32)
_A, _B, _C = (_RNG.normal(size=(3, 4)).astype(np.float32) for _ in range(3))
_W = _RNG.uniform(0.5, 2, (4,)).astype(np.float32)
_PM = np.array([1.0, -1.0, 1.0], dtype=np.float32)
_PM2 = np.sign(_RNG.normal(size=(3, 4))).astype(np.float32)
_CLS = np.array([0, 3, 1])
_LOGP = np.log(_RNG.dirichlet(np.ones(4), 3)).astype(np.float32)
_PR = _RNG.dirichlet(np.ones(4), 3).astype(np.float32)
_X4 = _RNG.normal(size=(2, 3, 4, 5)).astype(np.float32)
_K = np.array([[[0, 1, 2, 0, 1]] * 4, [[2, 2, 1, 0, 0]] * 4])


def _functional_cases():
    cases = []
    for r in ("none", "mean", "sum"):
        cases += [
            (f"bce_{r}", lambda L, x, y, r=r: L.nn.functional.binary_cross_entropy(x, y, reduction=r), [_PROB, _TGT],
             [0, 1]),
            (f"bce_weight_{r}", lambda L, x, y, w, r=r: L.nn.functional.binary_cross_entropy(x, y, w, reduction=r),
             [_PROB, _TGT, _W], [0, 1]),
            (f"bce_logits_pos_weight_{r}", lambda L, x, y, w, r=r: L.nn.functional.binary_cross_entropy_with_logits(
                x, y, pos_weight=w, reduction=r), [_A, _TGT, _W], [0, 1]),
            (f"smooth_l1_{r}", lambda L, x, y, r=r: L.nn.functional.smooth_l1_loss(x, y, reduction=r, beta=0.5),
             [_A, _B], [0, 1]),
            (f"huber_{r}", lambda L, x, y, r=r: L.nn.functional.huber_loss(x, y, reduction=r, delta=0.7), [_A, _B],
             [0, 1]),
            (f"kl_div_{r}", lambda L, x, y, r=r: L.nn.functional.kl_div(x, y, reduction=r), [_LOGP, _PR], [0, 1]),
            (f"kl_div_log_target_{r}", lambda L, x, y, r=r: L.nn.functional.kl_div(x, y.log(), reduction=r,
                                                                                    log_target=True),
             [_LOGP, _PR], [0, 1]),
            (f"margin_ranking_{r}", lambda L, x, y, z, r=r: L.nn.functional.margin_ranking_loss(x, y, z, 0.3,
                                                                                                 reduction=r),
             [_A[:, 0], _B[:, 0], _PM], [0, 1]),
            (f"hinge_{r}", lambda L, x, y, r=r: L.nn.functional.hinge_embedding_loss(x, y, 0.8, reduction=r),
             [_A, _PM2], [0]),
            (f"soft_margin_{r}", lambda L, x, y, r=r: L.nn.functional.soft_margin_loss(x, y, reduction=r),
             [_A, _PM2], [0]),
            (f"cosine_embedding_{r}", lambda L, x, y, z, r=r: L.nn.functional.cosine_embedding_loss(
                x, y, z, margin=0.1, reduction=r), [_A, _B, _PM], [0, 1]),
            (f"triplet_{r}", lambda L, x, y, z, r=r: L.nn.functional.triplet_margin_loss(x, y, z, margin=2.0,
                                                                                          reduction=r),
             [_A, _B, _C], [0, 1, 2]),
            (f"triplet_p1_swap_{r}", lambda L, x, y, z, r=r: L.nn.functional.triplet_margin_loss(
                x, y, z, p=1, swap=True, reduction=r), [_A, _B, _C], [0, 1, 2]),
            (f"poisson_{r}", lambda L, x, y, r=r: L.nn.functional.poisson_nll_loss(x, y * 3, reduction=r),
             [_A, _TGT], [0]),
            (f"poisson_full_{r}", lambda L, x, y, r=r: L.nn.functional.poisson_nll_loss(
                x, y * 3, log_input=False, full=True, reduction=r), [_PROB, _TGT], [0]),
            (f"gaussian_full_{r}", lambda L, x, y, v, r=r: L.nn.functional.gaussian_nll_loss(x, y, v, full=True,
                                                                                              reduction=r),
             [_A, _B, _PROB], [0, 1, 2]),
            (f"gaussian_var_per_row_{r}", lambda L, x, y, v, r=r: L.nn.functional.gaussian_nll_loss(x, y, v,
                                                                                                     reduction=r),
             [_A, _B, _PROB[:, 0]], [0, 1, 2]),
            (f"multilabel_soft_margin_{r}", lambda L, x, y, w, r=r: L.nn.functional.multilabel_soft_margin_loss(
                x, y, weight=w, reduction=r), [_A, (_TGT > 0.5).astype(np.float32), _W], [0]),
            (f"multi_margin_{r}", lambda L, x, r=r: L.nn.functional.multi_margin_loss(x, L.tensor(_CLS), reduction=r),
             [_A], [0]),
            (f"multi_margin_p2_weight_{r}", lambda L, x, w, r=r: L.nn.functional.multi_margin_loss(
                x, L.tensor(_CLS), p=2, margin=0.5, weight=w, reduction=r), [_A, _W], [0]),
            (f"nll_weight_ignore_{r}", lambda L, x, w, r=r: L.nn.functional.nll_loss(
                x, L.tensor(_CLS), weight=w, ignore_index=3, reduction=r), [_LOGP, _W], [0]),
            (f"nll_4d_{r}", lambda L, x, r=r: L.nn.functional.nll_loss(L.nn.functional.log_softmax(x, 1),
                                                                        L.tensor(_K), reduction=r),
             [_X4[:, :3]], [0]),
        ]
    cases += [
        ("kl_div_batchmean", lambda L, x, y: L.nn.functional.kl_div(x, y, reduction="batchmean"), [_LOGP, _PR],
         [0, 1]),
        ("multi_margin_1d", lambda L, x: L.nn.functional.multi_margin_loss(x[0], L.tensor(2)), [_A], [0]),
        ("softshrink", lambda L, x: L.nn.functional.softshrink(x, 0.3), [_A], [0]),
        ("hardshrink", lambda L, x: L.nn.functional.hardshrink(x, 0.3), [_A], [0]),
        ("prelu_shared", lambda L, x, w: L.nn.functional.prelu(x, w[:1]), [_X4, _W], [0, 1]),
        ("prelu_per_channel", lambda L, x, w: L.nn.functional.prelu(x, w[:3]), [_X4, _W], [0, 1]),
        ("glu_last", lambda L, x: L.nn.functional.glu(x), [_A], [0]),
        ("glu_dim1", lambda L, x: L.nn.functional.glu(x, 1), [_X4[:, :2]], [0]),
        ("rrelu_eval", lambda L, x: L.nn.functional.rrelu(x), [_A], [0]),
        ("normalize", lambda L, x: L.nn.functional.normalize(x), [_A], [0]),
        ("normalize_p1_dim0", lambda L, x: L.nn.functional.normalize(x, p=1, dim=0), [_A], [0]),
        ("cosine_similarity", lambda L, x, y: L.nn.functional.cosine_similarity(x, y), [_A, _B], [0, 1]),
        ("cosine_similarity_broadcast", lambda L, x, y: L.nn.functional.cosine_similarity(x, y[0], dim=-1),
         [_A, _B], [0, 1]),
        ("pairwise_distance", lambda L, x, y: L.nn.functional.pairwise_distance(x, y), [_A, _B], [0, 1]),
        ("pairwise_distance_p3_keepdim", lambda L, x, y: L.nn.functional.pairwise_distance(x, y, 3, keepdim=True),
         [_A, _B], [0, 1]),
        ("cdist", lambda L, x, y: L.cdist(x, y), [_A, _B[:2]], [0, 1]),
        ("cdist_batched_p1", lambda L, x, y: L.cdist(x, y, p=1), [_X4[0], _X4[1]], [0, 1]),
        ("cdist_inf", lambda L, x, y: L.cdist(x, y, p=float("inf")), [_A, _B], [0, 1]),
        ("pdist", lambda L, x: L.pdist(x), [_A], [0]),
        ("triplet_with_cosine_distance", lambda L, x, y, z: L.nn.functional.triplet_margin_with_distance_loss(
            x, y, z, distance_function=lambda u, v: 1 - L.nn.functional.cosine_similarity(u, v), swap=True),
         [_A, _B, _C], [0, 1, 2]),
    ]
    return cases


def _run(lib, fn, arrays, grad_idx):
    ts = [lib.tensor(a, requires_grad=i in grad_idx) for i, a in enumerate(arrays)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(lib, *ts)
    (out.sum() if out.dim() else out).backward()
    value = out.detach().cpu().numpy()
    return value, [ts[i].grad.detach().cpu().numpy() for i in grad_idx]


@pytest.mark.parametrize("name,fn,arrays,grad_idx", _functional_cases(), ids=[c[0] for c in _functional_cases()])
def test_functional_matches_torch(torch, name, fn, arrays, grad_idx):
    want, want_grads = _run(torch, fn, arrays, grad_idx)
    got, got_grads = _run(plugrad, fn, arrays, grad_idx)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-4)
    for g, w in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, w, atol=1e-5, rtol=1e-4)


def _modules(lib):
    n = lib.nn
    return [
        n.Hardtanh(), n.Hardtanh(-2.0, 2.0, True), n.ReLU6(), n.ReLU6(True), n.SELU(), n.SELU(True), n.CELU(),
        n.CELU(2.0, True), n.Mish(), n.Mish(True), n.Hardswish(True), n.Hardsigmoid(), n.LogSigmoid(), n.Softsign(),
        n.Softshrink(), n.Hardshrink(0.3), n.Tanhshrink(), n.Threshold(0.1, 20), n.Threshold(0.1, 20, True),
        n.PReLU(), n.PReLU(3, 0.1), n.GLU(), n.GLU(1), n.RReLU(), n.RReLU(0.1, 0.3, True), n.Softmin(1), n.Softmin(),
        n.BCELoss(), n.BCELoss(weight=lib.ones(4)), n.SmoothL1Loss(beta=0.5), n.HuberLoss(delta=2.0),
        n.KLDivLoss(reduction="batchmean", log_target=True), n.PoissonNLLLoss(), n.GaussianNLLLoss(full=True),
        n.MarginRankingLoss(0.5), n.HingeEmbeddingLoss(), n.SoftMarginLoss(), n.CosineEmbeddingLoss(0.2),
        n.MultiLabelSoftMarginLoss(), n.MultiMarginLoss(p=2, margin=0.5), n.TripletMarginLoss(swap=True),
        n.TripletMarginWithDistanceLoss(), n.CosineSimilarity(0), n.PairwiseDistance(1, keepdim=True),
        n.Unflatten(1, (2, 3)), n.Flatten(0, 1), n.Identity(),
    ]


def _public_attrs(m):
    return {k: tuple(v.shape) if hasattr(v, "shape") else v for k, v in vars(m).items()
            if not k.startswith("_") and k != "distance_function"}


def test_module_reprs_attributes_and_state_dicts_match_torch(torch):
    for ours, theirs in zip(_modules(plugrad), _modules(torch)):
        assert repr(ours) == repr(theirs)
        assert _public_attrs(ours) == _public_attrs(theirs), repr(theirs)
        assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
               {k: tuple(v.shape) for k, v in theirs.state_dict().items()}


def test_modules_give_torchs_outputs_and_gradients(torch):
    x = _RNG.normal(size=(2, 4, 3)).astype(np.float32)
    for name in ("Hardtanh", "ReLU6", "SELU", "CELU", "Mish", "Hardswish", "Hardsigmoid", "LogSigmoid", "Softsign",
                 "Softshrink", "Hardshrink", "Tanhshrink", "GLU", "Softmin", "PReLU"):
        args = {"Softmin": (1,), "GLU": (1,)}.get(name, ())
        outs = []
        for lib in (plugrad, torch):
            m = getattr(lib.nn, name)(*args)
            xt = lib.tensor(x, requires_grad=True)
            y = m(xt)
            (y * y).sum().backward()
            outs.append((y.detach().cpu().numpy(), xt.grad.cpu().numpy()))
        np.testing.assert_allclose(outs[0][0], outs[1][0], atol=1e-5, rtol=1e-4, err_msg=name)
        np.testing.assert_allclose(outs[0][1], outs[1][1], atol=1e-5, rtol=1e-4, err_msg=name)


def test_rrelu_training_draws_torchs_slopes_after_the_same_seed(torch):
    x = _RNG.normal(size=(3, 5)).astype(np.float32)
    torch.manual_seed(7)
    want = torch.nn.RReLU()(torch.tensor(x)).numpy()
    plugrad.manual_seed(7)
    got = to_numpy(nn.RReLU()(t(x)))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_container_reprs_match_torch(torch):
    def build(lib):
        n = lib.nn
        return [
            n.ParameterList([n.Parameter(lib.ones(2, 3)), lib.zeros(3), "note"]),
            n.ParameterDict({"b": lib.ones(2), "a": n.Parameter(lib.zeros(3, 1, dtype=lib.float64))}),
            n.Sequential(n.Linear(1, 2), n.ReLU(), n.Unflatten(1, (2, 1))),
            n.Sequential(OrderedDict([("fc", n.Linear(1, 2)), ("act", n.Tanh())]))[1:],
            n.ModuleList([n.ReLU(), n.ReLU(), n.Tanh()]),
            n.ModuleDict({"b": n.ReLU(), "a": n.Tanh()}),
        ]

    for ours, theirs in zip(build(plugrad), build(torch)):
        want = repr(theirs).replace(" (cuda:0)", "")
        assert repr(ours).replace(" (cuda:0)", "") == want
