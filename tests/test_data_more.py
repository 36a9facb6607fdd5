"""plugrad.utils.data beyond TensorDataset: iterable datasets, composite datasets, the random samplers
(multinomial draws included), DistributedSampler, default_convert; checked against PyTorch where installed."""

from __future__ import annotations

import collections

import numpy as np
import plugrad
import pytest
from plugrad.utils.data import (
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    StackDataset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
)


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")


def _stream_class(base):
    class Stream(base):
        def __init__(self, n, sized=True):
            self.n, self.sized = n, sized

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            if not self.sized:
                raise TypeError("no len")
            return self.n

    return Stream


Stream = _stream_class(IterableDataset)


def _flat(batches):
    return [b.tolist() if hasattr(b, "tolist") else b for b in batches]


# --- IterableDataset and the loader over it ---------------------------------------------------------------


def test_iterable_loader_batches_with_short_last_batch():
    loader = DataLoader(Stream(7), batch_size=3)
    assert _flat(loader) == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    assert _flat(DataLoader(Stream(7), batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    unbatched = list(DataLoader(Stream(3), batch_size=None))
    assert unbatched == [0, 1, 2] and len(DataLoader(Stream(3), batch_size=None)) == 3
    assert _flat(DataLoader(Stream(4), batch_size=2, collate_fn=lambda b: sum(b))) == [1, 5]


def test_iterable_loader_refuses_shuffle_and_samplers():
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option, but got sampler=\\[0\\]"):
        DataLoader(Stream(3), sampler=[0])
    with pytest.raises(ValueError, match="expected unspecified batch_sampler option, but got batch_sampler=\\[\\[0\\]\\]"):
        DataLoader(Stream(3), batch_sampler=[[0]])
    DataLoader(Stream(3), shuffle=False)  # an explicit False is accepted, as in PyTorch
    with pytest.raises(TypeError, match="no len"):
        len(DataLoader(Stream(3, sized=False)))
    with pytest.raises(TypeError, match="abstract"):
        IterableDataset()


def test_iterable_loader_warns_when_it_yields_more_than_reported():
    class Liar(Stream):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(4), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="was reported to be 2\\(when accessing len\\(dataloader\\)\\), but [34] samples"):
        assert list(loader) == [0, 1, 2, 3]


def test_num_workers_and_worker_options_are_refused():
    with pytest.raises(ValueError, match="loads in the main process only; use num_workers=0, not num_workers=2"):
        DataLoader(Stream(3), num_workers=2)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(Stream(3), num_workers=-1)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Stream(3), persistent_workers=True)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(Stream(3), prefetch_factor=2)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(list(range(3)), batch_size=None, drop_last=True)
    loader = DataLoader(list(range(3)))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 2
    assert get_worker_info() is None


def test_iterable_loader_matches_torch(torch):
    TorchStream = _stream_class(torch.utils.data.IterableDataset)
    for kw in [dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None), dict(batch_size=10)]:
        ours, theirs = DataLoader(Stream(8), **kw), torch.utils.data.DataLoader(TorchStream(8), **kw)
        assert _flat(ours) == _flat(theirs) and len(ours) == len(theirs)
    for kw in [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])]:
        with pytest.raises(ValueError) as ours:
            DataLoader(Stream(3), **kw)
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.DataLoader(TorchStream(3), **kw)
        assert str(ours.value) == str(theirs.value)


# --- composite datasets ------------------------------------------------------------------------------------


def test_concat_dataset_indexes_across_parts():
    ds = ConcatDataset([list(range(3)), list(range(10, 12)), [], list(range(20, 24))])
    assert ds.cumulative_sizes == [3, 5, 5, 9] and len(ds) == 9
    assert [ds[i] for i in range(9)] == [0, 1, 2, 10, 11, 20, 21, 22, 23]
    assert ds[-1] == 23 and ds[-9] == 0
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        ds[-10]
    with pytest.raises(IndexError):
        ds[9]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Stream(2)])
    with pytest.warns(FutureWarning, match="renamed to `cumulative_sizes`"):
        assert ds.cummulative_sizes == [3, 5, 5, 9]

    class Squares(Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 3

    both = Squares() + Squares()
    assert isinstance(both, ConcatDataset) and [both[i] for i in range(6)] == [0, 1, 4, 0, 1, 4]
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Dataset()[0]


def test_chain_dataset_chains_streams_and_sums_lengths():
    ds = ChainDataset([Stream(2), Stream(3)])
    assert list(ds) == [0, 1, 0, 1, 2] and len(ds) == 5
    assert list(Stream(1) + Stream(2)) == [0, 0, 1]
    bad = ChainDataset([Stream(1), [5]])
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(bad)
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        len(bad)
    assert _flat(DataLoader(ds, batch_size=2)) == [[0, 1], [0, 1], [2]]


def test_stack_dataset_tuples_and_dicts():
    x = plugrad.arange(4) * 10
    ds = StackDataset(TensorDataset(x), list("abcd"))
    sample = ds[1]
    assert sample[0][0].item() == 10 and sample[1] == "b" and len(ds) == 4
    named = StackDataset(x=list(range(4)), y=list("abcd"))
    assert named[2] == {"x": 2, "y": "c"}
    assert named.__getitems__([0, 3]) == [{"x": 0, "y": "a"}, {"x": 3, "y": "d"}]
    batch = next(iter(DataLoader(named, batch_size=3)))
    assert batch["x"].tolist() == [0, 1, 2] and batch["y"] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset([1], [1, 2])
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    with pytest.raises(ValueError, match="but both types are given"):
        StackDataset([1], y=[1])


def test_composites_match_torch(torch):
    parts = [list(range(3)), list(range(10, 12))]
    ours, theirs = ConcatDataset(parts), torch.utils.data.ConcatDataset(parts)
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-5, 5)] == [theirs[i] for i in range(-5, 5)]
    ours_s = StackDataset(a=[1, 2], b=[3, 4])
    theirs_s = torch.utils.data.StackDataset(a=[1, 2], b=[3, 4])
    assert ours_s.__getitems__([1, 0]) == theirs_s.__getitems__([1, 0]) and ours_s[0] == theirs_s[0]


# --- random samplers ---------------------------------------------------------------------------------------


def test_subset_random_sampler_permutes_the_subset():
    idx = [3, 5, 7, 9, 11]
    g = plugrad.Generator().manual_seed(0)
    order = list(SubsetRandomSampler(idx, generator=g))
    assert sorted(order) == idx and len(SubsetRandomSampler(idx)) == 5
    assert order == [11, 3, 5, 9, 7]  # PyTorch's randperm(5) for seed 0 is [4, 0, 1, 3, 2]


def test_weighted_random_sampler_values_and_errors():
    g = plugrad.Generator().manual_seed(0)
    assert list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, generator=g)) == [5, 4, 4, 5, 4]
    g = plugrad.Generator().manual_seed(0)
    assert list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=False, generator=g)) == \
        [4, 1, 2, 5, 3]
    s = WeightedRandomSampler([1, 2], 3)
    assert s.weights.dtype is plugrad.float64 and len(s) == 3
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value, but got replacement=1"):
        WeightedRandomSampler([1.0], 1, replacement=1)
    with pytest.raises(ValueError, match="weights should be a 1d sequence but given weights have shape \\(1, 2\\)"):
        WeightedRandomSampler([[1.0, 2.0]], 1)


def test_samplers_match_torch(torch):
    weights = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6, 0.0, 1.2]
    for seed in range(4):
        for replacement, n in [(True, 1), (True, 20), (False, 1), (False, 5)]:
            ours = list(WeightedRandomSampler(weights, n, replacement, generator=plugrad.Generator().manual_seed(seed)))
            theirs = list(torch.utils.data.WeightedRandomSampler(weights, n, replacement,
                                                                 generator=torch.Generator().manual_seed(seed)))
            assert ours == theirs
        idx = list(range(100, 130, 3))
        assert list(SubsetRandomSampler(idx, plugrad.Generator().manual_seed(seed))) == \
            list(torch.utils.data.SubsetRandomSampler(idx, torch.Generator().manual_seed(seed)))
    plugrad.manual_seed(5)
    torch.manual_seed(5)
    assert list(WeightedRandomSampler(weights, 6)) == list(torch.utils.data.WeightedRandomSampler(weights, 6))
    assert plugrad.rand(2).tolist() == torch.rand(2).tolist()  # the same number of draws from the stream


def test_distributed_sampler_shards_and_reshuffles_per_epoch():
    shards = [list(DistributedSampler(list(range(10)), num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    cut = [list(DistributedSampler(list(range(10)), 3, r, shuffle=False, drop_last=True)) for r in range(3)]
    assert cut == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    s = DistributedSampler(list(range(10)), num_replicas=2, rank=1, seed=3)
    first = list(s)
    assert first == list(s) == [0, 7, 5, 9, 4] and len(s) == 5
    s.set_epoch(1)
    other = DistributedSampler(list(range(10)), num_replicas=2, rank=0, seed=3)
    other.set_epoch(1)
    assert s.epoch == 1 and list(s) != first and sorted(list(s) + list(other)) == list(range(10))
    assert list(DistributedSampler(list(range(2)), num_replicas=5, rank=4, shuffle=False)) == [0]
    with pytest.raises(ValueError, match="Invalid rank 3, rank should be in the interval \\[0, 2\\]"):
        DistributedSampler([1], num_replicas=3, rank=3)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        DistributedSampler([1])


def test_distributed_sampler_matches_torch(torch):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for n, replicas, drop_last in [(10, 3, False), (10, 3, True), (7, 4, False), (2, 5, False), (12, 4, True)]:
        for rank in range(replicas):
            ours = DistributedSampler(list(range(n)), replicas, rank, seed=11, drop_last=drop_last)
            theirs = TorchSampler(list(range(n)), replicas, rank, seed=11, drop_last=drop_last)
            for epoch in range(3):
                ours.set_epoch(epoch)
                theirs.set_epoch(epoch)
                assert list(ours) == list(theirs) and len(ours) == len(theirs)


# --- multinomial -------------------------------------------------------------------------------------------


def test_multinomial_values_shapes_and_errors():
    w = plugrad.tensor([[0.2, 0.0, 0.8], [1.0, 1.0, 0.0]])
    g = plugrad.Generator(w.device).manual_seed(0)
    drawn = plugrad.multinomial(w, 4, replacement=True, generator=g)
    assert drawn.shape == (2, 4) and drawn.dtype is plugrad.int64
    assert drawn.tolist() == [[2, 2, 2, 2], [1, 1, 0, 0]]
    g = plugrad.Generator(w.device).manual_seed(0)
    assert w.multinomial(2, generator=g).tolist() == [[2, 0], [1, 0]]
    assert plugrad.multinomial(plugrad.tensor([0.0, 1.0]), 1).tolist() == [1]
    assert plugrad.multinomial(plugrad.ones(0, 3), 2).shape == (0, 2)
    cases = [
        ((plugrad.tensor([1.0, 2.0]), 3), "cannot sample n_sample > prob_dist.size\\(-1\\) samples without"),
        ((plugrad.tensor([1.0, -2.0]), 1), "probability tensor contains either `inf`, `nan` or element < 0"),
        ((plugrad.tensor([1.0, -2.0]), 2, True), "encountering probability entry < 0"),
        ((plugrad.tensor([0.0, 0.0]), 2, True), "invalid multinomial distribution \\(sum of probabilities <= 0\\)"),
        ((plugrad.tensor([0.0, 0.0]), 1), "invalid multinomial distribution \\(sum of probabilities <= 0\\)"),
        ((plugrad.tensor([1.0, float("inf")]), 2, True), "encountering probability entry = infinity or NaN"),
        ((plugrad.tensor([1, 2]), 1), "multinomial only supports floating-point dtypes for input, got: Long"),
        ((plugrad.tensor(1.0), 1), "prob_dist must be 1 or 2 dim"),
        ((plugrad.ones(2), 0), "cannot sample n_sample <= 0 samples"),
    ]
    for args, message in cases:
        with pytest.raises(RuntimeError, match=message):
            plugrad.multinomial(*args)


def test_multinomial_matches_torch(torch):
    for dtype in ["float32", "float64"]:
        for replacement, n in [(True, 1), (True, 7), (False, 1), (False, 5)]:
            for shape in [(9,), (3, 9)]:
                torch.manual_seed(1)
                plugrad.manual_seed(1)
                w_t = torch.rand(*shape, dtype=getattr(torch, dtype)) + 0.01
                w_p = plugrad.rand(*shape, dtype=dtype) + 0.01
                assert plugrad.multinomial(w_p, n, replacement).tolist() == \
                    torch.multinomial(w_t, n, replacement).tolist()
                g_t, g_p = torch.Generator().manual_seed(4), plugrad.Generator(w_p.device).manual_seed(4)
                assert w_p.multinomial(n, replacement, generator=g_p).tolist() == \
                    w_t.multinomial(n, replacement, generator=g_t).tolist()
                assert plugrad.rand(1).item() == torch.rand(1).item()


# --- conversion and collation ------------------------------------------------------------------------------


def test_default_convert_turns_arrays_into_tensors():
    Point = collections.namedtuple("Point", "x y")
    out = default_convert({"a": np.arange(3), "b": (np.float64(1.5), "s"), "p": Point(np.ones(2), 1)})
    assert isinstance(out["a"], plugrad.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert isinstance(out["b"], list) and out["b"][0].dtype is plugrad.float64 and out["b"][1] == "s"
    assert isinstance(out["p"], Point) and out["p"].x.tolist() == [1.0, 1.0] and out["p"].y == 1
    strings = np.array(["a", "b"])
    assert default_convert(strings) is strings
    t = plugrad.ones(2)
    assert default_convert(t) is t and default_convert(3) == 3
    assert [b.tolist() for b in DataLoader([np.arange(2), np.arange(2, 4)], batch_size=None)] == [[0, 1], [2, 3]]


def test_default_collate_recurses_like_torch_without_torch():
    batch = default_collate([[1, np.float32(2.0)], [3, np.float32(4.0)]])
    assert isinstance(batch, list) and batch[0].tolist() == [1, 3] and batch[1].dtype is plugrad.float32
    assert default_collate([True, False]).dtype is plugrad.bool
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, dicts or lists; found"):
        default_collate([object()])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])


def test_default_collate_and_convert_match_torch(torch):
    from torch.utils.data import default_collate as t_collate
    from torch.utils.data import default_convert as t_convert

    samples = [({"x": np.arange(2.0), "n": 3}, [1.5, np.int32(2)]), ({"x": np.arange(2.0, 4.0), "n": 4}, [2.5, np.int32(5)])]
    ours, theirs = default_collate(samples), t_collate(samples)
    assert type(ours) is type(theirs) and type(ours[1]) is type(theirs[1])
    assert ours[0]["x"].tolist() == theirs[0]["x"].tolist() and str(ours[0]["x"].dtype) == str(theirs[0]["x"].dtype)
    for a, b in zip(ours[1] + [ours[0]["n"]], theirs[1] + [theirs[0]["n"]]):
        assert a.tolist() == b.tolist() and str(a.dtype) == str(b.dtype)
    converted, reference = default_convert(samples[0]), t_convert(samples[0])
    assert type(converted) is type(reference) and converted[0]["x"].tolist() == reference[0]["x"].tolist()
    with pytest.raises(TypeError) as ours_e:
        default_collate([object()])
    with pytest.raises(TypeError) as theirs_e:
        t_collate([object()])
    assert str(ours_e.value) == str(theirs_e.value)
