"""Random numbers: after the same seed, plugrad draws PyTorch's CPU numbers (rand, randn, randint, randperm,
normal, bernoulli, dropout masks, nn.init, the DataLoader's shuffle), generators keep their own streams, and
the state round-trips. The expected values below are what PyTorch 2.13 prints; the differential tests at the
end compare with PyTorch itself when it is installed."""

from __future__ import annotations

import platform
from typing import Any

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad.utils.data import DataLoader, RandomSampler, TensorDataset, random_split


@pytest.fixture
def pytorch_stream(backend_name: str) -> None:
    """The tests of exact numbers: PyTorch's CPU stream is the NumPy backend's (and its subclasses')."""
    from plugrad_numpy import NumpyBackend

    if not isinstance(plugrad.tensor(0.0)._backend, NumpyBackend):
        pytest.skip(f"backend {backend_name!r} draws its own stream, not PyTorch's CPU one")


def _gen(seed: int) -> plugrad.Generator:
    """A generator on the device the factories use in this run."""
    return plugrad.Generator(device=plugrad.tensor(0.0).device).manual_seed(seed)


def test_rand_after_manual_seed_is_pytorchs(pytorch_stream: None) -> None:
    plugrad.manual_seed(0)
    got = to_numpy(plugrad.rand(4))
    assert got.dtype == np.float32
    # the low 24 bits of the Mersenne Twister's first outputs for seed 0, times 2**-24
    assert got.tolist() == [8325804 / 2**24, 12888623 / 2**24, 1484405 / 2**24, 2215104 / 2**24]
    plugrad.manual_seed(0)
    assert np.allclose(to_numpy(plugrad.rand(2, dtype=plugrad.float64)), [0.970053, 0.70781986], atol=1e-8, rtol=0)


def test_randn_after_manual_seed_is_pytorchs_below_and_above_sixteen_elements(pytorch_stream: None) -> None:
    plugrad.manual_seed(0)
    assert np.allclose(to_numpy(plugrad.randn(3)), [1.5409961, -0.2934289, -2.1787894], atol=1e-7, rtol=0)
    plugrad.manual_seed(3)
    assert np.allclose(to_numpy(plugrad.randn(20))[:4], [-0.07664429, 0.35988152, -0.7820168, 0.07152773],
                       atol=1e-7, rtol=0)


def test_a_normal_pair_is_shared_between_calls(pytorch_stream: None) -> None:
    plugrad.manual_seed(0)
    one, two = plugrad.randn(1), plugrad.randn(1)  # the second is the other half of the first Box-Muller pair
    plugrad.manual_seed(0)
    both = plugrad.randn(2)
    assert to_numpy(plugrad.cat([one, two])).tolist() == to_numpy(both).tolist()


def test_integers_and_permutations_are_pytorchs(pytorch_stream: None) -> None:
    plugrad.manual_seed(0)
    assert plugrad.randint(0, 10, (7,)).tolist() == [4, 9, 3, 0, 3, 9, 7]
    plugrad.manual_seed(0)
    assert plugrad.randperm(10).tolist() == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]
    plugrad.manual_seed(0)
    assert plugrad.randint(0, 2**33, (2,)).dtype == plugrad.int64


def test_normal_bernoulli_and_dropout_are_pytorchs(pytorch_stream: None) -> None:
    plugrad.manual_seed(1)
    assert np.allclose(to_numpy(plugrad.normal(2.0, 3.0, size=(3,))), [3.9841, 2.8008, 2.1850], atol=1e-4)
    assert np.allclose(to_numpy(plugrad.normal(plugrad.zeros(3), plugrad.ones(3) * 2)), [1.2426, -0.9038, -0.3323],
                       atol=1e-4)
    plugrad.manual_seed(7)
    assert to_numpy(plugrad.nn.functional.dropout(plugrad.ones(12), 0.5)).tolist() == [
        2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0, 2.0]
    plugrad.manual_seed(3)
    plugrad.rand(1)
    assert to_numpy(plugrad.zeros(6).bernoulli_(0.3)).tolist() == [0.0, 1.0, 0.0, 0.0, 1.0, 0.0]


def test_linear_init_after_manual_seed_is_pytorchs(pytorch_stream: None) -> None:
    plugrad.manual_seed(7)
    layer = plugrad.nn.Linear(3, 2)
    assert np.allclose(to_numpy(layer.weight.detach()), [[0.0403, -0.3478, 0.1838], [0.1812, -0.3086, -0.0865]],
                       atol=1e-4)
    assert np.allclose(to_numpy(layer.bias.detach()), [-0.3382, 0.1498], atol=1e-4)


def test_trunc_normal_draws_as_pytorch_does_and_stays_in_bounds(pytorch_stream: None) -> None:
    plugrad.manual_seed(0)
    w = plugrad.nn.init.trunc_normal_(plugrad.empty(3, 20), 0, 0.02)  # most mass inside: normals, redrawn
    assert np.allclose(to_numpy(w)[0, :4], [-0.0225, -0.0230, -0.0050, -0.0087], atol=1e-4)
    plugrad.manual_seed(1)
    tail = to_numpy(plugrad.nn.init.trunc_normal_(plugrad.empty(50), 0, 1, a=2, b=3))  # a tail: accept-reject
    assert np.allclose(tail[:4], [2.7576, 2.2793, 2.0503, 2.3686], atol=1e-4)
    assert tail.min() >= 2 and tail.max() <= 3


def test_shuffled_batches_come_in_pytorchs_order(pytorch_stream: None) -> None:
    data = TensorDataset(plugrad.arange(10))
    plugrad.manual_seed(0)
    assert [b[0].tolist() for b in DataLoader(data, batch_size=4, shuffle=True)] == [[6, 7, 1, 4], [2, 0, 9, 8], [3, 5]]
    # the loader drew a base seed and a sampler seed: the default stream is where PyTorch's is
    assert np.allclose(to_numpy(plugrad.rand(1)), [0.3074], atol=1e-4)
    loader = DataLoader(data, batch_size=4, shuffle=True, generator=_gen(3))
    assert [b[0].tolist() for b in loader] == [[7, 4, 2, 9], [1, 5, 0, 8], [6, 3]]
    plugrad.manual_seed(0)
    first, second = random_split(data, [7, 3])
    assert first.indices == [4, 1, 7, 5, 3, 9, 0] and second.indices == [8, 6, 2]
    plugrad.manual_seed(2)
    assert list(RandomSampler(range(6))) == [0, 5, 2, 4, 3, 1]


def test_batches_of_a_tensor_dataset_are_lists_as_in_pytorch() -> None:
    batch = next(iter(DataLoader(TensorDataset(plugrad.arange(4), plugrad.arange(4)), batch_size=2)))
    assert type(batch) is list and [t.tolist() for t in batch] == [[0, 1], [0, 1]]
    pairs = next(iter(DataLoader([(1, 2.0), (3, 4.0)], batch_size=2)))
    assert type(pairs) is list and pairs[0].tolist() == [1, 3] and pairs[1].dtype == plugrad.float64


# --- generators and state: on every backend ------------------------------------------------------------------


def test_a_generator_has_its_own_stream() -> None:
    plugrad.manual_seed(0)
    a = plugrad.rand(3, generator=_gen(42))
    plugrad.manual_seed(0)
    plugrad.rand(5)  # the default stream moves on; the generator's does not depend on it
    b = plugrad.rand(3, generator=_gen(42))
    assert to_numpy(a).tolist() == to_numpy(b).tolist()
    g = _gen(42)
    first, second = plugrad.rand(3, generator=g), plugrad.rand(3, generator=g)
    assert to_numpy(first).tolist() != to_numpy(second).tolist()
    assert g.initial_seed() == 42


def test_rng_state_round_trips_and_rejects_the_wrong_size() -> None:
    # get_rng_state is the CPU generator's, as torch.get_rng_state is
    plugrad.manual_seed(5)
    plugrad.randn(3, device="cpu")  # leaves half a normal pair in the state
    state = plugrad.get_rng_state()
    assert state.dtype == plugrad.uint8 and state.device.type == "cpu"
    a = (to_numpy(plugrad.randn(5, device="cpu")), to_numpy(plugrad.rand(2, device="cpu")))
    plugrad.set_rng_state(state)
    b = (to_numpy(plugrad.randn(5, device="cpu")), to_numpy(plugrad.rand(2, device="cpu")))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    with pytest.raises(RuntimeError, match="RNG state is wrong size"):
        plugrad.set_rng_state(plugrad.zeros(3, dtype=plugrad.uint8))
    with pytest.raises(TypeError, match="expected a torch.ByteTensor"):
        plugrad.set_rng_state(plugrad.zeros(3))


def test_seeds_are_reported_as_pytorch_reports_them() -> None:
    plugrad.manual_seed(123)
    assert plugrad.initial_seed() == 123
    plugrad.manual_seed(-1)
    assert plugrad.initial_seed() == 2**64 - 1
    assert plugrad.Generator().initial_seed() == 67280421310721
    with pytest.raises(RuntimeError, match="Overflow when unpacking long long"):
        plugrad.manual_seed(2**64)


def test_a_generator_must_be_on_the_tensors_device() -> None:
    other = "cuda" if plugrad.tensor(0.0).device.type == "cpu" else "cpu"
    with pytest.raises(RuntimeError, match=f"Expected a '{plugrad.tensor(0.0).device.type}' device type for "
                                           f"generator but found '{other}'"):
        plugrad.rand(2, generator=plugrad.Generator(device=other))
    with pytest.raises(TypeError, match="argument 'generator' must be torch.Generator, not int"):
        plugrad.rand(2, generator=3)


def test_in_place_fills_draw_in_range_and_check_their_arguments() -> None:
    plugrad.manual_seed(0)
    u = to_numpy(plugrad.empty(1000).uniform_(-2, 3))
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.2
    n = to_numpy(plugrad.empty(4000, dtype=plugrad.float64).normal_(1.0, 2.0))
    assert abs(n.mean() - 1.0) < 0.15 and abs(n.std() - 2.0) < 0.15
    r = plugrad.zeros(500, dtype=plugrad.int64).random_(3, 7)
    assert set(r.tolist()) == {3, 4, 5, 6}
    assert set(plugrad.zeros(200).bernoulli_(0.5).tolist()) == {0.0, 1.0}
    with pytest.raises(RuntimeError, match="uniform_ expects to return a \\[from, to\\) range, but found from=3 > to=1"):
        plugrad.empty(2).uniform_(3, 1)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        plugrad.empty(2).normal_(0, -1)
    w = plugrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w.uniform_()
    with plugrad.no_grad():
        w.normal_()
    assert w.requires_grad and w.is_leaf


# --- against PyTorch -------------------------------------------------------------------------------------


@pytest.fixture
def torch_module(pytorch_stream: None) -> Any:
    return pytest.importorskip("torch", reason="PyTorch is not installed; the differential random tests need it")


SHAPES = [(1,), (3,), (2, 3), (15,), (16,), (17,), (4, 33), (1000,), (64, 1000)]
_X86 = platform.machine().lower() in ("x86_64", "amd64")


@pytest.mark.parametrize("seed", [0, 1, 2**40 + 7])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rand_and_randn_equal_pytorchs(torch_module: Any, seed: int, shape: tuple, dtype: str) -> None:
    torch = torch_module
    for name in ("rand", "randn"):
        torch.manual_seed(seed)
        plugrad.manual_seed(seed)
        want = [getattr(torch, name)(*shape, dtype=getattr(torch, dtype)).numpy() for _ in range(2)]
        got = [to_numpy(getattr(plugrad, name)(*shape, dtype=dtype)) for _ in range(2)]
        for w, g in zip(want, got):
            if name == "randn" and w.size >= 16 and not _X86:
                # Blocks of 16 follow PyTorch's x86 kernels; elsewhere PyTorch's log/sin/cos differ in the last bits
                np.testing.assert_allclose(g, w, rtol=0, atol=2 * np.spacing(np.abs(w)).max())
            else:
                np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("seed", [0, 5])
def test_integers_normals_and_fills_equal_pytorchs(torch_module: Any, seed: int) -> None:
    torch = torch_module
    cases = [
        lambda T: T.randint(0, 10, (7,)),
        lambda T: T.randint(-5, 5, (20,)),
        lambda T: T.randint(3, 2**33, (5,)),
        lambda T: T.randperm(50),
        lambda T: T.normal(2.0, 3.0, size=(5,)),
        lambda T: T.normal(T.arange(20.0), 0.5),
        lambda T: T.empty(3, 20).uniform_(-0.1, 0.1),
        lambda T: T.empty(3, 20).normal_(0.5, 0.02),
        lambda T: T.empty(5, dtype=T.float64).normal_(1.0, 2.0),
        lambda T: T.bernoulli(T.full((9,), 0.4)),
        lambda T: T.zeros(7).bernoulli_(0.5),
        lambda T: T.zeros(4, dtype=T.int64).random_(),
        lambda T: T.zeros(4).random_(),
        lambda T: T.nn.init.kaiming_uniform_(T.empty(4, 6), a=5**0.5),
        lambda T: T.nn.Conv2d(1, 2, 3).weight.detach(),
        lambda T: T.nn.init.trunc_normal_(T.empty(3, 20), 0, 0.02),
        lambda T: T.nn.init.trunc_normal_(T.empty(50), 0, 1, a=2, b=3),
        lambda T: T.nn.init.trunc_normal_(T.empty(4, 5, dtype=T.float64), 1, 2, -1, 1),
    ]
    for i, case in enumerate(cases):
        torch.manual_seed(seed)
        plugrad.manual_seed(seed)
        want, got = case(torch).numpy(), to_numpy(case(plugrad))
        if _X86:
            np.testing.assert_array_equal(got, want, err_msg=f"case {i}")
        else:
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6, err_msg=f"case {i}")
        assert got.dtype == want.dtype, f"case {i}"
