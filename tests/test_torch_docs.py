"""PyTorch's documented behaviour, checked live against PyTorch.

Each snippet below is code as PyTorch's documentation and tutorials write it (the Autograd mechanics and
Extending PyTorch notes, the ``torch.autograd`` docstrings, tensor basics). It runs twice, with ``torch``
bound to PyTorch and to plugrad, and what it prints must be the same: values, shapes, dtypes, node names,
printed forms, warnings, and the type and text of the error it ends with. Only object addresses, the module
prefix of class names (``torch.`` for ``plugrad.``) and the note PyTorch appends to some messages ("Triggered
internally at ...") are set aside.

Skipped with a reason when torch is not installed; torch is a reference here, never a dependency.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
import warnings

import numpy as np
import plugrad
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")

_RECORDED_WARNINGS = (UserWarning, DeprecationWarning, FutureWarning)


def _run(src: str, mod) -> str:
    """What ``src`` prints with ``torch`` bound to ``mod``: stdout, warnings, and the error it stops at."""
    if mod is plugrad:
        import plugrad.nn as nn
        import plugrad.nn.functional as F  # noqa: N812

        src = src.replace("from torch", "from plugrad").replace("import torch.", "import plugrad.")
    else:
        import torch.nn as nn
        import torch.nn.functional as F  # noqa: N812
    scope = {"torch": mod, "nn": nn, "F": F, "np": np, "__name__": "__snippet__"}
    buf = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buf):
        warnings.simplefilter("always")
        try:
            exec(textwrap.dedent(src), scope)  # noqa: S102 - the snippets are this file's own code
        except Exception as exc:  # noqa: BLE001 - the error is part of what is compared
            print(f"!! {type(exc).__name__}: {exc}")
    for w in caught:
        if type(w.message) in _RECORDED_WARNINGS:
            buf.write(f"[{type(w.message).__name__}: {w.message}]\n")
    out = re.sub(r"0x[0-9a-f]+", "0xADDR", buf.getvalue())
    out = re.sub(r" \(Triggered internally at [^)]*\)", "", out)
    return out.replace("plugrad.", "torch.")


@pytest.fixture
def cpu_default(backend_name: str):
    """Run on the backend under test when it is a CPU one (PyTorch runs on the CPU); else on NumPy."""
    from plugrad import backend as _backend

    b = _backend.get_backend(backend_name)
    with plugrad.default_backend(b if b.device_type == "cpu" else "numpy"):
        yield


def _check(src: str) -> None:
    expected = _run(src, torch)
    torch.manual_seed(0)
    plugrad.manual_seed(0)
    assert _run(src, plugrad) == expected


# backward, autograd.grad, grad modes, in-place checks (the Autograd mechanics notes)
AUTOGRAD: dict[str, str] = {
    "scalar_basics": """
a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(3.0, requires_grad=True)
print(a, a.is_leaf, a.grad, a.requires_grad)
c = a*b
print(c, c.is_leaf, c.grad_fn)
c.backward()
print(a.grad, b.grad)
d = torch.tensor(4.0, requires_grad=True)
e = c*d
e.backward()
print(c.grad)
""",
    "second_backward_error": """
a = torch.tensor(2.0, requires_grad=True)
c = a*a
c.backward()
c.backward()
""",
    "second_backward_retain": """
a = torch.tensor(2.0, requires_grad=True)
c = a.exp()
c.backward(retain_graph=True)
c.backward()
print(a.grad)
""",
    "backward_nonscalar": """
x = torch.ones(3, requires_grad=True)
y = x * 2
y.backward()
""",
    "backward_nonscalar_grad_arg": """
x = torch.ones(3, requires_grad=True)
y = x * 2
y.backward(torch.tensor([0.1, 1.0, 0.0001]))
print(x.grad)
""",
    "backward_no_grad": """
x = torch.ones(3)
y = (x * 2).sum()
y.backward()
""",
    "grad_basic": """
x = torch.tensor([1., 2., 3.], requires_grad=True)
y = (x ** 2).sum()
g, = torch.autograd.grad(y, x)
print(g)
g = torch.autograd.grad(y, [x], create_graph=True)
print(g)
""",
    "grad_unused": """
x = torch.tensor([1., 2., 3.], requires_grad=True)
z = torch.tensor([1., 2., 3.], requires_grad=True)
y = (x ** 2).sum()
print(torch.autograd.grad(y, [x, z], allow_unused=True))
y = (x ** 2).sum()
torch.autograd.grad(y, [x, z])
""",
    "grad_nonscalar": """
x = torch.tensor([1., 2., 3.], requires_grad=True)
torch.autograd.grad(x*2, x)
""",
    "grad_materialize": """
x = torch.tensor([1., 2., 3.], requires_grad=True)
z = torch.tensor([1., 2., 3.], requires_grad=True)
print(torch.autograd.grad((x*2).sum(), [x, z], materialize_grads=True))
""",
    "grad_fn_repr_and_next_functions": """
x = torch.ones(2, 2, requires_grad=True)
y = x + 2
print(y)
print(y.grad_fn)
print(y.grad_fn.next_functions)
print(y.grad_fn.next_functions[0][0].variable is x)
z = y * y * 3
out = z.mean()
print(z, out)
out.backward()
print(x.grad)
print(type(out.grad_fn).__name__, out.grad_fn.name())
""",
    "requires_grad_inplace_tutorial": """
a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)
""",
    "no_grad": """
x = torch.tensor([1.], requires_grad=True)
with torch.no_grad():
    y = x * 2
print(y.requires_grad)
@torch.no_grad()
def doubler(x):
    return x * 2
z = doubler(x)
print(z.requires_grad)
@torch.no_grad
def tripler(x):
    return x * 3
z = tripler(x)
print(z.requires_grad)
with torch.no_grad():
    a = torch.nn.Parameter(torch.rand(10))
print(a.requires_grad)
""",
    "enable_grad": """
x = torch.tensor([1.], requires_grad=True)
with torch.no_grad():
    with torch.enable_grad():
        y = x * 2
print(y.requires_grad)
y.backward()
print(x.grad)
@torch.enable_grad()
def doubler(x):
    return x * 2
with torch.no_grad():
    z = doubler(x)
print(z.requires_grad)
""",
    "set_grad_enabled": """
x = torch.tensor([1.], requires_grad=True)
is_train = False
with torch.set_grad_enabled(is_train):
    y = x * 2
print(y.requires_grad)
_ = torch.set_grad_enabled(True)
y = x * 2
print(y.requires_grad)
_ = torch.set_grad_enabled(False)
y = x * 2
print(y.requires_grad)
torch.set_grad_enabled(True)
print(torch.is_grad_enabled())
""",
    "is_grad_enabled": """
print(torch.is_grad_enabled())
with torch.no_grad():
    print(torch.is_grad_enabled())
print(torch.is_grad_enabled())
""",
    "inplace_correctness": """
a = torch.tensor([1., 2., 3.], requires_grad=True)
b = a.exp()
b.add_(1)
b.sum().backward()
""",
    "inplace_correctness_sigmoid": """
a = torch.randn(3, requires_grad=True)
b = a.sigmoid()
c = b * 2
b.mul_(2)
c.sum().backward()
print("ok")
""",
    "inplace_correctness_sigmoid_err": """
a = torch.randn(3, requires_grad=True)
b = a.sigmoid()
b.mul_(2)
b.sum().backward()
print("ok2")
""",
    "inplace_err_mul": """
a = torch.ones(2,3, requires_grad=True)
b = a * 2
c = b * b
b.add_(1)
c.sum().backward()
""",
    "inplace_err_double": """
a = torch.ones(2,3, requires_grad=True, dtype=torch.float64)
b = a.sin()
b += 1
b.sum().backward()
""",
    "leaf_inplace": """
a = torch.ones(3, requires_grad=True)
a.add_(1)
""",
    "leaf_inplace_op": """
a = torch.ones(3, requires_grad=True)
a += 1
""",
    "leaf_setitem": """
a = torch.ones(3, requires_grad=True)
a[0] = 2
""",
    "leaf_view_inplace": """
a = torch.ones(3, requires_grad=True)
a[0:2].add_(1)
""",
    "leaf_inplace_no_grad_ok": """
a = torch.ones(3, requires_grad=True)
with torch.no_grad():
    a.add_(1)
    a -= 0.5
    a[0] = 7
print(a)
""",
    "node_hooks": """
x = torch.ones(2, requires_grad=True)
y = x * 2
z = y.sum()
def post(grad_inputs, grad_outputs):
    print("post", grad_inputs, grad_outputs)
def pre(grad_outputs):
    print("pre", grad_outputs)
h1 = y.grad_fn.register_hook(post)
h2 = y.grad_fn.register_prehook(pre)
z.backward()
print(x.grad)
print(y.grad_fn.name(), z.grad_fn.name(), y.grad_fn.next_functions[0][0].name())
print(y.grad_fn.metadata)
""",
    "node_hook_replace": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.grad_fn.register_hook(lambda gi, go: (gi[0] * 10, None))
y.sum().backward()
print(x.grad)
""",
    "accumulate_grad_node": """
x = torch.ones(2, requires_grad=True)
y = x * 2
acc = y.grad_fn.next_functions[0][0]
print(acc, type(acc).__name__, acc.variable is x, acc.name())
""",
    "retain_graph_partial": """
x = torch.tensor([1., 2.], requires_grad=True)
y = x.exp()
z = y * 2
w = y * 3
z.sum().backward(retain_graph=True)
w.sum().backward()
print(x.grad)
z.sum().backward()
""",
    "backward_twice_grad": """
x = torch.tensor([1., 2.], requires_grad=True)
y = (x ** 2).sum()
torch.autograd.grad(y, x)
torch.autograd.grad(y, x)
""",
    "second_backward_add_ok_no_saved": """
x = torch.tensor([1., 2.], requires_grad=True)
y = (x + 2).sum()
y.backward()
y.backward()
print(x.grad)
""",
    "requires_grad_propagation": """
x = torch.randn(5, 5)
y = torch.randn(5, 5)
z = torch.randn((5, 5), requires_grad=True)
a = x + y
print(a.requires_grad)
b = x + z
print(b.requires_grad)
""",
    "leaf_and_no_grad": """
x = torch.ones(2, requires_grad=True)
with torch.no_grad():
    y = x * 2
print(y.requires_grad, y.is_leaf, y.grad_fn)
y.backward(torch.ones(2))
""",
    "finetune_freeze": """
model = nn.Linear(3, 2)
for p in model.parameters():
    p.requires_grad = False
model.weight.requires_grad_(True)
out = model(torch.ones(1, 3)).sum()
out.backward()
print(model.weight.grad, model.bias.grad)
""",
    "clone_grad": """
x = torch.ones(2, requires_grad=True)
y = x.clone()
print(y, y.is_leaf)
y.sum().backward()
print(x.grad)
""",
    "torch_no_grad_nested_function": """
x = torch.ones(2, requires_grad=True)
def f(x):
    with torch.no_grad():
        return x * 2
print(f(x).requires_grad)
""",
    "set_grad_enabled_decorator": """
x = torch.ones(2, requires_grad=True)
@torch.set_grad_enabled(False)
def f(x):
    return x * 2
print(f(x).requires_grad, torch.is_grad_enabled())
""",
    "inplace_on_nonleaf_ok": """
x = torch.ones(3, requires_grad=True)
y = x * 2
y.add_(1)
print(y, y.grad_fn)
y.sum().backward()
print(x.grad)
""",
    "inplace_relu": """
x = torch.tensor([-1., 2.], requires_grad=True)
y = x * 1
y.relu_()
print(y)
y.sum().backward()
print(x.grad)
""",
    "inplace_setitem_nonleaf": """
x = torch.ones(3, requires_grad=True)
y = x * 2
y[0] = 0
print(y, y.grad_fn)
y.sum().backward()
print(x.grad)
""",
    "inplace_view_of_nonleaf": """
x = torch.ones(2, 3, requires_grad=True)
y = x * 1
y[:, 0].mul_(5)
print(y, y.grad_fn)
y.sum().backward()
print(x.grad)
""",
    "version_counter": """
x = torch.ones(3)
print(x._version)
x.add_(1)
print(x._version)
x[0] = 5
print(x._version)
y = x[1:]
y.mul_(2)
print(x._version, y._version)
""",
    "zero_grad_style": """
x = torch.ones(2, requires_grad=True)
(x * 2).sum().backward()
x.grad.zero_()
(x * 3).sum().backward()
print(x.grad)
""",
    "grad_of_int_output": """
x = torch.ones(2, requires_grad=True)
y = (x > 0).sum()
print(y.requires_grad)
y.backward()
""",
    "backward_on_int_scalar_requires_grad": """
x = torch.tensor(2., requires_grad=True)
y = x.long()
print(y, y.requires_grad)
""",
    "grad_with_grad_outputs": """
x = torch.tensor([1., 2., 3.], requires_grad=True)
y = x * x
print(torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y)))
print(torch.autograd.grad([y.sum(), (x*3).sum()], x))
""",
    "grad_retain_then_backward": """
x = torch.tensor([1., 2., 3.], requires_grad=True)
y = (x * x).sum()
g, = torch.autograd.grad(y, x, retain_graph=True)
y.backward()
print(g, x.grad)
""",
    "backward_scalar_gradient_number": """
x = torch.tensor(3., requires_grad=True)
(x * 2).backward(torch.tensor(2.))
print(x.grad)
""",
    "grad_fn_of_leaf_none": """
x = torch.ones(2, requires_grad=True)
print(x.grad_fn, x.is_leaf, torch.ones(2).is_leaf, (torch.ones(2) * 2).is_leaf)
""",
    "requires_grad_on_nonleaf_via_op_not_requiring": """
x = torch.ones(2)
y = x * 2
y.requires_grad_()
print(y.is_leaf, y.requires_grad, y.grad_fn)
y.sum().backward()
print(y.grad)
""",
}

# custom autograd.Function (the Extending PyTorch notes and the Function docstrings)
FUNCTION: dict[str, str] = {
    "function_exp": """
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result
    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output * result
x = torch.tensor([0., 1.], requires_grad=True)
output = Exp.apply(x)
print(output)
print(output.grad_fn, type(output.grad_fn).__name__)
output.sum().backward()
print(x.grad)
""",
    "function_linear": """
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(input, weight, bias):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output
    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)
    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        seen.append(ctx.needs_input_grad)
        return grad_input, grad_weight, grad_bias
seen = []
inp = torch.randn(4, 3, dtype=torch.double, requires_grad=True)
w = torch.randn(5, 3, dtype=torch.double, requires_grad=True)
b = torch.randn(5, dtype=torch.double, requires_grad=False)
out = LinearFunction.apply(inp, w, b)
out.sum().backward()
print(inp.grad.shape, w.grad.shape, b.grad, seen[0])
print(torch.autograd.gradcheck(LinearFunction.apply, (inp, w, b), eps=1e-6, atol=1e-4))
""",
    "function_mulconstant": """
class MulConstant(torch.autograd.Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant
    @staticmethod
    def setup_context(ctx, inputs, output):
        tensor, constant = inputs
        ctx.constant = constant
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None
x = torch.ones(3, requires_grad=True)
y = MulConstant.apply(x, 5.5)
y.sum().backward()
print(x.grad, y.grad_fn)
""",
    "function_mark_non_differentiable": """
class Func(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        sorted, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(x, idx)
        return sorted, idx
    @staticmethod
    def backward(ctx, g1, g2):
        x, idx = ctx.saved_tensors
        grad_input = torch.zeros_like(x)
        grad_input.index_add_(0, idx, g1)
        return grad_input
x = torch.tensor([3., 1., 2.], requires_grad=True)
a, b = Func.apply(x)
print(a, b, b.requires_grad)
a.sum().backward()
print(x.grad)
""",
    "function_set_materialize_grads": """
class SimpleFunc(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone(), x.clone()
    @staticmethod
    def backward(ctx, g1, g2):
        print(g1, g2)
        return g1 + g2
a = torch.tensor(1., requires_grad=True)
b, _ = SimpleFunc.apply(a)
b.backward()
print(a.grad)
class Func(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x)
        return x.clone(), x.clone()
    @staticmethod
    def backward(ctx, g1, g2):
        x, = ctx.saved_tensors
        print(g1, g2)
        grad_input = torch.zeros_like(x)
        if g1 is not None:
            grad_input += g1
        if g2 is not None:
            grad_input += g2
        return grad_input
a = torch.tensor(1., requires_grad=True)
b, _ = Func.apply(a)
b.backward()
print(a.grad)
""",
    "function_mark_dirty": """
class Inplace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x_npy = x.numpy()
        x_npy += 1
        ctx.mark_dirty(x)
        return x
    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output):
        return grad_output
a = torch.tensor(1., requires_grad=True, dtype=torch.double).clone()
b = a * a
Inplace.apply(a)
print(a)
b.backward()
""",
    "function_mark_dirty_ok": """
class Inplace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2
a = torch.tensor([1., 2.], requires_grad=True)
c = a.clone()
out = Inplace.apply(c)
print(out is c, out, c.grad_fn)
out.sum().backward()
print(a.grad)
""",
    "function_once_differentiable_double": """
class F1(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x
    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g
x = torch.tensor([1., 2.], requires_grad=True)
y = F1.apply(x)
g, = torch.autograd.grad(y.sum(), x, create_graph=True)
print(g)
print(g.requires_grad, g.grad_fn)
g.sum().backward()
""",
    "function_wrong_number_of_grads": """
class F2(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y
    @staticmethod
    def backward(ctx, g):
        return g
x = torch.tensor([1., 2.], requires_grad=True)
F2.apply(x, x).sum().backward()
""",
    "function_wrong_shape": """
class F3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2
    @staticmethod
    def backward(ctx, g):
        return g.sum()
x = torch.tensor([1., 2.], requires_grad=True)
F3.apply(x).sum().backward()
""",
    "function_non_tensor_output": """
class F4(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, 3
    @staticmethod
    def backward(ctx, g, h):
        return g * 2
x = torch.tensor([1., 2.], requires_grad=True)
a, b = F4.apply(x)
print(a, b)
a.sum().backward()
print(x.grad)
""",
    "function_vjp_jvp_staticmethod_names": """
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result
    @staticmethod
    def vjp(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output * result
x = torch.tensor([0., 1.], requires_grad=True)
Exp.apply(x).sum().backward()
print(x.grad)
""",
    "function_call_direct": """
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        return i.exp()
    @staticmethod
    def backward(ctx, g):
        return g
Exp()(torch.ones(1))
""",
    "function_no_grad_input": """
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        return i.exp()
    @staticmethod
    def backward(ctx, g):
        return g
y = Exp.apply(torch.ones(2))
print(y, y.requires_grad, y.grad_fn)
""",
    "function_saved_tensors_after_backward": """
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        r = i.exp()
        ctx.save_for_backward(r)
        return r
    @staticmethod
    def backward(ctx, g):
        r, = ctx.saved_tensors
        return g * r
x = torch.ones(2, requires_grad=True)
y = Exp.apply(x)
y.sum().backward()
y.sum().backward()
""",
    "function_saved_tensors_inplace_modified": """
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        r = i.exp()
        ctx.save_for_backward(r)
        return r
    @staticmethod
    def backward(ctx, g):
        r, = ctx.saved_tensors
        return g * r
x = torch.ones(2, requires_grad=True)
y = Exp.apply(x)
y.mul_(2)
y.sum().backward()
""",
    "function_backward_returns_too_many": """
class F5(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2
    @staticmethod
    def backward(ctx, g):
        return g, g
x = torch.tensor([1., 2.], requires_grad=True)
F5.apply(x).sum().backward()
""",
    "function_backward_returns_too_many_nones_ok": """
class F5(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2
    @staticmethod
    def backward(ctx, g):
        return g, None
x = torch.tensor([1., 2.], requires_grad=True)
F5.apply(x).sum().backward()
print(x.grad)
""",
    "mycube": """
class MyCube(torch.autograd.Function):
    @staticmethod
    def forward(x):
        result = x ** 3
        dx = 3 * x ** 2
        return result, dx
    @staticmethod
    def setup_context(ctx, inputs, output):
        x, = inputs
        result, dx = output
        ctx.save_for_backward(x, dx)
    @staticmethod
    def backward(ctx, grad_output, grad_dx):
        x, dx = ctx.saved_tensors
        result = grad_output * dx + grad_dx * 6 * x
        return result
def my_cube(x):
    result, dx = MyCube.apply(x)
    return result
x = torch.tensor([1., 2.], dtype=torch.double, requires_grad=True)
y = my_cube(x)
print(y)
g, = torch.autograd.grad(y.sum(), x, create_graph=True)
print(g)
g2, = torch.autograd.grad(g.sum(), x)
print(g2)
print(torch.autograd.gradcheck(my_cube, (x,)), torch.autograd.gradgradcheck(my_cube, (x,)))
""",
    "function_kwargs_defaults_setup_context": """
class Scale(torch.autograd.Function):
    @staticmethod
    def forward(x, factor=2.0):
        return x * factor
    @staticmethod
    def setup_context(ctx, inputs, output):
        print(len(inputs), inputs[1])
        ctx.factor = inputs[1]
    @staticmethod
    def backward(ctx, g):
        return g * ctx.factor, None
x = torch.ones(2, requires_grad=True)
Scale.apply(x).sum().backward()
print(x.grad)
""",
    "function_save_intermediate": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        t = x.exp()
        ctx.save_for_backward(t)
        return t * 2
    @staticmethod
    def backward(ctx, g):
        t, = ctx.saved_tensors
        return g * 2 * t
x = torch.zeros(2, requires_grad=True)
F.apply(x).sum().backward()
print(x.grad)
""",
    "function_returns_input": """
class Ident(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x
    @staticmethod
    def backward(ctx, g):
        return g * 3
x = torch.ones(2, requires_grad=True)
y = Ident.apply(x)
print(y is x, y.grad_fn, y.is_leaf)
y.sum().backward()
print(x.grad)
""",
    "function_needs_input_grad": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, n):
        print(ctx.needs_input_grad)
        return a * b * n
    @staticmethod
    def backward(ctx, g):
        print("bw", ctx.needs_input_grad)
        return g, None, None
a = torch.ones(2, requires_grad=True)
F.apply(a, torch.ones(2), 3).sum().backward()
""",
    "function_both_backward_and_vjp": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2
    @staticmethod
    def backward(ctx, g):
        return g
    @staticmethod
    def vjp(ctx, g):
        return g
a = torch.ones(2, requires_grad=True)
F.apply(a).sum().backward()
""",
    "function_no_backward": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2
a = torch.ones(2, requires_grad=True)
F.apply(a).sum().backward()
""",
    "function_no_forward": """
class F(torch.autograd.Function):
    @staticmethod
    def backward(ctx, g):
        return g
F.apply(torch.ones(2))
""",
    "function_save_non_tensor": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a, 3)
        return a * 2
    @staticmethod
    def backward(ctx, g):
        return g
F.apply(torch.ones(2, requires_grad=True))
""",
    "function_grad_wrong_dtype": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2
    @staticmethod
    def backward(ctx, g):
        return g.double()
a = torch.ones(2, requires_grad=True)
F.apply(a).sum().backward()
print(a.grad.dtype)
""",
    "function_grad_wrong_type": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2
    @staticmethod
    def backward(ctx, g):
        return 1.0
a = torch.ones(2, requires_grad=True)
F.apply(a).sum().backward()
""",
    "function_mark_dirty_leaf": """
class Inplace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x
    @staticmethod
    def backward(ctx, g):
        return g
a = torch.ones(2, requires_grad=True)
Inplace.apply(a)
""",
    "function_mark_dirty_not_returned": """
class Inplace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x * 2
    @staticmethod
    def backward(ctx, g):
        return g
a = torch.ones(2, requires_grad=True).clone()
Inplace.apply(a)
""",
    "function_output_int_dtype": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a.argmax(), a * 2
    @staticmethod
    def backward(ctx, g1, g2):
        print(g1, g2)
        return g2
a = torch.tensor([1., 3.], requires_grad=True)
i, b = F.apply(a)
print(i, i.requires_grad, b.requires_grad)
b.sum().backward()
print(a.grad)
""",
    "function_materialize_zeros": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2, a * 3
    @staticmethod
    def backward(ctx, g1, g2):
        print(g1, g2)
        return g1 + g2
a = torch.tensor([1., 3.], requires_grad=True)
x, y = F.apply(a)
x.sum().backward()
print(a.grad)
""",
    "function_nested_apply_in_no_grad": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        print(torch.is_grad_enabled())
        return a * 2
    @staticmethod
    def backward(ctx, g):
        print(torch.is_grad_enabled())
        return g
a = torch.tensor([1., 3.], requires_grad=True)
F.apply(a).sum().backward()
with torch.no_grad():
    y = F.apply(a)
print(y.requires_grad)
""",
    "function_backward_create_graph_enabled": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a ** 2
    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        print(torch.is_grad_enabled())
        return 2 * a * g
a = torch.tensor([1., 3.], requires_grad=True)
g, = torch.autograd.grad(F.apply(a).sum(), a, create_graph=True)
print(g)
""",
    "once_differentiable_raises": """
class F1(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x
    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g
x = torch.tensor([1., 2.], requires_grad=True)
y = F1.apply(x)
z = (y * y).sum()
g, = torch.autograd.grad(z, x, create_graph=True)
print(g.requires_grad)
try:
    g.sum().backward()
except RuntimeError as e:
    print(str(e)[:80])
""",
}

# hooks, retain_grad, detach, autograd.functional, gradcheck
FUNCTIONAL_AND_HOOKS: dict[str, str] = {
    "register_hook_doc": """
v = torch.tensor([0., 0., 0.], requires_grad=True)
h = v.register_hook(lambda grad: grad * 2)
v.backward(torch.tensor([1., 2., 3.]))
print(v.grad)
h.remove()
v.backward(torch.tensor([1., 2., 3.]))
print(v.grad)
print(type(h).__name__)
""",
    "register_hook_nonleaf": """
x = torch.ones(2, requires_grad=True)
y = x * 3
y.register_hook(lambda g: print("hook", g))
y.sum().backward()
print(x.grad)
""",
    "register_hook_no_grad": """
x = torch.ones(2)
x.register_hook(lambda g: g)
""",
    "retain_grad": """
x = torch.ones(2, requires_grad=True)
y = x * 3
y.retain_grad()
print(y.retains_grad, x.retains_grad)
z = (y * y).sum()
z.backward()
print(y.grad, x.grad)
""",
    "retain_grad_no_req": """
x = torch.ones(2)
x.retain_grad()
""",
    "grad_nonleaf_warning": """
x = torch.ones(2, requires_grad=True)
y = x * 3
print(y.grad)
""",
    "detach": """
x = torch.ones(2, requires_grad=True)
y = (x * 3).detach()
print(y, y.requires_grad, y.is_leaf, y.grad_fn)
y2 = x.detach()
y2[0] = 5
print(x)
""",
    "detach_inplace": """
x = torch.ones(2, requires_grad=True)
y = x * 3
y.detach_()
print(y, y.requires_grad, y.is_leaf)
""",
    "requires_grad_inplace_int": """
x = torch.ones(2, dtype=torch.long)
x.requires_grad_()
""",
    "requires_grad_set_int": """
x = torch.ones(2, dtype=torch.long)
x.requires_grad = True
""",
    "tensor_int_requires_grad": """
torch.tensor([1, 2], requires_grad=True)
""",
    "zeros_int_requires_grad": """
torch.zeros(2, dtype=torch.int64, requires_grad=True)
""",
    "nonleaf_requires_grad_false": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.requires_grad = False
""",
    "nonleaf_requires_grad_inplace_false": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.requires_grad_(False)
""",
    "jacobian_doc": """
def exp_reducer(x):
    return x.exp().sum(dim=1)
inputs = torch.rand(2, 2)
j = torch.autograd.functional.jacobian(exp_reducer, inputs)
print(j.shape)
print(torch.allclose(j[0,0], inputs[0].exp()))
""",
    "jacobian_create_graph": """
def exp_reducer(x):
    return x.exp().sum(dim=1)
inputs = torch.rand(2, 2, requires_grad=True)
j = torch.autograd.functional.jacobian(exp_reducer, inputs, create_graph=True)
print(j.shape, j.grad_fn is not None, j.requires_grad)
""",
    "jacobian_tuple": """
def exp_adder(x, y):
    return 2 * x.exp() + 3 * y
inputs = (torch.rand(2), torch.rand(2))
j = torch.autograd.functional.jacobian(exp_adder, inputs)
print(type(j), len(j), j[0].shape, j[1])
""",
    "hessian_doc": """
def pow_reducer(x):
    return x.pow(3).sum()
inputs = torch.tensor([[0.5, 0.2], [0.1, 0.9]])
print(torch.autograd.functional.hessian(pow_reducer, inputs))
""",
    "hessian_tuple": """
def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()
inputs = (torch.tensor([1., 2.]), torch.tensor([3., 4.]))
h = torch.autograd.functional.hessian(pow_adder_reducer, inputs)
print(h)
""",
    "vjp_doc": """
def exp_reducer(x):
    return x.exp().sum(dim=1)
inputs = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
v = torch.ones(2)
print(torch.autograd.functional.vjp(exp_reducer, inputs, v))
print(torch.autograd.functional.vjp(exp_reducer, inputs, v, create_graph=True))
def adder(x, y):
    return 2 * x + 3 * y
inputs = (torch.rand(2), torch.rand(2))
v = torch.ones(2)
print(torch.autograd.functional.vjp(adder, inputs, v)[1])
""",
    "jvp_doc": """
def exp_reducer(x):
    return x.exp().sum(dim=1)
inputs = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
v = torch.ones(2, 2)
print(torch.autograd.functional.jvp(exp_reducer, inputs, v))
def adder(x, y):
    return 2 * x + 3 * y
inputs = (torch.tensor([1., 2.]), torch.tensor([3., 4.]))
v = (torch.ones(2), torch.ones(2))
print(torch.autograd.functional.jvp(adder, inputs, v))
""",
    "vhp_hvp_doc": """
def pow_reducer(x):
    return x.pow(3).sum()
inputs = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
v = torch.ones(2, 2)
print(torch.autograd.functional.vhp(pow_reducer, inputs, v))
print(torch.autograd.functional.hvp(pow_reducer, inputs, v))
print(torch.autograd.functional.hvp(pow_reducer, inputs, v, create_graph=True))
def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()
inputs = (torch.tensor([1., 2.]), torch.tensor([3., 4.]))
v = (torch.zeros(2), torch.ones(2))
print(torch.autograd.functional.vhp(pow_adder_reducer, inputs, v))
print(torch.autograd.functional.hvp(pow_adder_reducer, inputs, v))
""",
    "vjp_v_missing": """
def f(x):
    return x * 2
torch.autograd.functional.vjp(f, torch.ones(2))
""",
    "vjp_wrong_v_shape": """
def f(x):
    return x * 2
torch.autograd.functional.vjp(f, torch.ones(2), torch.ones(3))
""",
    "jacobian_non_tensor_output": """
def f(x):
    return 3
torch.autograd.functional.jacobian(f, torch.ones(2))
""",
    "jacobian_independent": """
def f(x):
    return torch.ones(2)
print(torch.autograd.functional.jacobian(f, torch.ones(2)))
torch.autograd.functional.jacobian(f, torch.ones(2), strict=True)
""",
    "gradcheck": """
inp = torch.randn(3, dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(torch.sin, (inp,)))
print(torch.autograd.gradgradcheck(torch.sin, (inp,)))
""",
    "gradcheck_no_requires_grad": """
inp = torch.randn(3, dtype=torch.double)
torch.autograd.gradcheck(torch.sin, (inp,))
""",
    "backward_inputs": """
x = torch.ones(2, requires_grad=True)
y = torch.ones(2, requires_grad=True)
z = (x * y * 2).sum()
z.backward(inputs=[x])
print(x.grad, y.grad)
""",
    "torch_autograd_backward": """
x = torch.ones(2, requires_grad=True)
torch.autograd.backward([(x*2).sum(), (x*3).sum()])
print(x.grad)
torch.autograd.backward((x*2), grad_tensors=torch.ones(2))
print(x.grad)
""",
    "grad_accumulate": """
x = torch.ones(2, requires_grad=True)
for i in range(3):
    (x*x).sum().backward()
print(x.grad)
x.grad.zero_()
print(x.grad)
x.grad = None
print(x.grad)
""",
    "create_graph_second_derivative": """
x = torch.tensor(3., requires_grad=True)
y = x ** 3
g, = torch.autograd.grad(y, x, create_graph=True)
print(g)
g2, = torch.autograd.grad(g, x)
print(g2)
""",
    "grad_outputs_shape_mismatch": """
x = torch.ones(2, requires_grad=True)
torch.autograd.grad(x*2, x, grad_outputs=torch.ones(3))
""",
    "backward_gradient_shape_mismatch": """
x = torch.ones(2, requires_grad=True)
(x*2).backward(torch.ones(3))
""",
    "set_detect_anomaly": """
print(torch.is_anomaly_enabled())
with torch.autograd.detect_anomaly():
    print(torch.is_anomaly_enabled())
torch.autograd.set_detect_anomaly(True)
print(torch.is_anomaly_enabled())
torch.autograd.set_detect_anomaly(False)
""",
    "variable": """
from torch.autograd import Variable
v = Variable(torch.ones(2), requires_grad=True)
print(v, type(v).__name__, v.requires_grad)
w = Variable(torch.ones(2))
print(w.requires_grad)
""",
    "parameter": """
p = torch.nn.Parameter(torch.ones(2))
print(p)
print(repr(p), p.requires_grad, p.is_leaf, type(p).__name__)
q = torch.nn.Parameter(torch.ones(2), requires_grad=False)
print(q)
print(p * 2)
""",
    "jac_strict_outputs_no_grad": """
def f(x):
    return torch.ones(2)
torch.autograd.functional.jacobian(f, torch.ones(2), strict=True)
""",
    "jac_strict_indep_input": """
def f(x, y):
    return x * 2
torch.autograd.functional.jacobian(f, (torch.ones(2), torch.ones(2)), strict=True)
""",
    "jac_nonstrict_indep": """
def f(x, y):
    return x * 2
print(torch.autograd.functional.jacobian(f, (torch.ones(2), torch.ones(2))))
""",
    "jac_tuple_out_tuple_in": """
def f(x, y):
    return x * y, x + y
r = torch.autograd.functional.jacobian(f, (torch.tensor([1., 2.]), torch.tensor([3., 4.])))
print(type(r), len(r), type(r[0]), len(r[0]), r)
""",
    "jac_tuple_out_single_in": """
def f(x):
    return x * 2, x.sum()
r = torch.autograd.functional.jacobian(f, torch.tensor([1., 2.]))
print(r)
""",
    "jac_list_input": """
torch.autograd.functional.jacobian(lambda x: x, [torch.ones(2)])
""",
    "jac_bad_strategy": """
torch.autograd.functional.jacobian(lambda x: x, torch.ones(2), strategy="foo")
""",
    "jac_vectorize_strict": """
torch.autograd.functional.jacobian(lambda x: x * 2, torch.ones(2), vectorize=True, strict=True)
""",
    "jac_create_graph_strict_linear": """
torch.autograd.functional.jacobian(lambda x: x * 2, torch.ones(2), create_graph=True, strict=True)
""",
    "jac_inputs_requiring_grad": """
x = torch.ones(2, requires_grad=True)
j = torch.autograd.functional.jacobian(lambda t: t ** 2, x)
print(j, j.requires_grad)
j = torch.autograd.functional.jacobian(lambda t: t ** 2, x, create_graph=True)
print(j, j.requires_grad)
""",
    "hessian_non_scalar": """
torch.autograd.functional.hessian(lambda x: x ** 2, torch.ones(2))
""",
    "hessian_tuple_output": """
torch.autograd.functional.hessian(lambda x: (x.sum(), x.sum()), torch.ones(2))
""",
    "hessian_strict_linear": """
torch.autograd.functional.hessian(lambda x: (x * 2).sum(), torch.ones(2), strict=True)
""",
    "hessian_linear_nonstrict": """
print(torch.autograd.functional.hessian(lambda x: (x * 2).sum(), torch.ones(2)))
""",
    "hessian_1_element": """
print(torch.autograd.functional.hessian(lambda x: (x ** 3).sum(), torch.tensor([2.])))
print(torch.autograd.functional.hessian(lambda x: (x ** 3), torch.tensor(2.)))
""",
    "hessian_create_graph": """
x = torch.tensor([1., 2.], requires_grad=True)
h = torch.autograd.functional.hessian(lambda t: (t ** 3).sum(), x, create_graph=True)
print(h, h.requires_grad)
""",
    "vjp_v_none_non_scalar": """
torch.autograd.functional.vjp(lambda x: x * 2, torch.ones(2))
""",
    "vjp_v_wrong_len": """
torch.autograd.functional.vjp(lambda x: (x * 2, x * 3), torch.ones(2), (torch.ones(2),))
""",
    "vjp_v_tuple_single": """
torch.autograd.functional.vjp(lambda x: x * 2, torch.ones(2), (torch.ones(2), torch.ones(2)))
""",
    "vjp_v_bad_type": """
torch.autograd.functional.vjp(lambda x: x * 2, torch.ones(2), 3)
""",
    "vjp_scalar_default_v": """
print(torch.autograd.functional.vjp(lambda x: (x ** 2).sum(), torch.tensor([1., 2.])))
""",
    "vjp_strict": """
torch.autograd.functional.vjp(lambda x, y: x * 2, (torch.ones(2), torch.ones(2)), torch.ones(2), strict=True)
""",
    "vjp_nonstrict_zeros": """
print(torch.autograd.functional.vjp(lambda x, y: x * 2, (torch.ones(2), torch.ones(2)), torch.ones(2)))
""",
    "vjp_create_graph": """
x = torch.ones(2, requires_grad=True)
o, v = torch.autograd.functional.vjp(lambda t: t ** 2, x, torch.ones(2), create_graph=True)
print(o, v)
o, v = torch.autograd.functional.vjp(lambda t: t ** 2, x, torch.ones(2))
print(o, v)
""",
    "jvp_v_none": """
torch.autograd.functional.jvp(lambda x: x * 2, torch.ones(2))
""",
    "jvp_scalar_default": """
print(torch.autograd.functional.jvp(lambda x: x * 2, torch.tensor(3.)))
""",
    "jvp_strict": """
torch.autograd.functional.jvp(lambda x: torch.ones(2), torch.ones(2), torch.ones(2), strict=True)
""",
    "jvp_strict_linear": """
torch.autograd.functional.jvp(lambda x: x * 2, torch.ones(2), torch.ones(2), strict=True)
""",
    "jvp_wrong_v": """
torch.autograd.functional.jvp(lambda x: x * 2, torch.ones(2), torch.ones(3))
""",
    "jvp_tuple_outputs": """
print(torch.autograd.functional.jvp(lambda x: (x * 2, x.sum()), torch.ones(2), torch.ones(2)))
""",
    "hvp_single_element_default": """
print(torch.autograd.functional.hvp(lambda x: x ** 3, torch.tensor(2.)))
print(torch.autograd.functional.vhp(lambda x: x ** 3, torch.tensor(2.)))
""",
    "hvp_v_none": """
torch.autograd.functional.hvp(lambda x: (x ** 3).sum(), torch.ones(2))
""",
    "hvp_non_scalar": """
torch.autograd.functional.hvp(lambda x: x ** 3, torch.ones(2), torch.ones(2))
""",
    "vhp_tuple_out": """
torch.autograd.functional.vhp(lambda x: (x.sum(),), torch.ones(2), torch.ones(2))
""",
    "hvp_strict_linear": """
torch.autograd.functional.hvp(lambda x: (x * 2).sum(), torch.ones(2), torch.ones(2), strict=True)
""",
    "vhp_strict_quadratic": """
torch.autograd.functional.vhp(lambda x: (x * x).sum(), torch.ones(2), torch.ones(2), strict=True)
""",
    "hvp_strict_quadratic": """
torch.autograd.functional.hvp(lambda x: (x * x).sum(), torch.ones(2), torch.ones(2), strict=True)
""",
    "hvp_linear_nonstrict": """
print(torch.autograd.functional.hvp(lambda x: (x * 2).sum(), torch.ones(2), torch.ones(2)))
print(torch.autograd.functional.vhp(lambda x: (x * 2).sum(), torch.ones(2), torch.ones(2)))
""",
    "hvp_create_graph": """
x = torch.ones(2, requires_grad=True)
print(torch.autograd.functional.hvp(lambda t: (t ** 3).sum(), x, torch.ones(2), create_graph=True))
""",
    "functional_under_no_grad": """
with torch.no_grad():
    print(torch.autograd.functional.jacobian(lambda t: t ** 2, torch.tensor([1., 2.])))
    print(torch.autograd.functional.vjp(lambda t: t ** 2, torch.tensor([1., 2.]), torch.ones(2)))
""",
    "print_dtypes_with_grad": """
x = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
print(x, x * 2, (x * 2).sum(), x.half() if False else None)
y = torch.tensor([1., 2.], dtype=torch.float16, requires_grad=True)
print(y, y * 2)
z = torch.tensor(3., requires_grad=True)
print(z, z * 2, z.double(), z.float())
print(torch.zeros(2, 0, requires_grad=True), torch.zeros(0, requires_grad=True) * 2)
""",
    "set_printoptions": """
torch.set_printoptions(precision=2)
print(torch.tensor([1.23456, 2.5]))
torch.set_printoptions(sci_mode=True)
print(torch.tensor([1.23456, 2.5]))
torch.set_printoptions(profile="default")
print(torch.tensor([1.23456, 2.5]))
torch.set_printoptions(threshold=5)
print(torch.arange(10))
torch.set_printoptions(profile="default")
torch.set_printoptions(linewidth=20)
print(torch.arange(12.))
torch.set_printoptions(profile="default")
print(torch.arange(12.))
""",
    "data_semantics": """
x = torch.ones(2, requires_grad=True)
y = x.data
print(y.requires_grad, y.is_leaf)
y.mul_(2)
print(x)
x.data = torch.zeros(2)
print(x)
""",
    "grad_data_zero": """
x = torch.ones(2, requires_grad=True)
(x * 3).sum().backward()
x.grad.data.zero_()
print(x.grad)
""",
    "post_accumulate_hook": """
x = torch.ones(2, requires_grad=True)
x.register_post_accumulate_grad_hook(lambda t: print("acc", t.grad))
(x * 3).sum().backward()
""",
    "post_accumulate_hook_nonleaf": """
x = torch.ones(2, requires_grad=True)
(x * 2).register_post_accumulate_grad_hook(lambda t: None)
""",
    "hook_modifies": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.register_hook(lambda g: g * 100)
y.sum().backward()
print(x.grad)
""",
    "multiple_hooks_order": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.register_hook(lambda g: print("h1", g) or g + 1)
y.register_hook(lambda g: print("h2", g) or g * 2)
y.sum().backward()
print(x.grad)
""",
    "leaf_hook_and_retain_grad": """
x = torch.ones(2, requires_grad=True)
x.register_hook(lambda g: g * 3)
(x * 2).sum().backward()
print(x.grad)
""",
    "retain_grad_then_hook": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.retain_grad()
y.register_hook(lambda g: g * 10)
y.sum().backward()
print(y.grad, x.grad)
""",
    "hook_then_retain_grad": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.register_hook(lambda g: g * 10)
y.retain_grad()
y.sum().backward()
print(y.grad, x.grad)
""",
    "backward_twice_retains_accumulate_nonleaf": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.retain_grad()
z = (y * y).sum()
z.backward(retain_graph=True)
z.backward()
print(y.grad, x.grad)
""",
    "grad_of_sum_shapes": """
x = torch.ones(2, 3, requires_grad=True)
y = x.sum(dim=1, keepdim=True) * torch.tensor([[1.], [2.]])
y.sum().backward()
print(x.grad)
""",
    "broadcast_grads": """
a = torch.ones(3, 1, requires_grad=True)
b = torch.ones(1, 4, requires_grad=True)
(a * b).sum().backward()
print(a.grad, b.grad)
""",
    "detach_shares_version": """
x = torch.ones(2, requires_grad=True)
y = x * 1
z = y.exp()
w = z.detach()
w.zero_()
z.sum().backward()
""",
    "matrix_power_tutorial": """
A = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
B = A
for _ in range(3):
    B = B @ A
B.sum().backward()
print(B, A.grad)
""",
    "variable_basics_legacy": """
from torch.autograd import Variable
x = Variable(torch.ones(2, 2), requires_grad=True)
y = x + 2
print(y.grad_fn, y.data)
z = y * y * 3
out = z.mean()
out.backward()
print(x.grad, x.data)
""",
    "tensor_ops_on_requires_grad_int": """
x = torch.tensor([1, 2])
y = torch.tensor([1., 2.], requires_grad=True)
print((x * y), (x * y).dtype, (x + y).grad_fn)
""",
    "comparison_with_grad": """
x = torch.tensor([1., 2.], requires_grad=True)
print(x > 1, (x > 1).requires_grad, x.argmax(), x.argmax().requires_grad)
""",
    "where_grad": """
x = torch.tensor([-1., 2.], requires_grad=True)
y = torch.where(x > 0, x, torch.zeros_like(x))
print(y)
y.sum().backward()
print(x.grad)
""",
    "relu_grad_at_zero": """
x = torch.tensor([-1., 0., 1.], requires_grad=True)
x.relu().sum().backward()
print(x.grad)
""",
    "abs_grad_at_zero": """
x = torch.tensor([-1., 0., 1.], requires_grad=True)
x.abs().sum().backward()
print(x.grad)
""",
    "sqrt_grad_at_zero": """
x = torch.tensor([0., 1.], requires_grad=True)
x.sqrt().sum().backward()
print(x.grad)
""",
    "max_ties_grad": """
x = torch.tensor([1., 3., 3.], requires_grad=True)
x.max().backward()
print(x.grad)
""",
    "norm_grad_zero": """
x = torch.zeros(3, requires_grad=True)
x.norm().backward()
print(x.grad)
""",
    "clamp_grad_at_bounds": """
x = torch.tensor([0., 0.5, 1.], requires_grad=True)
x.clamp(0, 1).sum().backward()
print(x.grad)
""",
}

# printing, factories, dtypes, promotion, shapes and their errors
TENSOR_BASICS: dict[str, str] = {
    "print_basic": """
print(torch.tensor([1, 2, 3]))
print(torch.tensor([1., 2., 3.]))
print(torch.tensor([1.5, 2.25, 3.125]))
print(torch.tensor([True, False]))
print(torch.tensor([1., 2.], dtype=torch.float64))
print(torch.tensor([1, 2], dtype=torch.int32))
print(torch.tensor([1, 2], dtype=torch.int16))
print(torch.tensor([1, 2], dtype=torch.uint8))
print(torch.tensor([1, 2], dtype=torch.int8))
print(torch.tensor([1., 2.], dtype=torch.float16))
print(torch.tensor(3))
print(torch.tensor(3.5))
print(torch.tensor(True))
print(torch.tensor([]))
print(torch.tensor([[]]))
print(torch.zeros(0, 3))
print(torch.zeros(2, 0, dtype=torch.int64))
print(torch.tensor([], dtype=torch.int64))
print(torch.tensor(2.0, dtype=torch.float64, requires_grad=True))
""",
    "print_sci": """
print(torch.tensor([1e-5, 1.0, 100.0]))
print(torch.tensor([1e10, 1.0]))
print(torch.tensor([1e-10, 2e-10]))
print(torch.tensor([123456789.0]))
print(torch.tensor([0.1, 0.25, 1000.5]))
print(torch.tensor([float('inf'), float('-inf'), float('nan'), 1.0]))
print(torch.tensor([float('nan')]))
print(torch.tensor([1.0, -2.0]))
print(torch.tensor([-0.0, 0.0]))
print(torch.tensor([1e-4, 1e4]))
print(torch.tensor([1e-3, 1e3]))
print(torch.tensor([100000000.0, 1.0]))
print(torch.tensor([12345678.0, 1.5]))
print(torch.tensor([1, -1000000], dtype=torch.int64))
print(torch.tensor([[1.5, -2.0], [300.0, 4.0]]))
print(torch.tensor([0.0001234]))
print(torch.tensor(1e-8))
print(torch.tensor(1e20))
""",
    "print_large": """
print(torch.arange(2000))
print(torch.arange(2000.).reshape(40, 50))
print(torch.ones(1001))
print(torch.arange(1000))
print(torch.arange(24).reshape(2, 3, 4))
print(torch.arange(10000).reshape(10, 10, 100))
""",
    "print_grad_fn": """
x = torch.ones(2, 2, requires_grad=True)
print(x)
print(x + 2)
print((x * 2).sum())
print(x.mean())
print(x[0])
print(x.t())
print(x.view(4))
print(x.reshape(4))
print(x.exp())
print(x ** 2)
print(x / 2)
print(x - 1)
print(-x)
print(x @ x)
print(x.sum(0))
print(x.relu())
print(torch.sigmoid(x))
print(torch.tanh(x))
print(x.double())
print(x.unsqueeze(0))
print(x.squeeze())
print(x.flatten())
print(x.max())
print(x.max(dim=0))
print(x.abs())
print(x.clone())
print(x.expand(3, 2, 2).shape)
print(torch.cat([x, x]))
print(torch.stack([x, x]).grad_fn)
print(x.T)
print(x.permute(1, 0))
print(x.transpose(0, 1))
print(x.pow(3))
print(x.sqrt())
print(x.log())
print(x.norm())
print(x[:, 0])
print(x[x > 0])
""",
    "size_dtype_device_print": """
x = torch.ones(2, 3)
print(x.shape, x.size(), x.size(0), x.size(-1), x.shape[1])
print(repr(x.shape), str(x.shape), type(x.shape).__name__)
print(x.dtype, repr(x.dtype), str(x.dtype), type(x.dtype))
print(x.device, repr(x.device), type(x.device))
print(torch.Size([2, 3]), torch.Size([]), torch.Size([5]))
print(x.shape == (2, 3), x.shape == torch.Size([2, 3]), list(x.shape), tuple(x.shape))
print(x.shape.numel(), len(x.shape))
print(x.shape + (1,), type(x.shape + (1,)))
print(x.shape[0:1], type(x.shape[0:1]))
print(torch.float32, torch.float, torch.double, torch.long, torch.int, torch.bool, torch.half)
print(torch.float32 == torch.float, torch.float32 is torch.float)
print(torch.get_default_dtype())
print(torch.device('cpu'), repr(torch.device('cpu')), torch.device('cpu') == x.device, torch.device('cpu').type)
print(torch.device('cuda:0'), repr(torch.device('cuda', 1)))
print(x.dtype.is_floating_point, torch.int64.is_floating_point, torch.float32.itemsize)
""",
    "item_tolist_numpy": """
x = torch.tensor([[1., 2.], [3., 4.]])
print(x[0, 0].item(), type(x[0, 0].item()))
print(x.tolist())
print(torch.tensor(3).item(), type(torch.tensor(3).item()))
print(torch.tensor(True).item())
print(torch.tensor([1, 2]).tolist(), torch.tensor(5).tolist())
print(x.numpy(), x.numpy().dtype)
print(torch.tensor([1, 2]).numpy().dtype)
print(x.sum().item())
x.item()
""",
    "item_empty": """
torch.tensor([]).item()
""",
    "numpy_requires_grad": """
x = torch.ones(2, requires_grad=True)
x.numpy()
""",
    "numpy_nonleaf_requires_grad": """
x = torch.ones(2, requires_grad=True)
(x * 2).numpy()
""",
    "from_numpy": """
a = np.array([1, 2, 3])
t = torch.from_numpy(a)
print(t)
t[0] = -1
print(a)
print(torch.from_numpy(np.ones((2, 2), dtype=np.float32)))
print(torch.from_numpy(np.ones(2)))
print(torch.tensor(np.array([1.5, 2.5])))
print(torch.as_tensor(np.array([1.5, 2.5])))
print(torch.as_tensor([1, 2]))
""",
    "factories": """
print(torch.zeros(2, 3))
print(torch.zeros((2, 3)), torch.zeros([2]))
print(torch.ones(2, dtype=torch.int64))
print(torch.ones(2, 2, requires_grad=True))
print(torch.full((2, 2), 7))
print(torch.full((2, 2), 7.))
print(torch.full((2,), True))
print(torch.full((2, 2), 3.5, dtype=torch.float64))
print(torch.eye(3))
print(torch.eye(2, 3))
print(torch.arange(5))
print(torch.arange(1, 4))
print(torch.arange(0, 1, 0.25))
print(torch.arange(5.))
print(torch.arange(1, 2.5, 0.5))
print(torch.arange(0, 10, 3, dtype=torch.float32))
print(torch.linspace(0, 1, 5))
print(torch.linspace(-10, 10, steps=5))
print(torch.linspace(0, 1, 1))
print(torch.empty(2, 3).shape, torch.empty(2, 3).dtype)
print(torch.zeros_like(torch.ones(2, dtype=torch.int32)))
print(torch.ones_like(torch.ones(2, 3)))
print(torch.full_like(torch.ones(2), 5))
print(torch.full_like(torch.ones(2, dtype=torch.long), 5.7))
print(torch.rand(2, 3).shape, torch.randn(4).dtype, torch.rand(2, dtype=torch.float64).dtype)
print(torch.randint(0, 10, (3,)).dtype, torch.randint(10, (2, 2)).shape)
print(torch.randn_like(torch.ones(2)).shape, torch.rand_like(torch.ones(2, 2)).shape)
print(torch.zeros(2, 3, dtype=torch.float64, requires_grad=True))
print(torch.ones(()), torch.zeros([]))
print(torch.tensor([[1, 2], [3, 4]], dtype=torch.float32))
print(torch.tensor([1, 2.5]))
print(torch.tensor([1, True]))
print(torch.tensor([[1, 2], [3, 4.]]).dtype)
print(torch.tensor(np.float64(3.0)).dtype, torch.tensor(np.int32(3)).dtype)
print(torch.tensor([np.float32(1.0)]).dtype)
print(torch.tensor(torch.ones(2)))
""",
    "tensor_ragged": """
torch.tensor([[1, 2], [3]])
""",
    "tensor_bad_type": """
torch.tensor("abc")
""",
    "zeros_bad_shape": """
torch.zeros(-1)
""",
    "arange_bad": """
torch.arange(0, 10, 0)
""",
    "arange_bad_dir": """
torch.arange(10, 0, 1)
""",
    "randn_seed": """
torch.manual_seed(0)
a = torch.rand(3)
torch.manual_seed(0)
b = torch.rand(3)
print(torch.equal(a, b))
g = torch.manual_seed(1)
print(type(g).__name__)
""",
    "dtype_promotion": """
i = torch.tensor([1, 2])
f = torch.tensor([1., 2.])
d = torch.tensor([1., 2.], dtype=torch.float64)
b = torch.tensor([True, False])
print((i + f).dtype, (i + d).dtype, (f + d).dtype, (i + 1.5).dtype, (i + 2).dtype, (b + b).dtype, (b + 1).dtype)
print((i / 2).dtype, (i / i).dtype, (i // 2).dtype, (i * 2.0).dtype, (f * 2).dtype, (d * 2.5).dtype)
print((torch.tensor(1.5, dtype=torch.float64) + f).dtype, (torch.tensor(1) + f).dtype, (torch.tensor(1.) + i).dtype)
print(
    (i.to(torch.int32) + torch.tensor(1)).dtype, (i.to(torch.int32) + i).dtype,
    (i.to(torch.uint8) + i.to(torch.int8)).dtype
)
print((f.half() + f).dtype, (f.half() + 1.0).dtype, (i ** 2).dtype, (i ** 2.0).dtype, (2 ** i).dtype, (2.0 ** i).dtype)
print((i > 1).dtype, (i == f).dtype, torch.sqrt(i.float()).dtype, i.sum().dtype, b.sum().dtype, i.mean(dtype=torch.float32))
print(torch.tensor([1, 2], dtype=torch.int32).sum().dtype, torch.tensor([1, 2], dtype=torch.uint8).sum().dtype)
print(i.float().dtype, i.double().dtype, f.long().dtype, f.int().dtype, f.bool(), f.to(torch.int64))
print(torch.exp(i), torch.sin(b))
""",
    "int_mean_error": """
torch.tensor([1, 2]).mean()
""",
    "matmul_shape_err": """
torch.ones(2, 3) @ torch.ones(4, 5)
""",
    "mm_shape_err": """
torch.mm(torch.ones(2, 3), torch.ones(4, 5))
""",
    "matmul_1d_err": """
torch.ones(3) @ torch.ones(4)
""",
    "matmul_1d2d_err": """
torch.ones(3) @ torch.ones(4, 5)
""",
    "matmul_2d1d_err": """
torch.ones(2, 3) @ torch.ones(4)
""",
    "matmul_batched_err": """
torch.ones(2, 2, 3) @ torch.ones(2, 4, 5)
""",
    "bmm_err": """
torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 4, 5))
""",
    "mm_dim_err": """
torch.mm(torch.ones(3), torch.ones(3, 3))
""",
    "matmul_dtype_err": """
torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64)
""",
    "matmul_int_float_err": """
torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.int64)
""",
    "matmul_0d": """
torch.tensor(1.) @ torch.ones(2)
""",
    "broadcast_err": """
torch.ones(2, 3) + torch.ones(4)
""",
    "broadcast_err2": """
torch.ones(2, 3) * torch.ones(3, 2)
""",
    "broadcast_ok": """
print((torch.ones(2, 1) + torch.ones(3)).shape)
""",
    "view_err": """
x = torch.arange(6).reshape(2, 3).t()
x.view(6)
""",
    "view_size_err": """
torch.ones(2, 3).view(4)
""",
    "reshape_size_err": """
torch.ones(2, 3).reshape(4)
""",
    "view_1_twice": """
torch.ones(2, 3).view(-1, -1)
""",
    "view_1_impossible": """
torch.ones(2, 3).view(-1, 4)
""",
    "index_out_of_range": """
torch.ones(3)[5]
""",
    "index_out_of_range_2d": """
torch.ones(3, 2)[1, 5]
""",
    "too_many_indices": """
torch.ones(3)[0, 0]
""",
    "dim_out_of_range": """
torch.ones(3).sum(1)
""",
    "dim_out_of_range_squeeze": """
torch.ones(3).unsqueeze(3)
""",
    "transpose_out_of_range": """
torch.ones(3, 2).transpose(0, 2)
""",
    "cat_err": """
torch.cat([torch.ones(2, 3), torch.ones(2, 4)])
""",
    "cat_empty": """
torch.cat([])
""",
    "stack_err": """
torch.stack([torch.ones(2), torch.ones(3)])
""",
    "item_multi": """
torch.ones(3).item()
""",
    "bool_ambiguous": """
if torch.ones(3): pass
""",
    "int_tensor_grad": """
x = torch.tensor([1, 2, 3])
y = x.float().requires_grad_()
print(y)
""",
    "len_0d": """
len(torch.tensor(1.))
""",
    "iter_0d": """
for a in torch.tensor(1.): pass
""",
    "expand_err": """
torch.ones(2, 3).expand(4, 3)
""",
    "permute_err": """
torch.ones(2, 3).permute(0)
""",
    "float_to_long_inplace_err": """
x = torch.ones(2, dtype=torch.long)
x += 1.5
""",
    "setitem": """
x = torch.zeros(3, 3)
x[0] = 1
x[:, 1] = torch.tensor([1., 2., 3.])
x[x > 1] = -1
print(x)
""",
    "indexing": """
x = torch.arange(12).reshape(3, 4)
print(x[1], x[:, 1], x[1:, ::2], x[-1, -1], x[[0, 2]], x[x % 2 == 0], x[None].shape, x[..., 0], x[0][1])
print(x[torch.tensor([0, 1]), torch.tensor([1, 2])])
print(x[1, None].shape, x[:, None, :].shape)
""",
    "contiguity": """
x = torch.arange(12.).reshape(3, 4)
cases = [x, x.t(), x[:, 1], x[1], x[:, ::2], x[1:], x.transpose(0, 1), x.unsqueeze(0), x.expand(2, 3, 4),
         x[None], x.t().t(), x.reshape(4, 3), x.view(2, 6)[:, 1:], x.permute(1, 0), x[:, :2], x[:1, :], x[0:1].t()]
for c in cases:
    print(tuple(c.shape), c.is_contiguous())
for c in [x, x.t(), x[:, ::2], x.transpose(0, 1)]:
    print(c.stride(), c.stride(0), c.stride(-1))
y = x.t()
print(y.contiguous().is_contiguous(), y.contiguous().stride())
z = torch.ones(2, 3, requires_grad=True)
print(z.t().contiguous().grad_fn, z.contiguous() is z)
pairs = [(x.t(), (12,)), (x.t(), (4, 3)), (x.t(), (2, 2, 3)), (x.t(), (4, 1, 3)), (x[:, :2], (6,)),
         (x[:, :2], (3, 2)), (x[:, :2], (3, 2, 1)), (x[1:], (8,)), (x.expand(2, 3, 4), (6, 4)),
         (x.expand(2, 3, 4), (2, 12)), (x.unsqueeze(1), (3, 4)), (x.permute(1, 0).unsqueeze(0), (1, 12)),
         (x[:, ::2], (6,)), (x[:, ::2], (3, 2)), (x.t()[:2], (6,))]
for c, shp in pairs:
    try:
        print(tuple(c.shape), shp, tuple(c.view(shp).shape), c.view(*shp).is_contiguous())
    except RuntimeError as e:
        print(tuple(c.shape), shp, "ERR", e)
print(x.t().reshape(12))
print(x.t().contiguous().view(12))
print(torch.tensor(1.).stride(), torch.ones(0, 3).stride())
""",
    "view_err_nograd": """
x = torch.arange(6.).reshape(2, 3)
with torch.no_grad():
    x.t().view(6)
""",
    "view_err_grad": """
x = torch.arange(6.).reshape(2, 3).requires_grad_()
y = x.t()
y.view(-1)
""",
    "methods_misc": """
x = torch.tensor([[1., 2.], [3., 4.]])
print(x.new_ones(2), x.new_zeros((1, 2)), x.new_full((2,), 3.), x.new_tensor([1, 2]), x.new_empty(2).shape)
""",
    "type_as": """
x = torch.tensor([1, 2])
print(x.type_as(torch.ones(1)), x.type(), x.float().type(), x.type(torch.float64))
""",
    "element_size_etc": """
x = torch.ones(2, 3)
print(
    x.element_size(), x.nelement(), x.numel(), x.dim(), x.ndim, x.ndimension(), x.is_cuda, x.is_leaf,
    x.layout, x.is_cpu, x.itemsize, x.nbytes
)
""",
    "data_ptr": """
x = torch.ones(2, 3)
print(x.data_ptr() == x.view(6).data_ptr(), x.storage_offset(), x[1].storage_offset())
""",
    "sort_topk": """
x = torch.tensor([3., 1., 2.])
print(x.sort(), torch.sort(x, descending=True), x.argsort(), x.topk(2))
""",
    "chunk_split": """
x = torch.arange(10)
print(x.chunk(3), x.split(4), x.split([3, 7]))
""",
    "comparisons": """
x = torch.tensor([1., 2., 3.])
print(
    x == 2, x > 1, torch.eq(x, 2), x.eq(2).all(), x.any(), torch.equal(x, x), torch.allclose(x, x + 1e-9),
    torch.isclose(x, x)
)
""",
    "where_clamp": """
x = torch.tensor([-1., 0.5, 2.])
print(torch.where(x > 0, x, torch.zeros(3)), x.clamp(min=0), x.clamp(0, 1), torch.clamp(x, max=1), torch.where(x > 0))
""",
    "cat_stack": """
a = torch.ones(2, 2); b = torch.zeros(2, 2)
print(torch.cat((a, b), dim=1), torch.stack((a, b)).shape, torch.hstack((a, b)).shape, torch.vstack((a, b)).shape)
""",
    "squeeze_unsqueeze": """
x = torch.zeros(2, 1, 2, 1)
print(x.squeeze().shape, x.squeeze(1).shape, x.squeeze(0).shape, x.unsqueeze(-1).shape, x.squeeze((1, 3)).shape)
""",
    "flatten": """
x = torch.zeros(2, 3, 4)
print(x.flatten().shape, x.flatten(1).shape, torch.flatten(x, 0, 1).shape, x.view(-1, 4).shape, x.reshape(2, -1).shape)
""",
    "matmul_variants": """
a = torch.ones(2, 3); b = torch.ones(3, 4); v = torch.ones(3)
print(
    (a @ b).shape, (a @ v).shape, (v @ b).shape, (v @ v), torch.mm(a, b).shape, torch.mv(a, v),
    torch.dot(v, v), torch.bmm(torch.ones(5, 2, 3), torch.ones(5, 3, 4)).shape,
    torch.matmul(torch.ones(5, 2, 3), b).shape
)
""",
    "dot_err": """
torch.dot(torch.ones(3), torch.ones(4))
""",
    "mv_err": """
torch.mv(torch.ones(2, 3), torch.ones(4))
""",
    "dot_2d_err": """
torch.dot(torch.ones(2, 3), torch.ones(3))
""",
    "arithmetic_with_lists": """
x = torch.tensor([1., 2.])
print(x + 1, 1 + x, x * 2, 2 * x, x / 2, 2 / x, x ** 2, 2 ** x, x - 1, 1 - x, x // 2, x % 2, -x, abs(-x))
""",
    "in_place_int_div": """
x = torch.tensor([1, 2])
x /= 2
""",
    "bool_arithmetic": """
print(
    torch.tensor([True]) + torch.tensor([True]), ~torch.tensor([True, False]),
    torch.tensor([True]) & torch.tensor([False])
)
""",
    "sub_bool": """
torch.tensor([True]) - torch.tensor([True])
""",
    "neg_bool": """
-torch.tensor([True])
""",
    "index_select_gather": """
x = torch.arange(12.).reshape(3, 4)
print(
    x.index_select(0, torch.tensor([0, 2])), x.gather(1, torch.tensor([[0], [1], [2]])),
    x.masked_fill(x > 5, 0.), x.nonzero()[:3], torch.take(x, torch.tensor([0, 5]))
)
""",
    "gather_err": """
torch.arange(12.).reshape(3, 4).gather(1, torch.tensor([0]))
""",
    "index_with_float": """
torch.ones(3)[torch.tensor([0.])]
""",
    "index_bool_mask_wrong_shape": """
torch.ones(3)[torch.tensor([True, False])]
""",
    "repeat_expand": """
x = torch.tensor([1, 2])
print(x.repeat(2), x.repeat(2, 2), x.expand(3, 2), x.unsqueeze(0).expand(2, -1), x.tile((2,)))
""",
    "repeat_err": """
torch.tensor([[1, 2]]).repeat(2)
""",
    "item": """
print(
    torch.tensor([[5]]).item(), torch.tensor(2.5).item(), float(torch.tensor(2.5)), int(torch.tensor(2.9)),
    bool(torch.tensor(0.))
)
""",
    "float_of_multi": """
float(torch.ones(2))
""",
    "int_of_multi": """
int(torch.ones(2))
""",
    "to": """
x = torch.ones(2)
print(
    x.to(torch.float64), x.to('cpu'), x.to(dtype=torch.int32), x.to('cpu', torch.float16),
    x.to(torch.ones(1, dtype=torch.int8)), x.cpu(), x.to(x) is x, x.to(torch.float32) is x
)
""",
    "sort": """
x=torch.tensor([1.,3.,3.,2.,3., float('nan'), 0.])
print(x.sort(), x.sort(descending=True), x.topk(3, largest=False), x.argsort(), x.argsort(descending=True))
y=torch.tensor([[3,1,2],[1,1,0]])
print(y.sort(dim=0), y.topk(2, dim=1), torch.sort(y, 1, True))
print(torch.tensor(5.).sort(), torch.tensor(5.).topk(1))
z=torch.tensor([2.,1.,3.],requires_grad=True)
s=z.sort(); print(s.values.grad_fn, z.topk(2).values.grad_fn, z.argsort())
(s.values * torch.tensor([1., 2., 3.])).sum().backward()
print(z.grad)
z.grad = None
z.topk(2).values.sum().backward()
print(z.grad)
print(torch.topk(torch.arange(6.), 2))
print(torch.sort(torch.tensor([3., 1.]), stable=True))
""",
    "topk_oob": """
torch.tensor([2.,1.,3.]).topk(5)
""",
}

# printed modules and parameters
MODULES: dict[str, str] = {
    "module_repr_small": """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84, bias=False)
        self.drop = nn.Dropout(0.25)
        self.act = nn.ReLU()
        self.seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Sigmoid(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1))
        self.ml = nn.ModuleList([nn.Linear(1, 1), nn.Identity()])
        self.md = nn.ModuleDict({"a": nn.Flatten(), "b": nn.LeakyReLU(0.2)})
        self.emb = nn.Embedding(10, 3)
        self.ln = nn.LayerNorm(4)
        self.loss = nn.CrossEntropyLoss()
        self.mse = nn.MSELoss(reduction='sum')
        self.gelu = nn.GELU()
        self.conv2 = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
    def forward(self, x):
        return x
net = Net()
print(net)
print(nn.Linear(3, 4))
print(nn.Sequential())
print(nn.Sequential(nn.Linear(1, 2)))
print(nn.ELU(), nn.Softplus(), nn.SiLU(), nn.BCEWithLogitsLoss(), nn.NLLLoss(), nn.L1Loss(), nn.Dropout())
print(nn.Sequential(nn.Linear(1,1), nn.Linear(1,1), nn.Linear(1,1), nn.ReLU()))
""",
    "param_repr": """
p = nn.Parameter(torch.tensor([1., 2.]))
print(p)
print(repr(p))
print(nn.Parameter(torch.tensor([[1., 2.], [3., 4.]])))
""",
}

@pytest.mark.parametrize("name", sorted(AUTOGRAD))
def test_autograd_mechanics_match_torch(name: str, cpu_default: None) -> None:
    _check(AUTOGRAD[name])


@pytest.mark.parametrize("name", sorted(FUNCTION))
def test_custom_function_matches_torch(name: str, cpu_default: None) -> None:
    _check(FUNCTION[name])


@pytest.mark.parametrize("name", sorted(FUNCTIONAL_AND_HOOKS))
def test_hooks_and_functional_api_match_torch(name: str, cpu_default: None) -> None:
    _check(FUNCTIONAL_AND_HOOKS[name])


@pytest.mark.parametrize("name", sorted(TENSOR_BASICS))
def test_tensor_basics_match_torch(name: str, cpu_default: None) -> None:
    _check(TENSOR_BASICS[name])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_printing_matches_torch(name: str, cpu_default: None) -> None:
    _check(MODULES[name])


def _printing_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    cases = []
    for shape in [(), (1,), (3,), (2, 3), (2, 2, 2), (7, 7), (1, 1, 5)]:
        for scale in [1e-12, 1e-5, 1e-3, 0.1, 1, 10, 1000, 1e5, 1e8, 1e16]:
            cases.append(rng.standard_normal(shape) * scale)
            cases.append(np.round(rng.standard_normal(shape) * scale))
            cases.append(np.abs(rng.standard_normal(shape)) * scale)
    cases += [np.array([np.nan, 1.5]), np.array([np.inf, -np.inf, 2.0]), np.array([np.nan]), np.array([np.inf]),
              np.array([1e-5, np.nan, 3e5]), np.array([0.0, -0.0]), np.array([123456.0, np.nan]), np.zeros((2, 2)),
              np.arange(1000.0), np.arange(1001.0), np.arange(2000.0).reshape(2, 1000),
              np.arange(3000.0).reshape(30, 100) / 7, np.linspace(-1, 1, 1200)]
    return cases


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_float_tensors_print_as_in_torch(dtype: str, cpu_default: None) -> None:
    with np.errstate(over="ignore"):
        arrays = [np.asarray(a).astype(dtype) for a in _printing_cases()]
    for a in arrays:
        assert repr(plugrad.tensor(a)) == repr(torch.tensor(a)), a


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool", "complex64"])
def test_other_dtypes_print_as_in_torch(dtype: str, cpu_default: None) -> None:
    small = [np.array([1, 0, 3]), np.array(5), np.array([[1, 2], [0, 4]]), np.arange(1500) % 100]
    wide = [np.array([1, -2, 300]), np.array([[1, 2], [30000, -4]]), np.array([-9223372036854775807, 1])]
    arrays = small + (wide if dtype in ("int64", "int32") else [])
    if dtype == "complex64":
        arrays = [np.array([1 + 2j, 3 - 4j]), np.array([0.5j]), np.array([1e-5 + 1j, 100 + 0j])]
    for a in arrays:
        a = a.astype("int64").astype(dtype) if dtype == "int32" else a.astype(dtype)
        assert repr(plugrad.tensor(a)) == repr(torch.tensor(a)), a


def test_cuda_is_available_when_a_cuda_backend_works() -> None:
    # Note: PyTorch here is a CPU build, so this is checked against plugrad's own backends, not torch.cuda.
    from plugrad.backend import known_backends

    usable = any(b.device_type == "cuda" and b.available()[0] for b in known_backends().values())
    assert plugrad.cuda.is_available() is usable
    assert plugrad.cuda.device_count() == (1 if usable else 0)
