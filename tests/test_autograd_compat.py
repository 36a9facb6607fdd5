"""PyTorch's autograd behaviour at its edges, checked live against PyTorch (as in ``test_torch_docs``).

The checks ``backward()`` and ``autograd.grad()`` make on their arguments and their order, the checks on what a
tensor hook returns, inference mode and inference tensors, and saved-tensor hooks (``torch.autograd.graph``).
Each snippet runs with ``torch`` bound to PyTorch and to plugrad and must print the same. What PyTorch does once
per process, or on a CUDA device, is checked in a subprocess or against PyTorch's wording.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import threading

import plugrad
import pytest
from test_torch_docs import _check, cpu_default  # noqa: F401 - cpu_default is a fixture

torch = pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")

# The checks of backward() / autograd.grad() on their arguments, in PyTorch's order.
ARGUMENTS: dict[str, str] = {
    "grad_input_does_not_require_grad": """
x = torch.ones(2, requires_grad=True)
torch.autograd.grad((x * 2).sum(), torch.ones(2))
""",
    "grad_outputs_are_checked_before_inputs": """
a = torch.ones(2)
torch.autograd.grad(a.sum(), a)
""",
    "grad_outputs_checked_before_input_types": """
torch.autograd.grad(torch.ones(2).sum(), [3])
""",
    "grad_empty_inputs": """
x = torch.ones(2, requires_grad=True)
torch.autograd.grad((x * 2).sum(), [])
""",
    "grad_input_not_a_tensor": """
x = torch.ones(2, requires_grad=True)
torch.autograd.grad((x * 2).sum(), [x, "s"])
""",
    "grad_input_a_number": """
x = torch.ones(2, requires_grad=True)
torch.autograd.grad((x * 2).sum(), 3)
""",
    "grad_fewer_grad_outputs": """
x = torch.ones(2, requires_grad=True)
y = x * 2
torch.autograd.grad([y, y], [x], [torch.ones(2)])
""",
    "grad_extra_grad_outputs_are_ignored": """
x = torch.ones(2, requires_grad=True)
print(torch.autograd.grad([x * 2], [x], [torch.ones(2), torch.ones(2)]))
""",
    "grad_output_gradient_a_number": """
x = torch.ones(2, requires_grad=True)
torch.autograd.grad([x * 2], [x], [1])
""",
    "grad_inputs_dict": """
x = torch.ones(2, requires_grad=True)
print(torch.autograd.grad((x * 2).sum(), {"x": x}))
""",
    "grad_only_inputs_deprecated": """
x = torch.ones(2, requires_grad=True)
print(torch.autograd.grad((x * 2).sum(), x, only_inputs=False))
""",
    "backward_empty_inputs": """
x = torch.ones(2, requires_grad=True)
(x * 2).sum().backward(inputs=[])
""",
    "autograd_backward_empty_inputs": """
x = torch.ones(2, requires_grad=True)
torch.autograd.backward((x * 2).sum(), inputs=[])
""",
    "backward_input_not_a_tensor": """
x = torch.ones(2, requires_grad=True)
(x * 2).sum().backward(inputs=[3])
""",
    "backward_input_does_not_require_grad": """
x = torch.ones(2, requires_grad=True)
(x * 2).sum().backward(inputs=[torch.ones(2)])
""",
    "backward_non_leaf_input_gets_grad": """
x = torch.ones(2, requires_grad=True)
z = x * 2
(z * 3).sum().backward(inputs=[z])
print(z.grad, z.retains_grad, x.grad)
""",
    "backward_inputs_dict": """
x = torch.ones(2, requires_grad=True)
(x * 2).sum().backward(inputs={"x": x})
print(x.grad)
""",
    "backward_gradient_types_before_count": """
x = torch.ones(2, requires_grad=True)
(x * 2).backward([1, 2, 3])
""",
    "backward_gradient_a_number": """
x = torch.ones((), requires_grad=True)
(x * 2).backward(1.0)
""",
    "backward_fewer_gradients": """
x = torch.ones(2, requires_grad=True)
y = x * 2
torch.autograd.backward([y, y], [torch.ones(2)])
""",
    "backward_extra_gradients_are_ignored": """
x = torch.ones(2, requires_grad=True)
torch.autograd.backward([x * 2], [torch.ones(2), torch.ones(2)])
print(x.grad)
""",
    "backward_shape_checked_before_requires_grad": """
torch.ones(3).backward(torch.ones(2))
""",
    "backward_integer_gradient_is_cast": """
x = torch.ones(2, requires_grad=True)
(x * 2).backward(torch.ones(2, dtype=torch.long))
print(x.grad)
""",
    "backward_grad_variables_deprecated": """
x = torch.ones(2, requires_grad=True)
torch.autograd.backward(x * 2, grad_variables=torch.ones(2))
print(x.grad)
torch.autograd.backward(x * 2, torch.ones(2), grad_variables=torch.ones(2))
""",
    "grad_materialized_zeros_follow_create_graph": """
x = torch.tensor([1., 2., 3.], requires_grad=True)
z = torch.tensor([1., 2., 3.], requires_grad=True)
print(torch.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True, create_graph=True))
""",
    "complex_output_needs_a_gradient": """
x = torch.tensor(1 + 2j, requires_grad=True)
(x * 2).backward()
""",
    "modified_saved_input_message": """
x = torch.ones(2, requires_grad=True)
y = x * 2
z = y * y
y.add_(1)
z.sum().backward()
""",
    "modified_saved_leaf_message": """
x = torch.ones(2, requires_grad=True)
w = torch.ones(2)
z = x * w
w.add_(1)
z.sum().backward()
""",
}

# What a tensor hook may return.
TENSOR_HOOKS: dict[str, str] = {
    "hook_returns_a_number": """
x = torch.ones(2, requires_grad=True)
y = x * 2
def myhook(g):
    return 3
y.register_hook(myhook)
y.sum().backward()
""",
    "hook_changes_the_size": """
x = torch.ones(2, requires_grad=True)
y = x * 2
def myhook(g):
    return torch.ones(3)
y.register_hook(myhook)
y.sum().backward()
""",
    "lambda_hook_changes_the_size": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.register_hook(lambda g: torch.ones(3))
y.sum().backward()
""",
    "callable_object_hook_has_no_name": """
x = torch.ones(2, requires_grad=True)
y = x * 2
class Hook:
    def __call__(self, g):
        return torch.ones(3)
y.register_hook(Hook())
y.sum().backward()
""",
    "hook_changes_the_dtype": """
x = torch.ones(2, requires_grad=True)
y = x * 2
def myhook(g):
    return g.double()
y.register_hook(myhook)
torch.autograd.grad(y.sum(), x)
""",
    "hook_makes_an_integer_gradient": """
x = torch.ones(2, requires_grad=True)
y = x * 2
def myhook(g):
    return g.long()
y.register_hook(myhook)
y.sum().backward()
""",
    "leaf_hook_changes_the_dtype": """
x = torch.ones(2, requires_grad=True)
def myhook(g):
    return g.half()
x.register_hook(myhook)
(x * 2).sum().backward()
""",
    "leaf_hook_changes_the_size": """
x = torch.ones(2, requires_grad=True)
def myhook(g):
    return g[:1]
x.register_hook(myhook)
(x * 2).sum().backward()
""",
    "leaf_hook_returns_a_list": """
x = torch.ones(2, requires_grad=True)
x.register_hook(lambda g: [1.0])
(x * 2).sum().backward()
""",
}

# Inference mode and inference tensors.
INFERENCE: dict[str, str] = {
    "inference_tensors": """
x = torch.ones(2, requires_grad=True)
with torch.inference_mode():
    y = x * 2
    z = torch.ones(2)
    print(torch.is_inference_mode_enabled(), torch.is_grad_enabled())
    print(y.is_inference(), z.is_inference(), y.requires_grad)
print(y.is_inference(), x.is_inference(), torch.is_inference_mode_enabled())
print((x * 2).is_inference(), (z * 2).is_inference())
""",
    "factories_make_inference_tensors": """
with torch.inference_mode():
    made = [torch.tensor([1.0, 2.0]), torch.zeros(3), torch.arange(3), torch.randn(2), torch.full((2,), 3.0),
            torch.zeros_like(torch.ones(2)), torch.from_numpy(np.ones(2)), torch.as_tensor([1.0, 2.0])]
print([t.is_inference() for t in made])
""",
    "views_follow_their_base": """
x = torch.ones(4, requires_grad=True)
with torch.inference_mode():
    c = torch.ones(4)
    print(x.view(4).is_inference(), x[0].is_inference(), x.unbind()[0].is_inference(), x.detach().is_inference())
    print(c[:2].is_inference(), c.clone().is_inference())
print(c[:2].is_inference(), c.reshape(2, 2).is_inference(), c.t().is_inference(), c.detach().is_inference())
print(c.data.is_inference(), c.clone().is_inference(), c.double().is_inference())
""",
    "inference_mode_false": """
with torch.inference_mode():
    with torch.inference_mode(False):
        c = torch.ones(2)
        print(torch.is_inference_mode_enabled(), torch.is_grad_enabled(), c.is_inference())
    d = torch.ones(2)
print(c.is_inference(), d.is_inference())
""",
    "inference_mode_decorators": """
@torch.inference_mode()
def f(x):
    return x * 2
y = f(torch.ones(2, requires_grad=True))
print(y.is_inference(), y.requires_grad)
@torch.inference_mode
def g(x):
    return x * 2
print(g(torch.ones(2)).is_inference())
""",
    "inference_tensor_saved_for_backward": """
x = torch.ones(2, requires_grad=True)
with torch.inference_mode():
    c = torch.ones(2)
y = x * c
""",
    "inference_tensor_not_saved_is_fine": """
x = torch.ones(2, requires_grad=True)
with torch.inference_mode():
    c = torch.ones(2)
y = x + c
print(y, y.is_inference())
y.sum().backward()
print(x.grad)
""",
    "inference_input_of_linear": """
lin = torch.nn.Linear(2, 2)
with torch.inference_mode():
    x = torch.ones(1, 2)
lin(x)
""",
    "inference_tensor_saved_by_a_function": """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, c):
        ctx.save_for_backward(c)
        return a * c
    @staticmethod
    def backward(ctx, g):
        c, = ctx.saved_tensors
        return g * c, None
x = torch.ones(2, requires_grad=True)
with torch.inference_mode():
    c = torch.ones(2) * 3
print(F.apply(torch.ones(2), c))
F.apply(x, c)
""",
    "requires_grad_on_inference_tensor": """
with torch.inference_mode():
    c = torch.ones(2)
    d = torch.ones(2, requires_grad=True)
    print(d.requires_grad, d.is_inference())
c.requires_grad_(False)
c.requires_grad_()
""",
    "parameter_of_inference_tensor": """
with torch.inference_mode():
    a = torch.ones(2)
print(torch.nn.Parameter(a, requires_grad=False).is_inference())
torch.nn.Parameter(a)
""",
    "inplace_inside_inference_mode": """
x = torch.ones(2)
with torch.inference_mode():
    c = torch.ones(2)
    c.add_(1)
    x.mul_(3)
print(c, x, x._version)
""",
    "inplace_add_outside_inference_mode": """
with torch.inference_mode():
    c = torch.ones(2)
try:
    c.add_(1)
except RuntimeError as e:
    print(e)
print(c)
""",
    "inplace_mul_under_no_grad": """
with torch.inference_mode():
    c = torch.ones(2)
with torch.no_grad():
    c.mul_(2)
""",
    "zero_outside_inference_mode": """
with torch.inference_mode():
    c = torch.ones(2)
c.zero_()
""",
    "setitem_outside_inference_mode": """
with torch.inference_mode():
    c = torch.ones(2)
c[0] = 3
""",
    "inplace_on_a_view": """
with torch.inference_mode():
    c = torch.ones(4)
c[:2].add_(1)
""",
    "inference_tensors_have_no_version": """
with torch.inference_mode():
    c = torch.ones(2)
print(torch.ones(2)._version)
print(c._version)
""",
    "backward_inside_inference_mode": """
x = torch.ones(2, requires_grad=True)
y = (x * x).sum()
with torch.inference_mode():
    y.backward()
print(x.grad, x.grad.is_inference())
""",
}

# Saved-tensor hooks (torch.autograd.graph).
SAVED_TENSOR_HOOKS: dict[str, str] = {
    "pack_and_unpack": """
def pack_hook(x):
    print("Packing", x)
    return x.detach()
def unpack_hook(x):
    print("Unpacking", x)
    return x
a = torch.ones(5, requires_grad=True)
b = torch.ones(5) * 2
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = a * b
y.sum().backward()
print(a.grad)
""",
    "inputs_and_outputs_are_packed": """
def pack(t):
    print("pack", t.shape, t.requires_grad, t.grad_fn)
    return t.detach().clone()
def unpack(p):
    print("unpack", p.shape)
    return p
x = torch.ones(2, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = x * x
    z = y.exp()
z.sum().backward()
print(x.grad)
""",
    "only_tensors_saved_for_backward_are_packed": """
x = torch.ones(2, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda t: print("pack", t.shape) or t, lambda p: p):
    c = x * 2.0
    d = x.pow(2)
    e = x.sum()
    f = x + x
    with torch.no_grad():
        g = x.sin()
""",
    "unpacked_tensor_takes_the_saved_place_in_the_graph": """
x = torch.ones(2, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda t: t.detach(), lambda p: p):
    y = x.sin()
g, = torch.autograd.grad(y.sum(), x, create_graph=True)
print(g)
g2, = torch.autograd.grad(g.sum(), x)
print(g2)
""",
    "unpack_decides_the_values": """
x = torch.ones(2, requires_grad=True)
y = torch.ones(2, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: y * 3):
    b = x * x
b.sum().backward()
print(x.grad, y.grad)
""",
    "packed_tensors_are_not_version_checked": """
a = torch.ones(2, requires_grad=True) * 1
with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
    b = a * a
a.add_(1)
b.sum().backward()
print("no error")
""",
    "unpack_must_return_a_tensor": """
x = torch.ones(2, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: 3):
    b = x * x
b.sum().backward()
""",
    "pack_must_not_modify_its_input": """
def bad(t):
    t.add_(1)
    return t
a = torch.ones(2, requires_grad=True) * 1
with torch.autograd.graph.saved_tensors_hooks(bad, lambda p: p):
    b = a * a
""",
    "hooks_run_with_grad_mode_as_torch": """
x = torch.ones(2, requires_grad=True)
def pk(t):
    print("pack grad enabled", torch.is_grad_enabled())
    return t
def up(p):
    print("unpack grad enabled", torch.is_grad_enabled())
    return p
with torch.autograd.graph.saved_tensors_hooks(pk, up):
    b = x.sin()
torch.autograd.grad(b.sum(), x, create_graph=True)
""",
    "innermost_pair_is_used": """
x = torch.ones(2, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda t: print("outer") or t, lambda p: p):
    with torch.autograd.graph.saved_tensors_hooks(lambda t: print("inner") or t, lambda p: p):
        b = x * x
    c = x.exp()
d = x.exp()
""",
    "retain_graph_unpacks_again": """
x = torch.ones(2, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda t: print("pack") or t.detach(), lambda p: print("unpack") or p):
    c = x.sin()
c.sum().backward(retain_graph=True)
c.sum().backward()
print(x.grad)
c.sum().backward()
""",
    "custom_function_saved_tensors": """
x = torch.ones(2, requires_grad=True)
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * 2
    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        print("saved", a.requires_grad, a is x, a.grad_fn)
        return g * 2
class G(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        o = a.exp()
        ctx.save_for_backward(o)
        return o
    @staticmethod
    def backward(ctx, g):
        o, = ctx.saved_tensors
        print("saved out", o.requires_grad, type(o.grad_fn).__name__)
        return g * o
with torch.autograd.graph.saved_tensors_hooks(lambda t: print("pack", t.shape) or t.detach(), lambda p: print("unpack") or p):
    c = F.apply(x)
    d = G.apply(x)
(c + d).sum().backward()
print(x.grad)
""",
    "multi_output_ops": """
x = torch.tensor([[1., 5., 3.], [4., 2., 6.]], requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda t: t.detach(), lambda p: p):
    v, i = x.max(dim=1)
    s = x.sort(dim=1)[0]
(v.sum() + (s * torch.arange(3.)).sum()).backward()
print(x.grad)
""",
    "save_on_cpu": """
x = torch.randn(3, requires_grad=True)
with torch.autograd.graph.save_on_cpu():
    y = (x * x).exp().sin()
y.sum().backward()
g1 = x.grad.clone()
x.grad = None
(x * x).exp().sin().sum().backward()
print(torch.allclose(g1, x.grad))
with torch.autograd.graph.save_on_cpu(pin_memory=True):
    y = (x * x).exp().sin()
y.sum().backward()
""",
    "disable_saved_tensors_hooks": """
with torch.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
    with torch.autograd.graph.save_on_cpu():
        pass
""",
    "disable_while_hooks_are_active": """
x = torch.ones(2, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda t: print("packed") or t, lambda p: p):
    try:
        with torch.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            pass
    except RuntimeError as e:
        print("raised", e)
    b = x * x
with torch.autograd.graph.saved_tensors_hooks(lambda t: print("packed again") or t, lambda p: p):
    b = x * x
""",
}


@pytest.mark.parametrize("name", sorted(ARGUMENTS))
def test_backward_and_grad_check_arguments_as_torch(name: str, cpu_default: None) -> None:  # noqa: F811
    _check(ARGUMENTS[name])


@pytest.mark.parametrize("name", sorted(TENSOR_HOOKS))
def test_tensor_hook_results_are_checked_as_torch(name: str, cpu_default: None) -> None:  # noqa: F811
    _check(TENSOR_HOOKS[name])


@pytest.mark.parametrize("name", sorted(INFERENCE))
def test_inference_mode_matches_torch(name: str, cpu_default: None) -> None:  # noqa: F811
    _check(INFERENCE[name])


@pytest.mark.parametrize("name", sorted(SAVED_TENSOR_HOOKS))
def test_saved_tensor_hooks_match_torch(name: str, cpu_default: None) -> None:  # noqa: F811
    _check(SAVED_TENSOR_HOOKS[name])


def _in_subprocess(src: str, module: str) -> str:
    """What ``src`` prints in a fresh process with ``torch`` bound to ``module`` (for once-per-process behaviour)."""
    head = f"import warnings\nwarnings.simplefilter('always')\nimport {module} as torch\n"
    env = {k: v for k, v in os.environ.items() if k != "PLUGRAD_BACKEND"}  # a test-only backend is not installed
    proc = subprocess.run([sys.executable, "-c", head + textwrap.dedent(src)], capture_output=True, text=True,
                          timeout=120, check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    return re.sub(r" \(Triggered internally at [^)]*\)", "", proc.stdout)


_CREATE_GRAPH_WARNINGS = """
import warnings
x = torch.ones(2, requires_grad=True)
def count(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
        except RuntimeError as e:
            print("error:", str(e)[:40])
    print([str(w.message) for w in caught if w.category is UserWarning])
count(lambda: torch.ones(2).sum().backward(create_graph=True))
count(lambda: torch.autograd.grad((x * 2).sum(), x, create_graph=True))
count(lambda: (x * 2).sum().backward(create_graph=True))
count(lambda: (x * 3).sum().backward(create_graph=True))
"""


def test_backward_with_create_graph_warns_once_per_process_as_torch() -> None:
    expected = _in_subprocess(_CREATE_GRAPH_WARNINGS, "torch")
    assert "Using backward() with create_graph=True will create a reference cycle" in expected
    assert _in_subprocess(_CREATE_GRAPH_WARNINGS, "plugrad") == expected


_FLAGS = """
from plugrad.ops import registry
x = torch.ones(2, requires_grad=True)
(x * x).sum().backward()
print(registry._inference_seen, registry._special_saving)
with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
    print(registry._inference_seen, registry._special_saving)
print(registry._inference_seen, registry._special_saving)
with torch.inference_mode():
    pass
print(registry._inference_seen, registry._special_saving)
"""


def test_hot_path_checks_stay_off_until_a_feature_is_used() -> None:
    assert _in_subprocess(_FLAGS, "plugrad").split() == (
        ["False", "False", "False", "True", "False", "False", "True", "True"]
    )


def test_saved_tensor_hooks_apply_to_their_own_thread_only() -> None:
    x = plugrad.ones(2, requires_grad=True)
    packed_in: list[str] = []
    done = threading.Event()
    go = threading.Event()

    def other_thread() -> None:
        go.wait()
        x.exp()
        done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with plugrad.autograd.graph.saved_tensors_hooks(lambda t: packed_in.append(threading.current_thread().name) or t,
                                                    lambda p: p):
        go.set()
        done.wait(10)
        x.sin()
    worker.join()
    assert packed_in == [threading.current_thread().name]


def test_hook_moving_a_gradient_to_another_device_changes_its_type() -> None:
    from _devices import fake_cuda_registered

    with fake_cuda_registered() as cuda:
        x = plugrad.ones(2, device=cuda, requires_grad=True)
        y = x * 2

        def to_cpu(g: plugrad.Tensor) -> plugrad.Tensor:
            return g.cpu()

        y.register_hook(to_cpu)
        with pytest.raises(RuntimeError) as err:
            y.sum().backward()
    # PyTorch's wording (torch/csrc/autograd/python_hook.cpp), for a hook that moves a CUDA gradient to the CPU
    assert str(err.value) == "hook 'to_cpu' has changed the type of value (was torch.cuda.FloatTensor got torch.FloatTensor)"


def test_save_on_cpu_keeps_saved_tensors_on_the_cpu() -> None:
    from _devices import fake_cuda_registered

    with fake_cuda_registered() as cuda:
        x = plugrad.randn(3, device=cuda, requires_grad=True)
        with plugrad.autograd.graph.save_on_cpu():
            y = (x * x).exp()
        device, kept = y.grad_fn._out.packed
        assert (str(device), str(kept.device)) == ("cuda:0", "cpu")
        y.sum().backward()
        assert str(x.grad.device) == "cuda:0"
        expected = (2 * x * (x * x).exp()).detach()
        assert plugrad.allclose(x.grad, expected)
