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
    from test_torch_docs import _check

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
