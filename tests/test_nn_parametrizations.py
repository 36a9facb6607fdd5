"""nn.utils.parametrizations (orthogonal, weight_norm, spectral_norm), the older nn.utils.weight_norm and
nn.utils.spectral_norm, and the linear algebra under them (geqrf, linalg.householder_product): closed forms
first, then against PyTorch on the same inputs and seeds (values, gradients, buffers, state dicts, errors)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad import nn
from plugrad.autograd import gradcheck, gradgradcheck

P = nn.utils.parametrizations


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def _f64(values, requires_grad=False):
    return plugrad.tensor(values, dtype=plugrad.float64, requires_grad=requires_grad)


def _matrix_module(lib, values):
    m = lib.nn.Module()
    m.weight = lib.nn.Parameter(lib.tensor(values, dtype=lib.float64))
    return m


# --- closed forms ---------------------------------------------------------------------------------


def test_householder_product_of_one_reflector_is_i_minus_tau_v_vt():
    a = _f64([[9.0, 9.0], [2.0, 9.0], [-1.0, 9.0]])
    q = plugrad.linalg.householder_product(a, _f64([0.5]))
    v = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(to_numpy(q), (np.eye(3) - 0.5 * np.outer(v, v))[:, :2], atol=1e-15)
    assert q.grad_fn is None
    assert plugrad.orgqr(a, _f64([0.0, 0.0])).tolist() == [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]


def test_geqrf_reflectors_rebuild_q_with_r_above_the_diagonal():
    a = np.array([[2.0, -1.0, 0.5], [1.0, 3.0, 1.0], [0.5, 1.0, -2.0], [1.0, 0.0, 1.0]])
    x, tau = plugrad.geqrf(_f64(a))
    q = plugrad.linalg.householder_product(x, tau)
    np.testing.assert_allclose(to_numpy(q) @ np.triu(to_numpy(x)[:3]), a, atol=1e-14)
    np.testing.assert_allclose(to_numpy(q).T @ to_numpy(q), np.eye(3), atol=1e-14)
    assert x[0, 0].item() == pytest.approx(-math.sqrt(4 + 1 + 0.25 + 1))  # dlarfg: beta = -sign(alpha) ||x||


def test_householder_product_gradients_check_twice():
    a = _f64([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.7]], requires_grad=True)
    tau = _f64([1.2, 0.6], requires_grad=True)
    assert gradcheck(plugrad.linalg.householder_product, (a, tau))
    assert gradgradcheck(plugrad.linalg.householder_product, (a, tau))


def test_householder_product_and_geqrf_errors():
    hp = plugrad.linalg.householder_product
    with pytest.raises(RuntimeError, match=r"input.shape\[-2\] must be greater than or equal to input.shape\[-1\]"):
        hp(plugrad.zeros(2, 3), plugrad.zeros(2))
    with pytest.raises(RuntimeError, match=r"input.shape\[-1\] must be greater than or equal to tau.shape\[-1\]"):
        hp(plugrad.zeros(4, 3), plugrad.zeros(4))
    with pytest.raises(RuntimeError, match="tau dtype Double does not match input dtype Float"):
        hp(plugrad.zeros(4, 3), plugrad.zeros(2, dtype=plugrad.float64))
    with pytest.raises(RuntimeError, match="torch.geqrf: input must have at least 2 dimensions."):
        plugrad.geqrf(plugrad.zeros(3))
    x, _tau = plugrad.geqrf(plugrad.ones(3, 2, requires_grad=True))
    assert x.grad_fn.name() == "GeqrfBackward0"
    with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not implemented."):
        x.sum().backward()


@pytest.mark.parametrize("omap", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (2, 5)])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_weights_are_orthogonal(omap, shape, triv):
    w = np.sin(np.arange(math.prod(shape)) * 1.3 + 0.2).reshape(shape)
    m = P.orthogonal(_matrix_module(plugrad, w.tolist()), orthogonal_map=omap, use_trivialization=triv)
    q = to_numpy(m.weight)
    small = min(shape)
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    assert type(m).__name__ == "ParametrizedModule"
    assert ("parametrizations.weight.0.base" in dict(m.named_buffers())) == triv


def test_orthogonal_default_map_and_errors():
    m = P.orthogonal(nn.Linear(3, 5))
    assert m.parametrizations.weight[0].orthogonal_map.name == "householder"
    assert P.orthogonal(nn.Linear(4, 4)).parametrizations.weight[0].orthogonal_map.name == "matrix_exp"
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                                         "Got: qr"):
        P.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
        P.orthogonal(nn.Linear(3, 3), "bias")
    m = P.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exponential or the Cayley"):
        m.weight = plugrad.eye(3)


def test_weight_norm_parametrization_values_and_keys():
    m = nn.Linear(3, 2)
    with plugrad.no_grad():
        m.weight.copy_(plugrad.tensor([[3.0, 0.0, 4.0], [0.0, 1.0, 0.0]]))
    P.weight_norm(m)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert m.parametrizations.weight.original0.tolist() == [[5.0], [1.0]]
    with plugrad.no_grad():
        m.parametrizations.weight.original0.mul_(2.0)
    np.testing.assert_allclose(to_numpy(m.weight), [[6.0, 0.0, 8.0], [0.0, 2.0, 0.0]], rtol=1e-6)
    whole = P.weight_norm(nn.Linear(3, 2), dim=None)
    assert whole.parametrizations.weight.original0.shape == ()


def test_spectral_norm_of_a_vector_is_its_direction_and_of_a_matrix_its_top_singular_value():
    m = nn.Module()
    m.w = nn.Parameter(plugrad.tensor([3.0, 4.0]))
    P.spectral_norm(m, "w")
    assert to_numpy(m.w).tolist() == pytest.approx([0.6, 0.8])
    lin = nn.Linear(3, 3)
    with plugrad.no_grad():
        lin.weight.copy_(plugrad.tensor([[2.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 1.0]], dtype=plugrad.float32))
    P.spectral_norm(lin)
    np.testing.assert_allclose(to_numpy(lin.weight), np.diag([1.0, 0.25, 0.5]), atol=1e-6)
    assert sorted(dict(lin.named_buffers())) == ["parametrizations.weight.0._u", "parametrizations.weight.0._v"]
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        P.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\] but got 2\)"):
        P.spectral_norm(nn.Linear(2, 2), dim=2)


def test_old_weight_norm_warns_and_hooks_g_and_v():
    m = nn.Linear(3, 2)
    with pytest.warns(FutureWarning, match=r"`torch.nn.utils.weight_norm` is deprecated in favor of "
                                           r"`torch.nn.utils.parametrizations.weight_norm`."):
        nn.utils.weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    with plugrad.no_grad():
        m.weight_g.mul_(0.0)
    m(plugrad.ones(1, 3))
    assert to_numpy(m.weight).tolist() == [[0.0] * 3] * 2
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"), \
            pytest.warns(FutureWarning):
        nn.utils.weight_norm(m)
    nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"] and isinstance(m.weight, nn.Parameter)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in Linear"):
        nn.utils.remove_weight_norm(m)


def test_old_spectral_norm_keys_metadata_and_removal():
    m = nn.utils.spectral_norm(nn.Linear(3, 2))
    sd = m.state_dict()
    assert list(sd) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert sd._metadata[""]["spectral_norm"] == {"weight.version": 1}
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter weight"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in Linear"):
        nn.utils.remove_spectral_norm(m)


# --- against PyTorch ------------------------------------------------------------------------------


def _close(a, b, tol=1e-12):
    np.testing.assert_allclose(to_numpy(b), a.detach().numpy(), atol=tol, rtol=tol)


def test_householder_product_and_geqrf_match_torch(torch):
    rng = np.random.default_rng(0)
    for shape, k in (((4, 3), 3), ((5, 3), 2), ((2, 4, 4), 4), ((3, 3), 0)):
        a, tau = rng.standard_normal(shape), rng.standard_normal((*shape[:-2], k))
        at, tt = torch.tensor(a, requires_grad=True), torch.tensor(tau, requires_grad=True)
        ap, tp = _f64(a.tolist(), True), _f64(tau.tolist(), True)
        qt, qp = torch.linalg.householder_product(at, tt), plugrad.linalg.householder_product(ap, tp)
        _close(qt, qp)
        w = rng.standard_normal(qt.shape)
        (qt * torch.tensor(w)).sum().backward()
        (qp * _f64(w.tolist())).sum().backward()
        if k == 0:
            assert at.grad is None and ap.grad is None and tt.grad is None and tp.grad is None
        else:
            _close(at.grad, ap.grad, 1e-11)
            _close(tt.grad, tp.grad, 1e-11)
        assert qp.grad_fn.name() == type(qt.grad_fn).__name__
        xt, taut = torch.geqrf(torch.tensor(a))
        xp_, taup = plugrad.geqrf(_f64(a.tolist()))
        _close(xt, xp_)
        _close(taut, taup)


@pytest.mark.parametrize("omap", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(5, 5), (6, 3), (3, 6), (2, 4, 4)])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_matches_torch(torch, omap, shape, triv):
    w = np.random.default_rng(1).standard_normal(shape)
    torch.manual_seed(0)
    plugrad.manual_seed(0)
    mt = torch.nn.utils.parametrizations.orthogonal(_matrix_module(torch, w), orthogonal_map=omap,
                                                    use_trivialization=triv)
    mp = P.orthogonal(_matrix_module(plugrad, w.tolist()), orthogonal_map=omap, use_trivialization=triv)
    _close(mt.weight, mp.weight, 1e-13)
    weights = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    (mt.weight * torch.tensor(weights)).sum().backward()
    (mp.weight * _f64(weights.tolist())).sum().backward()
    _close(mt.parametrizations.weight.original.grad, mp.parametrizations.weight.original.grad, 1e-11)
    assert list(mt.state_dict()) == list(mp.state_dict())
    assert repr(mp) == repr(mt)
    q = np.linalg.qr(np.random.default_rng(2).standard_normal((*shape[:-2], max(shape[-2:]), max(shape[-2:]))))[0]
    q = q[..., :shape[-2], :shape[-1]]
    try:
        with torch.no_grad():
            mt.weight = torch.tensor(q)
    except NotImplementedError as exc:
        with pytest.raises(NotImplementedError, match=str(exc)):
            mp.weight = _f64(q.tolist())
        return
    mp.weight = _f64(q.tolist())
    _close(mt.weight, mp.weight, 1e-13)


def _conv_input(kind, channels):
    return np.random.default_rng(0).standard_normal((2, channels, *((5, 5) if "Conv" in kind else ())))


@pytest.mark.parametrize("kind,args", [("Linear", (5, 4)), ("Conv2d", (3, 4, 3)), ("ConvTranspose2d", (3, 4, 3))])
@pytest.mark.parametrize("dim", [None, 1])
def test_spectral_norm_parametrization_matches_torch(torch, kind, args, dim):
    torch.manual_seed(0)
    plugrad.manual_seed(0)
    mt = torch.nn.utils.parametrizations.spectral_norm(getattr(torch.nn, kind)(*args), dim=dim,
                                                       n_power_iterations=2)
    mp = P.spectral_norm(getattr(nn, kind)(*args), dim=dim, n_power_iterations=2)
    st, sp = mt.parametrizations.weight[0], mp.parametrizations.weight[0]
    _close(st._u, sp._u, 1e-5)
    assert list(mt.state_dict()) == list(mp.state_dict())
    x = _conv_input(kind, args[0])
    for training in (True, True, False):
        mt.train(training)
        mp.train(training)
        yt = mt(torch.tensor(x, dtype=torch.float32))
        yp = mp(plugrad.tensor(x.tolist(), dtype=plugrad.float32))
        yt.sum().backward()
        yp.sum().backward()
        _close(yt, yp, 1e-5)
        _close(st._u, sp._u, 1e-5)
        _close(st._v, sp._v, 1e-5)
        _close(mt.parametrizations.weight.original.grad, mp.parametrizations.weight.original.grad, 1e-4)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_old_and_new_match_torch_and_old_state_dicts_load(torch, dim):
    torch.manual_seed(0)
    plugrad.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        mt, mp = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3), dim=dim), nn.utils.weight_norm(nn.Linear(4, 3), dim=dim)
    x = np.random.default_rng(3).standard_normal((2, 4))
    yt, yp = mt(torch.tensor(x, dtype=torch.float32)), mp(plugrad.tensor(x.tolist(), dtype=plugrad.float32))
    yt.sum().backward()
    yp.sum().backward()
    _close(yt, yp, 1e-6)
    _close(mt.weight_g.grad, mp.weight_g.grad, 1e-6)
    _close(mt.weight_v.grad, mp.weight_v.grad, 1e-6)
    assert list(mt.state_dict()) == list(mp.state_dict())
    nt = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(4, 3), dim=dim)
    np_ = P.weight_norm(nn.Linear(4, 3), dim=dim)
    nt.load_state_dict(mt.state_dict())
    np_.load_state_dict(mp.state_dict())
    _close(nt.weight, np_.weight, 1e-6)
    _close(nt.parametrizations.weight.original0, np_.parametrizations.weight.original0, 1e-6)
    torch.nn.utils.remove_weight_norm(mt)
    nn.utils.remove_weight_norm(mp)
    _close(mt.weight, mp.weight, 1e-6)


@pytest.mark.parametrize("kind,args", [("Linear", (5, 4)), ("Conv2d", (3, 4, 3)), ("ConvTranspose2d", (3, 4, 3))])
def test_old_spectral_norm_matches_torch(torch, kind, args):
    torch.manual_seed(0)
    plugrad.manual_seed(0)
    mt = torch.nn.utils.spectral_norm(getattr(torch.nn, kind)(*args), n_power_iterations=2)
    mp = nn.utils.spectral_norm(getattr(nn, kind)(*args), n_power_iterations=2)
    _close(mt.weight_u, mp.weight_u, 1e-5)
    assert mt.state_dict()._metadata == mp.state_dict()._metadata
    x = _conv_input(kind, args[0])
    for training in (True, True, False):
        mt.train(training)
        mp.train(training)
        yt = mt(torch.tensor(x, dtype=torch.float32))
        yp = mp(plugrad.tensor(x.tolist(), dtype=plugrad.float32))
        yt.sum().backward()
        yp.sum().backward()
        _close(yt, yp, 1e-5)
        _close(mt.weight_v, mp.weight_v, 1e-5)
        _close(mt.weight_orig.grad, mp.weight_orig.grad, 1e-4)
    torch.nn.utils.remove_spectral_norm(mt)
    nn.utils.remove_spectral_norm(mp)
    _close(mt.weight, mp.weight, 1e-5)
    assert list(mt.state_dict()) == list(mp.state_dict())


def test_old_spectral_norm_loads_version_0_state_dicts_as_torch(torch):
    def version0(lib, module):
        module(lib.zeros(1, 3, dtype=lib.float64))
        sd = module.state_dict()
        sd._metadata[""]["spectral_norm"]["weight.version"] = 0
        sd["weight"] = module.weight.detach()
        del sd["weight_v"]
        return sd

    torch.manual_seed(0)
    plugrad.manual_seed(0)
    mt = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 6).double())
    mp = nn.utils.spectral_norm(nn.Linear(3, 6).double())
    sdt, sdp = version0(torch, mt), version0(plugrad, mp)
    lt = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 6).double())
    lp = nn.utils.spectral_norm(nn.Linear(3, 6).double())
    lt.load_state_dict(sdt)
    lp.load_state_dict(sdp)
    _close(lt.weight_v, lp.weight_v, 1e-12)
    del sdt["weight_u"], sdp["weight_u"]
    with pytest.raises(RuntimeError) as expected:
        lt.load_state_dict(sdt)
    with pytest.raises(RuntimeError) as got:
        lp.load_state_dict(sdp)
    assert str(got.value) == str(expected.value)
