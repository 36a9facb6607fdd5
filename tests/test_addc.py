"""addcmul / addcdiv against PyTorch: values, gradients, broadcasting, type promotion, errors, and the
in-place methods (addcmul_, addcdiv_, lerp_, sqrt_) that write straight into the array when nothing is recorded."""

from __future__ import annotations

import numpy as np
import plugrad
import pytest
from _devices import to_numpy

torch = pytest.importorskip("torch", reason="PyTorch is the reference for addcmul / addcdiv")

FNS = ("addcmul", "addcdiv")
SHAPES = [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)), ((4,), (3, 1), (2, 1, 1)), ((), (), ()),
          ((2, 3), (), (3,)), ((0, 3), (3,), (0, 1))]


def _arrays(shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x, t1, t2 = (rng.uniform(-1, 1, s).astype(dtype) for s in shapes)
    t2 = (np.sign(t2) + (t2 == 0)) * (0.5 + np.abs(t2))  # away from zero: addcdiv divides by it
    return x, t1, t2


def _both(arrays, requires_grad=False):
    mine = [plugrad.tensor(a, requires_grad=requires_grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return mine, theirs


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("value", [1, 0.5, -2.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_shapes_match_torch(fn, shapes, value, dtype):
    (x, t1, t2), (tx, tt1, tt2) = _both(_arrays(shapes, dtype))
    got = getattr(plugrad, fn)(x, t1, t2, value=value)
    want = getattr(torch, fn)(tx, tt1, tt2, value=value)
    assert tuple(got.shape) == tuple(want.shape) and got.dtype.name == str(want.dtype).removeprefix("torch.")
    np.testing.assert_allclose(to_numpy(got), want.numpy(), rtol=1e-6 if dtype == np.float32 else 1e-15,
                               atol=1e-6 if dtype == np.float32 else 1e-15)
    method = getattr(x, fn)(t1, t2, value=value)  # the Tensor method is the function
    np.testing.assert_array_equal(to_numpy(method), to_numpy(got))


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("shapes", SHAPES[:5], ids=str)
def test_gradients_match_torch_and_keep_input_shapes(fn, shapes):
    (x, t1, t2), (tx, tt1, tt2) = _both(_arrays(shapes), requires_grad=True)
    out = getattr(plugrad, fn)(x, t1, t2, value=-1.5)
    tout = getattr(torch, fn)(tx, tt1, tt2, value=-1.5)
    assert type(out.grad_fn).__name__ == type(tout.grad_fn).__name__ == fn.capitalize() + "Backward0"
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    grads = plugrad.autograd.grad(out, (x, t1, t2), plugrad.tensor(g), create_graph=True)
    tgrads = torch.autograd.grad(tout, (tx, tt1, tt2), torch.tensor(g), create_graph=True)
    for a, b, src in zip(grads, tgrads, (x, t1, t2)):
        assert tuple(a.shape) == tuple(src.shape)
        np.testing.assert_allclose(to_numpy(a.detach()), b.detach().numpy(), rtol=1e-13, atol=1e-14)
    # second order: the rules are plugrad ops, so they differentiate again
    second = plugrad.autograd.grad(sum((gr * gr).sum() for gr in grads[1:]), (x, t1, t2), allow_unused=True)
    tsecond = torch.autograd.grad(sum((gr * gr).sum() for gr in tgrads[1:]), (tx, tt1, tt2), allow_unused=True)
    for a, b in zip(second, tsecond):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(to_numpy(a), b.numpy(), rtol=1e-12, atol=1e-13)


def test_gradients_flow_only_to_inputs_that_require_them():
    (x, t1, t2), _ = _both(_arrays(SHAPES[1]))
    t2.requires_grad_()
    out = plugrad.addcdiv(x, t1, t2, value=3)
    out.sum().backward()
    assert x.grad is None and t1.grad is None
    want = -3 * to_numpy(t1) / to_numpy(t2) ** 2
    np.testing.assert_allclose(to_numpy(t2.grad), want.sum(axis=1, keepdims=True), rtol=1e-13)


DTYPE_CASES = [
    ("addcmul", ("int64", "int64", "int64"), 2),
    ("addcmul", ("int64", "int64", "int64"), 1.5),
    ("addcmul", ("int64", "int64", "int64"), -1.5),
    ("addcmul", ("int64", "int64", "int64"), True),
    ("addcmul", ("int64", "float32", "int64"), 1),
    ("addcmul", ("float32", "int64", "int64"), 0.5),
    ("addcmul", ("int64", "float64", "float32"), 1),
    ("addcmul", ("float32", "float64", "float64"), 2),
    ("addcmul", ("uint8", "int8", "int64"), 1),
    ("addcmul", ("bool", "float32", "float32"), 1),
    ("addcdiv", ("int64", "float32", "int64"), 1),
    ("addcdiv", ("float32", "int64", "float64"), 0.5),
    ("addcdiv", ("float64", "float32", "float32"), 2),
]


@pytest.mark.parametrize("fn,dtypes,value", DTYPE_CASES, ids=str)
def test_type_promotion_matches_torch(fn, dtypes, value):
    shapes = ((3,), (3,), (3,)) if dtypes[0] != "float64" else ((3,), (), ())  # a 0-d operand does not win
    arrays = [np.asarray(np.arange(1, 1 + int(np.prod(s))).reshape(s) + i, dtype=d)
              for i, (s, d) in enumerate(zip(shapes, dtypes))]
    (x, t1, t2), (tx, tt1, tt2) = _both(arrays)
    got = getattr(plugrad, fn)(x, t1, t2, value=value)
    want = getattr(torch, fn)(tx, tt1, tt2, value=value)
    assert got.dtype.name == str(want.dtype).removeprefix("torch.")
    np.testing.assert_allclose(to_numpy(got), want.numpy(), rtol=1e-6)


def test_a_zero_dim_tensor_value_counts_as_a_number():
    (x, t1, t2), (tx, tt1, tt2) = _both(_arrays(SHAPES[0]))
    got = plugrad.addcmul(x, t1, t2, value=plugrad.tensor(-0.25, dtype=plugrad.float64))
    want = torch.addcmul(tx, tt1, tt2, value=torch.tensor(-0.25, dtype=torch.float64))
    np.testing.assert_allclose(to_numpy(got), want.numpy(), rtol=1e-15, atol=1e-15)


def _errors(call):
    """The exception type and message of ``call(plugrad)`` and of ``call(torch)``."""
    out = []
    for lib in (plugrad, torch):
        with pytest.raises(Exception) as info:
            call(lib)
        out.append((info.type, str(info.value)))
    return out


def _same_error(call, prefix_only=True):
    (mine_t, mine), (theirs_t, theirs) = _errors(call)
    # Note: PyTorch's "not implemented for 'Bool'" is a NotImplementedError, plugrad's the RuntimeError it derives from.
    assert issubclass(mine_t, RuntimeError if theirs_t is NotImplementedError else theirs_t)
    if prefix_only:
        assert mine.startswith(theirs), (mine, theirs)
    else:
        assert mine == theirs


def _ints(lib):
    return lib.tensor([1, 2, 3])


def _floats(lib, n=3):
    return lib.ones(n)


@pytest.mark.parametrize("call", [
    lambda lib: lib.addcdiv(_ints(lib), _ints(lib), _ints(lib)),
    lambda lib: lib.addcdiv(_floats(lib), _ints(lib), lib.tensor([True, False, True])),
    lambda lib: lib.addcmul(lib.tensor([True]), lib.tensor([True]), lib.tensor([False])),
    lambda lib: lib.addcmul(_floats(lib), _floats(lib), 2.0),
    lambda lib: lib.addcmul(_floats(lib), 2.0, _floats(lib)),
    lambda lib: lib.addcdiv(2.0, _floats(lib), _floats(lib)),
    lambda lib: lib.addcmul(_floats(lib), _floats(lib), _floats(lib), value=None),
    lambda lib: lib.addcmul(_floats(lib), _floats(lib), _floats(lib), value="2"),
    lambda lib: lib.addcmul(_floats(lib), _floats(lib), _floats(lib), value=lib.tensor([2.0])),
    lambda lib: lib.addcmul(_floats(lib), _floats(lib), _floats(lib), value=1j),
    lambda lib: lib.addcmul(_floats(lib), _floats(lib), _floats(lib), value=1e300),
    lambda lib: lib.addcmul(_floats(lib).double(), _floats(lib), _floats(lib), value=1j),
    lambda lib: lib.addcmul(_ints(lib), _ints(lib), _ints(lib), value=float("nan")),
    lambda lib: lib.addcmul(_ints(lib).to(lib.int8), _ints(lib).to(lib.int8), _ints(lib).to(lib.int8), value=300),
    lambda lib: lib.addcmul(_ints(lib), _ints(lib), _ints(lib), value=2 ** 70),
    lambda lib: lib.addcmul(_floats(lib), _floats(lib), _floats(lib, 4)),
    lambda lib: lib.addcdiv(_floats(lib, 2), _floats(lib), _floats(lib)),
    lambda lib: _ints(lib).addcmul_(_floats(lib), _floats(lib)),
    lambda lib: _floats(lib).addcmul_(lib.ones(2, 3), lib.ones(3)),
    lambda lib: _floats(lib).addcdiv_(2.0, _floats(lib)),
    lambda lib: _floats(lib).addcmul_(_floats(lib), 2.0),
    lambda lib: lib.ones(3, requires_grad=True).addcmul_(_floats(lib), _floats(lib)),
], ids=lambda f: "call")
def test_errors_match_torch(call):
    _same_error(call)


def test_integer_addcdiv_error_is_torchs_word_for_word():
    _same_error(lambda lib: lib.addcdiv(_ints(lib), _ints(lib), _ints(lib)), prefix_only=False)


# --- the in-place methods ---------------------------------------------------------------------------------


def _inplace_cases():
    return [
        ("addcmul_", lambda t, a, b: t.addcmul_(a, b), lambda t, a, b: plugrad.addcmul(t, a, b)),
        ("addcmul_value", lambda t, a, b: t.addcmul_(a, b, value=-0.3), lambda t, a, b: plugrad.addcmul(t, a, b, value=-0.3)),
        ("addcdiv_", lambda t, a, b: t.addcdiv_(a, b), lambda t, a, b: plugrad.addcdiv(t, a, b)),
        ("addcdiv_value", lambda t, a, b: t.addcdiv_(a, b, value=2.5), lambda t, a, b: plugrad.addcdiv(t, a, b, value=2.5)),
        ("lerp_small", lambda t, a, b: t.lerp_(a, 0.1), lambda t, a, b: plugrad.lerp(t, a, 0.1)),
        ("lerp_large", lambda t, a, b: t.lerp_(a, 0.75), lambda t, a, b: plugrad.lerp(t, a, 0.75)),
        ("lerp_negative", lambda t, a, b: t.lerp_(a, -1.5), lambda t, a, b: plugrad.lerp(t, a, -1.5)),
        ("sqrt_", lambda t, a, b: t.abs_().sqrt_(), lambda t, a, b: plugrad.sqrt(t.abs())),
    ]


@pytest.mark.parametrize("case", _inplace_cases(), ids=lambda c: c[0])
@pytest.mark.parametrize("shape", [(4, 5), (), (0,)], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inplace_writes_into_the_array_with_the_out_of_place_bits(case, shape, dtype):
    _, inplace, out_of_place = case
    x, t1, t2 = (plugrad.tensor(a) for a in _arrays((shape,) * 3, dtype))
    want = to_numpy(out_of_place(x.clone(), t1, t2))
    data, version = x._data, x._version
    res = inplace(x, t1, t2)
    assert res is x and x._data is data
    assert x._version == version + (2 if case[0] == "sqrt_" else 1)  # abs_ and sqrt_: one bump each
    np.testing.assert_array_equal(to_numpy(x), want)


@pytest.mark.parametrize("case", _inplace_cases(), ids=lambda c: c[0])
def test_inplace_under_no_grad_on_tensors_that_require_grad(case):
    _, inplace, out_of_place = case
    arrays = _arrays(((3, 2),) * 3)
    x, t1, t2 = (plugrad.tensor(a, requires_grad=True) for a in arrays)
    with plugrad.no_grad():
        want = to_numpy(out_of_place(x.clone(), t1, t2))
        y = x.clone()
        inplace(y, t1, t2)
        assert y.grad_fn is None
        inplace(x, t1, t2)  # a leaf that requires grad may be updated under no_grad (the optimizers)
    assert x.is_leaf and x.requires_grad
    np.testing.assert_array_equal(to_numpy(y), want)
    np.testing.assert_array_equal(to_numpy(x), want)


@pytest.mark.parametrize("fn", FNS)
def test_inplace_records_when_an_operand_requires_grad(fn):
    arrays = _arrays(((3, 4), (4,), (3, 1)))
    (x, t1, t2), (tx, tt1, tt2) = _both(arrays)
    t1.requires_grad_()
    tt1.requires_grad_()
    y, ty = x.clone(), tx.clone()
    getattr(y, fn + "_")(t1, t2, value=0.5)
    getattr(ty, fn + "_")(tt1, tt2, value=0.5)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(to_numpy(t1.grad), tt1.grad.numpy(), rtol=1e-13)


@pytest.mark.parametrize("fn", FNS)
def test_inplace_broadcasts_and_promotes_operands_like_torch(fn):
    arrays = list(_arrays(((2, 3), (3,), (2, 1))))
    arrays[1] = arrays[1].astype(np.float64)
    x32, t1, t2 = (plugrad.tensor(a) for a in arrays)
    tx32, tt1, tt2 = (torch.tensor(a) for a in arrays)
    x32, tx32 = x32.float(), tx32.float()
    getattr(x32, fn + "_")(t1, t2, value=-1)
    getattr(tx32, fn + "_")(tt1, tt2, value=-1)
    assert x32.dtype == plugrad.float32
    np.testing.assert_allclose(to_numpy(x32), tx32.numpy(), rtol=1e-6)


def test_inplace_lerp_and_sqrt_errors_match_torch():
    _same_error(lambda lib: _ints(lib).sqrt_())
    _same_error(lambda lib: lib.ones(2, requires_grad=True).lerp_(lib.zeros(2), 0.5))
