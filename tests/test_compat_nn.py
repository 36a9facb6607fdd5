"""PyTorch behaviour of autograd corners, ``nn`` and ``optim`` that tutorials rely on.

Each behaviour is pinned with hard expected values; where PyTorch's output is the reference, a snippet is
also run against PyTorch itself (skipped with a reason when it is not installed).
"""

from __future__ import annotations

import math

import plugrad
import plugrad.nn.functional as F  # noqa: N812
import pytest


def _check_against_torch(src: str) -> None:
    """``src`` prints the same with ``torch`` bound to PyTorch and to plugrad (see test_torch_docs)."""
    pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")
    from plugrad.backend import default_backend_obj
    from test_torch_docs import _check

    # PyTorch runs these snippets on the CPU: so does plugrad, on a CPU backend even when the suite runs on another
    cpu = default_backend_obj() if default_backend_obj().device_type == "cpu" else "numpy"
    with plugrad.default_backend(cpu):
        _check(src)


def _close(t: plugrad.Tensor, expected: list, tol: float = 1e-5) -> None:
    got = t.tolist()
    flat_got = got if isinstance(got, list) else [got]
    flat_exp = expected if isinstance(expected, list) else [expected]

    def flatten(v: list) -> list:
        return [y for x in v for y in (flatten(x) if isinstance(x, list) else [x])]

    a, b = flatten(flat_got), flatten(flat_exp)
    assert len(a) == len(b), (got, expected)
    assert all(math.isclose(x, y, rel_tol=tol, abs_tol=tol) for x, y in zip(a, b)), (got, expected)


# --- autograd --------------------------------------------------------------------------------------------


def test_grad_with_is_grads_batched_gives_one_vjp_per_batch_entry() -> None:
    x = plugrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (jac,) = plugrad.autograd.grad(x**2, x, plugrad.eye(3), is_grads_batched=True)
    assert jac.tolist() == [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]
    y = plugrad.tensor(3.0, requires_grad=True)
    gx, gy = plugrad.autograd.grad((x * y, x.sum() * y), (x, y), (plugrad.eye(3), plugrad.tensor([1.0, 2.0, 0.0])),
                                   is_grads_batched=True)
    assert gx.tolist() == [[6.0, 3.0, 3.0], [6.0, 9.0, 6.0], [0.0, 0.0, 3.0]]
    assert gy.tolist() == [7.0, 14.0, 3.0]


def test_grad_with_is_grads_batched_frees_the_graph_after_the_last_entry() -> None:
    x = plugrad.tensor([1.0, 2.0], requires_grad=True)
    y = x**2
    plugrad.autograd.grad(y, x, plugrad.eye(2), is_grads_batched=True)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_grad_with_is_grads_batched_create_graph_is_differentiable() -> None:
    x = plugrad.tensor([1.0, 2.0], requires_grad=True)
    (g,) = plugrad.autograd.grad(x**3, x, plugrad.eye(2), is_grads_batched=True, create_graph=True)
    assert g.tolist() == [[3.0, 0.0], [0.0, 12.0]]
    g.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]


def test_detach_inplace_of_a_view_raises_as_torch() -> None:
    for base in (plugrad.ones(3), plugrad.ones(3, requires_grad=True)):
        with pytest.raises(RuntimeError, match=r"^Can't detach views in-place. Use detach\(\) instead."):
            base[0:1].detach_()
    y = plugrad.ones(3, requires_grad=True) * 2
    assert y.detach_() is y and not y.requires_grad and y.is_leaf


def test_assigning_a_grad_of_another_size_or_dtype_raises_torch_wording() -> None:
    x = plugrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^attempting to assign a gradient of size '\[3\]' to a tensor of size "
                                           r"'\[2\]'. Please ensure"):
        x.grad = plugrad.ones(3)
    with pytest.raises(RuntimeError, match="^attempting to assign a gradient with dtype 'double' to a tensor with "
                                           "grad_dtype 'Float'. The gradient must match"):
        x.grad = plugrad.ones(2, dtype=plugrad.float64)
    with pytest.raises(RuntimeError, match="with dtype 'long int' to a tensor"):
        x.grad = plugrad.ones(2, dtype=plugrad.int64)


def test_grad_setter_errors_match_torch() -> None:
    _check_against_torch("""
x = torch.ones(2, requires_grad=True)
for g in [torch.ones(3), torch.ones(2, dtype=torch.float64), torch.ones(2, dtype=torch.long),
          torch.ones(2, dtype=torch.half), torch.ones(2, dtype=torch.bool), torch.ones(2, dtype=torch.int32)]:
    try:
        x.grad = g
    except RuntimeError as e:
        print(e)
x[0:1].detach_()
""")


# --- class-index targets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_class_target_checks_come_in_torch_order(loss) -> None:
    x = plugrad.ones(2, 3)
    with pytest.raises(RuntimeError, match="^expected target dtype to be Long or Byte, but got Float$"):
        loss(x, plugrad.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="^expected target dtype to be Long or Byte, but got Int$"):
        loss(x, plugrad.tensor([0, 1], dtype=plugrad.int32))
    with pytest.raises(RuntimeError, match="^0D or 1D target tensor expected, multi-target not supported$"):
        loss(x, plugrad.ones(2, 2))
    with pytest.raises(ValueError, match=r"^Expected input batch_size \(2\) to match target batch_size \(3\)."):
        loss(x, plugrad.ones(3))
    assert loss(x, plugrad.tensor([0, 1], dtype=plugrad.uint8)).shape == ()


def test_class_target_errors_match_torch() -> None:
    _check_against_torch("""
for t in [torch.tensor([0., 1.]), torch.ones(2, 2), torch.ones(3), torch.tensor([0, 1], dtype=torch.int32),
          torch.tensor([0, 1], dtype=torch.uint8), torch.tensor([True, False])]:
    for f in (F.cross_entropy, F.nll_loss):
        try:
            print(f(torch.ones(2, 3), t))
        except (RuntimeError, ValueError) as e:
            print(type(e).__name__, e)
""")


# --- optimizers ----------------------------------------------------------------------------------------


def _two_steps(opt_cls, grad: float = 2.0, **kw) -> list[float]:
    p = plugrad.nn.Parameter(plugrad.tensor([1.0], dtype=plugrad.float64))
    opt = opt_cls([p], **kw)
    out = []
    for _ in range(2):
        p.grad = plugrad.tensor([grad], dtype=plugrad.float64)
        opt.step()
        out.append(p.item())
    return out


def test_rmsprop_follows_its_update_rule() -> None:
    v1 = 0.01 * 4
    v2 = 0.99 * v1 + 0.01 * 4
    want = [1 - 0.01 * 2 / (math.sqrt(v1) + 1e-8)]
    want.append(want[0] - 0.01 * 2 / (math.sqrt(v2) + 1e-8))
    assert _two_steps(plugrad.optim.RMSprop) == pytest.approx(want, rel=1e-14)
    assert _two_steps(plugrad.optim.RMSprop, maximize=True) == pytest.approx([2 - w for w in want], rel=1e-14)


def test_adagrad_follows_its_update_rule_and_makes_its_state_up_front() -> None:
    want = [1 - 0.1 * 2 / (2 + 1e-10)]
    want.append(want[0] - 0.1 / (1 + 0.5) * 2 / (math.sqrt(8) + 1e-10))
    assert _two_steps(plugrad.optim.Adagrad, lr=0.1, lr_decay=0.5) == pytest.approx(want, rel=1e-14)
    p = plugrad.nn.Parameter(plugrad.zeros(2))
    opt = plugrad.optim.Adagrad([p], initial_accumulator_value=0.5)
    assert opt.state[p]["sum"].tolist() == [0.5, 0.5] and opt.state[p]["step"].item() == 0.0


def test_new_optimizers_check_their_hyperparameters() -> None:
    p = plugrad.nn.Parameter(plugrad.zeros(1))
    with pytest.raises(ValueError, match="^Invalid alpha value: -1$"):
        plugrad.optim.RMSprop([p], alpha=-1)
    with pytest.raises(ValueError, match="^Invalid lr_decay value: -0.1$"):
        plugrad.optim.Adagrad([p], lr_decay=-0.1)
    with pytest.raises(ValueError, match="^Invalid rho value: 1.5$"):
        plugrad.optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="^Invalid momentum_decay value: -1$"):
        plugrad.optim.NAdam([p], momentum_decay=-1)
    with pytest.raises(RuntimeError, match="differentiable=True is not available"):
        plugrad.optim.SGD([p], lr=0.1, differentiable=True)


def test_optimizer_defaults_and_repr_list_torch_flags() -> None:
    p = plugrad.nn.Parameter(plugrad.zeros(1))
    assert list(plugrad.optim.SGD([p], lr=0.1).defaults) == [
        "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "foreach", "differentiable", "fused"]
    assert "    differentiable: False\n    foreach: None\n    fused: None\n" in repr(plugrad.optim.SGD([p], lr=0.1))
    assert list(plugrad.optim.Adam([p]).defaults)[-4:] == ["capturable", "differentiable", "fused",
                                                           "decoupled_weight_decay"]


@pytest.mark.parametrize("name,kw", [("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
                                     ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
                                     ("Adamax", {"lr": 0.05}), ("NAdam", {"lr": 0.05}),
                                     ("RAdam", {"lr": 0.05}), ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
                                     ("Adadelta", {"lr": 0.5})])
def test_new_optimizers_match_torch_over_twelve_steps_of_a_model(name: str, kw: dict) -> None:
    # Twelve steps take RAdam past its warm-up (rho_t > 5 from step six on), into the rectified branch.
    _check_against_torch(f"""
torch.manual_seed(0)
w = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=torch.float64, requires_grad=True)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0], [2.0, 0.0, 1.0]], dtype=torch.float64)
opt = torch.optim.{name}([w], **{kw!r})
for _ in range(12):
    opt.zero_grad()
    loss = ((x @ w.T).tanh() ** 2).sum()
    loss.backward()
    opt.step()
print(w.detach().numpy().round(12).tolist())
print(opt)
print(sorted(opt.state_dict()["state"][0]))
""")


# --- learning-rate schedulers -----------------------------------------------------------------------------


def _lrs(make, steps: int = 6, lr: float = 1.0, **opt_kw) -> list[float]:
    p = plugrad.nn.Parameter(plugrad.ones(1))
    opt = plugrad.optim.SGD([p], lr=lr, **opt_kw)
    sched = make(opt)
    out = [sched.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_common_schedulers_follow_their_formulas() -> None:
    lr_scheduler = plugrad.optim.lr_scheduler
    assert _lrs(lambda o: lr_scheduler.ExponentialLR(o, 0.5), 3) == [1.0, 0.5, 0.25, 0.125]
    assert _lrs(lambda o: lr_scheduler.MultiStepLR(o, [2, 4, 4], 0.5)) == [1.0, 1.0, 0.5, 0.5, 0.125, 0.125, 0.125]
    assert _lrs(lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1)), 3) == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4])
    assert _lrs(lambda o: lr_scheduler.MultiplicativeLR(o, lambda e: 0.5), 2) == [1.0, 0.5, 0.25]
    assert _lrs(lambda o: lr_scheduler.LinearLR(o, 0.25, total_iters=3), 4) == pytest.approx([0.25, 0.5, 0.75, 1, 1])
    assert _lrs(lambda o: lr_scheduler.ConstantLR(o, 0.5, total_iters=2), 3) == [0.5, 0.5, 1.0, 1.0]
    assert _lrs(lambda o: lr_scheduler.PolynomialLR(o, 4, 2.0), 5) == pytest.approx([1, 0.5625, 0.25, 0.0625, 0, 0])
    assert _lrs(lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2), 4) == pytest.approx([1, 0.5, 1, 0.5, 1])
    warmup = _lrs(lambda o: lr_scheduler.SequentialLR(
        o, [lr_scheduler.LinearLR(o, 0.5, total_iters=2), lr_scheduler.ExponentialLR(o, 0.5)], [2]), 4)
    assert warmup == pytest.approx([0.5, 0.75, 1.0, 0.5, 0.25])


def test_one_cycle_warms_up_then_anneals_and_cycles_momentum() -> None:
    p = plugrad.nn.Parameter(plugrad.ones(1))
    opt = plugrad.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = plugrad.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=0.4,
                                                  anneal_strategy="linear")
    seen = [(sched.get_last_lr()[0], opt.param_groups[0]["momentum"])]
    for _ in range(4):
        opt.step()
        sched.step()
        seen.append((sched.get_last_lr()[0], opt.param_groups[0]["momentum"]))
    lrs, moms = zip(*seen)
    assert lrs == pytest.approx([0.04, 1.0, 1.0 - (1 - 4e-6) / 3, 1.0 - 2 * (1 - 4e-6) / 3, 4e-6])
    assert moms == pytest.approx([0.95, 0.85, 0.85 + 0.1 / 3, 0.85 + 0.2 / 3, 0.95])
    sched.step()  # step 5 of 5: past the last phase's end, still allowed as in PyTorch
    with pytest.raises(ValueError, match="^Tried to step 6 times. The specified number of total steps is 5$"):
        sched.step()


def test_reduce_lr_on_plateau_waits_patience_epochs_then_cools_down() -> None:
    p = plugrad.nn.Parameter(plugrad.ones(1))
    opt = plugrad.optim.SGD([p], lr=1.0)
    sched = plugrad.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1, min_lr=0.2)
    got = []
    for metric in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]:
        sched.step(plugrad.tensor(metric))
        got.append(sched.get_last_lr()[0])
    assert got == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2]
    with pytest.raises(ValueError, match="^Factor should be < 1.0.$"):
        plugrad.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)


def test_scheduler_stepped_before_the_optimizer_warns() -> None:
    p = plugrad.nn.Parameter(plugrad.ones(1))
    opt = plugrad.optim.SGD([p], lr=1.0)
    sched = plugrad.optim.lr_scheduler.StepLR(opt, 1)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        sched.get_lr()


def test_schedulers_match_torch_over_eleven_steps() -> None:
    _check_against_torch("""
import warnings
warnings.simplefilter("ignore")
L = torch.optim.lr_scheduler
makers = {
    "lambda": lambda o: L.LambdaLR(o, lambda e: 0.9 ** e),
    "mult": lambda o: L.MultiplicativeLR(o, lambda e: 0.95),
    "multistep": lambda o: L.MultiStepLR(o, [2, 5, 5], 0.5),
    "constant": lambda o: L.ConstantLR(o, 0.5, 3),
    "linear": lambda o: L.LinearLR(o, 0.25, 1.0, 4),
    "exp": lambda o: L.ExponentialLR(o, 0.8),
    "poly": lambda o: L.PolynomialLR(o, 6, 2.0),
    "cos": lambda o: L.CosineAnnealingLR(o, 3, 0.01),
    "warm": lambda o: L.CosineAnnealingWarmRestarts(o, 3, 2, 0.001),
    "onecycle": lambda o: L.OneCycleLR(o, 1.0, total_steps=12),
    "onecycle3": lambda o: L.OneCycleLR(o, [1.0, 0.5], epochs=3, steps_per_epoch=4, three_phase=True,
                                        anneal_strategy="linear"),
    "seq": lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=3), L.ExponentialLR(o, 0.9)], [3]),
    "chain": lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 4), L.ExponentialLR(o, 0.9)]),
}
for name, mk in makers.items():
    a = torch.nn.Parameter(torch.ones(1))
    b = torch.nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    s = mk(opt)
    out = []
    for _ in range(11):
        opt.step()
        s.step()
        out.append([round(x, 12) for x in s.get_last_lr()] + [round(opt.param_groups[0]["momentum"], 12)])
    print(name, out, sorted(s.state_dict()))
p = torch.nn.Parameter(torch.ones(1))
opt = torch.optim.SGD([p], lr=1.0)
s = L.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1, min_lr=0.1)
for m in [1, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]:
    opt.step()
    s.step(m)
    print(s.get_last_lr(), s.num_bad_epochs, s.best)
for f in [lambda: L.LinearLR(opt, 0), lambda: L.ConstantLR(opt, 2), lambda: L.ReduceLROnPlateau(opt, mode="x"),
          lambda: L.OneCycleLR(opt, 1.0), lambda: L.OneCycleLR(opt, 1.0, total_steps=3, pct_start=1),
          lambda: L.CosineAnnealingWarmRestarts(opt, 0), lambda: L.LambdaLR(opt, [1, 2]),
          lambda: L.StepLR(opt, 2, last_epoch=3), lambda: L.SequentialLR(opt, [L.StepLR(opt, 2)], [1]),
          lambda: L.OneCycleLR(torch.optim.Adagrad([p]), 1.0, total_steps=2)]:
    try:
        f()
        print("ok")
    except Exception as e:
        print(type(e).__name__, e)
""")


# --- nn layers --------------------------------------------------------------------------------------------


def test_batch_norm_normalises_by_batch_statistics_and_tracks_running_ones() -> None:
    x = plugrad.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, -1.0], [2.0, 2.0, 2.0], [0.0, 1.0, 5.0]], requires_grad=True)
    bn = plugrad.nn.BatchNorm1d(3)
    y = bn(x)
    assert type(y.grad_fn).__name__ == "NativeBatchNormBackward0"
    _close(y[:, 0], [-0.507093, 1.521278, 0.169031, -1.183216])
    assert bn.running_mean.tolist() == pytest.approx([0.175, 0.125, 0.225])
    assert bn.running_var.tolist() == pytest.approx([1.191667, 0.991667, 1.525], rel=1e-5)  # unbiased variance
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == plugrad.int64
    (y * plugrad.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.abs().max().item() == 0.0  # a gradient constant over a channel has no effect
    assert bn.bias.grad.tolist() == [4.0, 8.0, 12.0]
    bn.eval()
    _close(bn(x)[0], [0.7557, 1.8829, 2.2471], tol=1e-4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert repr(bn) == "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


def test_batch_norm_momentum_none_is_a_cumulative_average() -> None:
    bn = plugrad.nn.BatchNorm2d(1, momentum=None, affine=False)
    for k in (1.0, 3.0):
        bn(plugrad.full((2, 1, 2, 2), k) + plugrad.tensor([[[[0.0, 1.0], [0.0, 1.0]]], [[[0.0, 1.0], [0.0, 1.0]]]]))
    assert bn.running_mean.tolist() == [2.5]  # the mean of the batch means 1.5 and 3.5
    assert bn.num_batches_tracked.item() == 2
    with pytest.raises(ValueError, match=r"^expected 4D input \(got 2D input\)$"):
        bn(plugrad.ones(2, 1))
    with pytest.raises(ValueError, match="^Expected more than 1 value per channel when training"):
        plugrad.nn.BatchNorm1d(3)(plugrad.ones(1, 3))


def test_batch_norm_gradients_pass_gradcheck() -> None:
    x = plugrad.tensor([[1.0, 2.0], [4.0, 0.0], [2.0, 3.0]], dtype=plugrad.float64, requires_grad=True)
    w = plugrad.tensor([1.5, 0.5], dtype=plugrad.float64, requires_grad=True)
    b = plugrad.tensor([0.1, -0.2], dtype=plugrad.float64, requires_grad=True)
    for training in (True, False):
        rm, rv = plugrad.tensor([0.5, 1.0], dtype=plugrad.float64), plugrad.tensor([2.0, 0.5], dtype=plugrad.float64)

        def f(x, w, b, rm=rm, rv=rv, training=training):
            return F.batch_norm(x, None if training else rm, None if training else rv, w, b, training=training)

        assert plugrad.autograd.gradcheck(f, (x, w, b))
        assert plugrad.autograd.gradgradcheck(f, (x, w, b))


def test_new_activation_modules_compute_and_print_as_torch_does() -> None:
    x = plugrad.tensor([-2.0, 0.5, 3.0])
    assert nn_call(plugrad.nn.Hardtanh(), x) == [-1.0, 0.5, 1.0]
    assert nn_call(plugrad.nn.Threshold(1.0, 20.0), x) == [20.0, 20.0, 3.0]
    assert nn_call(plugrad.nn.Softsign(), x) == pytest.approx([-2 / 3, 1 / 3, 0.75])
    assert nn_call(plugrad.nn.Hardsigmoid(), x) == pytest.approx([1 / 6, 3.5 / 6, 1.0])
    assert repr(plugrad.nn.Hardtanh(-2, 2, True)) == "Hardtanh(min_val=-2, max_val=2, inplace=True)"
    assert repr(plugrad.nn.CELU(0.5)) == "CELU(alpha=0.5)" and repr(plugrad.nn.Mish(True)) == "Mish(inplace=True)"
    assert repr(plugrad.nn.Hardswish()) == "Hardswish()" and repr(plugrad.nn.PReLU(3)) == "PReLU(num_parameters=3)"
    with pytest.raises(AssertionError, match=r"^max_val \(0\) must be greater than min_val \(1\)$"):
        plugrad.nn.Hardtanh(1, 0)


def nn_call(module, x) -> list:
    return module(x).tolist()


def test_prelu_learns_one_slope_per_channel() -> None:
    m = plugrad.nn.PReLU(2)
    assert m.weight.tolist() == [0.25, 0.25]
    x = plugrad.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    y = m(x)
    assert y.tolist() == [[-0.25, 2.0], [3.0, -1.0]] and type(y.grad_fn).__name__ == "PreluKernelBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[0.25, 1.0], [1.0, 0.25]] and m.weight.grad.tolist() == [-1.0, -4.0]
    with pytest.raises(RuntimeError, match="^Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 2 and channel size = 3.$"):
        F.prelu(plugrad.ones(2, 3), plugrad.ones(2))


def test_bce_smooth_l1_huber_and_kl_div_losses() -> None:
    p = plugrad.tensor([0.2, 0.9], requires_grad=True)
    t = plugrad.tensor([0.0, 1.0])
    loss = plugrad.nn.BCELoss()(p, t)
    assert type(loss.grad_fn).__name__ == "BinaryCrossEntropyBackward0"
    assert loss.item() == pytest.approx(-(math.log(0.8) + math.log(0.9)) / 2, rel=1e-6)
    loss.backward()
    _close(p.grad, [0.5 / 0.8, -0.5 / 0.9])
    assert F.binary_cross_entropy(plugrad.tensor([0.0]), plugrad.tensor([1.0])).item() == 100.0  # log floored
    with pytest.raises(RuntimeError, match="^all elements of input should be between 0 and 1$"):
        F.binary_cross_entropy(plugrad.tensor([1.5]), plugrad.tensor([1.0]))
    d = plugrad.tensor([-3.0, -0.5, 0.2, 2.0])
    zero = plugrad.zeros(4)
    assert F.smooth_l1_loss(d, zero, reduction="none").tolist() == pytest.approx([2.5, 0.125, 0.02, 1.5])
    assert F.smooth_l1_loss(d, zero, reduction="none", beta=0.25).tolist() == pytest.approx([2.875, 0.375, 0.08,
                                                                                              1.875])
    assert F.huber_loss(d, zero, reduction="none", delta=0.5).tolist() == pytest.approx([1.375, 0.125, 0.02, 0.875])
    assert type(F.huber_loss(d.requires_grad_(), zero).grad_fn).__name__ == "HuberLossBackward0"
    logq = plugrad.tensor([[0.25, 0.75]]).log()
    target = plugrad.tensor([[0.5, 0.5]])
    kl = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert F.kl_div(logq, target, reduction="batchmean").item() == pytest.approx(kl, rel=1e-6)
    assert F.kl_div(logq, target.log(), reduction="sum", log_target=True).item() == pytest.approx(kl, rel=1e-6)
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        F.kl_div(logq, target)


def test_average_pooling_divides_by_torch_divisors() -> None:
    x = plugrad.arange(16.0).reshape(1, 1, 4, 4).requires_grad_()
    y = F.avg_pool2d(x, 2)
    assert y.tolist() == [[[[2.5, 4.5], [10.5, 12.5]]]] and type(y.grad_fn).__name__ == "AvgPool2DBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[[[0.25] * 4] * 4]]
    corner = F.avg_pool2d(x, 3, 2, 1)[0, 0, 0, 0].item()
    assert corner == pytest.approx((0 + 1 + 4 + 5) / 9)  # padding counted
    assert F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)[0, 0, 0, 0].item() == pytest.approx(2.5)
    assert F.avg_pool2d(x, 3, 2, 1, divisor_override=2)[0, 0, 0, 0].item() == 5.0
    assert F.avg_pool2d(x, 3, ceil_mode=True).shape == (1, 1, 2, 2)
    b = F.adaptive_avg_pool2d(plugrad.arange(10.0).reshape(1, 1, 2, 5), (1, 2))
    assert b.tolist() == [[[[3.5, 5.5]]]]  # columns 0..2 and 2..4: the windows overlap at column 2
    y = F.adaptive_avg_pool2d(x, (2, 3))
    assert type(y.grad_fn).__name__ == "AdaptiveAvgPool2DBackward0" and y.shape == (1, 1, 2, 3)
    assert type(F.adaptive_avg_pool2d(x, 1).grad_fn).__name__ == "MeanBackward1"
    assert repr(plugrad.nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(plugrad.nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"


def test_pad_constant_and_index_modes() -> None:
    x = plugrad.arange(6.0).reshape(2, 3).requires_grad_()
    y = F.pad(x, (1, 2), value=-1.0)
    assert y.tolist() == [[-1.0, 0.0, 1.0, 2.0, -1.0, -1.0], [-1.0, 3.0, 4.0, 5.0, -1.0, -1.0]]
    assert type(y.grad_fn).__name__ == "ConstantPadNdBackward0"
    F.pad(x, (-1, 0, 1, 0)).sum().backward()  # negative amounts crop
    assert x.grad.tolist() == [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    row = plugrad.arange(4.0).reshape(1, 1, 4)
    assert F.pad(row, (2, 1), "reflect").tolist() == [[[2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0]]]
    assert F.pad(row, (2, 1), "replicate").tolist() == [[[0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 3.0]]]
    assert F.pad(row, (2, 1), "circular").tolist() == [[[2.0, 3.0, 0.0, 1.0, 2.0, 3.0, 0.0]]]
    with pytest.raises(RuntimeError, match="^Padding length must be divisible by 2$"):
        F.pad(x, (1,))


def test_one_hot_normalize_and_cosine_similarity() -> None:
    assert F.one_hot(plugrad.tensor([0, 2])).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(plugrad.tensor([1]), 3).dtype == plugrad.int64
    with pytest.raises(RuntimeError, match="^Class values must be smaller than num_classes.$"):
        F.one_hot(plugrad.tensor([3]), 2)
    x = plugrad.tensor([[3.0, 4.0], [0.0, 0.0]])
    _close(F.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    _close(F.cosine_similarity(x, plugrad.tensor([[1.0, 0.0], [1.0, 1.0]])), [0.6, 0.0])


def test_channel_dropout_zeroes_whole_channels() -> None:
    plugrad.manual_seed(0)
    y = plugrad.nn.Dropout2d(0.5)(plugrad.ones(16, 4, 3, 3))
    sums = y.sum((2, 3)).flatten().tolist()
    assert set(sums) == {0.0, 18.0}  # each channel all dropped or all kept (and scaled by 2)
    assert plugrad.nn.Dropout2d().eval()(plugrad.ones(2, 2, 2, 2)).sum().item() == 16.0
    assert set(plugrad.nn.Dropout1d(0.5)(plugrad.ones(16, 4, 3)).sum(2).flatten().tolist()) == {0.0, 6.0}


def test_parameter_list_and_dict_register_parameters() -> None:
    # CPU tensors: the printed type names the device (torch.cuda.FloatTensor ... (cuda:0) elsewhere)
    pl = plugrad.nn.ParameterList([plugrad.nn.Parameter(plugrad.ones(2, 3, device="cpu")), plugrad.zeros(2, device="cpu")])
    assert isinstance(pl[1], plugrad.nn.Parameter) and [n for n, _ in pl.named_parameters()] == ["0", "1"]
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [torch.float32 of size 2x3]\n"
                        "    (1): Parameter containing: [torch.float32 of size 2]\n)")
    pd = plugrad.nn.ParameterDict({"b": plugrad.ones(2, device="cpu"),
                                   "a": plugrad.zeros(3, dtype=plugrad.float64, device="cpu")})
    assert list(pd) == ["a", "b"]  # a plain dict is added in sorted key order, as in PyTorch
    assert repr(pd).splitlines()[1] == "    (a): Parameter containing: [torch.DoubleTensor of size 3]"
    model = plugrad.nn.Module()
    model.pl, model.pd = pl, pd
    assert list(model.state_dict()) == ["pl.0", "pl.1", "pd.a", "pd.b"]
    assert len(list(model.parameters())) == 4
    assert plugrad.nn.Unflatten(1, (2, 3))(plugrad.ones(4, 6)).shape == (4, 2, 3)


def test_new_nn_pieces_match_torch() -> None:
    _check_against_torch("""
import torch.nn as nn
for m in [nn.Softsign(), nn.Hardtanh(), nn.Mish(True), nn.Hardswish(), nn.Hardsigmoid(True), nn.SELU(True),
          nn.CELU(0.5, True), nn.LogSigmoid(), nn.Softmin(1), nn.Tanhshrink(), nn.Threshold(0.1, 20, True),
          nn.PReLU(3, 0.1), nn.Unflatten(1, (2, 3)), nn.Dropout1d(), nn.Dropout2d(0.3), nn.BatchNorm1d(3),
          nn.BatchNorm2d(4, momentum=None, affine=False), nn.BatchNorm3d(2, track_running_stats=False, bias=False),
          nn.AvgPool2d(3, 1, 1, ceil_mode=True), nn.AdaptiveAvgPool2d(3), nn.BCELoss(), nn.SmoothL1Loss(),
          nn.HuberLoss(), nn.KLDivLoss(), nn.Softmax2d()]:
    print(repr(m))
x = torch.tensor([[1., 2., 3.], [4., 0., -1.], [2., 2., 2.], [0., 1., 5.]], requires_grad=True)
bn = nn.BatchNorm1d(3)
y = bn(x)
print(y, bn.running_mean, bn.running_var, bn.num_batches_tracked)
(y * torch.tensor([1., 0., 3.]) + y ** 2).sum().backward()
print(x.grad, bn.weight.grad, bn.bias.grad)
bn.eval()
print(bn(x), list(bn.state_dict()))
bn = nn.BatchNorm2d(2, momentum=None)
for k in range(3):
    bn(torch.arange(16.).view(2, 2, 2, 2) * (k + 1))
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
p = torch.tensor([[0.2, 0.9], [0.5, 0.01]], requires_grad=True)
t = torch.tensor([[0., 1.], [1., 0.]])
for red in ["mean", "sum", "none"]:
    for m in [nn.BCELoss(reduction=red), nn.BCELoss(weight=torch.tensor([1., 2.]), reduction=red),
              nn.SmoothL1Loss(reduction=red, beta=0.3), nn.HuberLoss(reduction=red, delta=0.4),
              nn.KLDivLoss(reduction=red)]:
        loss = m(p, t)
        print(type(m).__name__, loss, torch.autograd.grad(loss.sum(), p))
x = torch.arange(50., requires_grad=True).view(2, 5, 5)
for m in [nn.AvgPool2d(3, 2, 1), nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
          nn.AvgPool2d((2, 3), (1, 2), (1, 0), divisor_override=3), nn.AdaptiveAvgPool2d(1),
          nn.AdaptiveAvgPool2d((2, 3)), nn.AdaptiveAvgPool2d((None, 2)), nn.AdaptiveAvgPool2d(7)]:
    y = m(x)
    print(y, torch.autograd.grad((y * y).sum(), x))
x = torch.arange(6., requires_grad=True).view(1, 2, 3)
for args in [((1, 2),), ((1, 1, 2, 0), "constant", 9.), ((-1, 1),), ((1, 2, 1, 1), "reflect"), ((2, 1), "replicate"),
             ((1, 2, 1, 0), "circular")]:
    y = F.pad(x, *args)
    print(y.detach(), torch.autograd.grad((y * y).sum(), x))
for f in [lambda: F.pad(torch.ones(2, 2), (3, 0), "reflect"), lambda: F.pad(torch.ones(2, 2), (1, 1), "foo"),
          lambda: F.binary_cross_entropy(torch.ones(3, 1) * 0.5, torch.ones(3)),
          lambda: F.one_hot(torch.tensor([0., 1.])), lambda: F.one_hot(torch.tensor([-1])),
          lambda: F.batch_norm(torch.ones(4, 2), None, None, training=False),
          lambda: F.batch_norm(torch.ones(4, 2), torch.ones(2), torch.ones(3), training=False)]:
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
pl = nn.ParameterList([nn.Parameter(torch.ones(2, 3)), torch.zeros(2)])
pd = nn.ParameterDict({'b': nn.Parameter(torch.ones(2)), 'a': torch.zeros(3, dtype=torch.float64)})
print(pl, pd, pl[0:1], nn.ParameterList())
""")


# --- Module hooks, init, utils, Parameter, Function -----------------------------------------------------------


def _linear_2_1() -> plugrad.nn.Linear:
    m = plugrad.nn.Linear(2, 1)
    with plugrad.no_grad():
        m.weight.copy_(plugrad.tensor([[2.0, -1.0]]))
        m.bias.fill_(0.5)
    return m


def test_full_backward_hooks_see_and_may_replace_module_gradients() -> None:
    m = _linear_2_1()
    seen = []
    m.register_full_backward_pre_hook(lambda mod, gout: seen.append(("pre", [g.tolist() for g in gout])))
    m.register_full_backward_hook(lambda mod, gin, gout: (seen.append(("post", [g.tolist() for g in gin],
                                                                      [g.tolist() for g in gout])),
                                                          (gin[0] * 10,))[1])
    x = plugrad.ones(3, 2, requires_grad=True)
    (m(x) * plugrad.tensor([[1.0], [2.0], [3.0]])).sum().backward()
    assert seen == [("pre", [[[1.0], [2.0], [3.0]]]),
                    ("post", [[[2.0, -1.0], [4.0, -2.0], [6.0, -3.0]]], [[[1.0], [2.0], [3.0]]])]
    assert x.grad.tolist() == [[20.0, -10.0], [40.0, -20.0], [60.0, -30.0]]
    assert m.weight.grad.tolist() == [[6.0, 6.0]]  # parameters' gradients are not the hook's to change
    with pytest.raises(RuntimeError, match="^Cannot use both regular backward hooks and full backward hooks"):
        m.register_backward_hook(lambda *a: None)


def test_full_backward_hook_without_input_gradients_gets_nones() -> None:
    m = _linear_2_1()
    seen = []
    m.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin, gout[0].shape)))
    with pytest.warns(UserWarning, match="^Full backward hook is firing when gradients are computed with respect "
                                         "to module outputs since no inputs require gradients."):
        m(plugrad.ones(4, 2)).sum().backward()
    assert seen == [((None,), (4, 1))]


def test_legacy_backward_hook_runs_on_the_output_node() -> None:
    m = _linear_2_1()
    seen = []
    m.register_backward_hook(lambda mod, gin, gout: seen.append(len(gin)))
    m(plugrad.ones(3, 2, requires_grad=True)).sum().backward()
    assert seen == [3]  # AddmmBackward0: bias, input, weight.T


def test_forward_hooks_take_kwargs_prepend_and_always_call() -> None:
    m = plugrad.nn.Identity()
    order = []
    m.register_forward_hook(lambda mod, args, out: order.append("a"))
    m.register_forward_hook(lambda mod, args, out: order.append("b"), prepend=True)
    m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 2,), kwargs), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: out + 1, with_kwargs=True)
    assert m(plugrad.tensor(3.0)).item() == 7.0 and order == ["b", "a"]

    class Boom(plugrad.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    b = Boom()
    calls = []
    b.register_forward_hook(lambda mod, args, out: calls.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        b(1)
    assert calls == [None]


def test_init_eye_dirac_orthogonal_trunc_normal() -> None:
    assert plugrad.nn.init.eye_(plugrad.empty(2, 3)).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    w = plugrad.nn.init.dirac_(plugrad.empty(4, 2, 3), groups=2)
    assert w[:, :, 1].tolist() == [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]] and w.sum().item() == 4.0
    q = plugrad.nn.init.orthogonal_(plugrad.empty(3, 5), gain=2.0)
    _close(q @ q.t(), [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]], tol=1e-5)
    t = plugrad.nn.init.trunc_normal_(plugrad.empty(2000), std=0.5, a=-0.2, b=0.3)
    assert -0.2 <= t.min().item() and t.max().item() <= 0.3 and t.std().item() > 0.1
    with pytest.raises(ValueError, match="^Only tensors with 2 dimensions are supported$"):
        plugrad.nn.init.eye_(plugrad.empty(2, 2, 2))
    with pytest.raises(ValueError, match="^Only tensors with 2 or more dimensions are supported$"):
        plugrad.nn.init.orthogonal_(plugrad.empty(3))
    with pytest.warns(FutureWarning, match=r"^`nn.init.uniform` is now deprecated in favor of `nn.init.uniform_`.$"):
        plugrad.nn.init.uniform(plugrad.empty(2))


def test_parameters_to_vector_and_back() -> None:
    m = plugrad.nn.Linear(2, 2)
    assert plugrad.nn.utils.parameters_to_vector(m.parameters()).shape == (6,)
    plugrad.nn.utils.vector_to_parameters(plugrad.arange(6.0), m.parameters())
    assert m.weight.tolist() == [[0.0, 1.0], [2.0, 3.0]] and m.bias.tolist() == [4.0, 5.0]
    assert isinstance(m.weight, plugrad.nn.Parameter) and m.weight.requires_grad


def test_integer_parameter_requiring_grad_raises_torch_wording() -> None:
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype can require "
                                           "gradients$"):
        plugrad.nn.Parameter(plugrad.ones(2, dtype=plugrad.int64))
    assert not plugrad.nn.Parameter(plugrad.ones(2, dtype=plugrad.int64), requires_grad=False).requires_grad


def test_function_output_marked_non_differentiable_stays_so_when_it_is_an_input() -> None:
    class PassThrough(plugrad.autograd.Function):
        @staticmethod
        def forward(ctx, x, c):
            ctx.mark_non_differentiable(c)
            return x, c

        @staticmethod
        def backward(ctx, gx, gc):
            return gx, None

    x = plugrad.ones(2, requires_grad=True)
    a, b = PassThrough.apply(x, plugrad.ones(2))
    assert a.requires_grad and a.grad_fn is not None
    assert not b.requires_grad and b.grad_fn is None


def test_module_hooks_match_torch() -> None:
    _check_against_torch("""
import torch.nn as nn
m = nn.Linear(2, 1)
with torch.no_grad():
    m.weight.copy_(torch.tensor([[2.0, -1.0]]))
m.register_full_backward_pre_hook(lambda mod, gout: print("pre", gout))
m.register_full_backward_hook(lambda mod, gin, gout: print("post", gin, gout))
x = torch.ones(3, 2, requires_grad=True)
m(x).sum().backward()
print(x.grad)
m(torch.ones(1, 2)).sum().backward()
try:
    m.register_backward_hook(lambda *a: None)
except RuntimeError as e:
    print(e)
n = nn.Identity()
n.register_forward_hook(lambda mod, i, o: print("a"))
n.register_forward_hook(lambda mod, i, o: print("b"), prepend=True)
n.register_forward_pre_hook(lambda mod, args, kwargs: print("pre", args, kwargs), with_kwargs=True)
n(1)
for f in [lambda: nn.init.eye_(torch.empty(2, 2, 2)), lambda: nn.init.orthogonal_(torch.empty(3)),
          lambda: nn.init.dirac_(torch.empty(3, 2, 3), groups=2), lambda: nn.Parameter(torch.ones(2, dtype=torch.long))]:
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
print(nn.init.eye_(torch.empty(2, 3)), nn.init.dirac_(torch.empty(4, 2, 3), groups=2))
""")


# --- recurrent layers ---------------------------------------------------------------------------------------


def _fixed_weights(module) -> None:
    with plugrad.no_grad():
        for k, p in enumerate(module.parameters()):
            p.copy_(plugrad.linspace(-0.5, 0.5, p.numel()).reshape(tuple(p.shape)) * (1 + 0.1 * k))


def test_rnn_step_follows_the_elman_formula() -> None:
    m = plugrad.nn.RNN(1, 1, bias=False)
    with plugrad.no_grad():
        m.weight_ih_l0.fill_(0.5)
        m.weight_hh_l0.fill_(2.0)
    out, h = m(plugrad.tensor([[[1.0]], [[0.0]]]))
    h1 = math.tanh(0.5)
    assert out.flatten().tolist() == pytest.approx([h1, math.tanh(2 * h1)], rel=1e-6)
    assert h.shape == (1, 1, 1) and h.item() == pytest.approx(math.tanh(2 * h1), rel=1e-6)


def test_lstm_parameters_shapes_and_outputs() -> None:
    m = plugrad.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    assert [n for n, _ in m.named_parameters()][:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                                        "weight_ih_l0_reverse"]
    assert m.weight_ih_l1.shape == (16, 8) and m.weight_hh_l0.shape == (16, 4)
    bound = 1 / math.sqrt(4)
    assert all(p.abs().max().item() <= bound for p in m.parameters())
    x = plugrad.randn(2, 5, 3, requires_grad=True)
    out, (h, c) = m(x)
    assert out.shape == (2, 5, 8) and h.shape == (4, 2, 4) and c.shape == (4, 2, 4)
    # The last step of the forward direction and the first of the backward one are the final hidden states.
    _close(out[:, -1, :4], h[2].tolist())
    _close(out[:, 0, 4:], h[3].tolist())
    out.sum().backward()
    assert x.grad.shape == (2, 5, 3) and m.weight_hh_l1_reverse.grad is not None
    assert repr(m) == "LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)"
    with pytest.raises(RuntimeError, match=r"^Expected hidden\[0\] size \(4, 2, 4\), got \[4, 3, 4\]$"):
        m(x, (plugrad.zeros(4, 3, 4), plugrad.zeros(4, 2, 4)))
    with pytest.raises(ValueError, match="^LSTM: Expected input to be 2D or 3D, got 4D instead$"):
        m(plugrad.ones(1, 2, 3, 4))


def test_cells_and_unbatched_input() -> None:
    cell = plugrad.nn.LSTMCell(3, 2)
    h, c = cell(plugrad.ones(3))
    assert h.shape == (2,) and c.shape == (2,)
    gru = plugrad.nn.GRU(3, 2)
    out, h = gru(plugrad.ones(4, 3))
    assert out.shape == (4, 2) and h.shape == (1, 2)
    with pytest.raises(ValueError, match="^Unknown nonlinearity 'x'. Select from 'tanh' or 'relu'.$"):
        plugrad.nn.RNN(3, 4, nonlinearity="x")


def test_recurrent_layers_match_torch() -> None:
    _check_against_torch("""
import torch.nn as nn
def fixed(m):
    with torch.no_grad():
        for k, p in enumerate(m.parameters()):
            p.copy_(torch.linspace(-0.5, 0.5, p.numel(), dtype=torch.float64).reshape(p.shape) * (1 + 0.1 * k))
x = (torch.arange(30., dtype=torch.float64).reshape(2, 5, 3) / 10 - 1).requires_grad_()
for m in [nn.LSTM(3, 4), nn.LSTM(3, 4, 2, bidirectional=True, batch_first=True), nn.LSTM(3, 5, proj_size=2),
          nn.GRU(3, 4, 2), nn.GRU(3, 4, bias=False, bidirectional=True), nn.RNN(3, 4, 2, nonlinearity="relu"),
          nn.RNN(3, 4)]:
    fixed(m.double())
    out, h = m(x)
    h = h if isinstance(h, tuple) else (h,)
    print(m, out.detach().numpy().round(5).tolist(), [t.detach().numpy().round(5).tolist() for t in h])
    gx, = torch.autograd.grad(out.sum() + sum((t ** 2).sum() for t in h), x)
    print(gx.numpy().round(5).tolist())
for c in [nn.LSTMCell(3, 4), nn.GRUCell(3, 4), nn.RNNCell(3, 4, nonlinearity="relu")]:
    fixed(c.double())
    s = c(x[0])
    s = c(x[1], s)
    print(c, [t.detach().numpy().round(5).tolist() for t in (s if isinstance(s, tuple) else (s,))])
m = nn.LSTM(3, 4, 2, bidirectional=True)
for f in [lambda: m(torch.ones(2, 3, 5)), lambda: m(torch.ones(2, 3, 3), (torch.zeros(4, 3, 4), torch.zeros(4, 3, 5))),
          lambda: m(torch.ones(2, 3), (torch.zeros(4, 3, 4), torch.zeros(4, 3, 4))),
          lambda: nn.GRU(3, 4)(torch.ones(2, 3, 3), torch.zeros(1, 3, 5)),
          lambda: nn.LSTMCell(3, 4)(torch.ones(2, 3), (torch.zeros(3, 4), torch.zeros(3, 4))),
          lambda: nn.LSTM(3, 4, proj_size=4), lambda: nn.LSTM(3, 4, dropout=2),
          lambda: nn.GRU(3, 4)(torch.ones(2, 3, 3, dtype=torch.float64))]:
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
nn.LSTM(3, 4, dropout=0.3)
print([n for n, _ in nn.GRU(3, 4, 2).named_parameters()], nn.RNNCell(3, 4, bias=False))
""")


# --- one-dimensional convolution and pooling ----------------------------------------------------------------


def test_conv1d_is_a_cross_correlation_along_the_last_dim() -> None:
    x = plugrad.tensor([[[1.0, 2.0, 3.0, 4.0]]], requires_grad=True)
    w = plugrad.tensor([[[1.0, 0.0, -1.0]]], requires_grad=True)
    y = F.conv1d(x, w, plugrad.tensor([0.5]), padding=1)
    assert y.tolist() == [[[-1.5, -1.5, -1.5, 3.5]]] and type(y.grad_fn).__name__ == "ConvolutionBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[[1.0, 0.0, 0.0, -1.0]]] and w.grad.tolist() == [[[6.0, 10.0, 9.0]]]
    m = plugrad.nn.Conv1d(3, 4, 3, stride=2)
    assert m.weight.shape == (4, 3, 3) and m(plugrad.ones(2, 3, 9)).shape == (2, 4, 4)
    assert repr(m) == "Conv1d(3, 4, kernel_size=(3,), stride=(2,))"
    assert F.conv1d(plugrad.ones(3, 5), m.weight).shape == (4, 3)  # unbatched


def test_pooling_in_one_dim() -> None:
    x = plugrad.tensor([[[1.0, 5.0, 2.0, 0.0, 3.0]]])
    assert F.max_pool1d(x, 2).tolist() == [[[5.0, 2.0]]]
    _close(F.avg_pool1d(x, 3, 2, 1), [[[2.0, 7 / 3, 1.0]]])
    _close(F.adaptive_avg_pool1d(x, 2), [[[8 / 3, 5 / 3]]])
    assert repr(plugrad.nn.AvgPool1d(3, 2, 1)) == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"
    assert repr(plugrad.nn.MaxPool1d(2)) == "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"


def test_conv1d_and_1d_pooling_match_torch() -> None:
    _check_against_torch("""
import torch.nn as nn
for m in [nn.Conv1d(3, 4, 3), nn.Conv1d(4, 6, 2, stride=2, padding=1, dilation=2, groups=2, bias=False),
          nn.Conv1d(3, 3, 4, padding="same"), nn.MaxPool1d(3, 2, 1), nn.AvgPool1d(2), nn.AdaptiveAvgPool1d(3)]:
    print(m)
x = (torch.arange(48., dtype=torch.float64).reshape(2, 4, 6) / 10).requires_grad_()
w = (torch.arange(24., dtype=torch.float64).reshape(6, 2, 2) / 20 - 0.5).requires_grad_()
y = F.conv1d(x, w, torch.ones(6, dtype=torch.float64), stride=2, padding=1, dilation=2, groups=2)
print(y, torch.autograd.grad((y ** 2).sum(), (x, w)))
for f in [F.max_pool1d, F.avg_pool1d]:
    y = f(x, 3, 2, 1)
    print(y, torch.autograd.grad(y.sum(), x))
y = F.adaptive_avg_pool1d(x, 4)
print(y, torch.autograd.grad(y.sum(), x))
for f in [lambda: F.conv1d(torch.ones(2, 3, 4), torch.ones(4, 3, 5)),
          lambda: F.conv1d(torch.ones(2, 3, 4), torch.ones(4, 2, 2)),
          lambda: F.conv1d(torch.ones(3, 4, 5, 6), torch.ones(4, 4, 2))]:
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
""")


def test_scaled_dot_product_attention_glu_and_distance_modules() -> None:
    q = plugrad.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    v = plugrad.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    e = math.exp(1 / math.sqrt(2))
    top = (1 * e + 3) / (e + 1)
    _close(F.scaled_dot_product_attention(q, q, v), [[[top, top + 1], [4 - top, 5 - top]]])
    _close(F.scaled_dot_product_attention(q, q, v, is_causal=True)[0, 0], [1.0, 2.0])  # row 0 sees only key 0
    mask = plugrad.tensor([[False, True], [True, True]])
    _close(F.scaled_dot_product_attention(q, q, v, attn_mask=mask)[0, 0], [3.0, 4.0])
    _close(F.glu(plugrad.tensor([[1.0, 2.0, 0.0, 100.0]])), [[0.5, 2.0]])
    with pytest.raises(RuntimeError, match="^Halving dimension must be even, but dimension 1 is size 3$"):
        F.glu(plugrad.ones(2, 3))
    _close(plugrad.nn.CosineSimilarity(dim=0)(plugrad.tensor([1.0, 0.0]), plugrad.tensor([1.0, 1.0])),
           math.sqrt(0.5))
    _close(plugrad.nn.PairwiseDistance()(plugrad.ones(2, 3), plugrad.zeros(2, 3)), [math.sqrt(3.000003)] * 2,
           tol=1e-5)
    assert repr(plugrad.nn.GLU()) == "GLU(dim=-1)" and repr(plugrad.nn.CosineSimilarity()) == "CosineSimilarity()"


def test_scaled_dot_product_attention_matches_torch() -> None:
    _check_against_torch("""
q = (torch.arange(24., dtype=torch.float64).reshape(1, 2, 3, 4) / 10).requires_grad_()
k = torch.arange(24., dtype=torch.float64).reshape(1, 2, 3, 4).flip(-1) / 7
v = torch.arange(24., dtype=torch.float64).reshape(1, 2, 3, 4) / 5
masks = [torch.tensor([[True, False, True], [True, True, False], [False, True, True]]),
         torch.full((3, 3), 0.5, dtype=torch.float64)]
for kw in [{}, {"is_causal": True}, {"scale": 0.3}, {"attn_mask": masks[0]}, {"attn_mask": masks[1]}]:
    y = F.scaled_dot_product_attention(q, k, v, **kw)
    print(y.detach().numpy().round(6).tolist(), torch.autograd.grad(y.sum(), q)[0].numpy().round(6).tolist())
print(F.scaled_dot_product_attention(q, k[:, :1], v[:, :1], enable_gqa=True).detach().numpy().round(6).tolist())
print(F.glu(torch.tensor([[1., 2., 3., 4.]])), nn.GLU(0)(torch.ones(2, 3)))
print(nn.CosineSimilarity(dim=0)(torch.tensor([1., 0.]), torch.tensor([1., 1.])),
      nn.PairwiseDistance()(torch.ones(2, 3), torch.zeros(2, 3)))
""")
