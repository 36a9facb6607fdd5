"""Linear algebra: matmul decomposed as PyTorch records it, its primitives, matrix_power (with the
tutorial's A**10 example), trace, diagonals, triangles, tensordot and einsum."""

from __future__ import annotations

import numpy as np
import plugrad
import pytest
from plugrad.autograd import gradcheck, gradgradcheck


def _t(shape, seed=0, requires_grad=True, scale=1.0):
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    return plugrad.tensor(a, dtype=plugrad.float64, requires_grad=requires_grad)


def _np(t):
    return np.asarray(t.detach().tolist(), dtype=np.float64).reshape(tuple(t.shape))


# (shape of a, shape of b, the node PyTorch puts on top of a @ b)
MATMUL = [
    ((4,), (4,), "DotBackward0"),
    ((3, 4), (4,), "MvBackward0"),
    ((4,), (4, 3), "SqueezeBackward4"),
    ((3, 4), (4, 5), "MmBackward0"),
    ((2, 3, 4), (4, 5), "UnsafeViewBackward0"),
    ((2, 3, 4), (4,), "UnsafeViewBackward0"),
    ((4,), (2, 4, 5), "UnsafeViewBackward0"),
    ((2, 3, 4), (2, 4, 5), "UnsafeViewBackward0"),
    ((5, 1, 3, 4), (2, 4, 5), "UnsafeViewBackward0"),
    ((3, 4), (2, 4, 5), "CloneBackward0"),
    ((2, 3, 4), (1, 4, 5), "UnsafeViewBackward0"),
    ((1, 3, 4), (2, 4, 5), "CloneBackward0"),
    ((2, 1, 1, 4), (3, 4, 1), "UnsafeViewBackward0"),
]


@pytest.mark.parametrize("sa, sb, node", MATMUL, ids=[f"{m[0]}@{m[1]}" for m in MATMUL])
def test_matmul_values_nodes_and_gradients(sa, sb, node):
    a, b = _t(sa, 1), _t(sb, 2)
    out = a @ b
    np.testing.assert_allclose(_np(out), _np(a) @ _np(b), rtol=1e-12, atol=1e-12)
    assert tuple(out.shape) == np.matmul(_np(a), _np(b)).shape
    assert type(out.grad_fn).__name__ == node
    assert gradcheck(plugrad.matmul, (a, b))
    assert gradgradcheck(plugrad.matmul, (a, b))


def test_matmul_graphs_below_the_top_match_pytorch():
    x, m = _t((2, 3, 4)), _t((3, 4), 1)
    out = x @ m.t()
    mm = out.grad_fn.next_functions[0][0]
    assert type(mm).__name__ == "MmBackward0"
    assert [type(f).__name__ for f, _ in mm.next_functions] == ["ViewBackward0", "TBackward0"]
    v = _t((4,), 2)
    out = v @ m.t()
    assert type(out.grad_fn.next_functions[0][0]).__name__ == "MmBackward0"
    y = _t((2, 4, 5), 3)
    bmm = (x @ y).grad_fn.next_functions[0][0]
    assert type(bmm).__name__ == "BmmBackward0"
    assert [type(f.next_functions[0][0]).__name__ for f, _ in bmm.next_functions] == ["ExpandBackward0"] * 2


def test_rmatmul_and_matmul_of_plain_tensors():
    a = plugrad.ones(2, 3)
    b = plugrad.ones(3)
    assert (a @ b).tolist() == [3.0, 3.0]
    assert a.__rmatmul__(plugrad.ones(2)).tolist() == [2.0, 2.0, 2.0]
    ints = plugrad.tensor([[1, 2], [3, 4]])
    assert (ints @ ints).tolist() == [[7, 10], [15, 22]] and (ints @ ints).dtype is plugrad.int64


PRIMITIVES = [
    ("mm", lambda a, b: plugrad.mm(a, b), (2, 3), (3, 4), "MmBackward0"),
    ("bmm", lambda a, b: plugrad.bmm(a, b), (2, 2, 3), (2, 3, 1), "BmmBackward0"),
    ("mv", lambda a, b: plugrad.mv(a, b), (2, 3), (3,), "MvBackward0"),
    ("dot", lambda a, b: plugrad.dot(a, b), (3,), (3,), "DotBackward0"),
    ("outer", lambda a, b: plugrad.outer(a, b), (3,), (2,), "MulBackward0"),
    ("inner", lambda a, b: plugrad.inner(a, b), (2, 3), (4, 3), "ViewBackward0"),
    ("tensordot", lambda a, b: plugrad.tensordot(a, b, dims=([1, 2], [0, 1])), (2, 3, 4), (3, 4, 2),
     "ViewBackward0"),
    ("einsum_mm", lambda a, b: plugrad.einsum("ij,jk->ik", a, b), (2, 3), (3, 4), "ViewBackward0"),
    ("einsum_bmm", lambda a, b: plugrad.einsum("bij,bjk->bik", a, b), (2, 2, 3), (2, 3, 4), "ViewBackward0"),
    ("einsum_ellipsis", lambda a, b: plugrad.einsum("...ij,jk", a, b), (2, 2, 3), (3, 4), "ViewBackward0"),
]
_NP_PRIMITIVES = {
    "mm": np.matmul, "bmm": np.matmul, "mv": np.matmul, "dot": np.dot, "outer": np.outer, "inner": np.inner,
    "tensordot": lambda a, b: np.tensordot(a, b, ([1, 2], [0, 1])),
    "einsum_mm": lambda a, b: np.einsum("ij,jk->ik", a, b), "einsum_bmm": lambda a, b: np.einsum("bij,bjk->bik", a, b),
    "einsum_ellipsis": lambda a, b: np.einsum("...ij,jk", a, b),
}


@pytest.mark.parametrize("name, fn, sa, sb, node", PRIMITIVES, ids=[p[0] for p in PRIMITIVES])
def test_linalg_primitives(name, fn, sa, sb, node):
    a, b = _t(sa, 1), _t(sb, 2)
    out = fn(a, b)
    np.testing.assert_allclose(_np(out), _NP_PRIMITIVES[name](_np(a), _np(b)), rtol=1e-12, atol=1e-12)
    assert type(out.grad_fn).__name__ == node
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b))


def test_addmm_records_one_node():
    bias, m1, m2 = _t((4,)), _t((3, 2), 1), _t((2, 4), 2)
    out = plugrad.addmm(bias, m1, m2, beta=0.5, alpha=2.0)
    np.testing.assert_allclose(_np(out), 0.5 * _np(bias) + 2.0 * _np(m1) @ _np(m2), rtol=1e-12)
    assert type(out.grad_fn).__name__ == "AddmmBackward0"
    assert gradcheck(lambda b, x, y: plugrad.addmm(b, x, y, beta=0.5, alpha=2.0), (bias, m1, m2))


@pytest.mark.parametrize("equation, shapes", [
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]), ("i,j->ij", [(3,), (2,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("bij,jk->bik", [(2, 3, 4), (4, 2)]), ("i,i->", [(4,), (4,)]),
    ("bi,bi->b", [(2, 3), (2, 3)]), ("ij,ij->ij", [(2, 3), (1, 3)]),
])
def test_einsum_against_numpy(equation, shapes):
    xs = [_t(s, i) for i, s in enumerate(shapes)]
    out = plugrad.einsum(equation, *xs)
    arrays = [_np(x) for x in xs]
    expected = np.einsum(equation, *[np.broadcast_to(a, shapes[0]) if len(shapes) == 2 and equation == "ij,ij->ij"
                                     else a for a in arrays])
    np.testing.assert_allclose(_np(out), expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda *t: plugrad.einsum(equation, *t), tuple(xs))


# --- matrix_power ---------------------------------------------------------------------------


def test_matrix_power_records_repeated_mm_like_pytorch():
    a = _t((3, 3))
    three = plugrad.matrix_power(a, 3)
    assert type(three.grad_fn).__name__ == "MmBackward0"
    assert [type(f).__name__ for f, _ in three.grad_fn.next_functions] == ["MmBackward0", "AccumulateGrad"]
    assert type(plugrad.matrix_power(a, 2).grad_fn).__name__ == "MmBackward0"
    assert type(plugrad.matrix_power(a, 1).grad_fn).__name__ == "CloneBackward0"
    zero = plugrad.matrix_power(a, 0)
    assert type(zero.grad_fn).__name__ == "CopyBackwards"
    assert [None if f is None else type(f).__name__ for f, _ in zero.grad_fn.next_functions] == [
        "CloneBackward0", None]
    np.testing.assert_array_equal(_np(zero), np.eye(3))
    ten = a.matrix_power(10)
    first, second = (type(f).__name__ for f, _ in ten.grad_fn.next_functions)
    assert (first, second) == ("MmBackward0", "MmBackward0")
    batched = plugrad.matrix_power(_t((2, 3, 3)), 5)
    assert type(batched.grad_fn).__name__ == "UnsafeViewBackward0"


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 10])
def test_matrix_power_values_and_gradients(n):
    a = _t((3, 3), scale=0.5)
    np.testing.assert_allclose(_np(plugrad.matrix_power(a, n)), np.linalg.matrix_power(_np(a), n), rtol=1e-12,
                               atol=1e-12)
    assert gradcheck(lambda t: plugrad.matrix_power(t, n), (a,))
    b = _t((2, 2, 2), 1, scale=0.5)
    np.testing.assert_allclose(_np(plugrad.matrix_power(b, n)), np.linalg.matrix_power(_np(b), n), rtol=1e-12,
                               atol=1e-12)


def test_matrix_power_zero_has_zero_gradient():
    a = _t((3, 3))
    plugrad.matrix_power(a, 0).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), np.zeros((3, 3)))


def test_negative_matrix_power_inverts_with_the_core_inverse():
    a = plugrad.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=plugrad.float64, requires_grad=True)
    np.testing.assert_allclose(_np(plugrad.matrix_power(a, -2)), np.linalg.matrix_power(_np(a), -2), rtol=1e-12)
    assert plugrad.matrix_power(a, -1).grad_fn.name() == "LinalgInvExBackward0"
    assert gradcheck(lambda t: plugrad.matrix_power(t, -3), (a,))


def _finite_difference(f, a, eps=1e-6):
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (f(up) - f(down)) / (2 * eps)
    return grad


def test_gradient_of_sum_of_A_to_the_tenth():
    """The tutorial's question: the gradient of sum(A**10) with respect to A, A**10 as a matrix power."""
    a_np = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [0.7, 0.2, 0.3]])
    A = plugrad.tensor(a_np, dtype=plugrad.float64, requires_grad=True)
    plugrad.matrix_power(A, 10).sum().backward()
    numeric = _finite_difference(lambda m: np.linalg.matrix_power(m, 10).sum(), a_np)
    np.testing.assert_allclose(_np(A.grad), numeric, rtol=1e-6, atol=1e-9)
    # Closed form: sum over k of (A^T)^k 1 1^T (A^T)^(9-k).
    ones = np.ones((3, 3))
    closed = sum(np.linalg.matrix_power(a_np.T, k) @ ones @ np.linalg.matrix_power(a_np.T, 9 - k) for k in range(10))
    np.testing.assert_allclose(_np(A.grad), closed, rtol=1e-10)


def test_A9_as_a_leaf_then_A10_is_A9_at_A():
    """The tutorial's trick: A without grad, A**9 a fresh leaf, A**10 = A**9 @ A, then backward."""
    A = plugrad.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=plugrad.float64)
    A9 = plugrad.matrix_power(A.detach(), 9).requires_grad_()
    assert A9.is_leaf and A9.requires_grad
    A10 = A9 @ A
    assert type(A10.grad_fn).__name__ == "MmBackward0"
    np.testing.assert_allclose(_np(A10), np.linalg.matrix_power(_np(A), 10))
    A10.sum().backward()
    np.testing.assert_allclose(_np(A9.grad), np.ones((2, 2)) @ _np(A).T)
    # Note: A**10 is linear in A9, so a wide step is exact and keeps rounding (A9 is ~1e6) out of the difference.
    numeric = _finite_difference(lambda m: (m @ _np(A)).sum(), _np(A9), eps=0.5)
    np.testing.assert_allclose(_np(A9.grad), numeric, rtol=1e-6)


# --- trace / diagonals / triangles --------------------------------------------------------------


UNARY = [
    ("trace", lambda t: plugrad.trace(t), (3, 4), lambda a: np.trace(a), "TraceBackward0"),
    ("diag_of_matrix", lambda t: plugrad.diag(t, 1), (3, 4), lambda a: np.diag(a, 1), "DiagonalBackward0_copy"),
    ("diag_of_vector", lambda t: plugrad.diag(t, -1), (3,), lambda a: np.diag(a, -1), "DiagEmbedBackward0"),
    ("diagonal", lambda t: t.diagonal(0, 0, 2), (2, 3, 4), lambda a: np.diagonal(a, 0, 0, 2), "DiagonalBackward0"),
    ("diagonal_offset", lambda t: plugrad.diagonal(t, -1), (4, 3), lambda a: np.diagonal(a, -1), "DiagonalBackward0"),
    ("diag_embed", lambda t: plugrad.diag_embed(t), (2, 3), lambda a: np.stack([np.diag(r) for r in a]),
     "DiagEmbedBackward0"),
    ("tril", lambda t: plugrad.tril(t), (3, 4), np.tril, "TrilBackward0"),
    ("triu", lambda t: t.triu(-1), (2, 3, 4), lambda a: np.triu(a, -1), "TriuBackward0"),
]


@pytest.mark.parametrize("name, fn, shape, ref, node", UNARY, ids=[u[0] for u in UNARY])
def test_trace_diagonals_and_triangles(name, fn, shape, ref, node):
    x = _t(shape)
    out = fn(x)
    np.testing.assert_allclose(_np(out), ref(_np(x)), rtol=1e-12, atol=1e-12)
    assert type(out.grad_fn).__name__ == node
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_trace_of_integers_is_int64():
    assert plugrad.trace(plugrad.tensor([[1, 2], [3, 4]], dtype=plugrad.int32)).dtype is plugrad.int64


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, message, exc", [
    (lambda: plugrad.mm(plugrad.ones(3, 4), plugrad.ones(3, 4)),
     "mat1 and mat2 shapes cannot be multiplied (3x4 and 3x4)", RuntimeError),
    (lambda: plugrad.ones(2, 3) @ plugrad.ones(4, 5), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
     RuntimeError),
    (lambda: plugrad.mm(plugrad.ones(4), plugrad.ones(4, 4)), "self must be a matrix", RuntimeError),
    (lambda: plugrad.mm(plugrad.ones(3, 4), plugrad.ones(4, 3, dtype=plugrad.float64)),
     "expected m1 and m2 to have the same dtype, but got: float != double", RuntimeError),
    (lambda: plugrad.mm(plugrad.ones(3, 4), plugrad.ones(4, 3, dtype=plugrad.int64)),
     "expected m1 and m2 to have the same dtype, but got: float != long int", RuntimeError),
    (lambda: plugrad.bmm(plugrad.ones(3, 4), plugrad.ones(3, 4)), "batch1 must be a 3D tensor", RuntimeError),
    (lambda: plugrad.bmm(plugrad.ones(2, 3, 4), plugrad.ones(2, 3, 4)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 3].", RuntimeError),
    (lambda: plugrad.mv(plugrad.ones(3, 4), plugrad.ones(3)), "size mismatch, got input (3), mat (3x4), vec (3)",
     RuntimeError),
    (lambda: plugrad.mv(plugrad.ones(3, 4), plugrad.ones(3, 4)), "vector + matrix @ vector expected, got 1, 2, 2",
     RuntimeError),
    (lambda: plugrad.dot(plugrad.ones(4), plugrad.ones(3)), "inconsistent tensor size, expected tensor [4] and src "
     "[3] to have the same number of elements, but got 4 and 3 elements respectively", RuntimeError),
    (lambda: plugrad.dot(plugrad.ones(2, 2), plugrad.ones(2, 2)), "1D tensors expected, but got 2D and 2D tensors",
     RuntimeError),
    (lambda: plugrad.dot(plugrad.ones(2), plugrad.ones(2, dtype=plugrad.float64)),
     "dot : expected both vectors to have same dtype, but found Float and Double", RuntimeError),
    (lambda: plugrad.matmul(plugrad.tensor(1.0), plugrad.ones(2)),
     "both arguments to matmul need to be at least 1D, but they are 0D and 1D", RuntimeError),
    (lambda: plugrad.ones(2, 3, 4) @ plugrad.ones(5, 5, 3),
     "The size of tensor a (2) must match the size of tensor b (5) at non-singleton dimension 0", RuntimeError),
    (lambda: plugrad.ones(2, 3, 4) @ plugrad.ones(2, 4, 5, dtype=plugrad.float64),
     "expected scalar type Float but found Double", RuntimeError),
    (lambda: plugrad.matrix_power(plugrad.ones(3, 4), 2),
     "linalg.matrix_power: A must be batches of square matrices, but they are 3 by 4 matrices", RuntimeError),
    (lambda: plugrad.matrix_power(plugrad.ones(3), 2),
     "linalg.matrix_power: The input tensor A must have at least 2 dimensions.", RuntimeError),
    (lambda: plugrad.outer(plugrad.ones(3, 4), plugrad.ones(4)), "outer: Expected 1-D argument self, but got 2-D",
     RuntimeError),
    (lambda: plugrad.trace(plugrad.ones(2, 3, 4)), "trace: expected a matrix, but got tensor with dim 3",
     RuntimeError),
    (lambda: plugrad.diag(plugrad.ones(2, 3, 4)), "diag(): Supports 1D or 2D tensors. Got 3D", RuntimeError),
    (lambda: plugrad.tril(plugrad.ones(4)), "tril: input tensor must have at least 2 dimensions", RuntimeError),
    (lambda: plugrad.tensordot(plugrad.ones(2, 3), plugrad.ones(4, 3), dims=([1], [0])),
     "contracted dimensions need to match, but first has size 3 in dim 1 and second has size 4 in dim 0",
     RuntimeError),
    (lambda: plugrad.mm(plugrad.ones(2, 2, dtype=plugrad.bool), plugrad.ones(2, 2, dtype=plugrad.bool)),
     "\"addmm_impl_cpu_\" not implemented for 'Bool'", NotImplementedError),
])
def test_linalg_errors_match_pytorch(call, message, exc):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


# --- differential against PyTorch ----------------------------------------------------------------


DIFFERENTIAL = [
    ("(x @ y).tanh() @ y.mT", [(2, 3, 4), (2, 4, 4)]),
    ("torch.matrix_power(x, 6) + torch.matrix_power(x, 3)", [(3, 3)]),
    ("torch.trace(x @ x.t()) * torch.diag(x)", [(3, 3)]),
    ("torch.outer(x[0], y[:, 1]) @ torch.tril(y)", [(2, 3), (3, 3)]),
    ("torch.einsum('bij,bjk->bik', x, y).triu()", [(2, 3, 4), (2, 4, 3)]),
    ("torch.tensordot(x, y, dims=2)", [(2, 3, 4), (3, 4, 2)]),
    ("x @ y", [(4,), (3, 4, 2)]),
    ("x @ y", [(2, 1, 3, 4), (5, 4, 1)]),
]


@pytest.mark.parametrize("expr, shapes", DIFFERENTIAL, ids=[f"{d[0]}-{d[1]}" for d in DIFFERENTIAL])
def test_linalg_expressions_match_pytorch(expr, shapes):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    arrays = [rng.standard_normal(s) * 0.6 for s in shapes]
    results = {}
    for name, lib in (("torch", torch), ("plugrad", plugrad)):
        xs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
        out = eval(expr, {"torch": lib, "x": xs[0], "y": xs[1] if len(xs) > 1 else None})
        w = lib.tensor(np.cos(np.arange(out.numel()) + 0.5).reshape(tuple(out.shape)), dtype=lib.float64)
        (out * w).sum().backward()
        results[name] = (np.asarray(out.detach().tolist()), [np.asarray(t.grad.tolist()) for t in xs],
                         type(out.grad_fn).__name__)
    t, p = results["torch"], results["plugrad"]
    np.testing.assert_allclose(p[0], t[0], rtol=1e-10, atol=1e-12)
    for gp, gt in zip(p[1], t[1]):
        np.testing.assert_allclose(gp, gt, rtol=1e-10, atol=1e-12)
    assert p[2] == t[2]
